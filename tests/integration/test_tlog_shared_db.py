"""test_tlog_shared_db - two accord-node processes serve one node on one
database (same data directory: key material and SQLite file in WAL mode)
and race to issue records through both processes' APIs at once. Afterwards
the database holds exactly one checkpoint per size, every record's inclusion
proof (asked of the process that did not issue it) verifies against the
latest checkpoint, every checkpoint either process served is signed by the
node's key and is consistent with the latest (RFC 9162 recomputed here with
hashlib; accord-verify --fetch checks every record against the issuer too).

Then the database goes back, as after a failover to a standby that missed
commits: a copy taken earlier is restored while the node is stopped. The node
starts, remembers (<data_dir>/tlog-published) the larger checkpoint it had
published, refuses to sign (503 signing-halted naming the sizes), says so on
/healthz and /metrics, and serves reads. A database that was rolled back and
then grew again to the published size with other records (a fork) is caught
the same way.

Runs on SQLite (not with ACCORD_DB=postgresql), then on a throwaway
PostgreSQL 15 server when one can be started (tests/lib/pgserver.py; both processes name one database in
[store] url), where the copy taken earlier is a database made from the live
one as its template and the node is pointed at it, as a failover to a
standby that missed commits would."""
import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from accordtest import BUILD, Node, check, h2_client, skip, skip_unless_built
from test_records import mth_of_hashes, status_of, verify_consistency
from test_tlog_subtrees import verify_inclusion

skip_unless_built()
try:
    import nacl.signing
except ImportError:
    skip("python3-nacl is needed (tools/setup.sh)")

VERIFY_BIN = os.path.join(BUILD, "tools", "accord-verify")
PSQL = "/usr/lib/postgresql/15/bin/psql"
NODE_ID = "shared.node"
THREADS_PER_NODE = 2
ISSUES_PER_THREAD = 12
BEFORE = 3  # records issued before the copy of the database is taken


def share(node, data_dir, public_url, store=""):
    """Points |node|'s config at |data_dir| (and the [store] section
    |store|) and names the node by |public_url| (the records' issuer and the
    log's origin must be one for every process of the node)."""
    with open(node.config) as f:
        lines = f.read().splitlines()
    out = []
    in_store = False  # a [store] the harness wrote (ACCORD_DB) gives way to ours
    for l in lines:
        if l.startswith("["):
            in_store = l.strip() == "[store]"
        if in_store:
            continue
        if l.startswith("data_dir = "):
            out += ["data_dir = " + data_dir, "public_url = " + public_url]
        else:
            out.append(l)
    with open(node.config, "w") as f:
        f.write("\n".join(out) + "\n" + store)
    node.data_dir = data_dir


class SqliteBackend:
    """The node's database is <data_dir>/accord.db."""
    name = "SQLite"

    def __init__(self, a):
        self.a = a
        self.copy = os.path.join(a.tmp, "before.db")

    def store_config(self):
        return ""

    def snapshot(self, nodes):
        """A consistent copy of the live database (SQLite's online backup)."""
        src = sqlite3.connect(os.path.join(self.a.data_dir, "accord.db"))
        dst = sqlite3.connect(self.copy)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()

    def go_back(self, node):
        """Restores the copy while |node| is stopped."""
        for suffix in ("-wal", "-shm"):
            try:
                os.unlink(os.path.join(node.data_dir, "accord.db" + suffix))
            except FileNotFoundError:
                pass
        shutil.copyfile(self.copy, os.path.join(node.data_dir, "accord.db"))
        os.chmod(os.path.join(node.data_dir, "accord.db"), 0o600)

    def checkpoint_rows(self):
        db = sqlite3.connect("file:%s/accord.db?mode=ro" % self.a.data_dir, uri=True)
        try:
            return db.execute(CHECKPOINT_ROWS).fetchall()
        finally:
            db.close()


CHECKPOINT_ROWS = ("SELECT size, count(*), count(DISTINCT root) FROM log_checkpoints"
                   " GROUP BY size ORDER BY size")


class PgBackend:
    """One database on a throwaway server; the copy is a database made
    from it as a template (which needs the nodes stopped)."""
    name = "PostgreSQL"

    def __init__(self, pg):
        self.pg = pg
        self.psql("CREATE DATABASE accord")

    def url(self, db):
        return self.pg.url.replace("/postgres?", "/%s?" % db)

    def psql(self, sql, db="postgres"):
        r = subprocess.run([PSQL, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.url(db),
                            "-c", sql], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def store_config(self, db="accord"):
        return "[store]\nengine = postgresql\nurl = %s\n" % self.url(db)

    def snapshot(self, nodes):
        for n in nodes:
            n.stop()
        self.psql("CREATE DATABASE before TEMPLATE accord")
        for n in nodes:
            n.start()

    def go_back(self, node):
        """Points |node| (stopped) at the copy: the standby that missed the
        commits since."""
        with open(node.config) as f:
            text = f.read()
        with open(node.config, "w") as f:
            f.write(text.replace(self.url("accord"), self.url("before")))

    def checkpoint_rows(self):
        out = self.psql(CHECKPOINT_ROWS, "accord")
        return [tuple(int(x) for x in l.split("|")) for l in out.splitlines() if l]


def hdr(token):
    return {"authorization": "Bearer " + token, "content-type": "application/json"}


def issue_body(i):
    return {"email": "earner%d@district.example" % i, "definition_id": "phonics-k2",
            "definition_version": 3, "content_hash": "ab" * 32,
            "achieved_level": "proficient"}


def parse_checkpoint(text):
    """Returns (origin, size, root, body) of a signed checkpoint note."""
    body, _, _sigs = text.partition("\n\n")
    lines = body.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2]), body + "\n"


def verify_note(text, name, pub):
    """C2SP signed note, Ed25519: a line "— <name> base64(keyhash || sig)"
    with keyhash = SHA-256(name || "\\n" || 0x01 || key)[:4], the signature
    over the text before the blank line."""
    body, _, sigs = text.partition("\n\n")
    keyhash = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    for line in sigs.splitlines():
        dash, who, b64 = line.split(" ")
        raw = base64.b64decode(b64)
        if dash == "\u2014" and who == name and raw[:4] == keyhash:
            nacl.signing.VerifyKey(pub).verify((body + "\n").encode(), raw[4:])
            return True
    return False


def node_key(c, n):
    k = json.loads(c.get(n.url + "/.well-known/jwks.json").text)["keys"][0]
    return base64.urlsafe_b64decode(k["x"] + "=" * (-len(k["x"]) % 4))


def leaf_hashes(c, n, size):
    out = []
    while len(out) < size:
        e = c.get(n.url + "/v1/log/entries?start=%d&end=%d" % (len(out), size)).json()
        out += [base64.b64decode(x["leaf_hash"]) for x in e["entries"]]
    return out


def race(nodes, admin):
    """THREADS_PER_NODE threads per process issue ISSUES_PER_THREAD records
    each, all at once; each reads its process's checkpoint after every issue.
    Returns (issued [(node index, id, log_index)], served checkpoints
    [(node index, text)], failures, seconds)."""
    issued, served, failures = [], [], []
    lock = threading.Lock()
    start = threading.Barrier(len(nodes) * THREADS_PER_NODE)

    def worker(k, n, t):
        with h2_client() as c:
            h = {"authorization": "Bearer " + admin, "content-type": "application/json"}
            start.wait()
            for i in range(ISSUES_PER_THREAD):
                seq = (k * THREADS_PER_NODE + t) * ISSUES_PER_THREAD + i
                r = c.post(n.url + "/v1/credentials/issue", headers=h,
                           content=json.dumps(issue_body(seq)))
                cp = c.get(n.url + "/v1/log/checkpoint")
                with lock:
                    if r.status_code != 201:
                        failures.append((k, r.status_code, r.text))
                    else:
                        j = r.json()
                        issued.append((k, j["id"], j["log_index"]))
                    served.append((k, cp.text))

    threads = [threading.Thread(target=worker, args=(k, n, t))
               for k, n in enumerate(nodes) for t in range(THREADS_PER_NODE)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return issued, served, failures, time.monotonic() - t0


def test_two_processes_racing_issue_one_checkpoint_per_size_and_every_proof_verifies(
        a, b, admin, backend):
    before = []
    with h2_client() as c:
        for i in range(BEFORE):
            r = c.post(a.url + "/v1/credentials/issue", headers=hdr(admin),
                       content=json.dumps(issue_body(1000 + i)))
            assert r.status_code == 201, r.text
            before.append((0, r.json()["id"], r.json()["log_index"]))
    backend.snapshot([a, b])
    with h2_client() as c:
        return check_race(a, b, admin, c, backend, before)


def check_race(a, b, admin, c, backend, before):
    issued, served, failures, secs = race([a, b], admin)
    total = BEFORE + len(issued)
    check(not failures, "every one of the %d concurrent issues succeeded: %r"
          % (2 * THREADS_PER_NODE * ISSUES_PER_THREAD, failures[:3]))
    print("measured - %s: %d records issued by 2 processes x %d threads in %.2f s (%.0f/s)"
          % (backend.name, len(issued), THREADS_PER_NODE, secs, len(issued) / secs))
    issued = before + issued
    check(sorted(i[2] for i in issued) == list(range(total)),
          "the log indexes are 0..%d, each once" % (total - 1))
    order = [k for k, _, _ in sorted(issued, key=lambda i: i[2])]
    turns = sum(1 for x, y in zip(order, order[1:]) if x != y)
    check(all(k in order for k in (0, 1)) and turns >= 2,
          "both processes issued records, interleaved in the log (%d turns between them)" % turns)
    follows = sum(n.read_stderr().count("followed the stored head") for n in (a, b))
    runs = sum(n.read_stderr().count("running again") for n in (a, b))
    print("measured - the processes followed each other's head %d times; %d issues ran again "
          "after losing the head lock" % (follows, runs))

    rows = backend.checkpoint_rows()
    check([r[0] for r in rows] == list(range(total + 1)) and all(r[1] == 1 for r in rows),
          "the database holds exactly one checkpoint per size 0..%d (%d rows)"
          % (total, sum(r[1] for r in rows)))

    key = node_key(c, a)
    latest = {}
    for k, n in enumerate((a, b)):
        text = c.get(n.url + "/v1/log/checkpoint").text
        origin, size, root, _ = parse_checkpoint(text)
        latest[k] = text
        check(size == total and verify_note(text, origin, key),
              "process %d serves the latest checkpoint (size %d), signed by the node's key"
              % (k, size))
    check(latest[0] == latest[1], "both processes serve the same latest checkpoint")
    origin, size, root, _ = parse_checkpoint(latest[0])
    leaves = leaf_hashes(c, a, total)
    check(mth_of_hashes(leaves) == root, "hashlib recomputes the latest root from the entries")

    nodes = (a, b)
    for k, rid, idx in issued:
        other = nodes[1 - k]
        r = c.get(other.url + "/v1/credentials/%d" % rid, headers={"authorization": "Bearer " + admin})
        p = c.get(other.url + "/v1/log/inclusion?index=%d&size=%d" % (idx, total)).json()
        proof = [base64.b64decode(h) for h in p["hashes"]]
        leaf = hashlib.sha256(b"\x00" + r.content).digest()
        if r.status_code != 200 or leaf != leaves[idx] or not verify_inclusion(
                idx, total, leaf, proof, root):
            check(False, "record %d (index %d) is included in the latest checkpoint" % (rid, idx))
    check(True, "all %d records' inclusion proofs, asked of the process that did not issue "
          "them, verify against the latest checkpoint" % total)

    by_size = {}
    for k, text in served:
        o, s, r, _ = parse_checkpoint(text)
        if not verify_note(text, o, key):
            check(False, "a served checkpoint of size %d is signed by the node's key" % s)
        if by_size.setdefault(s, text) != text:
            check(False, "the processes served two different checkpoints of size %d" % s)
    sizes = sorted(by_size)
    for i, s in enumerate(sizes):
        _, _, r, _ = parse_checkpoint(by_size[s])
        for to in ([sizes[i + 1]] if i + 1 < len(sizes) else []) + [total]:
            _, _, r2, _ = parse_checkpoint(by_size[to] if to in by_size else latest[0])
            p = c.get(nodes[i % 2].url + "/v1/log/consistency?from=%d&to=%d" % (s, to)).json()
            proof = [base64.b64decode(h) for h in p["hashes"]]
            if not verify_consistency(s, to, proof, r, r2):
                check(False, "consistency %d -> %d verifies" % (s, to))
    check(True, "the %d distinct checkpoints the two processes served are one per size, signed, "
          "and each is consistent with the next and with the latest" % len(sizes))

    # A status change made by one process is the other's truth too.
    rid = next(i[1] for i in issued if i[0] == 0)
    r = c.post(b.url + "/v1/credentials/%d/revoke" % rid, headers=hdr(admin),
               content=json.dumps({"reason": "issued in error"}))
    idx = r.json().get("status_index")
    check(r.status_code == 200 and status_of(c, a, idx) == 1,
          "a record process 0 issued, revoked through process 1, is revoked in process 0's "
          "status token")
    r = c.post(a.url + "/v1/credentials/%d/reinstate" % rid, headers=hdr(admin),
               content=json.dumps({"reason": "try"}))
    check(r.status_code == 409 and r.json()["type"].endswith("/status-conflict"),
          "process 0 refuses to reinstate it: revocation is final whichever process revoked")
    r = c.post(a.url + "/v1/credentials/%d/revoke" % issued[-1][1], headers=hdr(admin),
               content=json.dumps({"reason": "issued in error"}))
    idx = r.json().get("status_index")
    check(r.status_code == 200 and status_of(c, b, idx) == 1,
          "and the other way round (a record revoked through process 0 is revoked in "
          "process 1's token)")

    with tempfile.TemporaryDirectory() as d:
        lines = []
        for k, rid, idx in issued:
            r = c.get(a.url + "/v1/credentials/%d" % rid, headers={"authorization": "Bearer " + admin})
            lines.append(base64.b64encode(r.content).decode())
        path = os.path.join(d, "records.txt")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        node_info = json.loads(c.get(a.url + "/v1/node").text)
        v = subprocess.run([VERIFY_BIN, "--key", node_info["public_key"]["did_key"], "--fetch",
                            "--json", path], capture_output=True, text=True, timeout=300)
        verdicts = [json.loads(l) for l in v.stdout.splitlines() if l.startswith("{")]
        bad = [j for j in verdicts if j.get("verdict") != "valid"]
        check(len(verdicts) == len(lines) and len(bad) == 2,
              "accord-verify --fetch checks all %d records with their inclusion proofs against "
              "the issuer's checkpoint: all valid but the 2 revoked (%s)"
              % (len(lines), [j.get("verdict") for j in bad]))
    return total


def metrics(c, n, admin):
    r = c.get(n.url + "/metrics", headers={"authorization": "Bearer " + admin})
    out = {}
    for line in r.text.splitlines():
        if line.startswith("accord_tlog_"):
            name, value = line.split(" ")
            out[name] = int(value)
    return out


def expect_halted(a, admin, c, published, what):
    body = c.get(a.url + "/healthz")
    check(body.status_code == 200 and body.text.startswith("degraded: transparency log signing "
                                                          "halted") and what in body.text,
          "/healthz says signing is halted (%s): %s" % (what, body.text.strip()[:160]))
    m = metrics(c, a, admin)
    check(m.get("accord_tlog_signing_halted") == 1 and
          m.get("accord_tlog_published_size") == published,
          "/metrics: accord_tlog_signing_halted 1, published size %d: %r" % (published, m))
    r = c.post(a.url + "/v1/credentials/issue", headers=hdr(admin),
               content=json.dumps(issue_body(5000)))
    j = r.json()
    check(r.status_code == 503 and j["type"].endswith("/signing-halted") and what in j["detail"],
          "issuing answers 503 signing-halted, naming why: %s" % j.get("detail", "")[:200])
    check("ALARM: transparency log signing halted" in a.read_stderr(), "the log raises the alarm")


def test_a_database_that_went_back_halts_signing_and_reads_go_on(a, b, admin, backend, total):
    a.stop()
    b.stop()
    backend.go_back(a)
    a.start()
    c = h2_client()
    expect_halted(a, admin, c, total, "has %d leaves, but this node published a checkpoint of "
                  "%d leaves" % (BEFORE, total))
    _, size, root, _ = parse_checkpoint(c.get(a.url + "/v1/log/checkpoint").text)
    r = c.get(a.url + "/v1/credentials/1", headers={"authorization": "Bearer " + admin})
    p = c.get(a.url + "/v1/log/inclusion?index=0&size=%d" % size).json()
    proof = [base64.b64decode(h) for h in p["hashes"]]
    check(size == BEFORE and r.status_code == 200 and
          verify_inclusion(0, size, hashlib.sha256(b"\x00" + r.content).digest(), proof, root),
          "reads go on: the stored checkpoint (size %d), a record and its inclusion proof" % size)

    # A fork: the node forgets what it published, grows the rolled-back log
    # to the published size with other records, then remembers again.
    a.stop()
    remembered = os.path.join(a.tmp, "tlog-published.saved")
    shutil.move(os.path.join(a.data_dir, "tlog-published"), remembered)
    a.start()
    c.close()
    c = h2_client()
    check(c.get(a.url + "/healthz").text == "ok\n", "without its memory the node signs again")
    for i in range(total - BEFORE):
        r = c.post(a.url + "/v1/credentials/issue", headers=hdr(admin),
                   content=json.dumps(issue_body(6000 + i)))
        assert r.status_code == 201, r.text
    a.stop()
    shutil.copyfile(remembered, os.path.join(a.data_dir, "tlog-published"))
    a.start()
    c.close()
    with h2_client() as c:
        expect_halted(a, admin, c, total, "at size %d has root" % total)


def run(backend_of):
    with Node(node_id=NODE_ID) as a, Node(node_id=NODE_ID) as b:
        backend = backend_of(a)
        url = a.url
        share(a, a.data_dir, url, backend.store_config())
        share(b, a.data_dir, url, backend.store_config())
        admin = a.init()
        a.start()
        b.start()
        total = test_two_processes_racing_issue_one_checkpoint_per_size_and_every_proof_verifies(
            a, b, admin, backend)
        test_a_database_that_went_back_halts_signing_and_reads_go_on(a, b, admin, backend, total)


def main():
    # ACCORD_DB=postgresql runs the integration tests on PostgreSQL alone.
    if os.environ.get("ACCORD_DB", "sqlite") != "postgresql":
        run(SqliteBackend)
    if not os.access(PSQL, os.X_OK):
        print("note - PostgreSQL 15 is not installed; the PostgreSQL run is skipped")
        return
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
    from pgserver import PgServer
    with PgServer() as pg:
        run(lambda a: PgBackend(pg))


if __name__ == "__main__":
    main()

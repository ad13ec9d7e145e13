"""test_log_reads_loop_statements - the log and status reads never make the
event loop wait on the database while records are issued (issue 15), by this
process or by another process of the node on the same database.

Two accord-node processes serve one node on one database. A small storm
issues records through one of them while readers GET, from process A, the
checkpoint, the status token, the bitstring and inclusion proofs at the size
of the checkpoint just served. Each GET first has the stored log head read
on a reader thread; when it differs from memory (A's own commit in flight or
just landed, or B appended), what following it takes is read on a reader
thread too and applied on the loop. So A's
accord_store_loop_statements_total (statements its loop ran on the database
and waited for; issues run theirs on fibers, not counted) does not move, in
either storm. Every checkpoint served verifies under the node's key, every
inclusion proof against the root of the checkpoint of its size, the
checkpoints served are consistent with the last, and after B's storm A
serves B's newest checkpoint, and a record B issues and then revokes shows
in A's bitstring unrevoked and then revoked."""
import base64
import gzip
import json
import os
import random
import threading

from accordtest import Node, check, h2_client, loop_statements, skip, skip_unless_built
from test_records import mth_of_hashes
from test_tlog_shared_db import (hdr, issue_body, leaf_hashes, node_key, parse_checkpoint,
                                 share, verify_note)
from test_tlog_subtrees import verify_inclusion

skip_unless_built()
try:
    import nacl.signing  # noqa: F401 (verify_note)
except ImportError:
    skip("python3-nacl is needed (tools/setup.sh)")

NODE_ID = "shared.node"
ISSUERS = 2
ISSUES_PER_ISSUER = 12
READERS = 3


def store_section(node):
    """The [store] section the harness wrote in |node|'s config ("" on
    SQLite: the data directory's file is the database)."""
    out, inside = [], False
    with open(node.config) as f:
        for l in f.read().splitlines():
            if l.startswith("["):
                inside = l.strip() == "[store]"
            if inside:
                out.append(l)
    return "\n".join(out) + "\n" if out else ""


def storm(writer, reader, admin, seq0):
    """ISSUERS threads issue through |writer| while READERS threads GET the
    log and status reads of |reader| until the issues are done. Returns
    (issued log indexes, served checkpoints, [(index, size, proof)],
    failures)."""
    issued, served, proofs, failures = [], [], [], []
    lock = threading.Lock()
    done = threading.Event()
    go = threading.Barrier(ISSUERS + READERS)

    def issuer(k):
        with h2_client() as c:
            go.wait()
            for i in range(ISSUES_PER_ISSUER):
                r = c.post(writer.url + "/v1/credentials/issue", headers=hdr(admin),
                           content=json.dumps(issue_body(seq0 + k * ISSUES_PER_ISSUER + i)))
                with lock:
                    if r.status_code == 201:
                        issued.append(r.json()["log_index"])
                    else:
                        failures.append(("issue", r.status_code, r.text[:200]))

    def read(k):
        rnd = random.Random(k)
        with h2_client() as c:
            go.wait()
            while not done.is_set():
                r = c.get(reader.url + "/v1/log/checkpoint")
                if r.status_code != 200:
                    with lock:
                        failures.append(("checkpoint", r.status_code, r.text[:200]))
                    continue
                size = parse_checkpoint(r.text)[1]
                with lock:
                    served.append(r.text)
                for path, kind in (("/v1/status/token", "application/statuslist+cwt"),
                                   ("/v1/status/bitstring", "application/json")):
                    s = c.get(reader.url + path)
                    if s.status_code != 200 or s.headers.get("content-type") != kind:
                        with lock:
                            failures.append((path, s.status_code, s.text[:200]))
                if size:
                    index = rnd.randrange(size)
                    p = c.get(reader.url + "/v1/log/inclusion?index=%d&size=%d" % (index, size))
                    with lock:
                        if p.status_code == 200:
                            proofs.append((index, size, p.json()))
                        else:
                            failures.append(("inclusion", p.status_code, p.text[:200]))

    threads = [threading.Thread(target=issuer, args=(k,)) for k in range(ISSUERS)]
    readers = [threading.Thread(target=read, args=(k,)) for k in range(READERS)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join()
    done.set()
    for t in readers:
        t.join()
    return issued, served, proofs, failures


def revoked_bit(bitstring, index):
    """The revocation bit at |index| of a /v1/status/bitstring answer."""
    lists = [x for x in bitstring["lists"] if x["statusPurpose"] == "revocation"]
    raw = gzip.decompress(base64.urlsafe_b64decode(lists[0]["encodedList"].lstrip("u") + "=="))
    return (raw[index // 8] >> (7 - index % 8)) & 1


def check_answers(c, a, served, proofs, what):
    """Every checkpoint verifies and is a prefix of the log as it is now;
    every proof verifies against the root of its size."""
    pub = node_key(c, a)
    last = parse_checkpoint(c.get(a.url + "/v1/log/checkpoint").text)
    leaves = leaf_hashes(c, a, last[1])
    roots = {}
    for text in served:
        origin, size, root, _ = parse_checkpoint(text)
        check(verify_note(text, origin, pub),
              "%s: a checkpoint served (size %d) is signed by the node's key" % (what, size))
        check(mth_of_hashes(leaves[:size]) == root,
              "%s: the checkpoint of size %d is a prefix of the log at %d" % (what, size, last[1]))
        roots[size] = root
    for index, size, p in proofs:
        path = [base64.b64decode(h) for h in p["hashes"]]
        check(verify_inclusion(index, size, leaves[index], path, roots[size]),
              "%s: the inclusion proof of %d in %d verifies" % (what, index, size))
    return last


def main():
    with Node(node_id=NODE_ID) as a, Node(node_id=NODE_ID) as b:
        store = store_section(a)
        share(a, a.data_dir, a.url, store)
        share(b, a.data_dir, a.url, store)
        admin = a.init()
        a.start()
        b.start()
        with h2_client() as c:
            for i in range(3):
                r = c.post(a.url + "/v1/credentials/issue", headers=hdr(admin),
                           content=json.dumps(issue_body(900 + i)))
                check(r.status_code == 201, "a record is issued (%d)" % r.status_code)
            own = loop_statements(c, a, admin)
            own = loop_statements(c, a, admin) - own  # what /metrics adds itself

            for who, writer, seq0 in (("own commits", a, 0), ("another process", b, 100)):
                before = loop_statements(c, a, admin)
                issued, served, proofs, failures = storm(writer, a, admin, seq0)
                moved = loop_statements(c, a, admin) - before - own
                check(not failures, "%s: every issue and read succeeded: %r"
                      % (who, failures[:3]))
                check(len(issued) == ISSUERS * ISSUES_PER_ISSUER and served and proofs,
                      "%s: %d records issued while %d checkpoints and %d proofs were served"
                      % (who, len(issued), len(served), len(proofs)))
                print("measured - %s: %d issues, %d checkpoints, %d proofs; loop statements "
                      "of process A: %d" % (who, len(issued), len(served), len(proofs), moved))
                check(moved == 0, "%s: the log and status reads ran no statement on A's loop "
                      "(%d)" % (who, moved))
                last = check_answers(c, a, served, proofs, who)
                check(last[1] == max(issued) + 1,
                      "%s: A serves the newest checkpoint (%d, last index %d)"
                      % (who, last[1], max(issued)))
            # B's records are in the status list A serves: one issued and
            # then revoked through B shows as revoked in A's bitstring.
            r = c.post(b.url + "/v1/credentials/issue", headers=hdr(admin),
                       content=json.dumps(issue_body(990)))
            check(r.status_code == 201, "B issues a record (%d)" % r.status_code)
            rec = r.json()
            r = c.get(a.url + "/v1/status/bitstring")
            check(r.status_code == 200 and revoked_bit(r.json(), rec["status_index"]) == 0,
                  "A's status list has B's new record, not revoked")
            r = c.post(b.url + "/v1/credentials/%d/revoke" % rec["id"], headers=hdr(admin),
                       content=json.dumps({"reason": "issued in error"}))
            check(r.status_code == 200, "B revokes it (%d)" % r.status_code)
            r = c.get(a.url + "/v1/status/bitstring")
            check(r.status_code == 200 and revoked_bit(r.json(), rec["status_index"]) == 1,
                  "A's status list shows B's revocation of record %d" % rec["id"])
        check(a.stop() == 0 and b.stop() == 0, "both processes stop cleanly")
    print("all passed")


if __name__ == "__main__":
    main()

"""test_reader_threads - record reads, share links, proofs, log entries,
bundles, the user, token, submission, notification, appeal and review-batch
lists, the one-row reads by key (a user and its address, a submission, an
appeal, an assignment, the reviewer's profile and certification, the
training and general modules: on PostgreSQL each is a round trip), and the
lifecycle and
recognition reads (definitions and their audit trails, stacks, flags,
benchmark lists, conflicts, reports and assignments, reviewer applications
and pool, pilot reports and assignments, recognition policies, presentations
and approvals), the analytics (JSON, CSV and SVG) and the federation lists
(dead letters, lending policies, capacity offered, remote certifications)
run on the reader threads (node/readers.c), so the loop
answers while they wait on the disk. The disk is made slow for reads only
(ACCORD_TEST_READ_DELAY_MS, compiled into test builds alone): on one HTTP/2
connection the node receives slow reads first and a health check last, and
the health check is answered before any of them; then every read answers
the very bytes it answered with no reader threads at all ([node] readers =
0: each read on the loop with the writer's connection, as before the pool).
A client that goes away while its reads wait, and a stop while reads are
queued, leave a node that serves on and then exits cleanly."""
import json
import os
import socket
import time

from accordtest import SOURCE, Node, check, h2_client, skip, skip_unless_built

skip_unless_built()
try:
    import h2.config
    import h2.connection
    import h2.events
except ImportError:
    skip("python3-h2 is needed (tools/setup.sh)")

HASH = "ab" * 32
RECORDS = 3
DELAY_MS = 1500


def issue(n, token, i):
    r = n.ctl("credential", "issue", "--email", "earner%d@district.example" % i,
              "--definition", "phonics-k2", "--version", "3", "--content-hash", HASH,
              "--level", "proficient", "--ceu", "1.5", token=token, json_out=True)
    assert r.returncode == 0, r.stderr
    return r.json["id"]


class RawClient:
    """Plain h2 on one socket, so the order in which the node receives the
    requests is the order they are sent in."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.streams = {}  # stream id -> [path, status, body]
        self.finished = []  # paths in the order their answers ended

    def send(self, paths, headers):
        """Sends a GET for each path in one write, with |headers| or the
        headers the path is paired with in |headers| (a dict); returns the
        stream ids."""
        ids = []
        for p in paths:
            extra = headers.get(p, []) if isinstance(headers, dict) else headers
            sid = self.conn.get_next_available_stream_id()
            self.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                                         (":authority", "127.0.0.1:%d" % self.port),
                                         (":path", p)] + extra, end_stream=True)
            self.streams[sid] = [p, None, b""]
            ids.append(sid)
        self.sock.sendall(self.conn.data_to_send())
        return ids

    def wait(self, ids):
        """Reads until every stream in |ids| ended; returns {path: (status, body)}."""
        while not all(self.streams[i][1] is not None and self.streams[i][0] in self.finished
                      for i in ids):
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("the node closed the connection")
            for ev in self.conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    self.streams[ev.stream_id][1] = int(dict(ev.headers)[b":status"])
                elif isinstance(ev, h2.events.DataReceived):
                    self.streams[ev.stream_id][2] += ev.data
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    self.finished.append(self.streams[ev.stream_id][0])
                elif isinstance(ev, h2.events.StreamReset):
                    raise ConnectionError("stream %d reset" % ev.stream_id)
            out = self.conn.data_to_send()
            if out:
                self.sock.sendall(out)
        return {self.streams[i][0]: (self.streams[i][1], self.streams[i][2]) for i in ids}

    def close(self):
        self.sock.close()


def reads_of(ids, token):
    """One read of each kind the reader threads answer."""
    a, b, c = ids
    return ["/v1/credentials/%d" % a,               # COSE, not cached yet
            "/v1/credentials/%d?format=json" % b,   # summary, never cached
            "/v1/credentials/%d/inclusion" % c,
            "/v1/shared/%s" % token,                # public, through a share link
            "/v1/log/inclusion?index=1&size=3",
            "/v1/log/consistency?from=1&to=3",
            "/v1/log/entries?start=0",
            "/v1/users?limit=2",                    # authenticated lists
            "/v1/users/1/tokens",
            "/v1/submissions",
            "/v1/credentials/%d/bundle" % c,
            "/v1/shared/%s/bundle" % token]


def lifecycle_reads(cred, version):
    """The lifecycle and recognition reads, each with the role it needs:
    (path, "admin" | "expert" | "recognizer")."""
    d = "/v1/definitions/" + cred
    return [("/v1/definitions?limit=5", "admin"),
            (d, "admin"),
            ("%s@%d" % (d, version), "admin"),
            ("/v1/definitions/no-such-credential", "admin"),    # a 404 from the thread
            (d + "/audit-trail", "admin"),
            ("/v1/audit/credential/%s@%d" % (cred, version), "admin"),
            ("/v1/stacks", "admin"),
            ("/v1/flags?all=1", "admin"),
            (d + "/benchmarks", "admin"),
            (d + "/benchmarks/conflicts", "admin"),
            (d + "/benchmarks/report", "admin"),
            ("/v1/benchmarks/assignments", "expert"),
            (d + "/applications", "admin"),
            (d + "/pool", "admin"),
            (d + "/pilot", "admin"),
            ("/v1/pilot/assignments", "expert"),
            ("/v1/recognition/policies", "admin"),
            ("/v1/recognition/presentations", "recognizer"),
            ("/v1/approvals", "admin"),
            ("/v1/federation/dead-letters", "admin"),
            ("/v1/federation/lending", "admin"),
            ("/v1/federation/capacity", "admin"),
            ("/v1/remote-certifications", "admin"),
            ("/v1/analytics/credentials/" + cred, "admin"),
            ("/v1/analytics/credentials/%s?format=csv" % cred, "admin"),
            ("/v1/analytics/credentials/%s/reviewers" % cred, "admin"),
            ("/v1/analytics/credentials/%s/reviewers/me" % cred, "reviewer"),
            ("/v1/analytics/credentials/%s/severity.svg" % cred, "admin"),
            ("/v1/analytics/credentials/%s/agreement.svg" % cred, "admin"),
            ("/v1/analytics/credentials/no-such-credential", "admin"),
            ("/v1/notifications", "admin"),
            ("/v1/appeals", "admin"),
            ("/v1/reviews/batches", "reviewer")]


# One row by key, each with the role it asks as and the status it answers:
# on PostgreSQL even one row is a network round trip, so these too are read
# on a reader thread (a refusal that needs no row stays on the loop and is
# not among them).
def one_row_reads(cred, version, reviewer_id):
    d = "/v1/definitions/" + cred
    return [("/v1/users/%d" % reviewer_id, "admin", 200),
            ("/v1/users/%d/email" % reviewer_id, "reviewer", 200),   # the user itself
            ("/v1/users/999999", "admin", 404),
            ("/v1/users/999999/email", "admin", 404),
            ("/v1/submissions/999999", "admin", 404),
            ("/v1/appeals/999999", "admin", 404),
            ("/v1/reviews/assignments/999999", "reviewer", 404),
            ("/v1/reviewers/me", "reviewer", 200),
            (d + "/certification", "reviewer", 409),                 # not applied
            (d + "/training-module", "admin", 404),                  # none generated yet
            ("%s@%d/training-module" % (d, version), "reviewer", 403),  # not screened
            ("%s@%d/training-module" % (d, version + 1), "recognizer", 404),  # no credential
            ("%s@%d/training-module?as=recognizer" % (d, version), "recognizer", 403),  # no role
            ("/v1/general-module", "recognizer", 200)]


def make_user(c, n, admin, name, role, ids=None, email=None):
    """Makes user |name| with |role| (and |email|, vouched for); returns its
    token and notes its id in |ids|."""
    auth = {"authorization": "Bearer " + admin}
    body = {"name": name, "roles": [role]}
    if email:
        body["email"] = email
    r = c.post(n.url + "/v1/users", headers=auth, json=body)
    assert r.status_code == 201, r.text
    if ids is not None:
        ids[name] = r.json()["id"]
    t = c.post(n.url + "/v1/users/%d/tokens" % r.json()["id"], headers=auth, json={})
    assert t.status_code == 201, t.text
    return t.json()["token"]


def set_readers(n, count):
    """Rewrites [node] readers in the node's config (None: the default)."""
    with open(n.config) as f:
        lines = [ln for ln in f.read().splitlines() if not ln.startswith("readers =")]
    if count is not None:
        lines.insert(lines.index("[node]") + 1, "readers = %d" % count)
    with open(n.config, "w") as f:
        f.write("\n".join(lines) + "\n")


def is_bundle(path):
    return path.endswith("/bundle")


def main():
    os.environ.pop("ACCORD_TEST_READ_DELAY_MS", None)
    with open(os.path.join(SOURCE, "conf", "definitions",
                           "formative-feedback-associate.json")) as f:
        definition = json.load(f)
    definition.pop("state", None)
    cred = definition["id"]
    with Node(grace_ms=1000) as n:
        admin = n.init()
        n.start()
        auth = [("authorization", "Bearer " + admin)]
        ids = [issue(n, admin, i) for i in range(RECORDS)]
        with h2_client() as c:
            r = c.post(n.url + "/v1/credentials/%d/shares" % ids[0],
                       headers={"authorization": "Bearer " + admin})
            check(r.status_code == 201, "a share link is made (%d)" % r.status_code)
            share = r.json()["token"]
            r = c.post(n.url + "/v1/definitions", headers={"authorization": "Bearer " + admin},
                       json=definition)
            check(r.status_code == 201, "a credential is authored (%d)" % r.status_code)
            version = r.json()["version"]
            users = {}
            tokens = {"admin": admin,
                      "expert": make_user(c, n, admin, "expert1", "expert"),
                      "recognizer": make_user(c, n, admin, "recognizer1", "recognizer"),
                      "reviewer": make_user(c, n, admin, "reviewer1", "reviewer", users,
                                            "reviewer1@district.example")}
            r = c.put(n.url + "/v1/reviewers/me",
                      headers={"authorization": "Bearer " + tokens["reviewer"]},
                      json={"school": "Lincoln Elementary", "district": "Springfield"})
            check(r.status_code == 200, "a reviewer profile is written (%d %s)"
                  % (r.status_code, r.text[:200]))
            r = c.put(n.url + "/v1/general-module", headers={"authorization": "Bearer " + admin},
                      json={"title": "Reviewing fairly",
                            "sections": [{"heading": "Bias", "body": "Score the work."}]})
            check(r.status_code == 200, "the general module is written (%d %s)"
                  % (r.status_code, r.text[:200]))
            r = c.post(n.url + "/v1/recognition/policies",
                       headers={"authorization": "Bearer " + tokens["recognizer"]},
                       json={"issuer": "did:web:elsewhere.example", "credential_id": cred,
                             "purpose": "ceu", "ceus": 1.5})
            check(r.status_code == 201, "a recognition policy is made (%d %s)"
                  % (r.status_code, r.text[:200]))
        paths = reads_of(ids, share)
        heads = {p: auth for p in paths}
        for p, who in lifecycle_reads(cred, version):
            paths.append(p)
            heads[p] = [("authorization", "Bearer " + tokens[who])]
        statuses = {}
        for p, who, status in one_row_reads(cred, version, users["reviewer1"]):
            paths.append(p)
            heads[p] = [("authorization", "Bearer " + tokens[who])]
            statuses[p] = status
        check(n.stop() == 0, "the node stops cleanly")

        # The old answers: no reader threads, every read on the loop with
        # the writer's connection.
        set_readers(n, 0)
        n.start()
        raw = RawClient(n.port)
        expected = raw.wait(raw.send(paths, heads))
        raw.close()
        missing = ["/v1/definitions/no-such-credential",
                   "/v1/analytics/credentials/no-such-credential"]
        check(all(s == 200 and body for p, (s, body) in expected.items()
                  if p not in missing and p not in statuses),
              "with no reader threads every read answers 200 (%s)"
              % [(p, s) for p, (s, _) in expected.items()
                 if s != 200 and p not in missing and p not in statuses])
        check(all(expected[p][0] == 404 for p in missing),
              "an unknown credential answers 404, for its definition and its analytics")
        check(all(expected[p][0] == s and expected[p][1] for p, s in statuses.items()),
              "each one-row read answers its status with a body (%s)"
              % [(p, expected[p][0], expected[p][1][:120]) for p, s in statuses.items()
                 if expected[p][0] != s])
        check(b'"items":[]' not in expected["/v1/recognition/policies"][1]
              and b'"items":[]' not in expected["/v1/definitions?limit=5"][1],
              "the policy and definition lists have rows to compare")
        check(n.stop() == 0, "the node stops cleanly")
        set_readers(n, None)

        # The same data directory, with every read on a reader thread
        # waiting DELAY_MS first.
        os.environ["ACCORD_TEST_READ_DELAY_MS"] = str(DELAY_MS)
        n.start()
        raw = RawClient(n.port)
        read_ids = raw.send(paths, heads)
        health = raw.send(["/healthz"], [])
        raw.wait(health)
        pending = [raw.streams[i][0] for i in read_ids if raw.streams[i][0] not in raw.finished]
        check(len(pending) == len(paths),
              "the health check sent after %d slow reads on one connection is answered "
              "before any of them (%d still pending)" % (len(paths), len(pending)))
        got = raw.wait(read_ids)
        raw.close()
        for p in paths:
            if is_bundle(p):
                # A bundle carries a status snapshot signed when the node
                # started, so its bytes differ from one run to the next; the
                # record it carries must not.
                check(got[p][0] == 200 and len(got[p][1]) > 0 and got[p][0] == expected[p][0],
                      "%s answers a bundle off the loop (%d, %d bytes)"
                      % (p, got[p][0], len(got[p][1])))
                continue
            check(got[p] == expected[p],
                  "%s answers the same status and bytes off the loop as on it (%d, %d bytes)"
                  % (p, got[p][0], len(got[p][1])))
        check(expected[paths[0]][1] in got["/v1/shared/%s/bundle" % share][1],
              "the shared bundle carries the record's exact bytes")

        # A client that leaves while its reads wait.
        gone = RawClient(n.port)
        gone.send(paths[:4] + paths[-4:], heads)
        gone.close()
        with h2_client() as c:
            check(c.get(n.url + "/healthz").status_code == 200,
                  "the node serves on after a client left with reads in flight")
            r = c.get(n.url + paths[0], headers={"authorization": "Bearer " + admin})
            check(r.status_code == 200 and r.content == expected[paths[0]][1],
                  "a read after that is answered with the record (%d)" % r.status_code)

        # A stop while reads are queued behind slow ones: the queued ones
        # are cancelled, the running ones finish, the node exits 0.
        last = RawClient(n.port)
        last.send(paths, heads)
        time.sleep(0.2)  # let the requests reach the node before the signal
        check(n.stop() == 0, "a stop with reads queued exits cleanly")
        last.close()
        log = n.read_stderr()
        check("2 reader threads answer" in log and "cannot start" not in log,
              "both reader threads started, each time")
    print("all passed")


if __name__ == "__main__":
    main()

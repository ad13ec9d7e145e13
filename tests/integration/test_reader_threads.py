"""test_reader_threads - record reads, share links, proofs, log entries,
bundles and the user, token and submission lists run on the reader threads (node/readers.c), so the loop answers while they
wait on the disk. The disk is made slow for reads only
(ACCORD_TEST_READ_DELAY_MS, compiled into test builds alone): on one HTTP/2
connection the node receives slow reads first and a health check last, and
the health check is answered before any of them; then every read answers
the very bytes it answered with a fast disk. A client that goes away while
its reads wait, and a stop while reads are queued, leave a node that serves
on and then exits cleanly."""
import os
import socket
import time

from accordtest import Node, check, h2_client, skip, skip_unless_built

skip_unless_built()
try:
    import h2.config
    import h2.connection
    import h2.events
except ImportError:
    skip("python3-h2 is needed (tools/setup.sh)")

HASH = "ab" * 32
RECORDS = 3
DELAY_MS = 2000


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
        """Sends a GET for each path in one write; returns the stream ids."""
        ids = []
        for p in paths:
            sid = self.conn.get_next_available_stream_id()
            self.conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                                         (":authority", "127.0.0.1:%d" % self.port),
                                         (":path", p)] + headers, end_stream=True)
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


def is_bundle(path):
    return path.endswith("/bundle")


def main():
    os.environ.pop("ACCORD_TEST_READ_DELAY_MS", None)
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
        paths = reads_of(ids, share)
        raw = RawClient(n.port)
        expected = raw.wait(raw.send(paths, auth))
        raw.close()
        check(all(s == 200 and body for s, body in expected.values()),
              "with a fast disk every read answers 200 (%s)"
              % [(p, s) for p, (s, _) in expected.items() if s != 200])
        check(n.stop() == 0, "the node stops cleanly")

        # The same data directory, with every read on a reader thread
        # waiting DELAY_MS first.
        os.environ["ACCORD_TEST_READ_DELAY_MS"] = str(DELAY_MS)
        n.start()
        raw = RawClient(n.port)
        read_ids = raw.send(paths, auth)
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
                check(got[p][0] == 200 and len(got[p][1]) > 0,
                      "%s answers a bundle off the loop (%d, %d bytes)"
                      % (p, got[p][0], len(got[p][1])))
                continue
            check(got[p] == expected[p],
                  "%s answers the same status and bytes off the loop (%d, %d bytes)"
                  % (p, got[p][0], len(got[p][1])))
        check(expected[paths[0]][1] in got["/v1/shared/%s/bundle" % share][1],
              "the shared bundle carries the record's exact bytes")

        # A client that leaves while its reads wait.
        gone = RawClient(n.port)
        gone.send(paths, auth)
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
        last.send(paths, auth)
        time.sleep(0.2)  # let the requests reach the node before the signal
        check(n.stop() == 0, "a stop with reads queued exits cleanly")
        last.close()
        log = n.read_stderr()
        check("2 reader threads answer" in log and "cannot start" not in log,
              "both reader threads started, each time")
    print("all passed")


if __name__ == "__main__":
    main()

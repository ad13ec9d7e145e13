"""test_rotation_sender.py - a federation send that falls in a key
rotation's seal (the keyring signs nothing while the key files are fsynced,
node/records/keys.c) is not a failed delivery: no attempt is recorded and
the peer's back-off does not grow; the message waits and goes once the
rotation ended. The thread pool is kept busy with decoy sign-ins (Argon2id)
so the seal would last long were the files written there."""
import re
import threading
import time

from accordtest import Api, Node, check, h2_client, skip_unless_built
from federation_util import pin_pair

POLLS = 3000  # bounds on the waits below, in polls of 20 ms; no time is asserted


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b)
        A = Api(a, ta)
        b.stop()
        status, _ = A.post("/v1/test/federation/send",
                           {"peer": "b.example", "type": "ping", "body_hex": "a0"})
        check(status == 202, "a queues a ping to b (down)")
        pat = re.compile(r"b\.example: delivery failed \((.*)\); attempt (\d+), next in (\d+) ms")
        lines = []
        for _ in range(POLLS):
            lines = pat.findall(a.read_stderr())
            if lines and int(lines[-1][1]) >= 2:
                break
            time.sleep(0.02)
        check(lines and int(lines[-1][1]) >= 2, "a's deliveries to b fail and back off")
        seen = len(lines)
        t_seen = time.monotonic()
        b.start()
        # The rotation starts shortly before the retry is due, so the retry
        # falls in its seal when the seal is long.
        due = t_seen + int(lines[-1][2]) / 1000.0
        time.sleep(max(0, due - 1.2 - time.monotonic()))

        def sign_in(i):
            with h2_client() as cc:
                cc.post(a.url + "/v1/session", json={"name": "n%d@x.example" % i,
                                                     "password": "x"}, timeout=120)

        ths = [threading.Thread(target=sign_in, args=(i,)) for i in range(60)]
        for t in ths:
            t.start()
        with h2_client() as c:
            r = c.post(a.url + "/v1/keys/rotate", headers={"authorization": "Bearer " + ta},
                       timeout=120)
        check(r.status_code == 200, "a rotates its key (%d)" % r.status_code)
        for t in ths:
            t.join()
        delivered = False
        for _ in range(POLLS):
            rows = b.db_rows("SELECT count(*) FROM fed_inbox WHERE sender = ? AND type = ?",
                             ("a.example", "ping"))
            if rows and rows[0][0] >= 1:
                delivered = True
                break
            time.sleep(0.02)
        check(delivered, "the ping reaches b once it is up")
        after = pat.findall(a.read_stderr())[seen:]
        for why, att, nxt in after:
            print("a: attempt %s failed (%s), next in %s ms" % (att, why, nxt))
        check(not any("unavailable" in w or "rotated" in w or "busy" in w for w, _, _ in after),
              "a send during the seal is not counted as a failed delivery attempt")


if __name__ == "__main__":
    main()

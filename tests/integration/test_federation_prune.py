#!/usr/bin/python3
"""test_federation_prune.py - retention, driven by the test clock. Two real
nodes pin each other and a delivers a ping to b. Checked: a delivered outbox
row stays for a look-back and is pruned after 7 days (the newest row stays,
so ids keep growing past the cursor); b's dedup rows outlive the senders'
7-day retry horizon and are pruned 30 days after they came; and a
message a cannot deliver for 7 days is dead-lettered rather than sent late,
when the receiver may have pruned its dedup row."""
import sys
import time

from accordtest import Api, Node, check, skip_unless_built, wait_for
from federation_util import pin_pair

DAY = 86400


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b)
        A, B = Api(a, ta), Api(b, tb)

        def at_a():
            return A.get("/v1/federation/peers/b.example")[1]

        def at_b():
            return B.get("/v1/federation/peers/a.example")[1]

        def advance(api, seconds):
            status, _ = api.post("/v1/test/clock", {"advance_seconds": seconds})
            assert status == 200, status

        status, body = A.post("/v1/test/federation/send",
                              {"peer": "b.example", "type": "ping", "body_hex": "a0"})
        check(status == 202, "a queues a ping to b")
        wait_for("the ping to arrive", lambda: at_b()["received"] == 1)
        wait_for("a to record the delivery", lambda: at_a()["outbox_depth"] == 0)
        check(at_a()["outbox_rows"] == 1 and at_b()["inbox_rows"] == 1,
              "a keeps the delivered row, b the dedup row")

        advance(A, 6 * DAY)
        advance(B, 6 * DAY)
        time.sleep(2.5)  # the prune timer looks at the clock every second
        check(at_a()["outbox_rows"] == 1 and at_b()["inbox_rows"] == 1,
              "after 6 days both rows are still held")

        advance(A, 2 * DAY)
        advance(B, 2 * DAY)
        status, _ = A.post("/v1/test/federation/send",
                           {"peer": "b.example", "type": "ping", "body_hex": "a0"})
        wait_for("the second ping to arrive", lambda: at_b()["received"] == 2)
        wait_for("a to prune its first delivered row", lambda: at_a()["outbox_rows"] == 1)
        check(at_a()["outbox_rows"] == 1, "after 8 days a pruned the first delivered outbox row "
              "(the newest row stays, so ids keep growing past the cursor)")
        time.sleep(1.5)
        check(at_b()["inbox_rows"] == 2,
              "while b keeps the first dedup row past the senders' 7-day retry horizon")

        advance(B, 23 * DAY)
        wait_for("b to prune its first dedup row", lambda: at_b()["inbox_rows"] == 1)
        check(at_b()["inbox_rows"] == 1, "after 31 days b pruned the first dedup row, "
              "keeping the second (23 days old)")
        advance(B, 8 * DAY)
        wait_for("b to prune its dedup rows", lambda: at_b()["inbox_rows"] == 0)
        check(at_b()["inbox_rows"] == 0 and at_b()["received"] == 2,
              "8 days later the second too (the effects stay)")

        b.stop()
        status, _ = A.post("/v1/test/federation/send",
                           {"peer": "b.example", "type": "ping", "body_hex": "a0"})
        check(status == 202, "b is down; a queues another ping")
        wait_for("a to fail against the closed port", lambda: at_a()["attempts"] >= 1)
        advance(A, 8 * DAY)
        wait_for("a to give the message up", lambda: at_a()["dead_letters"] == 1)
        p = at_a()
        check(p["dead_letters"] == 1 and p["outbox_depth"] == 0,
              "undelivered for 8 days, it is dead-lettered instead of sent late")
        status, body = A.get("/v1/federation/dead-letters")
        check(status == 200 and "undelivered for 8 days" in str(body),
              "and the dead letter says why")
        A.close()
        B.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

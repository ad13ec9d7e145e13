"""test_federation_state_writes - the sender's own writes when they fail.

a delivers to b. A trigger the test adds to a's database makes a's writes of
one kind fail while a flag row is there, on SQLite and on PostgreSQL alike:

1. The cursor write after a delivery fails: the stored cursor stays behind
   (so a restart would send the message again, or after the retry horizon
   dead-letter it as undelivered) only until the store works again; the
   sender writes it again by itself, with no new message to carry it.
2. Moving a message b refused to the dead letters fails: the sender backs
   off (its failed attempts count up) instead of trying again at once for
   ever, and buries it once the store works, the next message following.
3. The dead letter is already stored (a COMMIT whose outcome was unknown had
   committed it): burying it again is no error; the cursor moves past it and
   what follows is delivered."""
import os
import sqlite3
import sys
import time

from accordtest import Api, Node, check, psql, skip_unless_built, wait_for
from federation_util import pin_pair

SQLITE_TRIGGERS = """
CREATE TABLE test_fail(what TEXT NOT NULL);
CREATE TRIGGER test_fail_cursor BEFORE UPDATE ON fed_peer_state
  WHEN NEW.cursor <> OLD.cursor AND EXISTS (SELECT 1 FROM test_fail WHERE what = 'cursor')
  BEGIN SELECT RAISE(ABORT, 'test: cursor writes fail'); END;
CREATE TRIGGER test_fail_dead BEFORE INSERT ON fed_dead_letters
  WHEN EXISTS (SELECT 1 FROM test_fail WHERE what = 'dead')
  BEGIN SELECT RAISE(ABORT, 'test: dead letters fail'); END;
"""

PG_TRIGGERS = """
CREATE TABLE test_fail(what TEXT NOT NULL);
CREATE FUNCTION test_fail_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM test_fail WHERE what = TG_ARGV[0]) THEN
    RAISE EXCEPTION 'test: % writes fail', TG_ARGV[0];
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER test_fail_cursor BEFORE UPDATE ON fed_peer_state FOR EACH ROW
  WHEN (NEW.cursor <> OLD.cursor) EXECUTE FUNCTION test_fail_fn('cursor');
CREATE TRIGGER test_fail_dead BEFORE INSERT ON fed_dead_letters FOR EACH ROW
  EXECUTE FUNCTION test_fail_fn('dead');
"""


def add_triggers(node):
    if node.store_url:
        psql(node.store_url, PG_TRIGGERS)
        return
    db = sqlite3.connect(os.path.join(node.data_dir, "accord.db"), timeout=30)
    try:
        db.executescript(SQLITE_TRIGGERS)
    finally:
        db.close()


def main():
    skip_unless_built()
    with Node(node_id="a.example") as a, Node(node_id="b.example") as b:
        ta, tb = pin_pair(a, b)
        A, B = Api(a, ta), Api(b, tb)

        def at_a():
            return A.get("/v1/federation/peers/b.example")[1]

        def received():
            return B.get("/v1/federation/peers/a.example")[1]["received"]

        def send(type_):
            status, body = A.post("/v1/test/federation/send",
                                  {"peer": "b.example", "type": type_, "body_hex": "a0"})
            assert status == 202, (status, body)
            return body["queued"]

        def fail(what, on):
            if on:
                a.db_write("INSERT INTO test_fail(what) VALUES (?)", (what,))
            else:
                a.db_write("DELETE FROM test_fail WHERE what = ?", (what,))

        def dead_letters():
            return A.get("/v1/federation/dead-letters?peer=b.example")[1]["items"]

        send("ping")
        wait_for("the first ping to arrive", lambda: received() == 1)
        wait_for("a to store its cursor", lambda: at_a()["outbox_depth"] == 0)
        add_triggers(a)

        # 1. The cursor write fails, then the store works again.
        fail("cursor", True)
        send("ping")
        wait_for("the second ping to arrive", lambda: received() == 2)
        time.sleep(2.0)
        check(at_a()["outbox_depth"] == 1,
              "with cursor writes failing, a's stored cursor stays behind the delivered ping")
        fail("cursor", False)
        wait_for("a to write its cursor again", lambda: at_a()["outbox_depth"] == 0, 20.0)
        check(at_a()["attempts"] == 0, "a's stored cursor caught up by itself (no new message), "
              "and a failed write of it is no failed delivery")

        # 2. The dead letter cannot be written: a backs off, then buries it.
        fail("dead", True)
        send("test.nonsense")
        p = wait_for("a to back off", lambda: at_a()["attempts"] >= 2 and at_a(), 30.0)
        check(p["outbox_depth"] == 1 and dead_letters() == [],
              "b refused the message and a cannot dead-letter it: it backs off "
              "(attempts %d: %s) instead of trying again at once" % (p["attempts"],
                                                                     p["last_error"]))
        fail("dead", False)
        status, _ = A.post("/v1/test/clock", {"advance_seconds": 120})
        assert status == 200
        wait_for("a to dead-letter it", lambda: len(dead_letters()) == 1, 30.0)
        send("ping")
        wait_for("the next ping to arrive", lambda: received() == 3)
        wait_for("a's outbox to drain", lambda: at_a()["outbox_depth"] == 0)
        check(at_a()["attempts"] == 0 and dead_letters()[0]["type"] == "test.nonsense",
              "once the store works it is dead-lettered and the next message delivered")

        # 3. The dead letter is there already (an unknown COMMIT outcome
        # that committed), the cursor not past it.
        b.stop()
        send("test.nonsense")
        wait_for("a to fail against the closed port", lambda: at_a()["attempts"] >= 1)
        a.stop()
        row = a.db_rows("SELECT id, peer, type, msg_id, body, created_ms FROM fed_outbox "
                        "WHERE peer = ? ORDER BY id DESC LIMIT 1", ("b.example",))[0]
        a.db_write("INSERT INTO fed_dead_letters(id, peer, type, msg_id, body, created_ms, "
                   "status, problem, dead_ms) VALUES (?, ?, ?, ?, ?, ?, 400, ?, ?)",
                   tuple(row) + ("stored by an earlier burial", row[5]))
        b.start()
        a.start()
        A, B = Api(a, ta), Api(b, tb)
        status, _ = A.post("/v1/federation/peers/b.example/probe")
        check(status == 202, "a probes b (a ping after the refused message)")
        wait_for("the probe to arrive", lambda: received() == 4, 30.0)
        wait_for("a's outbox to drain", lambda: at_a()["outbox_depth"] == 0)
        dead = dead_letters()
        check(len(dead) == 2 and dead[1]["id"] == row[0]
              and dead[1]["problem"] == "stored by an earlier burial",
              "burying a message already dead-lettered keeps that dead letter, moves the "
              "cursor past it, and what follows is delivered")
        A.close()
        B.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

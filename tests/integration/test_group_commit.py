"""test_group_commit - write requests committed in groups on the storage
writer thread (node/http/reqtx.c, store/writer.h) lose nothing they
acknowledged: twelve writers, each on a connection of its own, create users, some with an Idempotency-Key; the node is SIGKILLed
mid-stream, restarted, and every acknowledged user is there exactly once, and
a keyed write sent again is answered from its stored answer, not applied
twice. Then an answer is never sent before its commit: each of a few writes,
made while others storm, is followed at once by SIGKILL, and is present after
the restart. Run with durability = async (the default) and inline."""
from accordtest import Node, check, h2_client, skip_unless_built
from storm import UserStorm

skip_unless_built()

WRITERS = 12  # each on a connection of its own


def user_names(n, admin):
    r = n.ctl("user", "list", token=admin, json_out=True)
    check(r.returncode == 0, "accordctl user list answers after the restart")
    return [u["name"] for u in r.json["items"]]


def acknowledged_writes_survive_kill(mode):
    with Node(durability=mode) as n:
        admin = n.init()
        n.start()
        storm = UserStorm(n.url, admin, "g", WRITERS, keyed=True)
        storm.start()
        storm.wait_acked(300)
        storm.end(n)  # SIGKILL while every writer is mid-stream
        check(not storm.errors, "%s: no write failed before the kill (%s)"
              % (mode, storm.errors[:2]))
        check(len(storm.acked) >= 300, "%s: the node acknowledged %d writes from %d writers "
              "on as many connections before SIGKILL" % (mode, len(storm.acked), WRITERS))

        n.start()
        names = user_names(n, admin)
        missing = [a[0] for a in storm.acked if a[0] not in names]
        check(not missing, "%s: every acknowledged write is present after restart (missing: %s)"
              % (mode, missing[:5]))
        check(len(names) == len(set(names)), "%s: no write is present twice" % mode)

        # A keyed write sent again gets its stored answer: the key committed
        # in the same group as the user it created.
        keyed = [a for a in storm.acked if a[1]][:5]
        with h2_client() as c:
            for name, key, body in keyed:
                r = c.post(n.url + "/v1/users",
                           headers={"authorization": "Bearer " + admin,
                                    "content-type": "application/json",
                                    "idempotency-key": key},
                           content=b'{"name":"%s","roles":["earner"]}' % name.encode())
                check(r.status_code == 201 and r.headers.get("idempotent-replayed") == "true"
                      and r.content == body,
                      "%s: %s sent again with its key is answered from the stored answer"
                      % (mode, name))
        check(user_names(n, admin).count(keyed[0][0]) == 1,
              "%s: the repeats applied nothing" % mode)
        check(n.stop() == 0, "%s: the restarted node stops cleanly" % mode)


def answer_goes_after_commit(mode):
    with Node(durability=mode) as n:
        admin = n.init()
        for round_ in range(3):
            n.start()
            storm = UserStorm(n.url, admin, "s%d" % round_, WRITERS, keyed=True)
            storm.start()
            storm.wait_acked(20)
            with h2_client() as c:
                name = "probe%d" % round_
                r = c.post(n.url + "/v1/users",
                           headers={"authorization": "Bearer " + admin,
                                    "content-type": "application/json"},
                           content=b'{"name":"%s","roles":["earner"]}' % name.encode())
            storm.end(n)  # at once after the answer
            check(r.status_code == 201, "%s: %s was acknowledged during a storm" % (mode, name))
            n.start()
            check(name in user_names(n, admin),
                  "%s: %s, killed right after its answer, is present after restart"
                  % (mode, name))
            n.kill()


for mode in ("async", "inline"):
    acknowledged_writes_survive_kill(mode)
    answer_goes_after_commit(mode)

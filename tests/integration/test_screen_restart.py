"""test_screen_restart - every received submission is screened eventually:
the submission's "screen" job is stored in the transaction that stores it,
so a node that stopped after storing a submission but before screening it
screens it once it runs again.

The crash is reproduced by putting the database back as the insert's
transaction left it (state "received", its screen job not done) while the
node is stopped; before the fix no screen job existed to find."""
import time

from accordtest import Api, Node, check, skip_unless_built
from lifecycle import active_credential, load_definition, new_user

skip_unless_built()

# enum ac_sub_state in include/accord/store_review.h: the stored state numbers.
RECEIVED, QUEUED, IN_REVIEW = 0, 2, 3

with Node(node_id="screen.test") as n:
    token = n.init()
    n.start()
    definition = load_definition()
    cred = active_credential(n, token, definition, reviewers=2)
    admin = cred.admin
    uid, earner, etok = new_user(n, admin, "earner1", ["earner"])
    r = n.ctl("submission", "create", definition["id"], "--text",
              "criteria=Each student names one goal and one next step.", "--text",
              "reflection=The students revised twice after feedback.", "--school", "A School",
              "--district", "A District", "--domain", "ELA", token=etok, json_out=True)
    check(r.returncode == 0, "the submission is created: %s" % r.stderr)
    sid = r.json["id"]
    check(r.json["state"] != "received", "the request screened it at once")

    check(n.stop() == 0, "the node stops")
    jobs = n.db_rows("SELECT id FROM jobs WHERE kind = 'screen' AND ref = ?", (sid,))
    check(len(jobs) == 1, "the submission's screen job was stored with it")
    # As the insert's transaction left it, before screening ran.
    n.db_write("DELETE FROM assignments WHERE submission_id = ?", (sid,))
    n.db_write("UPDATE submissions SET state = ? WHERE id = ?", (RECEIVED, sid))
    n.db_write("UPDATE jobs SET done_ms = 0 WHERE id = ?", (jobs[0][0],))

    n.start()
    state = None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = n.db_rows("SELECT state FROM submissions WHERE id = ?", (sid,))[0][0]
        if state != RECEIVED:
            break
        time.sleep(0.2)
    check(state in (QUEUED, IN_REVIEW), "the restarted node screens it (state %s)" % state)
    cred.close()
    earner.close()

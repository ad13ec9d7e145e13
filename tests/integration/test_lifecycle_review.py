"""test_lifecycle_review - the review half of a credential's life on one node,
driven as the people involved would drive it (accordctl where a command
exists, the HTTP API otherwise), as a scenario a person can follow:

  0. setup (tests/lib/lifecycle.py): "feedback-cycles" is authored, piloted,
     given its 72 benchmark items and training module, and twelve reviewers
     are certified; it is active. One reviewer (rev12) will score leniently.
  1. sixty earners submit: one is a near-copy of an earlier submission
     (flagged to the issuer, who rejects it), two are a collaborative team
     sharing their team part (not flagged), one cites an uploaded artifact;
  2. the node batches the work per reviewer and invites; one reviewer
     declines (the work goes to others), one never answers: the test clock
     crosses the deadline and the work is replaced;
  3. reviewers open their accepted assignments and score; one submission's
     reviewers disagree and a third is pulled in; another stays split at
     three and is escalated; the issuer decides it;
  4. halfway through, the node is SIGKILLed and restarted;
  5. outcomes reach the earners' maildir; blind benchmark items were seeded
     into batches; the lenient reviewer is detected and set unavailable;
  6. the node restarts with SMTP delivery to a local SMTP server; a failed
     earner resubmits after the 30-day wait, passes, and the record issued
     for it verifies with accord-verify against the node's key;
  7. the issue job is forced to run again: no second record.

At the end nothing was lost or done twice: one outcome per decided
submission, one record per pass, every notification delivered once.
Every bad request on the way (wrong role, wrong owner, score off the
scale, expired invitation, artifact hash mismatch, early resubmission)
gets a problem+json naming what was wrong and changes nothing."""
import base64
import collections
import email
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

from accordtest import BUILD, Node, check, h2_client, require_tool, skip_unless_built
from lifecycle import active_credential, load_definition, new_user

skip_unless_built()
require_tool("faketime")

HOUR = 3600
LEVELS = ["not yet", "almost there", "pass", "high pass"]
N_SUBS = 60
NEAR_COPY, ORIGINAL = 1, 0          # submission 1 copies submission 0
TEAM = (2, 3)                       # a team: shared criteria, own reflections
WITH_ARTIFACT = 7                   # its reflection is an uploaded file
FAILS_THEN_RESUBMITS = 4            # "not yet", then passes on a resubmission
DISAGREE, ESCALATE = 57, 58         # scripted splits, reviewed late
# What each successive reviewer of a scripted submission gives: 2 of 3 say
# "pass" (majority decides); three different levels (no majority: escalate).
SCRIPTS = {DISAGREE: ["not yet", "pass", "pass"],
           ESCALATE: ["not yet", "high pass", "almost there"]}


def definition():
    d = load_definition()
    d["submission"]["collaboration"] = {"allowed": True, "individual_element": "reflection"}
    d["reviewers"]["disagreement"] = {"add_per_round": 1, "max_reviewers": 3,
                                      "then": "majority"}
    # Seeded benchmarks often enough that a run of ~130 reviews sees some,
    # and a reviewer is judged after six reviews with a reference.
    d["maintenance"]["benchmark_seed_rate"] = 0.1
    d["maintenance"]["min_sample"] = 6
    # Sixty submissions in one period: each reviewer may be given up to 30
    # in it (pool.assignments_per_reviewer counts per period).
    d["pool"]["assignments_per_reviewer"] = 30
    return d


def bench_content(level, k, name):
    """A benchmark item of this two-element credential: a text per element
    (seeded blind, it must look like a real submission)."""
    return json.dumps([{"id": e, "text": "Benchmark %d-%02d, %s, at the %s level." %
                        (level, k, e, name)} for e in ("criteria", "reflection")])


def words(rng, n):
    """|n| pseudo-words no two submissions share by chance."""
    syl = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fo", "gi", "he"]
    return " ".join("".join(rng.choice(syl) for _ in range(3)) for _ in range(n))


class Smtp:
    """A local SMTP server (RFC 5321, the commands libcurl sends) keeping
    every message it accepts."""

    def __init__(self):
        self.messages = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        f = conn.makefile("rwb")

        def say(line):
            f.write(line.encode() + b"\r\n")
            f.flush()
        say("220 test SMTP")
        rcpt = []
        while True:
            line = f.readline()
            if not line:
                break
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 test")
            elif verb == "RCPT":
                rcpt.append(line.decode().strip())
                say("250 OK")
            elif verb == "DATA":
                say("354 go on")
                data = b""
                while True:
                    part = f.readline()
                    if not part or part == b".\r\n":
                        break
                    data += part[1:] if part.startswith(b"..") else part
                self.messages.append((rcpt, email.message_from_bytes(data)))
                rcpt = []
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                break
            else:  # MAIL, RSET, NOOP
                say("250 OK")
        conn.close()

    def close(self):
        self.sock.close()


def problem(r, status, field=None):
    """Is |r| (status, body) an RFC 9457 problem with |status|, a detail,
    and (when given) the field it names?"""
    code, body = r
    return (code == status and isinstance(body, dict) and body.get("status") == status
            and bool(body.get("detail")) and (field is None or body.get("field") == field))


def maildir_messages(node):
    d = os.path.join(node.data_dir, "maildir", "new")
    out = []
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        with open(os.path.join(d, name), "rb") as f:
            out.append((name, email.message_from_bytes(f.read())))
    return out


def until(cond, limit=120.0):
    """Polls |cond| until it holds or |limit| seconds pass; returns its last
    value. For work the node does in the background, whose duration depends
    on the machine's load: the test asserts on the outcome, never on time."""
    deadline = time.monotonic() + limit
    while True:
        v = cond()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


def main():
    smtp = Smtp()
    with Node(node_id="issuer.review") as n:
        admin_token = n.init()
        n.start()
        cred = active_credential(n, admin_token, definition(), reviewers=12,
                                 bench_content=bench_content)
        # A seeded item is known by its first element's text.
        bench_level = {json.loads(c)[0]["text"]: lvl for c, lvl in cred.bench_truth.items()}
        admin, ref = cred.admin, cred.ref
        D = "/v1/definitions/" + ref
        reviewers = cred.reviewers                   # (id, Api, token)
        lenient = reviewers[-1]
        by_uid = {r[0]: r for r in reviewers}
        clock = {"offset": 0}

        def backlog():
            """Jobs and notifications due by the node's clock and not yet done
            (read from the database beside the running node)."""
            now_ms = int((time.time() + clock["offset"]) * 1000)
            jobs = n.db_rows("SELECT COUNT(*) FROM jobs WHERE done_ms = 0"
                             " AND due_ms <= ? AND retry_ms <= ?", (now_ms, now_ms))[0][0]
            mail = n.db_rows("SELECT COUNT(*) FROM notifications WHERE delivered_ms = 0"
                             " AND next_ms <= ?", (now_ms,))[0][0]
            return jobs + mail

        def advance(seconds):
            r = admin.post("/v1/test/clock", {"advance_seconds": seconds})
            assert r[0] == 200, r
            clock["offset"] += seconds
            # The scheduler polls its stored jobs every second; how long it
            # then takes depends on the machine's load (a fixed sleep here
            # made the test flaky under ctest -j), so wait until nothing due
            # is left, within a bound only a stuck node reaches.
            until(lambda: backlog() == 0)

        def reconnect():
            """After a restart: new connections, and the test clock's offset
            (kept in memory only) set again."""
            for api in [admin] + [r[1] for r in reviewers + earners]:
                api.client.close()
                api.client = h2_client()
            r = admin.post("/v1/test/clock", {"advance_seconds": clock["offset"]})
            assert r[0] == 200, r

        def ctl(token, *args):
            r = n.ctl(*args, token=token, json_out=True)
            return r

        # A second credential of the same stack, left in draft: a pass must
        # not be offered it (only active credentials are recommended).
        peer = load_definition()
        peer["id"], peer["title"] = "peer-feedback", "Peer Feedback Protocols"
        assert admin.post("/v1/definitions", peer)[0] == 201

        # ---- 1. sixty submissions --------------------------------------------
        rng = random.Random(4)
        earners = [new_user(n, admin, "earner%02d" % i, ["earner"]) for i in range(N_SUBS)]
        truth = {}        # submission id -> level index the honest reviewer gives
        script_of = {}    # submission id -> scripted levels
        index_of = {}     # submission id -> scenario index
        text_to_sub = {}  # criteria text -> submission id
        texts = [(words(rng, 60), words(rng, 60)) for _ in range(N_SUBS)]
        # The near-copy changes three words of the original.
        crit = texts[ORIGINAL][0].split(" ")
        for k in (5, 20, 40):
            crit[k] = "changed"
        texts[NEAR_COPY] = (" ".join(crit), texts[ORIGINAL][1])
        texts[TEAM[1]] = (texts[TEAM[0]][0], texts[TEAM[1]][1])

        # The artifact: a wrong stated hash is refused and stores nothing.
        work = b"Student drafts before and after feedback.\n" * 40
        digest = hashlib.sha256(work).hexdigest()  # computed here, not by the node
        art_path = os.path.join(n.tmp, "drafts.txt")
        with open(art_path, "wb") as f:
            f.write(work)
        e_art = earners[WITH_ARTIFACT]
        r = e_art[1].client.post(n.url + "/v1/artifacts?sha256=" + "ab" * 32, content=work,
                                 headers={"authorization": "Bearer " + e_art[2],
                                          "content-type": "application/octet-stream"})
        check(r.status_code == 400 and r.json()["field"] == "sha256"
              and "nothing was stored" in r.json()["detail"],
              "an artifact upload with a wrong SHA-256 is refused (400 naming sha256)")
        check(admin.get("/v1/artifacts/" + digest)[0] == 404, "... and stored nothing")
        r = ctl(e_art[2], "artifact", "upload", art_path, "--media-type", "text/plain")
        check(r.returncode == 0 and r.json["sha256"] == digest,
              "accordctl artifact upload stores the file under its SHA-256")

        # The team is declared by one member and confirmed by the other; a
        # team name nobody declared is refused (test_earner_experience).
        r = earners[TEAM[0]][1].post("/v1/teams", {"credential": "feedback-cycles",
                                                   "name": "north-team",
                                                   "members": [earners[TEAM[1]][0]]})
        assert r[0] == 201, r
        assert earners[TEAM[1]][1].post("/v1/teams/%d/confirm" % r[1]["id"])[0] == 200
        for i in range(N_SUBS):
            uid, api, tok = earners[i]
            args = ["submission", "create", "feedback-cycles", "--text",
                    "criteria=" + texts[i][0], "--school", "Earner School",
                    "--district", "Earner District", "--domain", "ELA"]
            if i == WITH_ARTIFACT:
                args += ["--artifact", "reflection=" + digest]
            else:
                args += ["--text", "reflection=" + texts[i][1]]
            if i in TEAM:
                args += ["--team", "north-team"]
            r = ctl(tok, *args)
            assert r.returncode == 0, (i, r.stderr)
            sid = r.json["id"]
            index_of[sid] = i
            text_to_sub[texts[i][0]] = sid
            truth[sid] = {FAILS_THEN_RESUBMITS: 0, DISAGREE: 2, ESCALATE: 2}.get(i, i % 4)
            if i in SCRIPTS:
                script_of[sid] = list(SCRIPTS[i])
        sub_id = {i: s for s, i in index_of.items()}
        subs = {s["id"]: s for s in admin.get("/v1/submissions?limit=100")[1]["items"]}
        check(len(subs) == N_SUBS, "sixty submissions were received")
        check(subs[sub_id[NEAR_COPY]]["state"] == "flagged"
              and all(s["state"] == "in_review" or s["state"] == "queued"
                      for sid, s in subs.items() if sid != sub_id[NEAR_COPY]),
              "only the near-copy is flagged; the team's shared part is not plagiarism")
        r = ctl(admin_token, "flag", "list")
        flags = r.json["items"]
        check(r.returncode == 0 and len(flags) == 1 and flags[0]["kind"] == "near_duplicate"
              and flags[0]["submission"] == sub_id[NEAR_COPY]
              and flags[0]["detail"]["matches"][0]["submission"] == sub_id[ORIGINAL],
              "the issuer's inbox shows the near-duplicate and what it copies")
        check(problem(earners[0][1].get("/v1/flags"), 403),
              "an earner cannot read the flags inbox (wrong role: 403)")
        r = ctl(admin_token, "flag", "resolve", str(flags[0]["id"]), "approve")
        check(r.returncode == 1 and "dismiss" in r.stderr,
              "resolving a near-duplicate with an unknown action is refused, naming the "
              "actions")
        r = ctl(admin_token, "flag", "resolve", str(flags[0]["id"]), "reject")
        check(r.returncode == 0 and
              admin.get("/v1/submissions/%d" % sub_id[NEAR_COPY])[1]["state"] == "rejected",
              "the issuer upholds the flag: the near-copy is rejected")
        check(problem(earners[1][1].get("/v1/submissions/%d" % sub_id[ORIGINAL]), 404),
              "an earner cannot read another earner's submission (wrong owner: 404)")
        r = ctl(reviewers[0][2], "submission", "create", "feedback-cycles",
                "--text", "criteria=x", "--text", "reflection=y")
        check(r.returncode == 1 and "403" in r.stderr,
              "a reviewer cannot submit work (wrong role)")

        # ---- 2-5. review rounds ------------------------------------------------
        scored = collections.Counter()     # submission id -> scores given
        seen_bench = []
        declined, timed_out = {}, {}       # reviewer id -> batch id
        flagged_escalations = []
        events = {"artifact_read": False, "off_scale": False, "killed": False,
                  "expired_refused": False, "not_theirs": False, "lenient_out_at": None}
        shape = {}

        def level_for(uid, asg):
            elems = asg["elements"]
            text = elems[0].get("text", "")
            if text in bench_level:
                seen_bench.append(asg["id"])
                shape["bench"] = (sorted(asg), {e["id"] for e in elems})
                return LEVELS[3] if uid == lenient[0] else LEVELS[bench_level[text]], None
            sid = text_to_sub[text]
            shape["real"] = (sorted(asg), {e["id"] for e in elems})
            if sid in script_of:
                return script_of[sid][scored[sid]], sid
            return LEVELS[3] if uid == lenient[0] else LEVELS[truth[sid]], sid

        def one_pass():
            did = False
            for uid, api, tok in reviewers:
                batches = api.get("/v1/reviews/batches")[1]["items"]
                for b in batches:
                    if b["state"] != "invited" or b["id"] == timed_out.get(uid):
                        continue
                    # The first invited reviewer declines; the next one never
                    # answers. The lenient reviewer accepts everything.
                    if not declined and uid != lenient[0]:
                        r = ctl(tok, "review", "decline", str(b["id"]))
                        assert r.returncode == 0, r.stderr
                        declined[uid] = b["id"]
                        did = True
                        continue
                    if not timed_out and uid != lenient[0] and uid not in declined:
                        timed_out[uid] = b["id"]   # never answered
                        continue
                    r = ctl(tok, "review", "accept", str(b["id"]))
                    assert r.returncode == 0, r.stderr
                    did = True
                for b in api.get("/v1/reviews/batches")[1]["items"]:
                    if b["state"] != "accepted":
                        continue
                    for item in b["items"]:
                        if item["state"] != "accepted":
                            continue
                        aid = item["assignment"]
                        r = ctl(tok, "review", "show", str(aid), "--artifacts",
                                os.path.join(n.tmp, "rev%d" % uid))
                        assert r.returncode == 0, r.stderr
                        asg = r.json
                        if any(e.get("artifact") == digest for e in asg["elements"]):
                            with open(os.path.join(n.tmp, "rev%d" % uid, digest), "rb") as f:
                                events["artifact_read"] = f.read() == work
                            events.setdefault("artifact_readers", []).append(tok)
                            asg["elements"][0]["text"] = texts[WITH_ARTIFACT][0]
                        level, sid = level_for(uid, asg)
                        if not events["off_scale"]:
                            r = api.post("/v1/reviews/assignments/%d/score" % aid,
                                         {"level": "superb"})
                            after = api.get("/v1/reviews/assignments/%d" % aid)
                            check(problem(r, 400, "levels") and "high pass" in r[1]["detail"]
                                  and after[0] == 200 and after[1]["state"] == "accepted",
                                  "a score off the scale is refused naming the levels, and "
                                  "the assignment stays open")
                            other = reviewers[0] if uid != reviewers[0][0] else reviewers[1]
                            r = other[1].post("/v1/reviews/assignments/%d/score" % aid,
                                              {"level": "pass"})
                            check(problem(r, 404),
                                  "a reviewer cannot score another reviewer's assignment "
                                  "(wrong owner: 404)")
                            r = earners[0][1].post("/v1/reviews/assignments/%d/score" % aid,
                                                   {"level": "pass"})
                            check(problem(r, 403), "an earner cannot score (wrong role: 403)")
                            events["off_scale"] = True
                        r = ctl(tok, "review", "score", str(aid), "--level", level,
                                "--feedback", "Names one next step.")
                        assert r.returncode == 0, (r.stderr, level)
                        if sid:
                            scored[sid] += 1
                        did = True
            for f in admin.get("/v1/flags")[1]["items"]:
                if f["kind"] == "escalation" and f["id"] not in flagged_escalations:
                    flagged_escalations.append(f["id"])
                    r = ctl(admin_token, "flag", "decide", str(f["id"]), "pass")
                    assert r.returncode == 0, r.stderr
                    did = True
                if f["kind"] == "reviewer_monitor" and events["lenient_out_at"] is None:
                    events["lenient_out_at"] = f["created_at"]
                    events["monitor_flag"] = f
            return did

        def settled():
            items = admin.get("/v1/submissions?limit=100")[1]["items"]
            return all(s["state"] in ("notified", "decided", "rejected") for s in items)

        snapshot = None
        for rnd in range(30):
            did = one_pass()
            if rnd == 2 and not events["killed"]:
                # ---- 4. SIGKILL midway -----------------------------------------
                snapshot = admin.get("/v1/submissions?limit=100")[1]["items"]
                done = sum(x["state"] in ("decided", "notified") for x in snapshot)
                check(0 < done < N_SUBS - 1,
                      "midway (%d of %d decided) the node is SIGKILLed" % (done, N_SUBS))
                n.kill()
                n.start()
                reconnect()
                after = admin.get("/v1/submissions?limit=100")[1]["items"]
                check(after == snapshot,
                      "after SIGKILL and restart every submission is as it was")
                events["killed"] = True
            if settled():
                break
            if timed_out and not events["expired_refused"]:
                uid, bid = next(iter(timed_out.items()))
                b = [x for x in by_uid[uid][1].get("/v1/reviews/batches")[1]["items"]
                     if x["id"] == bid][0]
                if b["state"] == "expired":
                    r = ctl(by_uid[uid][2], "review", "accept", str(bid))
                    again = [x for x in by_uid[uid][1].get("/v1/reviews/batches")[1]["items"]
                             if x["id"] == bid][0]
                    check(r.returncode == 1 and "409" in r.stderr and "expired" in r.stderr
                          and again == b,
                          "accepting an invitation after its deadline is refused (409) and "
                          "changes nothing")
                    events["expired_refused"] = True
            if not did:
                advance(49 * HOUR)
        check(settled(), "every submission reached a decision (or was rejected)")
        check(events["killed"], "the node was killed and restarted midway")

        subs = {s["id"]: s for s in admin.get("/v1/submissions?limit=100")[1]["items"]}
        check(events["artifact_read"],
              "the reviewer of the artifact's submission fetched it intact while assigned")
        r = [ctl(tok, "artifact", "get", digest, "--out", os.path.join(n.tmp, "x"))
             for tok in events["artifact_readers"]]
        check(all(x.returncode == 1 and "404" in x.stderr for x in r)
              and not os.path.exists(os.path.join(n.tmp, "x")),
              "once their reviews are in, its reviewers can no longer fetch it")
        path = os.path.join(n.data_dir, "artifacts", digest[:2], digest)
        with open(path, "r+b") as f:
            f.write(b"X")
        r = ctl(e_art[2], "artifact", "get", digest, "--out", os.path.join(n.tmp, "y"))
        check(r.returncode == 1 and "500" in r.stderr and not os.path.exists(
              os.path.join(n.tmp, "y")),
              "an artifact damaged on disk fails the node's hash check and is not served")
        with open(path, "r+b") as f:
            f.write(work[:1])

        check(len(declined) == 1 and
              [b for b in by_uid[next(iter(declined))][1].get("/v1/reviews/batches")[1]["items"]
               if b["id"] == next(iter(declined.values()))][0]["state"] == "declined",
              "one reviewer declined a batch")
        check(events["expired_refused"], "one invitation timed out")
        for uid, bid in list(declined.items()) + list(timed_out.items()):
            b = [x for x in by_uid[uid][1].get("/v1/reviews/batches")[1]["items"]
                 if x["id"] == bid][0]
            for item in b["items"]:
                check(item["state"] in ("declined", "expired"),
                      "assignment %d of batch %d is %s" % (item["assignment"], bid, item["state"]))
        check(all(s["state"] in ("notified", "decided") for sid, s in subs.items()
                  if sid != sub_id[NEAR_COPY]),
              "the declined and the timed-out work was replaced and decided")
        check(scored[sub_id[DISAGREE]] == 3 and subs[sub_id[DISAGREE]]["level"] == "pass"
              and subs[sub_id[DISAGREE]]["reviews_wanted"] == 3,
              "a split across the pass boundary pulled in a third reviewer; the majority "
              "decided pass")
        check(len(flagged_escalations) == 1 and scored[sub_id[ESCALATE]] == 3
              and subs[sub_id[ESCALATE]]["level"] == "pass",
              "three different levels escalated to the issuer, who decided pass "
              "(accordctl flag decide)")
        check(subs[sub_id[FAILS_THEN_RESUBMITS]]["passed"] is False,
              "the earner who submitted 'not yet' work failed")
        # Benchmark content gives each element of the definition, so a seeded
        # item shows exactly the elements a real submission shows.
        check(len(seen_bench) >= 1 and shape["bench"][0] == shape["real"][0]
              and shape["bench"][1] == shape["real"][1],
              "blind benchmark items were seeded into batches, shaped like real work "
              "(%d seen)" % len(seen_bench))
        mf = events.get("monitor_flag")
        check(mf is not None and mf["reviewer"] == lenient[0],
              "the lenient reviewer was detected: %s" % (mf or {}).get("detail"))
        r = lenient[1].get(D + "/certification")
        check(r[0] == 200 and r[1]["state"] == "unavailable",
              "... and set unavailable (certification state 'unavailable')")
        late = [b for b in lenient[1].get("/v1/reviews/batches")[1]["items"]
                if b["invited_at"] > mf["created_at"]]
        check(late == [], "no batch was offered to the lenient reviewer after that")

        # ---- outcomes in the maildir -----------------------------------------
        decided = [sid for sid, s in subs.items() if s["state"] in ("notified", "decided")]

        def outcomes():
            return collections.Counter(int(m["X-Accord-Submission"])
                                       for _, m in maildir_messages(n)
                                       if m["X-Accord-Kind"] == "outcome")
        until(lambda: sorted(outcomes()) == sorted(decided))
        mails = maildir_messages(n)
        outcome = outcomes()
        check(sorted(outcome) == sorted(decided) and set(outcome.values()) == {1},
              "each of the %d decided submissions has exactly one outcome message in the "
              "maildir" % len(decided))
        now = {x["id"]: x["state"] for x in admin.get("/v1/submissions?limit=100")[1]["items"]}
        check(all(now[sid] == "notified" for sid in decided),
              "every decided submission moved to 'notified' when its outcome was delivered")
        inv = [m for _, m in mails if m["X-Accord-Kind"] == "invitation"]
        check(len(inv) >= 12 and all("@issuer.review" in m["To"] for m in inv),
              "reviewers were invited by mail (%d invitations)" % len(inv))

        # A reviewer goes on vacation and comes back (accordctl review availability).
        uid, api, tok = reviewers[0]
        r = ctl(tok, "review", "availability", "off")
        check(r.returncode == 0 and api.get("/v1/reviewers/me")[1]["available"] is False,
              "a reviewer turns availability off (vacation)")
        r = ctl(tok, "review", "availability", "on")
        check(r.returncode == 0 and api.get("/v1/reviewers/me")[1]["available"] is True,
              "... and on again")
        r = ctl(earners[0][2], "review", "invitations")
        check(r.returncode == 1 and "403" in r.stderr, "an earner has no review invitations "
                                                      "(wrong role: 403)")

        passed = sorted(sid for sid, s in subs.items() if s.get("passed"))
        recs = [subs[sid].get("record") for sid in passed]
        check(all(recs) and len(set(recs)) == len(passed),
              "each of the %d passes has its own issued record" % len(passed))
        e_pass = earners[index_of[passed[0]]]
        r = ctl(e_pass[2], "submission", "recommendations", str(passed[0]))
        check(r.returncode == 0 and "items" in r.json
              and "peer-feedback" not in [i["credential"] for i in r.json["items"]],
              "the earner of a pass reads recommendations (accordctl submission "
              "recommendations), which never offer the draft peer-feedback")

        # ---- 6. second run: SMTP ----------------------------------------------
        n.stop()
        with open(n.config, "a") as f:
            f.write("[notify]\nsmtp_url = smtp://127.0.0.1:%d\nmail_domain = school.test\n"
                    % smtp.port)
        n.start()
        reconnect()
        failed = sub_id[FAILS_THEN_RESUBMITS]
        fuid, fapi, ftok = earners[FAILS_THEN_RESUBMITS]
        before = len(admin.get("/v1/submissions?limit=100")[1]["items"])
        r = ctl(ftok, "submission", "resubmit", str(failed), "--text",
                "criteria=" + words(rng, 60), "--text", "reflection=" + words(rng, 60))
        check(r.returncode == 1 and "resubmission wait" in r.stderr
              and len(admin.get("/v1/submissions?limit=100")[1]["items"]) == before,
              "resubmitting before the 30-day wait is refused and stores nothing")
        r = ctl(earners[0][2], "submission", "resubmit", str(failed), "--text", "criteria=x")
        check(r.returncode == 1 and "404" in r.stderr,
              "another earner cannot resubmit it (wrong owner: 404)")
        advance(31 * 24 * HOUR)
        new_crit = words(rng, 60)
        r = ctl(ftok, "submission", "resubmit", str(failed), "--text", "criteria=" + new_crit,
                "--text", "reflection=" + words(rng, 60), "--domain", "ELA")
        check(r.returncode == 0 and r.json["previous"] == failed,
              "after the wait the earner resubmits (accordctl submission resubmit)")
        resub = r.json["id"]
        text_to_sub[new_crit] = resub
        truth[resub] = 2
        for rnd in range(12):
            did = one_pass()
            s = admin.get("/v1/submissions/%d" % resub)[1]
            if s["state"] in ("decided", "notified") and s.get("record"):
                break
            if not did:
                advance(49 * HOUR)
        s = admin.get("/v1/submissions/%d" % resub)[1]
        check(s.get("passed") is True and s.get("record"),
              "the resubmission passes and a record is issued (record %s)" % s.get("record"))
        def got_smtp():
            return [m for rc, m in smtp.messages if m["X-Accord-Kind"] == "outcome"
                    and int(m["X-Accord-Submission"]) == resub]
        until(lambda: got_smtp() and backlog() == 0)
        got = got_smtp()
        check(len(got) == 1 and got[0]["To"].endswith("earner%02d@district.example>"
                                                       % FAILS_THEN_RESUBMITS),
              "its outcome arrived over SMTP at the local server, addressed to the earner's "
              "verified address")
        check(not any(int(m["X-Accord-Submission"]) == resub for _, m in maildir_messages(n)),
              "... and not in the maildir")

        # The record verifies offline against the node's key. The node's
        # clock runs weeks ahead (test clock); faketime runs the verifier at
        # the node's time, or the record's issue time would be "future".
        out = os.path.join(n.tmp, "export")
        r = ctl(ftok, "credential", "export", str(s["record"]), "--out", out)
        assert r.returncode == 0, r.stderr
        key = admin.get("/v1/node")[1]["public_key"]["x"]
        key_hex = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).hex()
        def verify(key):
            # libfaketime is preloaded before the sanitizer runtime of an ASan
            # build, which ASan would otherwise refuse.
            env = dict(os.environ, ASAN_OPTIONS="verify_asan_link_order=0")
            return subprocess.run(["faketime", "-f", "+%d" % (clock["offset"] + 60),
                                   os.path.join(BUILD, "tools", "accord-verify"), "--key", key,
                                   "--skip-status",
                                   os.path.join(out, "credential-%d.cose" % s["record"])],
                                  capture_output=True, text=True, timeout=60, env=env)
        v = verify(key_hex)
        check(v.returncode == 0 and "feedback-cycles v1, level \"pass\"" in v.stdout
              and "submission %d" % resub in v.stdout,
              "accord-verify --key accepts the issued record: feedback-cycles, level pass, "
              "evidence submission %d%s" % (resub, "" if v.returncode == 0
                                            else "\n" + v.stdout + v.stderr))
        v = verify("00" * 32)
        check(v.returncode == 1, "... and refuses it under any other key")

        # ---- 7. the issue job again: exactly once -----------------------------
        # A C2SP checkpoint: origin, tree size, root hash, then signatures.
        size = n.ctl("log", "checkpoint", token=admin_token).stdout.splitlines()[1:3]
        n.stop()
        forced = n.db_write("UPDATE jobs SET done_ms = 0 WHERE kind = 'issue'")
        n.start()
        reconnect()

        def undone_issues():
            return n.db_rows("SELECT COUNT(*) FROM jobs WHERE kind = 'issue'"
                             " AND done_ms = 0")[0][0]
        until(lambda: undone_issues() == 0)
        undone = undone_issues()
        check(undone == 0, "the node ran the %d issue jobs again" % forced)
        size2 = n.ctl("log", "checkpoint", token=admin_token).stdout.splitlines()[1:3]
        all_subs = admin.get("/v1/submissions?limit=100")[1]["items"]
        passes = [x for x in all_subs if x.get("passed")]
        check(forced == len(passes) and size2 == size and int(size[0]) == len(passes)
              and len({x["record"] for x in passes}) == len(passes),
              "re-running all %d issue jobs issued nothing new: the log stays the same size"
              % forced)
        notes = collections.Counter(
            (int(m["X-Accord-Submission"]), m["X-Accord-Kind"])
            for m in [m for _, m in maildir_messages(n)] + [m for _, m in smtp.messages]
            if m["X-Accord-Kind"] == "outcome")
        check(max(notes.values()) == 1 and len(notes) == len(
            [x for x in all_subs if x["state"] in ("decided", "notified")]),
              "over both runs every decision sent exactly one outcome")
        n.stop()
        twice = n.db_rows("SELECT subject_id, action, COUNT(*) FROM audit"
                          " WHERE subject_kind = 'submission'"
                          " AND action IN ('decided', 'record_issued', 'submitted')"
                          " GROUP BY subject_id, action HAVING COUNT(*) > 1")
        check(twice == [], "the audit trail shows no submission received, decided or issued "
                           "twice")
        cred.close()
        admin.close()
        for _, api, _ in earners:
            api.close()
    smtp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

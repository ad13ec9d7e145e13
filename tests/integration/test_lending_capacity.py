#!/usr/bin/python3
"""test_lending_capacity.py - a lender and an issuer, two real nodes pinned
to each other (the issuer grants the lender "lend"). The lender's admin
sets a lending policy (bad input refused naming the field, over the API and
through accordctl); the policy change and `accordctl lending offer` send
signed capacity offers; the issuer keeps the latest one and shows its pool
as own + borrowed, each reviewer with where they live (API, `accordctl
reviewer pool`, analytics). A newer offer replaces the older one, and a
day later (test clocks) the lender offers again unasked. A peer
the issuer grants no lend right (played by Python) is refused 403 and
nothing of its offer is kept."""
import sys

import nacl.signing

from accordtest import Api, Node, check, skip_unless_built, wait_for
from federation_util import append_config, envelope, now_ms, pin_pair, post_inbox
from lifecycle import active_credential, load_definition, new_user


def main():
    skip_unless_built()
    py = nacl.signing.SigningKey.generate()
    with Node(node_id="state.example") as a, Node(node_id="district.example") as b:
        ta, tb = pin_pair(a, b, "lend", b_rights="issuer", start=False)
        append_config(a, "[peer py.example]\nurl = http://127.0.0.1:9\nkey = %s\n"
                      "rights = submit\n" % bytes(py.verify_key).hex())
        a.start()
        b.start()
        definition = load_definition()
        cred = active_credential(a, ta, definition, reviewers=2)
        cid = definition["id"]
        A, B = Api(a, ta), Api(b, tb)

        # The lender's reviewers: two to lend, one kept home, and an earner.
        lent = []
        for i, name in enumerate(("lena", "luis")):
            uid, api, _ = new_user(b, B, name, ["reviewer"])
            status, _ = api.put("/v1/reviewers/me", {"school": "Lake School %d" % i,
                                                     "district": "Lake District",
                                                     "domains": ["ELA"]})
            assert status == 200
            api.close()
            lent.append(uid)
        home, api, _ = new_user(b, B, "hana", ["reviewer"])
        api.close()
        earner, api, _ = new_user(b, B, "erin", ["earner"])
        api.close()

        path = "/v1/federation/lending/state.example/" + cid
        good = {"reviewers": lent, "monthly_cap": 4,
                "blackouts": [{"from": "2099-12-20", "until": "2100-01-03"}]}
        for body, field in (({**good, "monthly_cap": 0}, "monthly_cap"),
                            ({**good, "reviewers": [lent[0], earner]}, "reviewers"),
                            ({**good, "reviewers": []}, "reviewers"),
                            ({**good, "blackouts": [{"from": "2099-02-30",
                                                     "until": "2099-03-01"}]}, "blackouts"),
                            ({**good, "own_first": "yes"}, "own_first")):
            status, p = B.put(path, body)
            check(status == 400 and p["type"].endswith("/invalid-field") and
                  p.get("field") == field,
                  "a policy whose %s is bad is refused naming it: %s" % (field, p.get("detail")))
        status, p = B.get(path)
        check(status == 404, "nothing was stored by the refused policies")
        r = b.ctl("lending", "set", "state.example", cid, "--reviewers", "all", "--cap", "0",
                  token=tb)
        check(r.returncode != 0 and "monthly_cap" in r.stdout + r.stderr,
              "accordctl lending set with --cap 0 fails naming monthly_cap")

        status, p = B.put(path, good)
        check(status == 200 and p["reviewers"] == sorted(lent) and p["monthly_cap"] == 4 and
              p["own_first"] is True and
              p["blackouts"] == [{"from": "2099-12-20", "until": "2100-01-03"}],
              "the lender's admin sets a policy; it reads back as given (own_first by default)")
        r = b.ctl("lending", "show", token=tb)
        check(r.returncode == 0 and "state.example" in r.stdout and cid in r.stdout,
              "accordctl lending show lists it")

        def capacity():
            status, body = A.get("/v1/federation/capacity?credential=" + cid)
            assert status == 200, body
            return body["items"]

        items = wait_for("the capacity offer", lambda: len(capacity()) == 2 and capacity())
        check(sorted(i["home_user"] for i in items) == sorted(lent) and
              all(i["peer"] == "district.example" and i["slots"] == 4 for i in items),
              "the policy change sent a signed capacity offer; the issuer keeps both reviewers "
              "with their slots per month")

        status, pool = A.get("/v1/definitions/%s/pool" % cred.ref)
        members = pool["reviewers"]
        local = [m for m in members if m["lives"] == "local"]
        borrowed = [m for m in members if m["lives"] == "district.example"]
        check(status == 200 and len(local) == 2 and all(m["state"] == "certified" for m in local),
              "the issuer's pool lists its own two certified reviewers as local")
        check(sorted(m["home_user"] for m in borrowed) == sorted(lent) and
              all(m["state"] == "offered" and m["slots_per_month"] == 4 for m in borrowed),
              "and the two lent reviewers with their home node, offered (not certified here)")
        check(pool["own"] == 2 and pool["borrowed"] == 0 and pool["certified"] == 2,
              "pool sizing counts certified reviewers: own 2, borrowed 0 until certified here")
        names = {m["display_name"] for m in borrowed}
        r = a.ctl("reviewer", "pool", cred.ref, token=ta)
        lives = [line.split()[3] for line in r.stdout.splitlines()
                 if line.split()[:1] and line.split()[0].isdigit()]
        check(r.returncode == 0 and sorted(lives) == ["district.example"] * 2 + ["local"] * 2,
              "accordctl reviewer pool shows each reviewer and where they live:\n" + r.stdout)
        status, an = A.get("/v1/analytics/credentials/" + cid)
        check(status == 200 and an["own_reviewers"] == 2 and an["borrowed_reviewers"] == 0,
              "analytics shows own and borrowed counts")
        check(names == {"lena", "luis"}, "stand-ins carry the lender's display names: %s" % names)

        # A narrower policy and an offer on demand replace what the issuer holds.
        status, _ = B.put(path, {**good, "reviewers": [lent[0]]})
        assert status == 200
        r = b.ctl("lending", "offer", "state.example", token=tb)
        check(r.returncode == 0, "accordctl lending offer queues an offer now")
        items = wait_for("the newer offer", lambda: len(capacity()) == 1 and capacity())
        check(items[0]["home_user"] == lent[0],
              "the newer offer replaced the older one: only %d is offered now" % lent[0])
        check(home not in [i["home_user"] for i in items],
              "a reviewer the policy does not list is never offered")

        # A peer without the lend right cannot offer capacity.
        body = {"at": now_ms(), "period": "month", "credentials": [
            {"id": cid, "reviewers": [{"user": 5, "name": "Mallory", "slots": 9,
                                       "school": "S", "district": "D", "domains": "[]",
                                       "certified": True}]}]}
        resp = post_inbox(a, envelope(py, "capacity.offer", "cap-py-1", "py.example",
                                      "state.example", now_ms(), body))
        check(resp.status_code == 403 and resp.json()["type"].endswith("/missing-right"),
              "a capacity offer from a peer without the lend right is refused 403 missing-right")
        check(all(i["peer"] != "py.example" for i in capacity()),
              "and nothing of it is kept")
        status, pool = A.get("/v1/definitions/%s/pool" % cred.ref)
        check(all(m["lives"] != "py.example" for m in pool["reviewers"]),
              "nor does a stand-in appear for its reviewer")

        # Without a change the lender offers again once a day of its clock.
        # Both clocks move (an envelope more than 300 s off is refused).
        first = items[0]["offered"]
        for api in (A, B):
            status, _ = api.post("/v1/test/clock", {"advance_seconds": 25 * 3600})
            assert status == 200, status
        items = wait_for("the daily offer", lambda: [i for i in capacity()
                                                     if i["offered"] != first])
        check(items[0]["offered"] > first and items[0]["home_user"] == lent[0],
              "a day later the lender offered its capacity again (%s, then %s)"
              % (first, items[0]["offered"]))

        status, _ = B.call("DELETE", path)
        check(status == 204, "the lender's admin removes the policy")
        check(wait_for("the offer after the removal", lambda: capacity() == []),
              "removing the policy sends an offer of nobody; the issuer keeps none")
        A.close()
        B.close()
        cred.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

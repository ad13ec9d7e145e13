"""borrow_util - what the borrowed-review integration tests share: an issuer
and a lender on loopback pinned to each other (the lender grants the issuer
"submit" and "certify", the issuer grants the lender "lend"), an active credential at the
issuer reviewed by one reviewer per submission in batches of one, a reviewer
of the lender certified for it at the issuer (a stand-in), submissions by
earners of the issuer, and polling with a bound."""
import copy
import hashlib
import os
import sqlite3
import time

import nacl.signing

from accordtest import Api, Node
from federation_util import append_config, envelope, node_public_key, post_inbox
from lifecycle import active_credential, load_definition, new_user

ISSUER = "issuer.example"
LENDER = "lender.example"
PLAYED = "played.example"  # a lender played by the test, signing with PyNaCl


def definition():
    """The sample definition with one (master) reviewer per submission, batches of
    one sent at once, and no blind seeding unless a test asks for it."""
    d = copy.deepcopy(load_definition())
    d["reviewers"]["mode"] = "master"
    d["reviewers"]["per_submission"] = 1
    d["review"]["batch_size"] = 1
    d["review"]["cool_off_hours"] = 0
    d["maintenance"]["benchmark_seed_rate"] = 0
    return d


def wait_for(what, fn, timeout=60.0, every=0.1):
    """Polls fn() until it returns a true value (returned) or raises after
    |timeout| seconds naming |what|."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class Pair:
    """An issuer and a lender, started, pinned to each other, and a Python
    lender (PLAYED) pinned at the issuer with its own key."""

    def __init__(self, defn=None, bench_content=None):
        self.bench_content = bench_content
        self.issuer = Node(node_id=ISSUER)
        self.lender = Node(node_id=LENDER)
        self.played_key = nacl.signing.SigningKey.generate()
        self.defn = defn or definition()

    def __enter__(self):
        a, b = self.issuer, self.lender
        self.ta, self.tb = a.init(), b.init()
        a.start()
        b.start()
        pa, pb = node_public_key(a), node_public_key(b)
        a.stop()
        b.stop()
        # The played lender's URL leads nowhere: what the issuer sends it
        # waits in the outbox; the test speaks for it.
        append_config(a, "[peer %s]\nurl = %s\nkey = %s\nrights = lend\n" % (LENDER, b.url, pb.hex()))
        append_config(a, "[peer %s]\nurl = http://127.0.0.1:9\nkey = %s\nrights = lend\n"
                      % (PLAYED, bytes(self.played_key.verify_key).hex()))
        append_config(b, "[peer %s]\nurl = %s\nkey = %s\nrights = submit,certify\n"
                      % (ISSUER, a.url, pa.hex()))
        a.start()
        b.start()
        self.pa, self.pb = pa, pb
        self.A, self.B = Api(a, self.ta), Api(b, self.tb)
        self.cred = active_credential(a, self.ta, self.defn, reviewers=0,
                                      bench_content=self.bench_content)
        self.ref = self.cred.ref
        # The lender's lending policy (node/federation/lending.h) lets every
        # reviewer of it review for the issuer's credential.
        r = self.B.put("/v1/federation/lending/%s/%s" % (ISSUER, self.defn["id"]),
                       {"reviewers": "all", "monthly_cap": 20})
        assert r[0] == 200, r
        return self

    def __exit__(self, *exc):
        self.A.close()
        self.B.close()
        self.cred.close()
        self.issuer.__exit__(*exc)
        self.lender.__exit__(*exc)

    # ---- people ----

    def lender_reviewer(self, name):
        """A reviewer of the lender: (user id, Api, token)."""
        return new_user(self.lender, self.B, name, ["reviewer"])

    def certify_stand_in(self, home_node, home_user, school, district):
        """Certifies, at the issuer, the reviewer |home_user| of |home_node|
        for the credential and returns the stand-in's user id there. The
        reviewer takes the issuer's real certification (screening, general
        and training modules, a graded draw of benchmark items) through a
        user of the issuer, which is then linked to its home node as the
        stand-in (include/accord/store/remote.h) with the node stopped. It
        takes work from the next assignment pass on."""
        a, admin, d = self.issuer, self.A, "/v1/definitions/" + self.ref
        uid, api, _ = new_user(a, admin, "standin-%s-%d" % (home_node.split(".")[0], home_user),
                               ["reviewer"])
        quals = self.defn["reviewers"]["qualifications"]
        for q in quals:
            if q["kind"] == "holds_credential":
                assert admin.post("/v1/held-credentials",
                                  {"user_id": uid, "credential": q["credential"]})[0] == 201
        # Unavailable while it is still a user of the issuer, so no waiting
        # work is given to it before it is linked to its home node.
        assert api.put("/v1/reviewers/me", {"school": school, "district": district,
                                            "domains": self.defn["domains"],
                                            "available": False})[0] == 200
        assert api.post(d + "/applications", {"answers": {"domain_expertise": "years"}})[0] == 201
        assert admin.post("%s/applications/%d/screen" % (d, uid), {"approve": True})[0] == 200
        assert api.post("/v1/general-module/complete")[0] == 200
        assert api.get(d + "/training-module")[0] == 200
        assert api.post(d + "/training-module/complete")[0] == 200
        r = api.post(d + "/certification/attempts")
        assert r[0] == 201, r
        levels = self.defn["scoring"]["levels"]
        answers = [{"item_id": i["item_id"], "level": levels[self.cred.bench_truth[i["content"]]]}
                   for i in r[1]["items"]]
        r = api.post("/v1/certification/attempts/%d/answers" % r[1]["attempt_id"],
                     {"answers": answers})
        assert r[0] == 200 and r[1]["passed"], r
        api.close()
        a.stop()
        db = sqlite3.connect(os.path.join(a.data_dir, "accord.db"))
        # A capacity offer from the lender may have made a stand-in already
        # (lending.h); the certified user takes its place.
        db.execute("DELETE FROM remote_reviewers WHERE home_node = ? AND home_user = ?",
                   (home_node, home_user))
        db.execute("INSERT INTO remote_reviewers(user_id, home_node, home_user, created_ms)"
                   " VALUES (?, ?, ?, ?)", (uid, home_node, home_user, int(time.time() * 1000)))
        db.execute("UPDATE tokens SET revoked_ms = ? WHERE user_id = ?",
                   (int(time.time() * 1000), uid))
        db.execute("UPDATE reviewer_profiles SET available = 1 WHERE user_id = ?", (uid,))
        db.commit()
        db.close()
        a.start()
        self.A.close()  # its connection died with the node
        self.A = Api(a, self.ta)
        return uid

    def borrowed_reviewer(self, name, school="Lender School", district="Lender District"):
        """A reviewer of the lender certified for the credential at the
        issuer: returns (user id at the lender, Api, token, stand-in id at
        the issuer)."""
        uid, api, tok = self.lender_reviewer(name)
        assert api.put("/v1/reviewers/me", {"school": school, "district": district,
                                            "domains": self.defn["domains"]})[0] == 200
        return uid, api, tok, self.certify_stand_in(LENDER, uid, school, district)

    def lender_key(self):
        """The lender's current signing key, read from its data directory,
        so the test can send what the lender could have sent."""
        for name in sorted(os.listdir(os.path.join(self.lender.data_dir, "keys"))):
            with open(os.path.join(self.lender.data_dir, "keys", name)) as f:
                fields = dict(line.split(" ", 1) for line in f.read().splitlines()[1:])
            if fields.get("not_after", "0").strip() == "0":
                return nacl.signing.SigningKey(bytes.fromhex(fields["seed"].strip()))
        raise AssertionError("the lender has no current key")

    def earner(self, name):
        return new_user(self.issuer, self.A, name, ["earner"])

    def submit(self, earner, text, artifact=None, school="Earner School",
               district="Earner District"):
        """Submits work for the credential; returns the submission id."""
        _, api, tok = earner
        elements = [{"id": "criteria", "text": text}]
        if artifact:
            digest = hashlib.sha256(artifact).hexdigest()
            r = api.client.post(self.issuer.url + "/v1/artifacts?sha256=" + digest,
                                content=artifact,
                                headers={"authorization": "Bearer " + tok,
                                         "content-type": "application/octet-stream"})
            assert r.status_code in (200, 201), r.text
            elements.append({"id": "reflection", "artifact": digest})
        else:
            elements.append({"id": "reflection", "text": text + " (reflection)"})
        r = api.post("/v1/submissions", {"credential": self.defn["id"], "domain": "ELA",
                                         "school": school, "district": district,
                                         "elements": elements})
        assert r[0] == 201, r
        return r[1]["id"]

    # ---- views ----

    def lent_out(self):
        """The issuer's lent-out batches by batch id."""
        r = self.A.get("/v1/federation/borrowed?limit=200")
        assert r[0] == 200, r
        return {b["batch"]: b for b in r[1]["items"]}

    def lent_in(self, api=None):
        """The lender's lent batches (its admin's view, or |api|'s)."""
        r = (api or self.B).get("/v1/borrowed/batches?limit=200")
        assert r[0] == 200, r
        return r[1]["items"]

    def submission(self, sid):
        r = self.A.get("/v1/submissions/%d" % sid)
        assert r[0] == 200, r
        return r[1]

    # ---- the played lender ----

    def played(self, type_, id_, body, ts_ms, key=None, sender=PLAYED):
        """Sends |body| as message |type_| from |sender| to the issuer,
        signed (by |key|, default PLAYED's) at |ts_ms|."""
        raw = envelope(key or self.played_key, type_, id_, sender, ISSUER, ts_ms, body)
        return post_inbox(self.issuer, raw, sender=sender)

    def played_fetch(self, body, ts_ms, key=None, sender=PLAYED):
        """An artifact.fetch by |sender| (signed by |key|, default PLAYED's),
        answered by the issuer."""
        from accordtest import h2_client
        from federation_util import ENVELOPE_TYPE
        raw = envelope(key or self.played_key, "artifact.fetch", "fetch-%d" % ts_ms, sender,
                       ISSUER, ts_ms, body)
        with h2_client() as c:
            return c.post(self.issuer.url + "/v1/federation/artifacts", content=raw,
                          headers={"content-type": ENVELOPE_TYPE, "accord-sender": sender})

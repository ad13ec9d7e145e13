"""borrow_util - what the borrowed-review integration tests share: an issuer
and a lender on loopback pinned to each other (the lender grants the issuer
"submit" and "certify", the issuer grants the lender "lend"), an active credential at the
issuer reviewed by one reviewer per submission in batches of one, reviewers
of the lender certified for it at the issuer through cross-node
certification (each then has a stand-in there), submissions by earners of
the issuer, and polling with a bound (accordtest.wait_for, which the borrow
tests import from here)."""
import copy
import hashlib
import os

import nacl.signing

from accordtest import Api, Node, wait_for  # noqa: F401 (re-exported)
from federation_util import append_config, envelope, node_public_key, post_inbox
from lifecycle import active_credential, load_definition, new_user
from remote_cert import certify_across

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

    def borrowed_reviewer(self, name, school="Lender School", district="Lender District"):
        """A new reviewer of the lender certified for the credential at the
        issuer through cross-node certification, both nodes' real APIs
        (tests/lib/remote_cert.py): returns (user id at the lender, Api,
        token, stand-in id at the issuer). It takes work from the next
        assignment pass on."""
        r = certify_across(self.issuer, self.ta, self.lender, self.tb, self.cred, self.defn, name,
                           school=school, district=district)
        return r.user_id, r.api, r.api.token, r.stand_in

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

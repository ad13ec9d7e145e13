"""test_verify_forgery.py - accord-verify against inputs forged to make it give
a wrong verdict: a checkpoint one issuer signs under another issuer's log
origin, status snapshots that are stale, undated or signed by a retired key,
bytes added to a record's unprotected header, records outside nbf/exp. Each
input is built here, with bench_mkrecords or with cbor2 and PyNaCl."""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import cbor2
    import nacl.signing
except ImportError:  # pragma: no cover - setup.sh installs them
    sys.exit(77)

BUILD = os.environ.get("ACCORD_BUILD", "build")
VERIFY = os.path.join(BUILD, "tools", "accord-verify")
MKRECORDS = os.path.join(BUILD, "tests", "bench_mkrecords")
IAT = 1767225600  # 2026-01-01T00:00:00Z
SEED_A = bytes(range(32))
SEED_A_OLD = bytes(range(1, 33))
SEED_B = bytes(range(2, 34))
ISS_A = "https://a.example"
ISS_B = "https://b.example"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pub(seed):
    return bytes(nacl.signing.SigningKey(seed).verify_key)


def jwk(seed, valid_from, valid_until=None):
    k = {"kty": "OKP", "crv": "Ed25519", "x": b64u(pub(seed)), "valid_from": valid_from}
    if valid_until:
        k["valid_until"] = valid_until
    return k


class Forgery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not (os.access(VERIFY, os.X_OK) and os.access(MKRECORDS, os.X_OK)):
            raise unittest.SkipTest("accord-verify or bench_mkrecords not built")
        cls.dir = tempfile.TemporaryDirectory()
        cls.trust = cls.path("trust.json")
        with open(cls.trust, "w") as f:
            # A's old key was retired in February 2026, after its current
            # key began in December 2025. B is another trusted issuer.
            json.dump({"issuers": [
                {"iss": ISS_A, "keys": [jwk(SEED_A_OLD, "2024-01-01T00:00:00Z",
                                            "2026-02-01T00:00:00Z"),
                                        jwk(SEED_A, "2025-12-01T00:00:00Z")]},
                {"iss": ISS_B, "keys": [jwk(SEED_B, "2025-12-01T00:00:00Z")]}]}, f)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir.name, name)

    def bundle(self, name, seed=SEED_A, iss=ISS_A, *extra):
        subprocess.run([MKRECORDS, "--seed", seed.hex(), "--iss", iss, "--iat", str(IAT),
                        "--bundle", self.path(name), *extra], check=True, capture_output=True)
        return self.path(name)

    def verify(self, *args):
        return subprocess.run([VERIFY, "--trust", self.trust, "--json", *args],
                              capture_output=True)

    def verify_accepting_old_snapshots(self, *args):
        """The snapshots here are dated IAT (2026-01-01) with a ttl of an
        hour: cases about something else accept them up to a day older than
        they are now."""
        return self.verify("--max-status-age", str(int(time.time()) - IAT + 86400), *args)

    def checks(self, r):
        return {c["check"]: c for c in json.loads(r.stdout)["checks"]}

    # ---- 1. a checkpoint under another issuer's log origin -------------------

    def test_checkpoint_signed_by_another_issuer_under_a_foreign_origin_fails_the_log_check(self):
        evil = self.bundle("b_evil.cbor", SEED_B, ISS_B, "--origin", "a.example/log")
        r = self.verify(evil)
        self.assertEqual(1, r.returncode, r.stdout)
        log = self.checks(r)["log"]
        self.assertEqual("fail", log["result"])
        self.assertIn("b.example/log", log["reason"])

    def test_another_issuers_checkpoint_cannot_poison_the_witness_state_of_a_log(self):
        state = self.path("poison.json")
        evil = self.bundle("b_evil2.cbor", SEED_B, ISS_B, "--origin", "a.example/log")
        self.verify("--witness-state", state, evil)
        good = self.bundle("a_good.cbor")
        r = self.verify_accepting_old_snapshots("--witness-state", state, good)
        self.assertEqual(0, r.returncode, r.stdout)
        self.assertEqual("pass", self.checks(r)["history"]["result"])

    def test_witness_state_names_the_issuer_of_each_log(self):
        state = self.path("named.json")
        r = self.verify_accepting_old_snapshots("--witness-state", state,
                                                self.bundle("a_named.cbor"))
        self.assertEqual(0, r.returncode, r.stdout)
        with open(state) as f:
            logs = json.load(f)["logs"]
        self.assertEqual([(ISS_A, "a.example/log")], [(e["iss"], e["origin"]) for e in logs])

    # ---- 2. status snapshots that must not make a record valid ---------------

    def status_of(self, name, *extra):
        r = self.verify_accepting_old_snapshots(self.bundle(name, SEED_A, ISS_A, *extra))
        return r, self.checks(r)["status"]

    def test_bundle_with_a_current_dated_expiring_snapshot_is_valid(self):
        r, status = self.status_of("fresh.cbor")
        self.assertEqual(0, r.returncode, r.stdout)
        self.assertEqual("pass", status["result"])

    def test_a_valid_snapshot_past_its_ttl_is_indeterminate_without_max_status_age(self):
        r = self.verify(self.bundle("stale.cbor"))
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn("older than its ttl", self.checks(r)["status"]["reason"])

    def test_snapshot_without_exp_is_indeterminate(self):
        r, status = self.status_of("noexp.cbor", "--status-exp", "0")
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn("has no exp", status["reason"])

    def test_snapshot_dated_before_the_record_is_indeterminate(self):
        r, status = self.status_of("old.cbor", "--status-iat", str(IAT - 86400))
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn("older than the record", status["reason"])

    def test_valid_snapshot_signed_by_a_retired_key_is_indeterminate(self):
        # Dated inside the old key's window, so the window check alone passes it.
        r, status = self.status_of("retired.cbor", "--status-seed", SEED_A_OLD.hex(),
                                   "--status-iat", str(IAT + 60))
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn("retired key", status["reason"])

    def test_revoked_snapshot_signed_by_a_retired_key_is_still_revoked(self):
        r, status = self.status_of("retired_revoked.cbor", "--status-seed", SEED_A_OLD.hex(),
                                   "--status-iat", str(IAT - 86400 * 60), "--set-status",
                                   "revoked")
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn("REVOKED", status["reason"])

    # ---- 3. unsigned bytes in a record ------------------------------------

    def sign(self, claims, unprotected=None, protected_kid=True, seed=SEED_A):
        """A COSE_Sign1 built with cbor2 and PyNaCl (RFC 9052 §4.4)."""
        key = nacl.signing.SigningKey(seed)
        kid = hashlib.sha256(bytes(key.verify_key)).digest()[:8]
        prot = cbor2.dumps({1: -8, 4: kid} if protected_kid else {1: -8}, canonical=True)
        payload = cbor2.dumps(claims, canonical=True)
        sig = key.sign(cbor2.dumps(["Signature1", prot, b"", payload])).signature
        unprot = unprotected if unprotected is not None else {}
        return cbor2.dumps(cbor2.CBORTag(18, [prot, unprot, payload, sig]), canonical=True)

    def claims(self, extra=None):
        # Claim keys from docs/records.md: 1 iss, 2 sub, 4 exp, 5 nbf, 6 iat, 7 cti.
        c = {1: ISS_A, 2: "sha256$ab", 6: IAT, 7: bytes(16), -65537: "d", -65538: 1,
             -65539: bytes(32), -65540: "pass"}
        c.update(extra or {})
        return c

    def verify_record(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return self.verify("--skip-status", p)

    def test_record_signed_with_an_empty_unprotected_header_is_valid(self):
        r = self.verify_record("plain.cose", self.sign(self.claims()))
        self.assertEqual(0, r.returncode, r.stdout)

    def test_record_with_an_entry_in_its_unprotected_header_is_invalid(self):
        r = self.verify_record("mall.cose", self.sign(self.claims(), {"x": b"hi!"}))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn("unprotected header", self.checks(r)["decode"]["reason"])

    def test_record_with_its_kid_only_in_the_unprotected_header_is_invalid(self):
        key = nacl.signing.SigningKey(SEED_A)
        kid = hashlib.sha256(bytes(key.verify_key)).digest()[:8]
        r = self.verify_record("unprot_kid.cose",
                               self.sign(self.claims(), {4: kid}, protected_kid=False))
        self.assertEqual(1, r.returncode, r.stdout)

    def test_record_whose_kid_names_no_trusted_key_is_invalid_even_when_a_trusted_key_signed(self):
        # Signed by A's key, but the protected kid names a key nobody lists.
        key = nacl.signing.SigningKey(SEED_A)
        prot = cbor2.dumps({1: -8, 4: b"\x01" * 8}, canonical=True)
        payload = cbor2.dumps(self.claims(), canonical=True)
        sig = key.sign(cbor2.dumps(["Signature1", prot, b"", payload])).signature
        rec = cbor2.dumps(cbor2.CBORTag(18, [prot, {}, payload, sig]), canonical=True)
        r = self.verify_record("unknown_kid.cose", rec)
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn("unknown key", self.checks(r)["issuer"]["reason"])

    # ---- 4. the record's own validity period (nbf, exp) ------------------

    def test_record_with_nbf_a_day_ahead_is_invalid(self):
        r = self.verify_record("nbf.cose", self.sign(self.claims({5: int(time.time()) + 86400})))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn("not valid yet", self.checks(r)["key-window"]["reason"])

    def test_record_with_exp_in_the_past_is_invalid(self):
        r = self.verify_record("exp.cose", self.sign(self.claims({4: IAT + 60})))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn("expired", self.checks(r)["key-window"]["reason"])

    def test_record_inside_its_nbf_and_exp_is_valid(self):
        later = int(time.time()) + 86400
        r = self.verify_record("window.cose", self.sign(self.claims({5: IAT, 4: later})))
        self.assertEqual(0, r.returncode, r.stdout)


if __name__ == "__main__":
    unittest.main()

"""test_ob3_digitalbazaar.py - Accord's OB 3.0 credentials and Bitstring
Status List credentials (made by core/records/ob3.c through bench_mkob3)
checked by the Digital Bazaar / DCC libraries from npm (pinned in
npm-packages.txt; run through ob3_verify.mjs with a document loader serving
only local files): ours verify, any flipped byte of the signed content fails,
and a revoked and a suspended credential are reported as such by
@digitalbazaar/vc-bitstring-status-list. Also: the published 1EdTech vector
verifies with accord-verify. Skipped (77) when node or the packages are
missing."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("ACCORD_BUILD", "build")
SOURCE = os.environ.get("ACCORD_SOURCE", os.path.dirname(os.path.dirname(HERE)))
MKOB3 = os.path.join(BUILD, "tests", "bench_mkob3")
VERIFY = os.path.join(BUILD, "tools", "accord-verify")
HELPER = os.path.join(HERE, "ob3_verify.mjs")
CONTEXTS = os.path.join(SOURCE, "core", "records", "contexts")
SEED = "3c" * 32

if not shutil.which("node") or not os.path.isdir(
        os.path.join(HERE, "npm", "node_modules", "@digitalbazaar", "vc-bitstring-status-list")):
    print("skipped: node or the @digitalbazaar packages missing (run tools/setup.sh)")
    sys.exit(77)


def make(dirname, status="valid"):
    out = subprocess.run([MKOB3, "--seed", SEED, "--dir", dirname, "--set-status", status],
                         check=True, capture_output=True, text=True).stdout
    return dict(line.split(" ", 1) for line in out.strip().splitlines())


def db_verify(cred, dirname):
    r = subprocess.run(["node", HELPER, cred, dirname, CONTEXTS], capture_output=True,
                       text=True, timeout=120)
    return r.returncode, json.loads(r.stdout)


class DigitalBazaarInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(MKOB3, os.X_OK):
            raise unittest.SkipTest("bench_mkob3 not built")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dirs = {}
        for status in ("valid", "revoked", "suspended"):
            d = os.path.join(cls.tmp.name, status)
            os.mkdir(d)
            cls.info = make(d, status)
            cls.dirs[status] = d

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_our_credential_and_status_lists_verify_with_digital_bazaar(self):
        d = self.dirs["valid"]
        rc, o = db_verify(os.path.join(d, "credential.json"), d)
        self.assertEqual(0, rc, o)
        self.assertTrue(o["verified"])
        self.assertEqual({"revocation": False, "suspension": False}, o["status"], o)

    def test_a_revoked_credential_is_reported_revoked(self):
        d = self.dirs["revoked"]
        rc, o = db_verify(os.path.join(d, "credential.json"), d)
        self.assertEqual(0, rc, o)
        self.assertEqual({"revocation": True, "suspension": False}, o["status"], o)

    def test_a_suspended_credential_is_reported_suspended(self):
        d = self.dirs["suspended"]
        rc, o = db_verify(os.path.join(d, "credential.json"), d)
        self.assertEqual(0, rc, o)
        self.assertEqual({"revocation": False, "suspension": True}, o["status"], o)

    def test_flipping_a_byte_of_any_signed_value_fails(self):
        d = self.dirs["valid"]
        with open(os.path.join(d, "credential.json"), "rb") as f:
            good = f.read()
        cred = json.loads(good)
        # One byte in each kind of signed value: a string in the achievement,
        # the subject's hash, a date, a number, a status index, the proof's
        # created time and the proof value itself.
        edits = [
            ("credentialSubject.achievement.criteria.narrative", lambda s: s[:-1] + "X"),
            ("credentialSubject.identifier.0.identityHash", lambda s: s[:-1] + "0"
             if s[-1] != "0" else s[:-1] + "1"),
            ("validFrom", lambda s: s.replace("2026", "2027")),
            ("credentialSubject.creditsEarned", lambda v: v + 1),
            ("credentialStatus.0.statusListIndex", lambda s: str(int(s) + 1)),
            ("proof.0.created", lambda s: s.replace("00Z", "01Z")),
            ("proof.0.proofValue", lambda s: s[:10] + ("A" if s[10] != "A" else "B") + s[11:]),
        ]
        for path, change in edits:
            c = json.loads(good)
            node = c
            keys = path.split(".")
            for k in keys[:-1]:
                node = node[int(k)] if isinstance(node, list) else node[k]
            last = keys[-1]
            node[last] = change(node[last])
            bad = os.path.join(d, "bad.json")
            with open(bad, "w") as f:
                json.dump(c, f)
            rc, o = db_verify(bad, d)
            self.assertEqual(1, rc, (path, o))
            self.assertFalse(o["verified"], path)
            r = subprocess.run([VERIFY, "--key", self.info["public_key_multibase"].join(
                ["did:key:", ""]), "--skip-status", bad], capture_output=True, text=True)
            self.assertEqual(1, r.returncode, (path, r.stdout))
        self.assertTrue(cred["proof"][0]["proofValue"].startswith("z"))

    def test_the_published_1edtech_credential_verifies_with_accord_verify(self):
        vec = os.path.join(SOURCE, "tests", "unit", "core", "vectors", "ob3", "1edtech-ob3")
        with open(os.path.join(vec, "values.json")) as f:
            pub = json.load(f)["publicKeyHex"]
        r = subprocess.run([VERIFY, "--key", pub, "--skip-status",
                            os.path.join(vec, "signed.json")], capture_output=True, text=True)
        self.assertEqual(0, r.returncode, r.stdout)
        self.assertIn("VALID", r.stdout)


if __name__ == "__main__":
    unittest.main()

"""test_record_npm.py - an Accord native record verified by a COSE library
from the npm registry: @auth0/cose (pinned in npm-packages.txt), whose Sign1
builds its own Sig_structure and checks EdDSA with Node's crypto, run through
verify_record_auth0.js. Skipped (77) when node or the package is missing."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("ACCORD_BUILD", "build")
MKRECORDS = os.path.join(BUILD, "tests", "bench_mkrecords")
HELPER = os.path.join(HERE, "verify_record_auth0.js")
SEED = "5a" * 32
ISS = "https://npm-interop.example"
IAT = 1767225600

if not shutil.which("node") or not os.path.isdir(
        os.path.join(HERE, "npm", "node_modules", "@auth0", "cose")):
    print("skipped: node or @auth0/cose missing (run tools/setup.sh)")
    sys.exit(77)


class NpmInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(MKRECORDS, os.X_OK):
            raise unittest.SkipTest("bench_mkrecords not built")
        cls.dir = tempfile.TemporaryDirectory()
        cls.record = os.path.join(cls.dir.name, "r.cose")
        out = subprocess.run([MKRECORDS, "--count", "1", "--seed", SEED, "--iss", ISS,
                              "--iat", str(IAT), "--ceu", "50", "--binary", cls.record],
                             check=True, capture_output=True, text=True).stdout
        cls.pub = out.split("public_key ")[1].split()[0]

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def node_verify(self, path, pub):
        r = subprocess.run(["node", HELPER, path, pub], capture_output=True, text=True,
                           timeout=60)
        return r.returncode, json.loads(r.stdout)

    def test_auth0_cose_verifies_the_record_and_reads_its_claims(self):
        rc, o = self.node_verify(self.record, self.pub)
        self.assertEqual(0, rc, o)
        self.assertTrue(o["verified"])
        self.assertEqual(-8, o["alg"])
        self.assertEqual(ISS, o["claims"]["1"])
        self.assertEqual(IAT, o["claims"]["6"])
        self.assertEqual(50, o["claims"]["-65541"])

    def test_auth0_cose_rejects_the_record_under_another_key(self):
        other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"  # RFC 8032 TEST 1
        rc, o = self.node_verify(self.record, other)
        self.assertEqual(1, rc)
        self.assertFalse(o["verified"])

    def test_auth0_cose_rejects_a_record_with_a_changed_claim(self):
        with open(self.record, "rb") as f:
            data = f.read()
        tampered = data.replace(b"https://npm-interop.example", b"https://npm-interop.exampl3")
        self.assertNotEqual(data, tampered)
        path = os.path.join(self.dir.name, "t.cose")
        with open(path, "wb") as f:
            f.write(tampered)
        rc, o = self.node_verify(path, self.pub)
        self.assertEqual(1, rc)
        self.assertIn("signature", o["error"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""test_verify.py - accord-verify end to end: verdicts, reasons and exit codes
for good records, tampered ones, wrong and retired keys, status that cannot be
checked, batches, stdin, JSON output, and records built here with cbor2 and
PyNaCl (so a record made by code nobody here wrote must verify too)."""
import base64
import hashlib
import json
import os
import shutil
import socket
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
SEED = bytes(range(32))
ISS = "https://node.example"
IAT = 1767225600  # 2026-01-01T00:00:00Z


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


SIGNER = nacl.signing.SigningKey(SEED)
PUB = bytes(SIGNER.verify_key)
KID = hashlib.sha256(PUB).digest()[:8]


def jwk(pub, valid_from=None, valid_until=None, kid=True):
    k = {"kty": "OKP", "crv": "Ed25519", "x": b64u(pub)}
    if kid:
        k["kid"] = hashlib.sha256(pub).digest()[:8].hex()
    if valid_from:
        k["valid_from"] = valid_from
    if valid_until:
        k["valid_until"] = valid_until
    return k


class VerifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not (os.access(VERIFY, os.X_OK) and os.access(MKRECORDS, os.X_OK)):
            raise unittest.SkipTest("accord-verify or bench_mkrecords not built")
        cls.dir = tempfile.TemporaryDirectory()
        cls.record = cls.make("plain.cose")
        cls.with_status = cls.make("status.cose", "--status-uri",
                                   ISS + "/statuslists/1", "--status-idx", "77")
        cls.trust = cls.write_trust("trust.json", [jwk(PUB, "2025-12-01T00:00:00Z")])

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir.name, name)

    @classmethod
    def make(cls, name, *extra):
        out = subprocess.run(
            [MKRECORDS, "--count", "1", "--seed", SEED.hex(), "--iss", ISS,
             "--iat", str(IAT), "--binary", cls.path(name), *extra],
            check=True, capture_output=True, text=True).stdout
        assert ("public_key " + PUB.hex()) in out  # same key PyNaCl derives
        with open(cls.path(name), "rb") as f:
            return f.read()

    @classmethod
    def write_trust(cls, name, keys, iss=ISS):
        with open(cls.path(name), "w") as f:
            json.dump({"issuers": [{"iss": iss, "keys": keys}]}, f)
        return cls.path(name)

    def run_verify(self, *args, stdin=None):
        return subprocess.run([VERIFY, *args], input=stdin, capture_output=True)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def sign_python(self, protected, claims, unprotected=None):
        """A COSE_Sign1 built entirely with cbor2 and PyNaCl (RFC 9052 §4.4)."""
        prot = cbor2.dumps(protected, canonical=True)
        payload = cbor2.dumps(claims, canonical=True)
        tbs = cbor2.dumps(["Signature1", prot, b"", payload])
        sig = SIGNER.sign(tbs).signature
        return cbor2.dumps(cbor2.CBORTag(18, [prot, unprotected or {}, payload, sig]),
                           canonical=True)

    def python_claims(self):
        return {1: ISS, 2: "sha256$ab", 6: IAT, 7: bytes(16), -65537: "d",
                -65538: 1, -65539: bytes(32), -65540: "pass"}

    def test_record_signed_by_a_trusted_current_key_is_valid(self):
        r = self.run_verify("--trust", self.trust, self.path("plain.cose"))
        self.assertEqual(0, r.returncode, r.stdout)
        self.assertIn(b"plain.cose: VALID", r.stdout)

    def test_a_flipped_bit_anywhere_makes_the_record_invalid(self):
        # Every single-bit variant of the record, one per line, in one batch run.
        lines = []
        for i in range(len(self.record) * 8):
            data = bytearray(self.record)
            data[i // 8] ^= 1 << (i % 8)
            lines.append(b64u(bytes(data)))
        p = self.write("flips.txt", ("\n".join(lines) + "\n").encode())
        r = self.run_verify("--trust", self.trust, "--json", p)
        self.assertEqual(1, r.returncode)
        verdicts = [json.loads(line)["verdict"] for line in r.stdout.splitlines()]
        self.assertEqual(len(lines), len(verdicts))
        for bit, v in enumerate(verdicts):
            self.assertEqual("invalid", v, "bit %d" % bit)

    def test_wrong_pinned_key_is_invalid(self):
        other = bytes(nacl.signing.SigningKey(bytes(32)).verify_key)
        r = self.run_verify("--key", other.hex(), self.path("plain.cose"))
        self.assertEqual(1, r.returncode)
        self.assertIn(b"is not the pinned key's id", r.stdout)

    def test_pinned_key_as_did_key_verifies(self):
        alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        n = int.from_bytes(b"\xed\x01" + PUB, "big")
        s = ""
        while n:
            n, d = divmod(n, 58)
            s = alphabet[d] + s
        r = self.run_verify("--key", "did:key:z" + s, self.path("plain.cose"))
        self.assertEqual(0, r.returncode, r.stdout)

    def test_record_signed_by_no_key_the_trust_file_lists_is_invalid(self):
        other = bytes(nacl.signing.SigningKey(bytes(32)).verify_key)
        trust = self.write_trust("impostor.json", [jwk(other, kid=False)])
        # The impostor key has a different kid, so the record's kid is unknown.
        r = self.run_verify("--trust", trust, self.path("plain.cose"))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b"unknown key", r.stdout)

    def test_unchecked_status_is_indeterminate_never_valid(self):
        r = self.run_verify("--trust", self.trust, self.path("status.cose"))
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn(b"INDETERMINATE", r.stdout)
        self.assertIn(b"revocation or suspension cannot be ruled out", r.stdout)
        self.assertNotIn(b"not revoked", r.stdout)

    def test_skip_status_is_valid_and_says_status_was_not_checked(self):
        r = self.run_verify("--trust", self.trust, "--skip-status", self.path("status.cose"))
        self.assertEqual(0, r.returncode, r.stdout)
        self.assertIn(b"skipped       status     not checked", r.stdout)

    def test_retired_key_without_a_log_proof_is_indeterminate(self):
        trust = self.write_trust("retired.json", [
            jwk(PUB, "2025-12-01T00:00:00Z", "2026-01-15T00:00:00Z")])
        r = self.run_verify("--trust", trust, self.path("plain.cose"))
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn(b"without a log inclusion proof", r.stdout)

    def test_record_dated_before_its_key_existed_is_invalid(self):
        trust = self.write_trust("late.json", [jwk(PUB, "2026-01-02T00:00:00Z")])
        r = self.run_verify("--trust", trust, self.path("plain.cose"))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b"outside key", r.stdout)

    def test_issuer_missing_from_the_trust_file_is_invalid(self):
        trust = self.write_trust("other-iss.json", [jwk(PUB)], iss="https://elsewhere.example")
        r = self.run_verify("--trust", trust, self.path("plain.cose"))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b'iss "https://node.example" is not an issuer in the trust file', r.stdout)

    def test_batch_of_base64_lines_reports_each_record_and_the_worst_verdict(self):
        bad = bytearray(self.record)
        bad[-1] ^= 1
        text = "# presented credentials\n%s\n\n%s\n%s\n%s=\n" % (
            b64u(self.record), base64.b64encode(self.record).decode(), b64u(bytes(bad)),
            b64u(self.record))
        p = self.write("batch.txt", text.encode())
        r = self.run_verify("--trust", self.trust, p)
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b"batch.txt:2: VALID", r.stdout)
        self.assertIn(b"batch.txt:4: VALID", r.stdout)
        self.assertIn(b"batch.txt:5: INVALID", r.stdout)
        # Padding that does not complete a group of four is not base64.
        self.assertIn(b"batch.txt:6: INVALID", r.stdout)
        self.assertIn(b"not base64 or base64url text", r.stdout)
        self.assertIn(b"4 records: 2 valid, 2 invalid, 0 indeterminate", r.stdout)

    def test_record_on_stdin_verifies(self):
        r = self.run_verify("--trust", self.trust, stdin=self.record)
        self.assertEqual(0, r.returncode, r.stdout)
        self.assertIn(b"stdin: VALID", r.stdout)

    def test_json_output_carries_verdict_checks_and_claims(self):
        r = self.run_verify("--trust", self.trust, "--json", self.path("status.cose"))
        self.assertEqual(2, r.returncode)
        o = json.loads(r.stdout)
        self.assertEqual("indeterminate", o["verdict"])
        results = {c["check"]: c["result"] for c in o["checks"]}
        self.assertEqual("pass", results["signature"])
        self.assertEqual("indeterminate", results["status"])
        self.assertEqual(77, o["claims"]["status_list"]["idx"])
        self.assertEqual("2026-01-01T00:00:00Z", o["claims"]["iat"])

    def test_usage_errors_exit_64(self):
        self.assertEqual(64, self.run_verify(self.path("plain.cose")).returncode)
        self.assertEqual(64, self.run_verify("--trust", self.trust, "--key", PUB.hex(),
                                             self.path("plain.cose")).returncode)
        self.assertEqual(64, self.run_verify("--key", "nothex").returncode)

    def test_record_built_with_cbor2_and_pynacl_using_alg_minus_19_is_valid(self):
        rec = self.sign_python({1: -19, 4: KID}, self.python_claims())
        r = self.run_verify("--trust", self.trust, self.write("py.cose", rec))
        self.assertEqual(0, r.returncode, r.stdout)
        self.assertIn(b"Ed25519 (-19)", r.stdout)

    def test_record_with_an_unknown_critical_header_is_invalid(self):
        rec = self.sign_python({1: -8, 2: [99], 4: KID, 99: 1}, self.python_claims())
        r = self.run_verify("--trust", self.trust, self.write("crit.cose", rec))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b"unknown critical header label 99", r.stdout)

    def test_non_deterministic_payload_is_invalid_even_when_signed(self):
        claims = cbor2.dumps(self.python_claims(), canonical=True)
        # Re-encode iat (key 6, value 1767225600 = 0x1a 69559c00) with an
        # eight-byte argument: same value, not the shortest form.
        long_iat = b"\x06\x1b" + IAT.to_bytes(8, "big")
        short_iat = b"\x06\x1a" + IAT.to_bytes(4, "big")
        self.assertIn(short_iat, claims)
        payload = claims.replace(short_iat, long_iat)
        prot = cbor2.dumps({1: -8, 4: KID}, canonical=True)
        sig = SIGNER.sign(cbor2.dumps(["Signature1", prot, b"", payload])).signature
        rec = cbor2.dumps(cbor2.CBORTag(18, [prot, {}, payload, sig]))
        r = self.run_verify("--trust", self.trust, self.write("nondet.cose", rec))
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b"shortest", r.stdout)


class BundleTest(unittest.TestCase):
    """Bundles: the record, its log inclusion proof and issuer-signed
    checkpoint, and a signed status snapshot, checked offline."""

    @classmethod
    def setUpClass(cls):
        if not (os.access(VERIFY, os.X_OK) and os.access(MKRECORDS, os.X_OK)):
            raise unittest.SkipTest("accord-verify or bench_mkrecords not built")
        cls.dir = tempfile.TemporaryDirectory()
        cls.paths = {}
        for st in ("valid", "revoked", "suspended"):
            cls.paths[st] = os.path.join(cls.dir.name, st + ".cbor")
            subprocess.run([MKRECORDS, "--seed", SEED.hex(), "--iss", ISS, "--iat", str(IAT),
                            "--bundle", cls.paths[st], "--set-status", st],
                           check=True, capture_output=True)
        cls.trust = os.path.join(cls.dir.name, "trust.json")
        with open(cls.trust, "w") as f:
            json.dump({"issuers": [{"iss": ISS, "keys": [jwk(PUB, "2025-12-01T00:00:00Z")]}]}, f)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def verify(self, *args):
        return subprocess.run([VERIFY, *args], capture_output=True)

    def test_bundle_with_a_valid_status_is_valid_offline_within_max_status_age(self):
        # The snapshot is dated IAT with a ttl of an hour; accept it up to a
        # day older than it is now.
        age = str(int(time.time()) - IAT + 86400)
        r = self.verify("--trust", self.trust, "--json", "--max-status-age", age,
                        self.paths["valid"])
        self.assertEqual(0, r.returncode, r.stdout)
        checks = {c["check"]: c for c in json.loads(r.stdout)["checks"]}
        self.assertEqual("pass", checks["log"]["result"])
        self.assertEqual("pass", checks["status"]["result"])
        self.assertIn("accepted by --max-status-age " + age, checks["status"]["reason"])

    def test_bundle_whose_valid_snapshot_is_older_than_its_ttl_is_indeterminate(self):
        r = self.verify("--trust", self.trust, "--json", self.paths["valid"])
        self.assertEqual(2, r.returncode, r.stdout)
        status = {c["check"]: c for c in json.loads(r.stdout)["checks"]}["status"]
        self.assertEqual("indeterminate", status["result"])
        self.assertIn("older than its ttl of 3600 s", status["reason"])

    def test_max_status_age_must_be_whole_seconds(self):
        for bad in ("-1", "1h", "", "99999999999999999999"):
            r = self.verify("--trust", self.trust, "--max-status-age", bad, self.paths["valid"])
            self.assertEqual(64, r.returncode, bad)
            self.assertIn(b"--max-status-age", r.stderr)

    def test_revoked_bundle_is_invalid_and_says_revoked(self):
        r = self.verify("--trust", self.trust, self.paths["revoked"])
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b"REVOKED", r.stdout)

    def test_suspended_bundle_is_invalid_and_says_suspended(self):
        r = self.verify("--trust", self.trust, self.paths["suspended"])
        self.assertEqual(1, r.returncode, r.stdout)
        self.assertIn(b"SUSPENDED", r.stdout)

    def test_retired_key_is_not_settled_by_a_checkpoint_the_same_retired_key_signed(self):
        # A leaked retired key could sign a checkpoint too; only a current
        # key's checkpoint vouches (the node test has the valid case).
        trust = os.path.join(self.dir.name, "retired.json")
        with open(trust, "w") as f:
            json.dump({"issuers": [{"iss": ISS, "keys": [
                jwk(PUB, "2025-12-01T00:00:00Z", "2026-01-15T00:00:00Z")]}]}, f)
        r = self.verify("--trust", trust, self.paths["valid"])
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn(b"checkpoint is signed by a retired key too", r.stdout)

    def test_a_flipped_bit_anywhere_in_a_bundle_makes_it_invalid(self):
        with open(self.paths["valid"], "rb") as f:
            data = f.read()
        lines = []
        for i in range(len(data) * 8):
            d = bytearray(data)
            d[i // 8] ^= 1 << (i % 8)
            lines.append(b64u(bytes(d)))
        p = os.path.join(self.dir.name, "flips.txt")
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = self.verify("--trust", self.trust, "--json", p)
        self.assertEqual(1, r.returncode)
        verdicts = [json.loads(line)["verdict"] for line in r.stdout.splitlines()]
        self.assertEqual(len(lines), len(verdicts))
        for bit, v in enumerate(verdicts):
            self.assertEqual("invalid", v, "bit %d" % bit)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(shutil.which("nghttpd"), "nghttpd not installed")
class FetchTest(unittest.TestCase):
    """--fetch gets the issuer's keys from <iss>/.well-known/jwks.json over
    HTTP/2; nghttpd (nghttp2's own server, h2c prior knowledge) serves them."""

    @classmethod
    def setUpClass(cls):
        if not os.access(VERIFY, os.X_OK):
            raise unittest.SkipTest("accord-verify not built")
        cls.dir = tempfile.TemporaryDirectory()
        cls.port = free_port()
        cls.iss = "http://127.0.0.1:%d/node" % cls.port
        os.makedirs(os.path.join(cls.dir.name, "www", "node", ".well-known"))
        with open(os.path.join(cls.dir.name, "www", "node", ".well-known", "jwks.json"), "w") as f:
            json.dump({"keys": [jwk(PUB, "2025-12-01T00:00:00Z")]}, f)
        cls.server = subprocess.Popen(
            ["nghttpd", "--no-tls", "-d", os.path.join(cls.dir.name, "www"), str(cls.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        cls.record = os.path.join(cls.dir.name, "r.cose")
        subprocess.run([MKRECORDS, "--count", "1", "--seed", SEED.hex(), "--iss", cls.iss,
                        "--iat", str(IAT), "--binary", cls.record], check=True,
                       capture_output=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.dir.cleanup()

    def test_keys_fetched_from_the_issuer_check_its_signature_but_do_not_trust_it(self):
        r = subprocess.run([VERIFY, "--fetch", "--json", self.record], capture_output=True)
        results = {c["check"]: c for c in json.loads(r.stdout)["checks"]}
        self.assertEqual("indeterminate", results["issuer"]["result"], r.stdout)
        self.assertIn("issuer not trusted", results["issuer"]["reason"])
        self.assertEqual("pass", results["signature"]["result"], r.stdout)
        # nghttpd serves only the keys: the log proof --fetch also asks for
        # is missing, which leaves the verdict indeterminate, never valid.
        self.assertEqual("indeterminate", results["log-fetch"]["result"], r.stdout)
        self.assertIn("HTTP 404", results["log-fetch"]["reason"])
        self.assertEqual(2, r.returncode, r.stdout)

    def test_an_issuer_url_with_userinfo_is_not_fetched_and_the_reason_says_why(self):
        path = os.path.join(self.dir.name, "userinfo.cose")
        subprocess.run([MKRECORDS, "--count", "1", "--seed", SEED.hex(), "--iss",
                        "http://trusted.example@127.0.0.1:%d/node" % self.port, "--iat",
                        str(IAT), "--binary", path], check=True, capture_output=True)
        r = subprocess.run([VERIFY, "--fetch", "--json", path], capture_output=True)
        self.assertEqual(2, r.returncode, r.stdout)
        issuer = {c["check"]: c for c in json.loads(r.stdout)["checks"]}["issuer"]
        self.assertEqual("indeterminate", issuer["result"])
        self.assertIn("userinfo", issuer["reason"])

    def test_unreachable_issuer_is_indeterminate(self):
        path = os.path.join(self.dir.name, "away.cose")
        subprocess.run([MKRECORDS, "--count", "1", "--seed", SEED.hex(), "--iss",
                        "http://127.0.0.1:%d" % free_port(), "--iat", str(IAT),
                        "--binary", path], check=True, capture_output=True)
        r = subprocess.run([VERIFY, "--fetch", path], capture_output=True)
        self.assertEqual(2, r.returncode, r.stdout)
        self.assertIn(b"could not fetch", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)

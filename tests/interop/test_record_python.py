"""test_record_python.py - an Accord native record checked by code nobody here
wrote: Debian's python3-cbor2 decodes it, the RFC 9052 §4.4 Sig_structure is
built here from the decoded parts, python3-nacl (libsodium's Python binding
with its own Ed25519 checks) verifies the signature, and the CWT claims carry
exactly the values the record was made with."""
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

try:
    import cbor2
    import nacl.exceptions
    import nacl.signing
except ImportError:  # pragma: no cover
    sys.exit(77)

BUILD = os.environ.get("ACCORD_BUILD", "build")
MKRECORDS = os.path.join(BUILD, "tests", "bench_mkrecords")
SEED = bytes.fromhex("4c" * 32)
ISS = "https://interop.example"
IAT = 1767225600
STATUS_URI = ISS + "/statuslists/3"


class PythonInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(MKRECORDS, os.X_OK):
            raise unittest.SkipTest("bench_mkrecords not built")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.cose")
            subprocess.run([MKRECORDS, "--count", "1", "--seed", SEED.hex(), "--iss", ISS,
                            "--iat", str(IAT), "--level", "accomplished", "--ceu", "275",
                            "--status-uri", STATUS_URI, "--status-idx", "131071",
                            "--binary", path], check=True, capture_output=True)
            with open(path, "rb") as f:
                cls.raw = f.read()
        cls.pub = bytes(nacl.signing.SigningKey(SEED).verify_key)
        cls.msg = cbor2.loads(cls.raw)

    def parts(self):
        self.assertIsInstance(self.msg, cbor2.CBORTag)
        return self.msg.value

    def test_record_is_a_tagged_cose_sign1_array(self):
        self.assertEqual(18, self.msg.tag)
        self.assertEqual(4, len(self.msg.value))

    def test_protected_header_holds_eddsa_and_the_key_derived_kid(self):
        prot = cbor2.loads(self.parts()[0])
        self.assertEqual({1: -8, 4: hashlib.sha256(self.pub).digest()[:8]}, prot)
        self.assertEqual({}, self.parts()[1])

    def test_signature_verifies_over_a_sig_structure_built_here(self):
        prot, _, payload, sig = self.parts()
        tbs = cbor2.dumps(["Signature1", prot, b"", payload])
        nacl.signing.VerifyKey(self.pub).verify(tbs, sig)  # raises if bad

    def test_signature_fails_over_a_changed_payload(self):
        prot, _, payload, sig = self.parts()
        tbs = cbor2.dumps(["Signature1", prot, b"", payload + b"\x00"])
        with self.assertRaises(nacl.exceptions.BadSignatureError):
            nacl.signing.VerifyKey(self.pub).verify(tbs, sig)

    def test_cwt_claims_carry_the_values_the_record_was_made_with(self):
        claims = cbor2.loads(self.parts()[2])
        self.assertEqual(ISS, claims[1])                      # iss
        self.assertEqual(IAT, claims[6])                      # iat
        self.assertEqual(16, len(claims[7]))                  # cti
        self.assertEqual({"status_list": {"idx": 131071, "uri": STATUS_URI}},
                         claims[65535])                       # status
        self.assertEqual("formative-assessment-feedback", claims[-65537])
        self.assertEqual(3, claims[-65538])
        self.assertEqual(32, len(claims[-65539]))
        self.assertEqual("accomplished", claims[-65540])
        self.assertEqual(275, claims[-65541])                 # CEUs x 100
        self.assertEqual(0, claims[-65543])                   # log index

    def test_claims_are_deterministically_encoded(self):
        # cbor2's canonical mode sorts map keys length-first (RFC 7049 §3.9);
        # for these keys that order equals RFC 8949 §4.2.1 bytewise order
        # (all one-byte keys, then 0x19ffff, then the 0x3a.. private keys), so
        # cbor2's re-encoding must reproduce the payload byte for byte.
        payload = self.parts()[2]
        self.assertEqual(payload, cbor2.dumps(cbor2.loads(payload), canonical=True))

    def test_whole_record_is_small_enough_for_a_qr_code(self):
        # QR version 40-L holds 2953 bytes in byte mode; Accord aims well under 1 KB.
        self.assertLess(len(self.raw), 1024)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""test_verify_ob3_input.py - accord-verify splitting a file of OB 3.0
credentials (tools/verify/main.c, json_span): JSON Lines and pretty-printed
documents one after another, with strings holding quotes, backslashes and
braces, are each verified on their own; an unclosed document is refused.
Credentials come from bench_mkob3 (core/records/ob3.c); no node, no network."""
import json
import os
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("ACCORD_BUILD", "build")
MKOB3 = os.path.join(BUILD, "tests", "bench_mkob3")
VERIFY = os.path.join(BUILD, "tools", "accord-verify")
SEED = "5a" * 32


class VerifyOb3Input(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(MKOB3, os.X_OK):
            raise unittest.SkipTest("bench_mkob3 not built")
        cls.tmp = tempfile.TemporaryDirectory()
        creds = os.path.join(cls.tmp.name, "creds.jsonl")
        out = subprocess.run([MKOB3, "--seed", SEED, "--count", "3", "--out", creds],
                             check=True, capture_output=True, text=True).stdout
        info = dict(line.split(" ", 1) for line in out.strip().splitlines())
        cls.key = "did:key:" + info["public_key_multibase"]
        with open(creds) as f:
            cls.creds = [json.loads(line) for line in f]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def verify(self, text):
        path = os.path.join(self.tmp.name, "input.json")
        with open(path, "w") as f:
            f.write(text)
        return subprocess.run([VERIFY, "--key", self.key, "--skip-status", "--json", path],
                              capture_output=True, text=True, timeout=60)

    def verdicts(self, r):
        return [json.loads(line)["verdict"] for line in r.stdout.splitlines()]

    def test_json_lines_and_pretty_documents_are_each_verified(self):
        text = (json.dumps(self.creds[0]) + "\n" + json.dumps(self.creds[1], indent=2) +
                "\n\n" + json.dumps(self.creds[2]) + "\n")
        r = self.verify(text)
        self.assertEqual(0, r.returncode, r.stdout + r.stderr)
        self.assertEqual(["valid"] * 3, self.verdicts(r))

    def test_quotes_backslashes_and_braces_inside_strings_do_not_split_a_document(self):
        altered = json.loads(json.dumps(self.creds[1]))
        # An even and an odd run of backslashes before quotes, and braces:
        # the splitter must end the document at its real closing brace.
        altered["name"] = 'a \\" } ] { [ \\\\" }} \\\\\\" end \\\\'
        text = "\n".join(json.dumps(c) for c in (self.creds[0], altered, self.creds[2]))
        r = self.verify(text)
        self.assertEqual(1, r.returncode, r.stdout + r.stderr)
        # The altered one fails its signature; its neighbours still verify.
        self.assertEqual(["valid", "invalid", "valid"], self.verdicts(r))

    def test_a_document_that_does_not_close_is_refused(self):
        text = json.dumps(self.creds[0]) + "\n" + json.dumps(self.creds[1])[:-1] + "\n"
        r = self.verify(text)
        self.assertEqual(1, r.returncode, r.stdout + r.stderr)
        verdicts = self.verdicts(r)
        self.assertEqual(["valid", "invalid"], verdicts)
        self.assertIn("does not close", r.stdout)


if __name__ == "__main__":
    unittest.main()

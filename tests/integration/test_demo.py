"""test_demo.py - keeps the README's main job working: runs tools/demo.py (the
lifecycle demo tools/demo.sh runs after set-up) against $ACCORD_BUILD in a
temporary directory on a free port, and checks what it reports: it succeeds,
the issued record verified offline and then, after the issuer revoked it,
accord-verify --fetch said revoked. (One run: under ASan its ~480 accordctl
processes take two minutes.)"""
import os
import shutil
import subprocess
import tempfile
import unittest

from accordtest import BUILD, SOURCE, free_port, require_tool, skip_unless_built

DEMO = os.path.join(SOURCE, "tools", "demo.py")


def run_demo(data):
    return subprocess.run(["/usr/bin/python3", DEMO, "--build", BUILD, "--data", data,
                           "--port", str(free_port())],
                          capture_output=True, text=True, timeout=500)


def summary(out):
    """The lines after the demo's SUMMARY heading."""
    head, sep, tail = out.partition("\nSUMMARY")
    return tail.splitlines()[1:] if sep else []


class Demo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="accord-demo-")
        cls.data = os.path.join(cls.tmp, "demo-data")
        cls.first = run_demo(cls.data)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("ACCORD_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_demo_exits_zero_and_stops_its_node_cleanly(self):
        self.assertEqual(0, self.first.returncode, self.first.stdout[-3000:] + self.first.stderr)
        self.assertIn("Stop the node: SIGTERM -> exit 0", self.first.stdout)

    def test_the_summary_says_the_record_verified_and_then_was_revoked(self):
        lines = summary(self.first.stdout)
        verified = [i for i, ln in enumerate(lines) if "VERIFIED valid (exit 0)" in ln]
        revoked = [i for i, ln in enumerate(lines) if "REVOKED (exit 1)" in ln]
        self.assertEqual(1, len(verified), lines)
        self.assertEqual(1, len(revoked), lines)
        self.assertLess(verified[0], revoked[0])

    def test_the_teachers_recognized_ceus_fall_to_zero_after_the_revocation(self):
        # conf/definitions/formative-feedback-associate.json gives 2 CEUs, the
        # district's policy counts the record's own CEUs; once revoked, none.
        line = next((ln for ln in summary(self.first.stdout) if "CEUs" in ln), "")
        self.assertRegex(line, r"CEUs 2\.0 -> 0\.0")


if __name__ == "__main__":
    skip_unless_built()
    require_tool("curl")
    unittest.main()

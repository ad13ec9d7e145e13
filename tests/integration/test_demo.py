"""test_demo.py - keeps the README's main job working: runs tools/demo.py (the
consortium demo tools/demo.sh runs after set-up) against $ACCORD_BUILD in a
temporary directory on a free port, and checks what it reports: it succeeds
and stops its four nodes cleanly; its summary fits in 20 lines and says every
step was ok; the district reviewers made the pool; one lent batch was
declined; a blind benchmark caught the lenient reviewer; on this build (the
test clock) the quiet reviewer's batch was reclaimed; the record verified
offline and at the recognizer node, then was revoked; the ledgers of the state
and the districts agree; and every role got a one-time sign-in link on its
node's TLS listener. (One run: under ASan its ~800 accordctl calls take a few
minutes.)"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from accordtest import BUILD, SOURCE, free_port, require_tool, skip_unless_built

DEMO = os.path.join(SOURCE, "tools", "demo.py")


def run_demo(data):
    return subprocess.run(["/usr/bin/python3", DEMO, "--build", BUILD, "--data", data,
                           "--port", str(free_port())],
                          capture_output=True, text=True, timeout=560)


def summary(out):
    """The heading and lines of the demo's SUMMARY block (up to the blank
    line before the sign-in links)."""
    head, sep, tail = out.partition("\nSUMMARY")
    if not sep:
        return []
    return ("SUMMARY" + tail).split("\n\n")[0].splitlines()


def line(lines, prefix):
    return next((ln for ln in lines if ln.startswith("  - " + prefix)), "")


class Demo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="accord-demo-")
        cls.data = os.path.join(cls.tmp, "demo-data")
        cls.first = run_demo(cls.data)
        cls.lines = summary(cls.first.stdout)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("ACCORD_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_the_demo_exits_zero_and_stops_its_nodes_cleanly(self):
        self.assertEqual(0, self.first.returncode, self.first.stdout[-3000:] + self.first.stderr)
        self.assertIn("Stop the nodes: SIGTERM -> exit 0", self.first.stdout)
        for node in ("state", "north", "south", "recognizer"):
            self.assertTrue(os.path.isdir(os.path.join(self.data, node)), node)

    def test_the_summary_fits_in_twenty_lines_and_every_step_was_ok(self):
        self.assertTrue(self.lines, self.first.stdout[-3000:])
        self.assertLessEqual(len(self.lines), 20, "\n".join(self.lines))
        steps = re.search(r"^SUMMARY: (\d+) steps, all ok", self.lines[0])
        self.assertIsNotNone(steps, self.lines[0])
        numbered = re.findall(r"^\[\s*(\d+)\]", self.first.stdout, re.M)
        self.assertEqual([str(i) for i in range(1, int(steps.group(1)) + 1)], numbered)

    def test_district_reviewers_certified_across_nodes_made_the_pool(self):
        self.assertRegex(line(self.lines, "pool:"),
                         r"7 certified = 3 state \+ 4 district reviewers certified across nodes "
                         r"\(minimum 6\) -> active")
        peak = line(self.lines, "peak:")
        self.assertRegex(peak, r"north [1-9]")
        self.assertRegex(peak, r"south [1-9]")

    def test_one_lent_batch_was_declined_and_one_reclaimed(self):
        self.assertRegex(line(self.lines, "declined:"), r"^  - declined: 1 ")
        # ctest's build has the test clock, so the deadline step runs.
        self.assertRegex(line(self.lines, "timeout:"), r"^  - timeout: reclaimed 1 ")
        self.assertIn("late score refused", line(self.lines, "timeout:"))

    def test_a_blind_benchmark_caught_the_lenient_reviewer(self):
        self.assertRegex(line(self.lines, "blind benchmark:"),
                         r"sky \(south\) .*agreement \d\.\d\d over \d+ items? is below 0\.80 "
                         r"-> sent to retraining")

    def test_the_record_verified_offline_and_at_the_recognizer_then_was_revoked(self):
        self.assertIn("VERIFIED valid (exit 0)", line(self.lines, "record"))
        self.assertRegex(line(self.lines, "recognizer:"),
                         r"verdict VALID from its own checks \(.*signature.*log.*status\)")
        revoked = line(self.lines, "record 1: revoked")
        self.assertIn("REVOKED (exit 1)", revoked)
        # conf/definitions/formative-feedback-associate.json gives 2 CEUs; once
        # revoked, none.
        self.assertRegex(revoked, r"CEUs 2\.0 -> 0\.0")

    def test_the_ledgers_of_the_state_and_the_districts_agree(self):
        led = line(self.lines, "ledgers agree:")
        m = re.search(r"state borrowed (\d+) from north, (\d+) from south; north lent (\d+), "
                      r"south lent (\d+)", led)
        self.assertIsNotNone(m, led)
        self.assertEqual(m.group(1), m.group(3))
        self.assertEqual(m.group(2), m.group(4))
        self.assertGreater(int(m.group(1)), 0)
        self.assertGreater(int(m.group(2)), 0)

    def test_every_role_gets_a_one_time_sign_in_link_on_its_nodes_tls_listener(self):
        links = re.findall(r"^  (.+?)\s+(\S+@\S+)\s+(https://127\.0\.0\.1:\d+/link\.html#acl_\S+)$",
                           self.first.stdout, re.M)
        roles = {r.strip() for r, _, _ in links}
        for role in ("issuer (state admin)", "teacher", "expert", "reviewer (state)",
                     "reviewer (north)", "recognizer"):
            self.assertIn(role, roles, links)
        self.assertEqual(len(links), len({u for _, _, u in links}), "every link differs")


if __name__ == "__main__":
    skip_unless_built()
    require_tool("curl")
    require_tool("openssl")
    unittest.main()

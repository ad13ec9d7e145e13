"""test_irr.py - drives the real accordctl binary's "irr" command on the CSV
files in tests/integration/data/irr/ (no node needed)."""
import json
import os
import subprocess
import sys
import unittest

BUILD = os.environ.get("ACCORD_BUILD")
SOURCE = os.environ.get("ACCORD_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SOURCE, "tests", "integration", "data", "irr")
CTL = os.path.join(BUILD, "tools", "accordctl") if BUILD else None


def irr(*args):
    p = subprocess.run([CTL, "irr", *args], cwd=DATA, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class IrrCommand(unittest.TestCase):
    def test_published_krippendorff_example_gives_the_published_alphas(self):
        # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability":
        # nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
        rc, out, err = irr("krippendorff2011.csv", "--json")
        self.assertEqual(0, rc, err)
        stats = json.loads(out)["statistics"]
        self.assertAlmostEqual(0.743, stats["krippendorff_alpha_nominal"]["value"], places=3)
        self.assertAlmostEqual(0.815, stats["krippendorff_alpha_ordinal"]["value"], places=3)
        self.assertAlmostEqual(0.849, stats["krippendorff_alpha_interval"]["value"], places=3)
        self.assertAlmostEqual(0.797, stats["krippendorff_alpha_ratio"]["value"], places=3)

    def test_published_example_gives_irrcac_gwet_ac1(self):
        # irrCAC README (kgwet/irrCAC), dataset cac.raw4raters: AC1 = 0.77544.
        rc, out, _ = irr("krippendorff2011.csv", "--json")
        self.assertEqual(0, rc)
        self.assertAlmostEqual(0.77544, json.loads(out)["statistics"]["gwet_ac1"]["value"], places=5)

    def test_header_row_names_the_raters(self):
        rc, out, _ = irr("krippendorff2011.csv", "--json")
        doc = json.loads(out)
        self.assertEqual(["A", "B", "C", "D"], doc["raters"])
        self.assertEqual(12, doc["items"])

    def test_inferred_scale_is_said_in_the_table(self):
        rc, out, _ = irr("krippendorff2011.csv")
        self.assertEqual(0, rc)
        self.assertIn("inferred", out)

    def test_two_raters_get_cohens_kappa_on_the_given_scale(self):
        # Hand-computed: (1,2) (2,2) (3,3) (1,1) on 1-4: p_o = 3/4,
        # p_e = 1/2*1/4 + 1/4*1/2 + 1/4*1/4 = 5/16, kappa = (7/16)/(11/16) = 7/11.
        rc, out, err = irr("two_raters.csv", "--scale", "1-4", "--json")
        self.assertEqual(0, rc, err)
        doc = json.loads(out)
        self.assertFalse(doc["scale_inferred"])
        self.assertEqual(["1", "2", "3", "4"], doc["levels"])
        self.assertAlmostEqual(7 / 11, doc["statistics"]["cohen_kappa"]["value"], places=9)

    def test_value_off_the_scale_names_line_and_column(self):
        rc, _, err = irr("bad_level.csv", "--scale", "not yet,almost there,pass,high pass")
        self.assertEqual(1, rc)
        self.assertIn('bad_level.csv:6: column 2: "maybe" is not on the scale', err)

    def test_nominal_level_leaves_out_ordered_statistics(self):
        rc, out, _ = irr("names.csv", "--scale", "no,yes", "--level", "nominal", "--json")
        self.assertEqual(0, rc)
        stats = json.loads(out)["statistics"]
        self.assertIn("krippendorff_alpha", stats)
        self.assertNotIn("cohen_kappa_quadratic", stats)
        self.assertNotIn("adjacent_agreement", stats)

    def test_missing_file_argument_is_a_usage_error(self):
        rc, _, _ = irr()
        self.assertEqual(2, rc)

    def test_unknown_level_is_a_usage_error(self):
        rc, _, err = irr("names.csv", "--level", "cardinal")
        self.assertEqual(2, rc)
        self.assertIn("cardinal", err)

    def test_malformed_scale_is_a_usage_error(self):
        rc, _, err = irr("names.csv", "--scale", "4-1")
        self.assertEqual(2, rc)
        self.assertIn("--scale", err)

    def test_unreadable_file_is_bad_input(self):
        rc, _, err = irr("no_such_file.csv")
        self.assertEqual(1, rc)
        self.assertIn("no_such_file.csv", err)


if __name__ == "__main__":
    if not CTL or not os.path.exists(CTL):
        print("accordctl not built; skipping", file=sys.stderr)
        sys.exit(77)
    unittest.main()

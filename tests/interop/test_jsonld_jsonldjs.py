"""test_jsonld_jsonldjs.py - our JSON-LD expansion and RDFC-1.0
(tests/interop/tool_jsonld) against jsonld.js (npm jsonld, pinned in
npm-packages.txt; jsonld_canon.mjs with a loader serving only the shipped
contexts): every document in tests/interop/jsonld/ - the two published
vectors, our credential and status list credential, and documents written for
the pitfalls (numbers as JavaScript prints them, awardedDate's undefined xsd
prefix, https XML Schema datatypes, language tags, @list, @json, blank node
ids) - must canonicalize to the same bytes. Skipped (77) when node or jsonld
is missing."""
import glob
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("ACCORD_BUILD", "build")
SOURCE = os.environ.get("ACCORD_SOURCE", os.path.dirname(os.path.dirname(HERE)))
TOOL = os.path.join(BUILD, "tests", "tool_jsonld")
HELPER = os.path.join(HERE, "jsonld_canon.mjs")
CONTEXTS = os.path.join(SOURCE, "core", "records", "contexts")
DOCS = sorted(glob.glob(os.path.join(HERE, "jsonld", "*.json")))

if not shutil.which("node") or not os.path.isdir(os.path.join(HERE, "npm", "node_modules",
                                                                "jsonld")):
    print("skipped: node or jsonld missing (run tools/setup.sh)")
    sys.exit(77)


class JsonldJs(unittest.TestCase):
    def test_every_document_canonicalizes_as_jsonld_js_does(self):
        self.assertGreaterEqual(len(DOCS), 8)
        for doc in DOCS:
            ours = subprocess.run([TOOL, doc], capture_output=True, text=True, timeout=60)
            self.assertEqual(0, ours.returncode, (doc, ours.stderr))
            theirs = subprocess.run(["node", HELPER, doc, CONTEXTS], capture_output=True,
                                    text=True, timeout=120)
            self.assertEqual(0, theirs.returncode, (doc, theirs.stderr))
            self.assertTrue(ours.stdout, doc)
            self.assertEqual(theirs.stdout, ours.stdout, os.path.basename(doc))


if __name__ == "__main__":
    unittest.main()

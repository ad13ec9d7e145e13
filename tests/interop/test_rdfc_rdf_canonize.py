"""test_rdfc_rdf_canonize.py - core/records/rdfc.c against an implementation
nobody here wrote: Digital Bazaar's rdf-canonize (npm; the RDFC-1.0 code under
jsonld.js and the eddsa-rdfc-2022 cryptosuite), on several hundred seeded
random datasets built to be hard: graphs where every blank node looks alike
(circulant graphs, so only the N-degree search tells them apart), blank-node
graph names, duplicate edges, and literals full of escapes, control
characters, non-ASCII text, language tags and datatypes. The canonical N-Quads
and the issued identifiers map must be identical, byte for byte.

rdf-canonize comes with jsonld in tests/interop/npm (tools/setup.sh);
ACCORD_NPM_MODULES may point at another node_modules. Skipped (77) when node
or the package is missing."""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("ACCORD_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_rdfc")
MODULES = os.environ.get("ACCORD_NPM_MODULES", os.path.join(HERE, "npm", "node_modules"))
HELPER = os.path.join(HERE, "rdfc_canonize.js")
CASES = 400

LITERAL_CHARS = ["a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x01",
                 "\x0b", "\x1f", "\x7f", "'", "#", "<", ">", "\u00e9", "\u00a0", "\u2070",
                 "\u221e", "\U0001f600", "_:x"]


def escape_literal(s):
    """N-Quads literal escaping that differs on purpose from the canonical
    form (\\u escapes everywhere), so both parsers and both writers work."""
    out = []
    for ch in s:
        if ch in "\"\\" or ord(ch) < 0x20 or ord(ch) == 0x7f or ord(ch) > 0xff:
            out.append("\\u%04X" % ord(ch) if ord(ch) <= 0xffff else "\\U%08X" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def random_literal(rng):
    text = "".join(rng.choice(LITERAL_CHARS) for _ in range(rng.randrange(0, 8)))
    lit = '"%s"' % escape_literal(text)
    kind = rng.randrange(4)
    if kind == 1:
        # Lower case only: rdf-canonize keeps a tag's case, while rdf.h stores
        # tags lowercased as JSON-LD expansion (jsonld.js too) gives them.
        lit += "@" + rng.choice(["en", "fr-ca", "de-1996", "en-gb"])
    elif kind == 2:
        lit += "^^<http://www.w3.org/2001/XMLSchema#%s>" % rng.choice(["integer", "string",
                                                                      "dateTime"])
    return lit


def random_dataset(rng):
    nb = rng.randrange(1, 9)
    labels = ["%s%d" % (rng.choice(["b", "n", "e", "x"]), i) for i in range(nb)]
    rng.shuffle(labels)
    lines = []
    preds = ["<http://example.org/p%d>" % i for i in range(rng.randrange(1, 3))]
    if rng.random() < 0.5:
        # Circulant: i -> i + d for one or two offsets; every node alike.
        for _ in range(rng.randrange(1, 3)):
            d, p = rng.randrange(0, nb), rng.choice(preds)
            for i in range(nb):
                lines.append("_:%s %s _:%s ." % (labels[i], p, labels[(i + d) % nb]))
    else:
        for _ in range(rng.randrange(1, 3 * nb + 2)):
            s = "_:" + rng.choice(labels) if rng.random() < 0.8 else "<http://example.org/s>"
            r = rng.random()
            if r < 0.6:
                o = "_:" + rng.choice(labels)
            elif r < 0.8:
                o = random_literal(rng)
            else:
                o = "<http://example.org/o%d>" % rng.randrange(3)
            g = ""
            if rng.random() < 0.2:
                g = " _:" + rng.choice(labels)
            elif rng.random() < 0.1:
                g = " <http://example.org/g>"
            lines.append("%s %s %s%s ." % (s, rng.choice(preds), o, g))
    rng.shuffle(lines)
    return "\n".join(lines) + "\n"


def ours(path, *flags):
    r = subprocess.run([TOOL, *flags, path], capture_output=True, timeout=60)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace").strip()
    return r.stdout.decode("utf-8"), None


def main():
    if not shutil.which("node") or not os.path.isdir(os.path.join(MODULES, "rdf-canonize")):
        print("skipped: node or rdf-canonize missing (run tools/setup.sh)")
        return 77
    if not os.access(TOOL, os.X_OK):
        print("tool_rdfc not built at " + TOOL)
        return 1
    rng = random.Random(20261206)
    passed, failed = 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(CASES):
            path = os.path.join(tmp, "case%03d.nq" % i)
            with open(path, "w", encoding="utf-8") as f:
                f.write(random_dataset(rng))
            files.append(path)
        r = subprocess.run(["node", HELPER, *files], capture_output=True, text=True,
                           timeout=600, env=dict(os.environ, ACCORD_NPM_MODULES=MODULES))
        if r.returncode != 0:
            print("rdfc_canonize.js failed: " + r.stderr)
            return 1
        theirs = [json.loads(line) for line in r.stdout.splitlines()]
        if len(theirs) != len(files):
            print("rdfc_canonize.js answered %d of %d cases" % (len(theirs), len(files)))
            return 1
        for t in theirs:
            with open(t["file"], encoding="utf-8") as f:
                text = f.read()
            if "error" in t:
                print("FAIL %s: rdf-canonize refused it (%s):\n%s" % (t["file"], t["error"], text))
                failed += 1
                continue
            nq, why = ours(t["file"])
            mp, why2 = ours(t["file"], "--map")
            if nq is None or mp is None:
                failed += 1
                print("FAIL %s: ours refused it: %s\n%s" % (t["file"], why or why2, text))
            elif nq != t["nquads"] or json.loads(mp) != t["map"]:
                failed += 1
                print("FAIL %s:\n%s\nours:\n%s%s\nrdf-canonize:\n%s%s" % (
                    t["file"], text, nq, mp, t["nquads"], json.dumps(t["map"])))
            else:
                passed += 1
    print("%d passed, %d failed (random datasets, ours against rdf-canonize)" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

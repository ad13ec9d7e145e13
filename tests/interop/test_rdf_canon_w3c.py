"""test_rdf_canon_w3c.py - runs the whole W3C rdf-canon test suite (vendored in
tests/interop/rdf-canon/, see README.accord.md there) against
core/records/rdfc.c through tool_rdfc: every RDFC10EvalTest must give the
expected canonical N-Quads byte for byte, every RDFC10MapTest the expected
issued identifiers map, and the RDFC10NegativeEvalTest (the poison graph) must
be refused by the work limit. Cases whose hash algorithm is not SHA-256 are
skipped with the reason (libsodium has no SHA-384, and core/ does not link
OpenSSL). Prints "N passed, N failed, N skipped"; fails if any case fails."""
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "rdf-canon")
BUILD = os.environ.get("ACCORD_BUILD", "build")
TOOL = os.path.join(BUILD, "tests", "tool_rdfc")
MANIFEST_SHA256 = "e9a2fe7bfc793225b848fce2bfe23dc0a4233a1910535d8ccce69633d41b3c8c"


def run(action, *flags):
    return subprocess.run([TOOL, *flags, os.path.join(SUITE, action)],
                          capture_output=True, timeout=60)


def check(entry):
    """Returns None when the case passes, else the reason it failed."""
    kind = entry["type"]
    if kind == "rdfc:RDFC10EvalTest":
        r = run(entry["action"])
        if r.returncode != 0:
            return "refused: " + r.stderr.decode(errors="replace").strip()
        with open(os.path.join(SUITE, entry["result"]), "rb") as f:
            want = f.read()
        return None if r.stdout == want else "output differs:\n%s\nexpected:\n%s" % (
            r.stdout.decode(errors="replace"), want.decode(errors="replace"))
    if kind == "rdfc:RDFC10MapTest":
        r = run(entry["action"], "--map")
        if r.returncode != 0:
            return "refused: " + r.stderr.decode(errors="replace").strip()
        with open(os.path.join(SUITE, entry["result"]), encoding="utf-8") as f:
            want = json.load(f)
        got = json.loads(r.stdout)
        return None if got == want else "map %s, expected %s" % (got, want)
    if kind == "rdfc:RDFC10NegativeEvalTest":
        r = run(entry["action"])
        if r.returncode != 3:
            return "not refused by the work limit (exit %d): %s" % (
                r.returncode, r.stderr.decode(errors="replace").strip())
        print("  %s refused as it must be: %s" % (entry["id"],
                                                 r.stderr.decode(errors="replace").strip()))
        return None
    return "unknown test type " + kind


def main():
    if not os.access(TOOL, os.X_OK):
        print("tool_rdfc not built at " + TOOL)
        return 1
    with open(os.path.join(SUITE, "manifest.jsonld"), "rb") as f:
        raw = f.read()
    if hashlib.sha256(raw).hexdigest() != MANIFEST_SHA256:
        print("manifest.jsonld does not match the sha256 in README.accord.md")
        return 1
    entries = json.loads(raw)["entries"]
    passed, failed, skipped = 0, 0, []
    for e in entries:
        alg = e.get("hashAlgorithm", "SHA256")
        if alg != "SHA256":
            skipped.append("%s (%s): uses %s; libsodium has no SHA-384 and core/ links no "
                           "OpenSSL" % (e["id"], e["name"], alg))
            continue
        why = check(e)
        if why is None:
            passed += 1
        else:
            failed += 1
            print("FAIL %s (%s): %s" % (e["id"], e["name"], why))
    for s in skipped:
        print("SKIP " + s)
    print("%d passed, %d failed, %d skipped (of %d cases in the W3C rdf-canon suite)" % (
        passed, failed, len(skipped), len(entries)))
    return 1 if failed or passed + len(skipped) != len(entries) else 0


if __name__ == "__main__":
    sys.exit(main())

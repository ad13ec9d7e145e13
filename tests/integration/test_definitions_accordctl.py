"""test_definitions_accordctl - an issuer authors definitions with accordctl
and reads them without --json, as a person would:

  1. a definition with four mistakes is refused, and every one of the four
     is printed (not only the first, which is all the detail names);
  2. `def show` prints every element of the definition in full, however
     many there are (a list of objects is never cut mid-object);
  3. numbers print as a person writes them: 0.3, never 0.29999999999999999;
  4. `def list` wraps a long title onto further lines instead of cutting it.
"""
import json
import os

from accordtest import Node, check, skip_unless_built
from lifecycle import load_definition

skip_unless_built()


def main():
    with Node(node_id="issuer.defs") as n:
        admin = n.init()
        n.start()

        # 1. Four mistakes, each at its own path.
        bad = load_definition()
        bad["id"] = "four-mistakes"
        bad["scoring"]["passing_level"] = "superb"
        bad["ceus"] = -1
        bad["review"]["batch_size"] = 0
        bad["pool"]["period_days"] = 0
        path = os.path.join(n.tmp, "bad.json")
        with open(path, "w") as f:
            json.dump(bad, f)
        r = n.ctl("def", "create", path, token=admin, json_out=True)
        errors = r.json.get("errors", []) if r.json else []
        check(r.returncode == 1 and len(errors) >= 4,
              "--json shows every problem of a definition with four mistakes (%d)" % len(errors))
        r = n.ctl("def", "create", path, token=admin)
        missing = [e["path"] for e in errors if e["path"] + ": " + e["message"] not in r.stderr]
        check(r.returncode == 1 and not missing,
              "the readable output prints every one of them too (missing: %s)" % missing)

        # 2-3. A definition with many elements and fractional settings.
        d = load_definition()
        d["id"] = "many-elements"
        d["title"] = ("Feedback Cycles in Writing, with a title long enough that a table "
                      "column of it must wrap onto a second line")
        d["submission"]["elements"] = [
            {"id": "element-%02d" % i, "kind": "text",
             "prompt": "Prompt number %d asks for evidence of a feedback cycle, "
                       "described at some length so that the list is long; end %d." % (i, i)}
            for i in range(12)]
        d["maintenance"]["benchmark_seed_rate"] = 0.3
        path = os.path.join(n.tmp, "good.json")
        with open(path, "w") as f:
            json.dump(d, f)
        r = n.ctl("def", "create", path, token=admin)
        check(r.returncode == 0, "a definition of twelve elements is created: %s" % r.stderr)
        r = n.ctl("def", "show", "many-elements@1", token=admin)
        shown = all(("end %d." % i) in r.stdout and ("element-%02d" % i) in r.stdout
                    for i in range(12))
        check(r.returncode == 0 and shown,
              "def show prints all twelve elements in full, the last one included")
        check("benchmark_seed_rate: 0.3\n" in r.stdout and "0.29999" not in r.stdout
              and "0.80000" not in r.stdout and "min: 0.8\n" in r.stdout,
              "numbers print as written (0.3 and 0.8, not 0.29999999999999999)")

        # 4. A table cell longer than its column wraps; nothing is lost.
        r = n.ctl("def", "list", token=admin)
        words = d["title"].split()
        text = " ".join(r.stdout.split())
        check(r.returncode == 0 and all(w in text for w in words)
              and max(len(line) for line in r.stdout.splitlines()) < 100,
              "def list wraps a long title in its column: every word shows, lines stay short")


if __name__ == "__main__":
    main()

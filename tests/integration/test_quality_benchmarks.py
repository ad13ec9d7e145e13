"""test_quality_benchmarks - seeded benchmark items are blind in a
per-element credential (issue 12, item 8).

A credential of four elements, scored per element, seeds benchmark items
into most batch positions. Its benchmark database holds two kinds of item:
plain text (one passage), and a list giving each of the four elements (in
an order other than the definition's). Every item a reviewer is shown,
real or seeded, must look alike: the four elements in the definition's
order, each {"id", "text"}; and each is scored the same way, a level per
element. Plain-text items, which cannot look like a four-element
submission, are never seeded."""
import json

from accordtest import Node, check, skip_unless_built
from lifecycle import active_credential
from quality import Earners, fast_definition, work

skip_unless_built()
ELEMENTS = ["criteria", "draft", "revision", "reflection"]


def bench_content(level, k, name):
    if k % 2:
        return "Benchmark %d-%02d: one passage at the %s level." % (level, k, name)
    return json.dumps([{"id": e, "text": "Benchmark %d-%02d, %s, at the %s level." %
                        (level, k, e, name)} for e in reversed(ELEMENTS)])


def main():
    with Node(node_id="quality.blind") as n:
        token = n.init()
        n.start()
        d = fast_definition("blind-seeds", benchmark_seed_rate=0.8)
        d["submission"]["elements"] = [{"id": e, "prompt": "Show the %s." % e, "kind": "text"}
                                       for e in ELEMENTS]
        d["scoring"]["grain"] = "per_element"
        d["scoring"]["combine"] = {"rule": "thresholds"}
        cred = active_credential(n, token, d, reviewers=2, bench_content=bench_content)
        plain = {c for c in cred.bench_truth if not c.startswith("[")}
        shown = []

        def level_of(uid, a):
            shown.append(a["elements"])
            return {e["id"]: "pass" for e in a["elements"]}

        Earners(n, cred.admin).submit("blind-seeds", 4, elements=ELEMENTS)
        scored = work(cred.reviewers, level_of, admin=cred.admin)
        seeded = [els for els in shown if els and els[0]["text"].startswith("Benchmark ")]
        check(len(shown) == sum(scored.values()) and len(seeded) > 0,
              "benchmark items were seeded among the real work (%d of %d items shown)"
              % (len(seeded), len(shown)))
        check(all([e["id"] for e in els] == ELEMENTS and all(set(e) == {"id", "text"} for e in els)
                  for els in shown),
              "every item shown, seeded or real, has the four elements in the definition's "
              "order, each {id, text}")
        check(not any(els[0]["text"] in plain for els in seeded),
              "plain-text benchmark items (one passage) are never seeded into a "
              "four-element credential")
        check(len(shown) == sum(scored.values()),
              "every seeded item is scored like a real one, a level per element")
        cred.close()
    print("ok - done")


if __name__ == "__main__":
    main()

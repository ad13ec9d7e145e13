#!/usr/bin/python3
"""test_borrow_blind.py - benchmark items seeded into a borrowed batch look
like real submissions in the review.offer the lender gets: every item has the
same members (a pseudonym, a school, a district, the definition's elements in
its order), pseudonyms are random and the items sorted by them, and nothing
names an earner or a benchmark. The offer is read from the issuer's outbox
(the bytes it signs and sends), decoded with cbor2."""
import json
import re
import sys

import cbor2

from accordtest import check, skip_unless_built
from borrow_util import Pair, definition, wait_for


def main():
    skip_unless_built()
    d = definition()
    d["review"]["batch_size"] = 3
    d["maintenance"]["benchmark_seed_rate"] = 0.9
    # Benchmark items written as real submissions of this credential are (a
    # text per element), so they can be seeded blind at all.
    def bench(level, k, name):
        return json.dumps([{"id": "criteria", "text": "Criteria %s, example %d." % (name, k)},
                           {"id": "reflection", "text": "What students did, %d-%d." % (level, k)}])
    with Pair(d, bench_content=bench) as p:
        p.borrowed_reviewer("rev-blind")
        texts = ["Success criteria co-written with the class on day one.",
                 "A rubric in student language, posted beside the board.",
                 "Exemplars compared in pairs before any drafting began."]
        subs = [p.submit(p.earner("earner-%d" % i), texts[i], school="School %d" % i,
                         district="District %d" % i)
                for i in range(3)]
        wait_for("an offer", lambda: p.lent_out())
        offers = [cbor2.loads(body) for (body,) in p.issuer.db_rows(
            "SELECT body FROM fed_outbox WHERE type = 'review.offer' ORDER BY id")]
        seeded = p.issuer.db_rows("SELECT COUNT(*) FROM borrow_items i JOIN assignments a"
                                  " ON a.id = i.assignment_id WHERE a.benchmark_id <> ''")[0][0]
        items = [it for o in offers for it in o["items"]]
        check(seeded >= 1 and len(items) >= seeded,
              "benchmark items were seeded into the borrowed batches: %d of %d items"
              % (seeded, len(items)))
        ids = [e["id"] for e in d["submission"]["elements"]]
        shapes = {(tuple(sorted(it)), tuple(e["id"] for e in it["elements"]),
                   tuple(sorted(k for e in it["elements"] for k in e if k != "id")))
                  for it in items}
        check(len(shapes) == 1 and next(iter(shapes))[0] == ("district", "elements", "item",
                                                            "school")
              and next(iter(shapes))[1] == tuple(ids),
              "every item, seeded or real, has the same members and elements: %s" % shapes)
        check(all(re.fullmatch("[0-9a-f]{24}", it["item"]) and it["school"] and it["district"]
                  for it in items)
              and all([it["item"] for it in o["items"]] == sorted(it["item"] for it in o["items"])
                      for o in offers),
              "pseudonyms are random, items sorted by them, and each has a school and district")
        text = repr(offers).lower()
        check("earner" not in text and "benchmark_id" not in text and "level" not in
              repr([o["items"] for o in offers]).lower().replace("levels", ""),
              "nothing in the offers names an earner, a benchmark or its level")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""test_expert_batches - the batches of text items an issuer hands to experts
(pilot submissions, benchmark items; docs/api-lifecycle.md): a batch that is
not a list of 1 to the route's maximum is refused naming its member, an item
without a label or content is refused naming the item, and a good batch is
answered with one new id per item, in order."""
import json
import os

from accordtest import Api, Node, SOURCE, check, skip_unless_built

skip_unless_built()

DATA = os.path.join(SOURCE, "tests", "integration", "data", "lifecycle")
AUDIT = {"impact": "i", "equity": "e", "access": "a", "language": "l", "big_picture": "b"}


def field_of(answer):
    status, body = answer
    return status, body.get("field") if isinstance(body, dict) else None


def texts(k):
    return [{"label": "t-%d" % i, "content": "text %d" % i} for i in range(k)]


with Node(node_id="issuer.expertbatches") as n:
    admin = Api(n, n.init())
    n.start()

    experts = []
    for name in ("ada", "ben"):
        st, u = admin.post("/v1/users", {"name": name, "roles": ["expert"]})
        assert st == 201, u
        experts.append(u["id"])

    with open(os.path.join(DATA, "definition.json")) as f:
        d = json.load(f)
    d["id"] = "batches"
    ref = "batches@%d" % d["version"]
    assert admin.post("/v1/definitions", d)[0] == 201
    assert admin.put("/v1/definitions/%s/audit" % ref, AUDIT)[0] == 200
    st, r = admin.post("/v1/definitions/%s/transition" % ref,
                       {"to": "piloting", "pilot": {"statistic": "exact", "threshold": 0.5}})
    assert st == 200, r

    pilot = "/v1/definitions/%s/pilot/submissions" % ref
    bench = "/v1/definitions/%s/benchmarks" % ref
    for route, key, most, what in ((pilot, "submissions", 500, "pilot submissions"),
                                   (bench, "items", 2000, "benchmark items")):
        check(field_of(admin.post(route, {"experts": experts, key: []})) == (400, key),
              "an empty batch of %s is refused naming %s" % (what, key))
        check(field_of(admin.post(route, {"experts": experts, key: texts(most + 1)}))
              == (400, key), "%d %s, one over the most, are refused naming %s"
              % (most + 1, what, key))
        check(field_of(admin.post(route, {"experts": experts, key: "one"})) == (400, key),
              "%s that are not a list are refused naming %s" % (what, key))
        bad = texts(3)
        del bad[1]["label"]
        check(field_of(admin.post(route, {"experts": experts, key: bad})) == (400, key + "[1]"),
              "one of the %s without a label is refused naming %s[1]" % (what, key))
        bad = texts(2)
        bad[0]["content"] = ""
        check(field_of(admin.post(route, {"experts": experts, key: bad})) == (400, key + "[0]"),
              "one of the %s with empty content is refused naming %s[0]" % (what, key))
        check(field_of(admin.post(route, {"experts": experts[:1], key: texts(1)}))
              == (400, "experts"), "one expert for %s is refused naming experts" % what)

    st, r = admin.post(pilot, {"experts": experts, "submissions": texts(3)})
    ids = r.get("submission_ids") if st == 201 else None
    check(ids is not None and len(ids) == 3 and len(set(ids)) == 3
          and all(isinstance(i, int) and i > 0 for i in ids),
          "three good pilot submissions are answered with three new ids")
    st, r = admin.get("/v1/definitions/%s/pilot" % ref)
    check(st == 200, "the pilot report reads after the batch")

"""lifecycle - a shared fixture for tests of the review lifecycle: builds an
ACTIVE credential with certified reviewers on a running node, through the
real HTTP API only (the same calls test_lifecycle_setup.py makes step by
step and checks; here they are a means, so they are only asserted to work).

    from accordtest import Node
    from lifecycle import active_credential
    with Node() as n:
        admin_token = n.init(); n.start()
        cred = active_credential(n, admin_token, definition, reviewers=12)
        cred.ref, cred.admin, cred.reviewers  # [(user id, Api, token)]
        cred.bench_truth                      # benchmark content -> level index

The definition is a dict in the format of
tests/integration/data/lifecycle/definition.json; its first qualification
(holds_credential) is registered for every reviewer, and every benchmark
item is scored alike by both experts, so the database is sufficient at once.
"""
import json
import math
import os

from accordtest import Api, SOURCE


DATA = os.path.join(SOURCE, "tests", "integration", "data", "lifecycle")


def load_definition():
    """The sample definition life1's scenario authors (a fresh dict)."""
    with open(os.path.join(DATA, "definition.json")) as f:
        return json.load(f)


def _ok(r, code=200):
    assert r[0] == code, r
    return r[1]


class Credential:
    """What active_credential built: the definition reference "ID@VERSION",
    the admin's Api, the experts and reviewers as (user id, Api, token)."""

    def __init__(self, ref, admin, experts, reviewers, levels, bench_truth):
        self.ref = ref
        self.admin = admin
        self.experts = experts
        self.reviewers = reviewers
        self.levels = levels
        self.bench_truth = bench_truth

    def close(self):
        for _, api, _ in self.experts + self.reviewers:
            api.close()


def new_user(node, admin, name, roles):
    """Creates a user with |roles| and a token; returns (id, Api, token). An
    earner gets the address <name>@district.example, which the admin vouches
    for: the records it earns name it by that address (salted hash)."""
    body = {"name": name, "roles": roles}
    if "earner" in roles:
        body["email"] = "%s@district.example" % name
    u = _ok(admin.post("/v1/users", body), 201)
    t = _ok(admin.post("/v1/users/%d/tokens" % u["id"], {"label": "test"}), 201)
    return u["id"], Api(node, t["token"]), t["token"]


def active_credential(node, admin_token, definition, reviewers=12, school=None,
                      bench_content=None):
    """Authors |definition|, pilots it, builds its benchmark database and
    training module, certifies |reviewers| reviewers (each at their own
    school, "School <n>" unless |school| is given) and makes it active
    (with the issuer's override if the pool is below the sizing minimum).
    bench_content(level, k, name), when given, writes the content of the
    k-th benchmark item at |level| (default: a sentence naming both).
    Returns a Credential."""
    admin = Api(node, admin_token)
    ref = "%s@%d" % (definition["id"], definition["version"])
    d = "/v1/definitions/" + ref
    levels = definition["scoring"]["levels"]
    experts = [new_user(node, admin, "%s-expert%d" % (definition["id"], i), ["expert"])
               for i in (1, 2)]
    revs = [new_user(node, admin, "%s-rev%02d" % (definition["id"], i), ["reviewer"])
            for i in range(1, reviewers + 1)]

    _ok(admin.post("/v1/definitions", definition), 201)
    _ok(admin.put(d + "/audit", {"impact": "Large effects on learning.",
                                 "equity": "Reaches every student.",
                                 "access": "Text only.", "language": "English.",
                                 "big_picture": "Part of a stack."}))
    _ok(admin.post(d + "/transition", {"to": "piloting",
                                       "pilot": {"statistic": "exact", "threshold": 0.5}}))
    pilot = [{"label": "pilot-%02d" % i, "content": "Pilot %d." % i} for i in range(10)]
    ids = _ok(admin.post(d + "/pilot/submissions",
                         {"experts": [e[0] for e in experts], "submissions": pilot}),
              201)["submission_ids"]
    for _, api, _ in experts:
        for i, sid in enumerate(ids):
            _ok(api.post("/v1/pilot/submissions/%d/score" % sid,
                         {"level": levels[i % len(levels)]}))
    _ok(admin.post(d + "/transition", {"to": "benchmarks"}))

    # 18 per level (3 training examples + 3 attempts x 5 per level).
    items, truth = [], {}
    for lvl, name in enumerate(levels):
        for k in range(18):
            content = (bench_content(lvl, k, name) if bench_content else
                       "Benchmark %d-%02d: an example at the %s level." % (lvl, k, name))
            items.append({"label": "bench-%d-%02d" % (lvl, k), "content": content})
            truth[content] = lvl
    item_ids = _ok(admin.post(d + "/benchmarks", {"experts": [e[0] for e in experts],
                                                  "items": items}), 201)["item_ids"]
    by_id = {iid: truth[items[i]["content"]] for i, iid in enumerate(item_ids)}
    for _, api, _ in experts:
        for iid, lvl in by_id.items():
            _ok(api.post("/v1/benchmarks/items/%d/score" % iid, {"level": levels[lvl]}))
    _ok(admin.post(d + "/transition", {"to": "training"}))
    _ok(admin.put("/v1/general-module", {"title": "Reviewing here", "sections": [
        {"heading": "Bias", "body": "Score the evidence, not the person."}]}))
    _ok(admin.post(d + "/transition", {"to": "recruiting"}))

    quals = definition.get("reviewers", {}).get("qualifications", [])
    held = [q["credential"] for q in quals if q.get("kind") == "holds_credential"]
    domains = definition.get("domains", [])
    for uid, api, _ in revs:
        for c in held:
            _ok(admin.post("/v1/held-credentials", {"user_id": uid, "credential": c}), 201)
        _ok(api.put("/v1/reviewers/me", {"school": school or "School %d" % uid,
                                         "district": "District %d" % uid,
                                         "domains": domains}))
        _ok(api.post(d + "/applications", {"answers": {"domain_expertise": "years"}}), 201)
        _ok(admin.post("%s/applications/%d/screen" % (d, uid), {"approve": True}))
        _ok(api.post("/v1/general-module/complete"))
        _ok(api.get(d + "/training-module"))
        _ok(api.post(d + "/training-module/complete"))
        a = _ok(api.post(d + "/certification/attempts"), 201)
        answers = [{"item_id": i["item_id"], "level": levels[by_id[i["item_id"]]]}
                   for i in a["items"]]
        r = _ok(api.post("/v1/certification/attempts/%d/answers" % a["attempt_id"],
                         {"answers": answers}))
        assert r["passed"], r
    pool = definition["pool"]
    minimum = math.ceil(pool["submissions_per_period"] * definition["reviewers"]["per_submission"]
                        / pool["assignments_per_reviewer"])
    state = _ok(admin.get(d))["state"]
    if state != "active":
        assert reviewers < minimum, (state, reviewers, minimum)
        _ok(admin.post(d + "/transition", {"to": "active", "override": True}))
    return Credential(ref, admin, experts, revs, levels, truth)

"""quality - shared steps of the reviewer-quality and assignment scenarios
(tests/integration/test_quality_*.py): a small definition that turns work
around fast, earners submitting distinct work, reviewers working through
their invitations with a scripted behaviour, and the test clock.

Everything goes through the HTTP API, as a person's client would."""
import random
import time

from lifecycle import load_definition, new_user

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fo", "gi", "he"]


def ok(r, code=200):
    assert r[0] == code, r
    return r[1]


def words(rng, n):
    """|n| pseudo-words no two submissions share by chance (the screen for
    near-duplicates must not catch them)."""
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(n))


def fast_definition(cred_id, **maintenance):
    """The sample definition with one-item batches, no cool-off, no seeded
    benchmarks, a per-period quota far above what a scenario gives and
    |maintenance| merged in: work moves as soon as it can."""
    d = load_definition()
    d["id"] = cred_id
    d["title"] = "Quality scenario " + cred_id
    d["review"]["batch_size"] = 1
    d["review"]["cool_off_hours"] = 0
    d["maintenance"]["benchmark_seed_rate"] = 0
    d["pool"]["assignments_per_reviewer"] = 100  # no per-period quota in the way
    d["maintenance"].update(maintenance)
    return d


class Earners:
    """Earners of one node, each submitting distinct work."""

    def __init__(self, node, admin, seed=7):
        self.node, self.admin = node, admin
        self.rng = random.Random(seed)
        self.people = []

    def submit(self, cred_id, k=1, school="Earner School", elements=("criteria", "reflection")):
        """|k| new earners each submit to |cred_id| a text for each of
        |elements|; returns [(submission id, earner Api)]."""
        out = []
        for _ in range(k):
            i = len(self.people)
            uid, api, tok = new_user(self.node, self.admin, "%s-earner%03d" % (cred_id, i),
                                     ["earner"])
            self.people.append((uid, api, tok))
            body = {"credential": cred_id, "school": school, "district": "Earner District",
                    "elements": [{"id": e, "text": words(self.rng, 50)} for e in elements]}
            s = ok(api.post("/v1/submissions", body), 201)
            out.append((s["id"], api))
        return out


def advance(admin, seconds):
    """Moves the node's test clock and waits until the scheduler (which polls
    its stored jobs every second) has run what came due (Node.wait_settled:
    not a fixed time, which a loaded machine outlasts)."""
    ok(admin.post("/v1/test/clock", {"advance_seconds": seconds}))
    admin.node.wait_settled(admin)


def eventually(cond, timeout=60.0):
    """Polls |cond| until it holds or |timeout| seconds pass (the scheduler
    runs what came due once a second, and a job may queue another); returns
    its last value. The bound is one only a stuck node reaches: every caller
    waits for something that must happen, and 6 s was not enough for a
    loaded machine."""
    end = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() > end:
            return v
        time.sleep(0.3)


def invited(api):
    """The reviewer's batches still waiting for an answer."""
    return [b for b in ok(api.get("/v1/reviews/batches"))["items"] if b["state"] == "invited"]


def work(reviewers, level_of, rounds=60, settle=1.3, admin=None):
    """Every reviewer accepts what they are invited to and scores it with
    level_of(uid, assignment) -> level name (or a dict by element), until
    nothing moves for a while (the scheduler runs passes once a second).
    With |admin| (an admin's Api) a round that moved nothing counts as idle
    only once nothing is due at the node either (Node.wait_settled), so a
    loaded machine's slow scheduler is not taken for the end of the work.
    Returns the number of scores given per reviewer id."""
    scored = {uid: 0 for uid, _, _ in reviewers}
    idle = 0
    for _ in range(rounds):
        moved = False
        for uid, api, _ in reviewers:
            for b in ok(api.get("/v1/reviews/batches"))["items"]:
                if b["state"] == "invited":
                    r = api.post("/v1/reviews/batches/%d/accept" % b["id"])
                    if r[0] != 200:
                        continue  # expired meanwhile
                    b = r[1]
                if b["state"] != "accepted":
                    continue
                for it in b["items"]:
                    if it["state"] != "accepted":
                        continue
                    a = ok(api.get("/v1/reviews/assignments/%d" % it["assignment"]))
                    ok(api.post("/v1/reviews/assignments/%d/score" % it["assignment"],
                                {"levels": level_of(uid, a)}))
                    scored[uid] += 1
                    moved = True
        if moved:
            idle = 0
            continue
        if admin is not None:
            admin.node.wait_settled(admin)
        idle += 1
        if idle >= 3:
            break
        time.sleep(settle)
    return scored


def cert_state(admin, ref, uid):
    """The certification state of reviewer |uid| for |ref|, as the issuer
    sees it in the applications list."""
    items = ok(admin.get("/v1/definitions/%s/applications?limit=200" % ref))["items"]
    return {a["user_id"]: a["state"] for a in items}.get(uid)


def flags(admin, kind=None):
    """Open flags, optionally of one kind."""
    items = ok(admin.get("/v1/flags"))["items"]
    return [f for f in items if kind is None or f["kind"] == kind]


def notifications(api, kind=None):
    items = ok(api.get("/v1/notifications"))["items"]
    return [m for m in items if kind is None or m["kind"] == kind]

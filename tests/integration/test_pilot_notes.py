"""test_pilot_notes - an expert's pilot score with notes and, for a rubric
scored per element, a level per element (docs/api-lifecycle.md, Pilot):
the element levels are combined by the definition's rule into the one
level agreement is measured on; notes are kept beside the score, shown to
the expert who wrote them and in the issuer's pilot report, never to the
other expert; they are final with the score; bad input names its field."""
import json
import os

from accordtest import Api, Node, SOURCE, check, skip_unless_built

skip_unless_built()

DATA = os.path.join(SOURCE, "tests", "integration", "data", "lifecycle")
AUDIT = {"impact": "i", "equity": "e", "access": "a", "language": "l", "big_picture": "b"}


def definition(ident, per_element):
    with open(os.path.join(DATA, "definition.json")) as f:
        d = json.load(f)
    d["id"] = ident
    if per_element:
        # Pass only when every element passes; the level is the lowest.
        d["scoring"]["grain"] = "per_element"
        d["scoring"]["combine"] = {"rule": "thresholds"}
    return d


def field_of(answer):
    status, body = answer
    return status, body.get("field") if isinstance(body, dict) else None


with Node(node_id="issuer.pilotnotes") as n:
    admin = Api(n, n.init())
    n.start()

    def user(name, roles):
        st, u = admin.post("/v1/users", {"name": name, "roles": roles})
        assert st == 201, u
        st, t = admin.post("/v1/users/%d/tokens" % u["id"], {"label": "t"})
        assert st == 201, t
        return u["id"], Api(n, t["token"])

    ada_id, ada = user("ada", ["expert"])
    ben_id, ben = user("ben", ["expert"])
    subs = {}
    for ident, per_element in (("per-element", True), ("holistic", False)):
        d = definition(ident, per_element)
        ref = "%s@%d" % (ident, d["version"])
        assert admin.post("/v1/definitions", d)[0] == 201
        assert admin.put("/v1/definitions/%s/audit" % ref, AUDIT)[0] == 200
        st, r = admin.post("/v1/definitions/%s/transition" % ref,
                           {"to": "piloting", "pilot": {"statistic": "exact", "threshold": 0.5}})
        assert st == 200, r
        st, r = admin.post("/v1/definitions/%s/pilot/submissions" % ref, {
            "experts": [ada_id, ben_id],
            "submissions": [{"label": ident + "-1", "content": "Criteria shared; a thin reflection."}]})
        assert st == 201, r
        subs[ident] = (ref, r["submission_ids"][0])
    ref, sub = subs["per-element"]
    score = "/v1/pilot/submissions/%d/score" % sub

    items = {i["submission_id"]: i for i in ada.get("/v1/pilot/assignments")[1]["items"]}
    check(items[sub]["grain"] == "per_element"
          and [e["id"] for e in items[sub]["elements"]] == ["criteria", "reflection"]
          and items[sub]["elements"][0]["prompt"].startswith("Share the success criteria")
          and items[subs["holistic"][1]]["grain"] == "holistic",
          "a pilot assignment says its rubric's grain and lists the elements with their prompts")

    both = {"level": "pass", "levels": {"criteria": "pass", "reflection": "pass"}}
    check(field_of(ada.post(score, both)) == (400, "level"),
          "a pilot score with both one level and element levels is refused naming level")
    check(field_of(ada.post(score, {"levels": {"criteria": "pass", "rubric": "pass"}})) == (400, "levels"),
          "element levels naming no element of the rubric are refused naming levels")
    check(field_of(ada.post(score, {"levels": {"criteria": "pass", "reflection": "pass"},
                                    "element_notes": {"rubric": "x"}})) == (400, "element_notes"),
          "notes on no element of the rubric are refused naming element_notes")
    check(field_of(ada.post(score, {"levels": {"criteria": "pass", "reflection": "pass"},
                                    "notes": "x" * 4001})) == (400, "notes"),
          "notes over 4000 bytes are refused naming notes")
    check(field_of(ada.post(score, {"level": "pass", "notes": 7})) == (400, "notes"),
          "notes that are not text are refused naming notes")

    st, r = ada.post(score, {"levels": {"criteria": "pass", "reflection": "almost there"},
                             "notes": "The rubric does not say how long a reflection is.",
                             "element_notes": {"reflection": "Two sentences; no student work."}})
    # thresholds: the lowest element level, "almost there", which fails.
    check(st == 200 and r["my_level"] == "almost there"
          and r["my_notes"] == "The rubric does not say how long a reflection is."
          and r["my_elements"] == [{"element": "criteria", "level": "pass"},
                                   {"element": "reflection", "level": "almost there",
                                    "notes": "Two sentences; no student work."}],
          "element levels combine by the thresholds rule to the lowest, and the notes come back: %s" % r)
    st, r = ada.post(score, {"levels": {"criteria": "pass", "reflection": "pass"}, "notes": "changed my mind"})
    check(st == 409 and r["type"].endswith("/already-scored"), "a pilot score with notes is final")

    mine = {i["submission_id"]: i for i in ada.get("/v1/pilot/assignments")[1]["items"]}[sub]
    theirs = {i["submission_id"]: i for i in ben.get("/v1/pilot/assignments")[1]["items"]}[sub]
    check(mine["my_level"] == "almost there" and mine["my_notes"].startswith("The rubric")
          and len(mine["my_elements"]) == 2,
          "the expert reads back her own level, notes and element levels")
    check(theirs["my_level"] is None and "my_notes" not in theirs and "my_elements" not in theirs
          and "rubric does not say" not in json.dumps(theirs),
          "the other expert never sees her level or notes")

    st, report = admin.get("/v1/definitions/%s/pilot" % ref)
    scores = {s["expert"]: s for s in report["items"][0]["scores"]}
    check(st == 200 and scores[ada_id]["level"] == "almost there"
          and scores[ada_id]["notes"].startswith("The rubric")
          and scores[ada_id]["elements"][1]["notes"] == "Two sentences; no student work."
          and scores[ben_id]["level"] is None and "notes" not in scores[ben_id],
          "the issuer's pilot report shows each expert's notes and element levels beside the level")

    href, hsub = subs["holistic"]
    hscore = "/v1/pilot/submissions/%d/score" % hsub
    check(field_of(ada.post(hscore, {"levels": {"criteria": "pass"}})) == (400, "levels"),
          "element levels on a holistic rubric are refused naming levels")
    st, r = ada.post(hscore, {"level": "pass", "notes": "Clear enough.",
                              "element_notes": {"criteria": "Specific criteria."}})
    check(st == 200 and r["my_level"] == "pass" and r["my_notes"] == "Clear enough."
          and r["my_elements"] == [{"element": "criteria", "level": None, "notes": "Specific criteria."}],
          "a holistic pilot score takes one level, notes and notes per element")
    st, r = ben.post(hscore, {"level": "almost there"})
    check(st == 200 and "my_notes" not in r and "my_elements" not in r,
          "a score without notes stores none")
    # accordctl: an expert scores a pilot with notes from the command line.
    st, r = admin.post("/v1/definitions/%s/pilot/submissions" % href, {
        "experts": [ada_id, ben_id], "submissions": [{"label": "holistic-2", "content": "Another."}]})
    assert st == 201, r
    ben_token = admin.post("/v1/users/%d/tokens" % ben_id, {"label": "ctl"})[1]["token"]
    out = n.ctl("expert", "score", "pilot", str(r["submission_ids"][0]), "pass", "--notes", "From the shell.",
                token=ben_token, json_out=True)
    check(out.returncode == 0 and out.json["my_level"] == "pass" and out.json["my_notes"] == "From the shell.",
          "accordctl expert score pilot --notes stores the notes (%s %s)" % (out.returncode, out.stderr))
    out = n.ctl("expert", "score", "benchmark", "1", "pass", "--notes", "x", token=ben_token)
    check(out.returncode != 0 and "--notes" in out.stderr,
          "accordctl refuses --notes on a benchmark score, which takes none")
    admin.close()
    ada.close()
    ben.close()
    code = n.stop()
    check(code == 0 and "Sanitizer" not in n.read_stderr(),
          "the node stops cleanly (exit 0, no sanitizer report under ASan)")
print("all checks passed")

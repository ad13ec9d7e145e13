// expert.js - the pilot submissions assigned to this expert, each shown
// beside the rubric and scored independently, with a level (or one per
// element for a per-element rubric) and notes, final once given (the other
// expert's score is never shown); benchmark items assigned to this expert,
// each scored by level; and the items the experts split on, resolved in
// conference to one level with annotations (key characteristics, common
// errors).
import {el, api, start, showError, clearErrors, say, levelSelect, localTime} from "./app.js";

const me = await start();

// Every page of a paged list.
async function all(path) {
  let items = [], cursor = "";
  for (let page = 0; page < 20; page++) {
    const r = await api("GET", path + (path.includes("?") ? "&" : "?") + "limit=200" +
      (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items = items.concat(r.items);
    if (!r.next_cursor) break;
    cursor = r.next_cursor;
  }
  return items;
}

// ---- pilot scoring ----

// The rubric of a credential: its levels with their descriptors, the
// checklist and common errors (the guide the node derives from the definition).
function rubricOf(g) {
  g = g || {levels: [], checklist: [], common_errors: []};
  return el("section", {"aria-label": "Rubric", class: "rubric"}, el("h4", {}, "Rubric"),
    el("dl", {}, g.levels.flatMap((l) => [el("dt", {}, l.level, l.passing ? " (passing)" : ""),
      el("dd", {}, l.descriptor || "No descriptor given.")])),
    g.checklist.length ? [el("h5", {}, "Checklist"), el("ul", {}, g.checklist.map((t) => el("li", {}, t)))] : null,
    g.common_errors.length ? [el("h5", {}, "Common errors"), el("ul", {}, g.common_errors.map((t) => el("li", {}, t)))] : null);
}

// A scored pilot submission: the expert's own level, element levels and
// notes, final.
function pilotResult(it, r, at) {
  return el("div", {class: "pilot-result", "data-pilot": it.submission_id},
    el("p", {}, "Your score for ", it.label, " (", it.credential, "): ", el("strong", {}, r.my_level),
      at ? "; scored " + localTime(at) : "", ". Scores are independent and final."),
    (r.my_elements || []).length
      ? el("ul", {}, r.my_elements.map((e) => el("li", {}, e.element, e.level ? ": " + e.level : "",
          e.notes ? " (" + e.notes + ")" : "")))
      : null,
    r.my_notes ? el("p", {}, "Your notes: ", r.my_notes) : null);
}

function toScore(left, scored) {
  return left + (left === 1 ? " pilot submission" : " pilot submissions") + " to score; " + scored + " scored.";
}

// The scoring fields of pilot submission |it|: one level for a holistic
// rubric, else a level per element; notes on each element and the whole.
function pilotFields(it) {
  const key = "pilot-" + it.submission_id;
  const levels = ((it.guide && it.guide.levels) || []).map((l) => l.level);
  const fields = [];
  if (it.grain !== "per_element")
    fields.push(...levelSelect(key + "-level", "level", levels, "Level for " + it.label));
  for (const e of it.elements || []) {
    const box = el("fieldset", {class: "card", "data-element": e.id}, el("legend", {}, e.prompt || e.id));
    if (it.grain === "per_element")
      box.append(...levelSelect(key + "-level-" + e.id, "levels." + e.id, levels, "Level of " + e.id));
    box.append(el("label", {for: key + "-notes-" + e.id}, "Notes on " + e.id + " (optional)"),
      el("textarea", {id: key + "-notes-" + e.id, name: "element_notes." + e.id, rows: 2}));
    fields.push(box);
  }
  fields.push(el("label", {for: key + "-notes"}, "Notes for the issuer on this submission or the rubric (optional)"),
    el("textarea", {id: key + "-notes", name: "notes", rows: 3}));
  return fields;
}

// The body of a pilot score from |form|'s fields.
function pilotBody(it, form) {
  const body = {};
  if (it.grain === "per_element") {
    body.levels = {};
    for (const e of it.elements) body.levels[e.id] = form.elements["levels." + e.id].value || null;
  } else {
    body.level = form.elements["level"].value;
  }
  const notes = form.elements["notes"].value.trim();
  if (notes) body.notes = notes;
  const byElement = {};
  for (const e of it.elements || []) {
    const t = form.elements["element_notes." + e.id].value.trim();
    if (t) byElement[e.id] = t;
  }
  if (Object.keys(byElement).length) body.element_notes = byElement;
  return body;
}

async function loadPilot() {
  const box = document.getElementById("pilot");
  const items = await all("/v1/pilot/assignments");
  const open = items.filter((it) => !it.my_level);
  const count = el("p", {class: "pilot-count"}, toScore(open.length, items.length - open.length));
  box.replaceChildren(count);
  if (!items.length) { count.textContent = "No pilot submissions are assigned to you."; return; }
  const done = el("ul", {class: "pilot-done"});
  for (const it of items.filter((x) => x.my_level)) done.append(el("li", {}, pilotResult(it, it, it.scored_at)));
  for (const it of open.slice(0, 50)) {
    const form = el("form", {class: "pilot-form", novalidate: true},
      el("section", {"aria-label": "Evidence", class: "evidence"}, el("h4", {}, "Evidence"), el("p", {}, it.content)),
      ...pilotFields(it),
      el("button", {type: "submit"}, "Submit the score for ", it.label));
    const card = el("article", {class: "card", "data-pilot": it.submission_id},
      el("h3", {}, "Pilot submission ", it.label, " (", it.credential, ")"),
      el("div", {class: "review-grid"}, form, rubricOf(it.guide)));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      try {
        const r = await api("POST", "/v1/pilot/submissions/" + it.submission_id + "/score", pilotBody(it, form));
        say("Scored pilot submission " + it.label + " as " + r.my_level + ".");
        card.replaceChildren(el("h3", {}, "Pilot submission ", it.label, " (", it.credential, ")"),
          pilotResult(it, r, null));
        const left = document.querySelectorAll("#pilot form.pilot-form").length;
        count.textContent = toScore(left, items.length - left);
      } catch (err) { showError(form, err); }
    });
    box.append(card);
  }
  if (done.children.length) box.append(el("h3", {}, "Scored"), done);
}
const box = document.getElementById("bench");
const levelsOf = {};

async function levels(ref) {
  if (!levelsOf[ref]) levelsOf[ref] = (await api("GET", "/v1/definitions/" + encodeURIComponent(ref))).definition?.scoring?.levels || [];
  return levelsOf[ref];
}

// The credentials this expert scores benchmark items of.
const credentials = new Set();

async function load() {
  // Every page of assignments, then only the items not yet scored: those
  // are the work; a count says how many are done.
  let items = [], cursor = "";
  for (let page = 0; page < 20; page++) {
    const r = await api("GET", "/v1/benchmarks/assignments?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items = items.concat(r.items);
    for (const it of r.items) credentials.add(it.credential);
    if (!r.next_cursor) break;
    cursor = r.next_cursor;
  }
  const open = items.filter((it) => !it.my_level);
  box.replaceChildren(el("p", {}, open.length, " items to score; ", items.length - open.length, " scored."));
  for (const it of open.slice(0, 50)) {
    const id = "lvl-" + it.item_id;
    const form = el("form", {class: "card", "data-item": it.item_id},
      el("h3", {}, it.label, " (", it.credential, ")"),
      el("p", {}, it.content),
      ...levelSelect(id, "level", await levels(it.credential), "Level for " + it.label),
      el("button", {type: "submit"}, it.my_level ? "Change score" : "Score"),
      it.my_level ? el("p", {class: "muted"}, "Your score: " + it.my_level) : null);
    if (it.my_level) form.querySelector("select").value = it.my_level;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      try {
        await api("POST", "/v1/benchmarks/items/" + it.item_id + "/score", {level: form.elements["level"].value});
        say("Scored " + it.label + " as " + form.elements["level"].value + ".");
        form.replaceChildren(el("p", {}, "Your score for " + it.label + ": " + form.elements["level"].value));
      } catch (err) { showError(form, err); }
    });
    box.append(form);
  }
}
// Conflicts: only once every expert scored an item are the scores shown,
// so no one is swayed before scoring. Items of other experts are listed but
// only their experts (or the issuer) can resolve them.
async function loadConflicts() {
  const box = document.getElementById("conflicts");
  box.replaceChildren();
  let count = 0;
  for (const ref of credentials) {
    const r = await api("GET", "/v1/definitions/" + encodeURIComponent(ref) + "/benchmarks/conflicts");
    for (const it of r.items) {
      if (!it.scores.some((s) => s.expert === me.id)) continue;
      count++;
      const key = "conf-" + it.item_id;
      const form = el("form", {class: "card conflict", "data-item": it.item_id, novalidate: true},
        el("h3", {}, it.label, " (", r.credential, ")"),
        el("p", {}, it.content),
        el("p", {}, "Scores: ", it.scores.map((s) => (s.expert === me.id ? "you" : "expert " + s.expert) + ": " + s.level).join("; ")),
        ...levelSelect(key + "-level", "level", await levels(r.credential), "Level agreed for " + it.label),
        el("label", {for: key + "-key"}, "Key characteristics (what places it at that level)"),
        el("textarea", {id: key + "-key", name: "key_characteristics", rows: 2}),
        el("label", {for: key + "-errors"}, "Common errors (what a reviewer might get wrong)"),
        el("textarea", {id: key + "-errors", name: "common_errors", rows: 2}),
        el("button", {type: "submit"}, "Resolve ", it.label));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        clearErrors(form);
        const f = form.elements;
        try {
          const done = await api("POST", "/v1/benchmarks/items/" + it.item_id + "/resolve", {level: f["level"].value,
            key_characteristics: f["key_characteristics"].value, common_errors: f["common_errors"].value});
          say("Resolved " + it.label + " as " + (done.final_level || f["level"].value) + ".");
          form.replaceChildren(el("p", {class: "resolved"}, it.label, " resolved as ", el("strong", {}, done.final_level || f["level"].value), "."));
        } catch (err) { showError(form, err); }
      });
      box.append(form);
    }
  }
  if (!count) box.prepend(el("p", {}, "No conflicts waiting for you."));
}

await loadPilot();
await load();
await loadConflicts();

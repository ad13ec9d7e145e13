// issuer.js - an issuer's (admin's) screen: users (create, invite by mail,
// set a password), definitions with their lifecycle state, open flags with
// the actions their kind takes, analytics with the SVG charts, records
// (revoke, suspend, reinstate with a reason) and the signing keys.
import {el, api, start, showError, clearErrors, say, localTime, ApiError} from "./app.js";

await start();

async function loadUsers() {
  const r = await api("GET", "/v1/users?limit=200");
  const table = el("table", {}, el("caption", {}, "Users of this node"),
    el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Name"), el("th", {scope: "col"}, "Roles"), el("th", {scope: "col"}, "Sign-in"))));
  const body = el("tbody");
  for (const u of r.items) {
    const invite = el("button", {type: "button", class: "secondary", onclick: async () => {
      try { await api("POST", `/v1/users/${u.id}/invite`, {}); say("A set-password link was mailed to " + u.name + "."); }
      catch (err) { say(err.message); }
    }}, "Invite ", u.name);
    body.append(el("tr", {"data-user": u.id}, el("td", {}, u.display_name, u.disabled ? " (disabled)" : ""),
      el("td", {}, u.roles.join(", ")), el("td", {}, invite)));
  }
  table.append(body);
  document.getElementById("users").replaceChildren(table);
}

document.getElementById("new-user").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    const roles = form.elements["roles"].value.split(",").map((s) => s.trim()).filter(Boolean);
    const u = await api("POST", "/v1/users", {name: form.elements["name"].value, roles});
    say("User " + u.name + " created.");
    form.reset();
    await loadUsers();
  } catch (err) { showError(form, err); }
});

// Every validation problem of a definition, listed beside the editor: the
// node answers 422 with errors[] of {path, message}.
document.getElementById("new-definition").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const area = form.elements["definition"];
  let body;
  try {
    body = JSON.parse(area.value);
  } catch (err) {
    showError(form, new ApiError(400, {detail: "definition: not JSON: " + err.message, field: "definition"}));
    return;
  }
  try {
    const d = await api("POST", "/v1/definitions", body);
    say("Definition " + d.id + "@" + d.version + " saved as a draft.");
    form.reset();
    await loadDefinitions();
  } catch (err) {
    const errors = err instanceof ApiError && Array.isArray(err.problem.errors) ? err.problem.errors : null;
    if (!errors) { showError(form, err); return; }
    const list = el("div", {class: "error", id: "definition-error", role: "alert"},
      el("p", {}, errors.length, errors.length === 1 ? " problem:" : " problems:"),
      el("ul", {}, errors.map((p) => el("li", {}, el("code", {}, p.path), ": ", p.message))));
    area.setAttribute("aria-invalid", "true");
    area.setAttribute("aria-describedby", "definition-error");
    area.insertAdjacentElement("afterend", list);
    area.focus();
  }
});

const STEPS = ["draft", "piloting", "benchmarks", "training", "recruiting", "active"];
async function loadDefinitions() {
  const r = await api("GET", "/v1/definitions");
  const box = document.getElementById("definitions");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No definitions yet."));
  for (const d of r.items) {
    const step = STEPS.indexOf(d.state);
    box.append(el("article", {class: "card"}, el("h3", {}, d.title, " (", d.id, "@", d.version, ")"),
      el("p", {}, "State: ", el("strong", {}, d.state)),
      step >= 0 ? el("progress", {max: STEPS.length - 1, value: step, "aria-label": "Lifecycle of " + d.id + ": " + d.state}) : null,
      el("p", {class: "muted"}, "Updated ", localTime(d.updated_at))));
  }
}

// A flag's detail object as "key: value" lines.
function detailLines(detail) {
  if (detail === null || detail === undefined) return [];
  if (typeof detail !== "object") return [String(detail)];
  return Object.entries(detail).map(([k, v]) => k.replace(/_/g, " ") + ": " + (typeof v === "object" ? JSON.stringify(v) : v));
}

const levelsOf = {};
async function levels(credential) {
  if (!levelsOf[credential])
    levelsOf[credential] = (await api("GET", "/v1/definitions/" + encodeURIComponent(credential))).definition.scoring.levels;
  return levelsOf[credential];
}

// The actions a flag's kind takes (node/review/flags.c): a near-duplicate
// is dismissed (queued for review) or rejected; an escalation is decided
// with a level; any other finding is acknowledged.
async function flagForm(f) {
  const form = el("form", {class: "flag-form", novalidate: true});
  const act = (action) => async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {action};
    if (action === "decide") body.level = form.elements["level"].value;
    try {
      await api("POST", "/v1/flags/" + f.id + "/resolve", body);
      say("Flag " + f.id + ": " + action + " done.");
      await loadFlags();
    } catch (err) { showError(form, err); }
  };
  if (f.kind === "near_duplicate") {
    form.append(el("div", {class: "row"},
      el("button", {type: "button", onclick: act("dismiss")}, "Dismiss flag ", f.id, " (review the submission)"),
      el("button", {type: "button", class: "secondary", onclick: act("reject")}, "Reject submission of flag ", f.id)));
  } else if (f.kind === "escalation") {
    const id = "flag-level-" + f.id;
    const sel = el("select", {id, name: "level"}, el("option", {value: ""}, "Choose a level"));
    for (const l of await levels(f.credential)) sel.append(el("option", {value: l}, l));
    form.append(el("label", {for: id}, "Level decided"), sel,
      el("button", {type: "button", onclick: act("decide")}, "Decide flag ", f.id));
  } else {
    form.append(el("button", {type: "button", class: "secondary", onclick: act("acknowledge")}, "Acknowledge flag ", f.id));
  }
  return form;
}

async function loadFlags() {
  const r = await api("GET", "/v1/flags");
  const box = document.getElementById("flags");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No open flags."));
  for (const f of r.items)
    box.append(el("article", {class: "card", "data-flag": f.id}, el("h3", {}, "Flag ", f.id, ": ", f.kind.replace(/_/g, " ")),
      el("p", {}, f.credential, f.submission ? ", submission " + f.submission : "", f.reviewer ? ", reviewer " + f.reviewer : ""),
      el("ul", {}, detailLines(f.detail).map((t) => el("li", {}, t))),
      el("p", {class: "muted"}, "Raised ", localTime(f.created_at)),
      await flagForm(f)));
}

// ---- analytics ----

function figure(v, digits = 2) {
  return v === null || v === undefined ? "–" : typeof v === "number" && !Number.isInteger(v) ? v.toFixed(digits) : String(v);
}

async function loadAnalytics() {
  const defs = (await api("GET", "/v1/definitions")).items.filter((d) => d.state === "active" || d.state === "retired");
  const ids = [...new Set(defs.map((d) => d.id))];
  const box = document.getElementById("analytics");
  box.replaceChildren();
  if (!ids.length) box.append(el("p", {}, "No active credential yet."));
  for (const id of ids) {
    const a = await api("GET", "/v1/analytics/credentials/" + encodeURIComponent(id));
    const base = "/v1/analytics/credentials/" + encodeURIComponent(id);
    const rows = [["Submissions", a.submissions], ["Decided", a.decided], ["Passed", a.passed],
      ["Pass rate", a.pass_rate === null ? null : Math.round(a.pass_rate * 100) + "%"],
      ["Escalated", a.escalated], ["Flagged", a.flagged], ["Backlog", a.backlog],
      ["Certified reviewers", a.certified_reviewers], ["Capacity per period", a.capacity_per_period],
      ["Discrepancy rate", a.discrepancy_rate]];
    box.append(el("article", {class: "card", "data-analytics": id}, el("h3", {}, id),
      el("table", {}, el("caption", {}, "Figures for ", id),
        el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", {scope: "row"}, k), el("td", {}, figure(v)))))),
      el("img", {src: base + "/agreement.svg", class: "chart", alt: "Chart: exact agreement and Krippendorff's alpha per week of decisions for " + id}),
      el("img", {src: base + "/severity.svg", class: "chart", alt: "Chart: the reviewer pool's severity distribution for " + id}),
      el("p", {}, el("a", {href: base + "/reviewers?format=csv", download: id + "-reviewers.csv"}, "Download each reviewer's figures (CSV)"))));
  }
}

// ---- records ----

const VERBS = [["revoke", "Revoke"], ["suspend", "Suspend"], ["reinstate", "Reinstate"]];

// Records issued on decisions, newest first, each with its status and the
// three actions; records issued otherwise are reached by id above.
async function loadRecords() {
  let subs = [], cursor = "";
  for (let page = 0; page < 25; page++) {
    const r = await api("GET", "/v1/submissions?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    subs = subs.concat(r.items.filter((s) => s.record));
    if (!r.next_cursor) break;
    cursor = r.next_cursor;
  }
  subs.sort((a, b) => b.record - a.record);
  const box = document.getElementById("records");
  box.replaceChildren(el("h3", {}, "Records issued on decisions"));
  if (!subs.length) box.append(el("p", {}, "None yet."));
  for (const s of subs.slice(0, 50)) {
    const rec = await api("GET", "/v1/credentials/" + s.record + "?format=json");
    const id = "rec-reason-" + s.record;
    const form = el("form", {class: "card", "data-record": s.record, novalidate: true},
      el("h4", {}, "Record ", s.record, ": ", rec.definition_id, " version ", rec.definition_version),
      el("p", {}, "Level ", rec.achieved_level, "; issued ", localTime(rec.issued_at), "; status ",
        el("strong", {class: "record-status"}, rec.status), "; submission ", s.id),
      el("label", {for: id}, "Reason for a change to record " + s.record),
      el("input", {id, name: "reason", required: true}),
      el("div", {class: "row"}, VERBS.map(([verb, label]) =>
        el("button", {type: "submit", value: verb, class: verb === "revoke" ? "" : "secondary"}, label, " record ", s.record))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const verb = e.submitter ? e.submitter.value : "suspend";
      try {
        await api("POST", `/v1/credentials/${s.record}/${verb}`, {reason: form.elements["reason"].value});
        say("Record " + s.record + ": " + verb + " done.");
        await loadRecords();
      } catch (err) { showError(form, err); }
    });
    box.append(form);
  }
}

// ---- keys ----

async function loadKeys() {
  const r = await api("GET", "/v1/keys");
  document.getElementById("keys").replaceChildren(el("table", {},
    el("caption", {}, "Keys this node signs with, and signed with"),
    el("thead", {}, el("tr", {}, ["Key id", "Valid from", "Valid until", "did:key"].map((h) => el("th", {scope: "col"}, h)))),
    el("tbody", {}, r.keys.map((k) => el("tr", {"data-kid": k.kid, class: k.current ? "current" : ""},
      el("td", {}, k.kid, k.current ? " (current)" : ""), el("td", {}, localTime(k.valid_from)),
      el("td", {}, k.valid_until ? localTime(k.valid_until) : "–"), el("td", {}, k.did_key))))));
}

document.getElementById("rotate-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    await api("POST", "/v1/keys/rotate", {});
    say("The signing key was rotated.");
    await loadKeys();
  } catch (err) { showError(form, err); }
});

document.getElementById("record-action").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const id = form.elements["id"].value.trim();
  try {
    await api("POST", `/v1/credentials/${encodeURIComponent(id)}/${form.elements["verb"].value}`, {reason: form.elements["reason"].value});
    const rec = await api("GET", `/v1/credentials/${encodeURIComponent(id)}?format=json`);
    document.getElementById("record-result").replaceChildren(
      el("p", {}, "Record ", id, " is now ", el("strong", {}, rec.status || form.elements["verb"].value), "."));
    say("Record " + id + ": " + form.elements["verb"].value + " done.");
    await loadRecords();
  } catch (err) { showError(form, err); }
});

await Promise.all([loadUsers(), loadDefinitions(), loadFlags(), loadAnalytics(), loadRecords(), loadKeys()]);

// issuer.js - an issuer's (admin's) screen: users (create, invite by mail,
// set a password), definitions with their lifecycle state, open flags, and
// records (revoke, suspend, reinstate with a reason).
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

async function loadFlags() {
  const r = await api("GET", "/v1/flags");
  const box = document.getElementById("flags");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No open flags."));
  for (const f of r.items)
    box.append(el("article", {class: "card"}, el("h3", {}, "Flag ", f.id, ": ", f.kind),
      el("p", {}, f.detail || f.reason || ""), el("p", {class: "muted"}, localTime(f.created_at))));
}

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
  } catch (err) { showError(form, err); }
});

await Promise.all([loadUsers(), loadDefinitions(), loadFlags()]);

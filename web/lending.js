// lending.js - the lending policy screen of an issuer (admin) whose node
// lends reviewers: the policy per peer and credential (who may be lent, the
// monthly cap per reviewer, blackout days, own queue first), set, edited
// and removed with every refusal of the API beside its field, a capacity
// offer sent on demand; and, the other way round, the capacity other nodes
// offer this one. One more client of /v1/federation/lending and
// /v1/federation/capacity (docs/borrowing.md).
import {el, api, start, showError, clearErrors, say, localTime, ApiError} from "./app.js";

await start();

const form = document.getElementById("policy");

function path(peer, credential) {
  return "/v1/federation/lending/" + encodeURIComponent(peer) + "/" + encodeURIComponent(credential);
}

// "2026-12-20 to 2027-01-03" (or "..") a line; a single day stands for itself.
// A line that is neither goes to the node as it is, which names what is wrong.
function blackouts(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const parts = l.split(/\s+to\s+|\s*\.\.\s*/);
    return parts.length === 2 ? {from: parts[0], until: parts[1]} : parts.length === 1 && !/\s/.test(l)
      ? {from: l, until: l} : {from: l, until: ""};
  });
}

// A number when the text is one, else the text, so the node's refusal
// quotes what was typed.
function integer(text) {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

function fill(p) {
  clearErrors(form);
  form.elements["peer"].value = p.peer;
  form.elements["credential"].value = p.credential;
  const all = p.reviewers === "all";
  document.getElementById(all ? "who-all" : "who-listed").checked = true;
  form.elements["reviewers"].value = all ? "" : p.reviewers.join(", ");
  form.elements["monthly_cap"].value = p.monthly_cap;
  form.elements["blackouts"].value = p.blackouts.map((b) => b.from + " to " + b.until).join("\n");
  form.elements["own_first"].checked = p.own_first;
  form.elements["credential"].focus();
  say("Editing the policy for " + p.peer + " and " + p.credential + ".");
}

function policyCard(p) {
  const key = p.peer + "-" + p.credential;
  const card = el("form", {class: "card", "data-policy": key, novalidate: true},
    el("h3", {}, p.peer, ": ", p.credential),
    el("dl", {},
      el("dt", {}, "Who may be lent"), el("dd", {class: "policy-reviewers"}, p.reviewers === "all" ? "every reviewer of this node" : "users " + p.reviewers.join(", ")),
      el("dt", {}, "Reviews per reviewer per month"), el("dd", {class: "policy-cap"}, p.monthly_cap),
      el("dt", {}, "Blackouts"), el("dd", {}, p.blackouts.length ? p.blackouts.map((b) => b.from + " to " + b.until).join("; ") : "none"),
      el("dt", {}, "Own queue first"), el("dd", {}, p.own_first ? "yes" : "no"),
      el("dt", {}, "Changed"), el("dd", {}, localTime(p.updated))),
    el("div", {class: "row"},
      el("button", {type: "button", class: "secondary", onclick: () => fill(p)}, "Edit the policy for ", p.peer, " and ", p.credential),
      el("button", {type: "button", class: "secondary", onclick: async () => {
        clearErrors(card);
        try {
          await api("POST", "/v1/federation/lending/" + encodeURIComponent(p.peer) + "/offer", {});
          say("A capacity offer to " + p.peer + " is queued.");
        } catch (err) { showError(card, err); }
      }}, "Offer capacity to ", p.peer, " now"),
      el("button", {type: "button", class: "secondary", onclick: async () => {
        clearErrors(card);
        try {
          await api("DELETE", path(p.peer, p.credential));
          say("The policy for " + p.peer + " and " + p.credential + " is removed: nothing more is lent for it.");
          await loadPolicies();
        } catch (err) { showError(card, err); }
      }}, "Remove the policy for ", p.peer, " and ", p.credential)),
    el("p", {class: "form-error"}));
  card.addEventListener("submit", (e) => e.preventDefault());
  return card;
}

async function loadPolicies() {
  const r = await api("GET", "/v1/federation/lending");
  const box = document.getElementById("policies");
  box.replaceChildren(...(r.items.length ? r.items.map(policyCard) : [el("p", {}, "No policy yet: this node lends no reviewer.")]));
}

async function loadPeers() {
  const sel = form.elements["peer"];
  const r = await api("GET", "/v1/federation/peers");
  sel.replaceChildren(el("option", {value: ""}, "Choose a peer"),
    ...r.items.map((p) => el("option", {value: p.node}, p.node, " (rights here: ", p.rights, ")")));
}

// This node's reviewers, so the admin can name them by id.
async function loadReviewers() {
  const r = await api("GET", "/v1/users?limit=200");
  const mine = r.items.filter((u) => u.roles.includes("reviewer") && !u.disabled);
  document.getElementById("policy-reviewers-hint").textContent = mine.length
    ? "Reviewers of this node: " + mine.map((u) => u.display_name + " (" + u.id + ")").join(", ") + "."
    : "This node has no reviewers yet.";
}

async function loadCapacity() {
  const r = await api("GET", "/v1/federation/capacity");
  const box = document.getElementById("capacity");
  if (!r.items.length) { box.replaceChildren(el("p", {}, "No peer offers us reviewers yet.")); return; }
  box.replaceChildren(el("div", {class: "wide", tabindex: 0, role: "region", "aria-label": "Reviewers offered to this node"},
    el("table", {}, el("caption", {}, "Reviewers offered to this node"),
    el("thead", {}, el("tr", {}, ["Peer", "Credential", "Reviewer", "Reviews a month", "Certified by us", "Offered"].map((h) => el("th", {scope: "col"}, h)))),
    el("tbody", {}, r.items.map((c) => el("tr", {},
      el("td", {}, c.peer), el("td", {}, c.credential), el("td", {}, "user ", c.home_user, " there (here ", c.user_id, ")"),
      el("td", {}, c.slots), el("td", {}, c.certified_at_home ? "yes" : "not yet"), el("td", {}, localTime(c.offered))))))));
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors(form);
  const peer = form.elements["peer"].value;
  const credential = form.elements["credential"].value.trim();
  // Both are the policy's address, not its body: without them there is
  // nothing to ask the node.
  if (!peer) { showError(form, new ApiError(400, {detail: "peer: choose the peer the policy lends to", field: "peer"})); return; }
  if (!credential) { showError(form, new ApiError(400, {detail: "credential: the peer's credential id is required", field: "credential"})); return; }
  const listed = document.getElementById("who-listed").checked;
  const body = {
    reviewers: listed ? form.elements["reviewers"].value.split(",").map((s) => s.trim()).filter(Boolean).map(integer) : "all",
    monthly_cap: integer(form.elements["monthly_cap"].value),
    blackouts: blackouts(form.elements["blackouts"].value),
    own_first: form.elements["own_first"].checked,
  };
  try {
    const p = await api("PUT", path(peer, credential), body);
    say("The policy for " + p.peer + " and " + p.credential + " is saved and offered to " + p.peer + ".");
    await loadPolicies();
  } catch (err) { showError(form, err); }
});

try {
  await Promise.all([loadPeers(), loadPolicies(), loadReviewers(), loadCapacity()]);
} catch (err) {
  document.getElementById("policies").replaceChildren(el("p", {class: "error", role: "alert"}, err.message));
}

// recognizer.js - a recognizer verifies a credential a teacher presents: the
// file goes to the node's presentation endpoint, which verifies it itself
// (signature, key window, log inclusion, status fetched from the issuer, as
// accord-verify does) and ties it to the teacher; the page shows each check
// and the three-valued verdict the node reached. The browser decides nothing.
// Also: a teacher's recognized total, my policies (add, retire) and the
// approval requests teachers addressed to me (approve, deny with a reason).
import {el, api, start, showError, clearErrors, say, localTime, ApiError} from "./app.js";
import {toB64url, isBundle} from "./present.js";

const me = await start();

function showResult(p) {
  const box = document.getElementById("result");
  const rows = (p.checks || []).map((c) => el("tr", {"data-check": c.check},
    el("th", {scope: "row"}, c.check), el("td", {class: "result-" + c.result}, c.result), el("td", {}, c.reason)));
  box.replaceChildren(
    el("h2", {id: "verdict-h", tabindex: -1}, "Verdict: ", el("span", {id: "verdict", class: "status-" + p.verdict}, p.verdict)),
    el("table", {}, el("caption", {}, "Each check the node made"),
      el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Check"), el("th", {scope: "col"}, "Result"), el("th", {scope: "col"}, "Reason"))),
      el("tbody", {}, rows)),
    el("p", {}, "Credential ", p.credential_id, " version ", String(p.credential_version),
      " from ", p.issuer, ", level ", p.achieved_level,
      p.ceus !== null && p.ceus !== undefined ? ", " + p.ceus + " CEUs" : ""),
    el("p", {}, "Recorded as presentation ", String(p.id), " for teacher ", p.teacher, "."));
}

document.getElementById("verify-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const file = form.elements["file"].files[0];
  if (!file) {
    showError(form, new ApiError(400, {detail: "file: choose the credential file the teacher gave you", field: "file"}));
    return;
  }
  say("Verifying with the issuer…");
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const body = {teacher: form.elements["teacher"].value, email: form.elements["email"].value};
    body[isBundle(bytes) ? "bundle" : "record"] = toB64url(bytes);
    const p = await api("POST", "/v1/recognition/presentations", body);
    showResult(p);
    say("Verified: " + p.verdict + ".");
    document.getElementById("verdict-h").focus();
  } catch (err) {
    say("");
    showError(form, err);
  }
});

// ---- a teacher's total ----

const PURPOSES = {ceu: "CEUs", pay_scale: "Pay scale", relicensure: "Relicensure"};

document.getElementById("total-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const teacher = form.elements["teacher"].value.trim();
  say("Checking each credential's status with its issuer…");
  try {
    const t = await api("GET", "/v1/recognition/teachers/" + encodeURIComponent(teacher) + "/total");
    document.getElementById("total").replaceChildren(
      el("table", {class: "totals"}, el("caption", {}, "Recognized for ", t.teacher),
        el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Toward"), el("th", {scope: "col"}, "CEUs"))),
        el("tbody", {}, Object.entries(t.totals).map(([k, v]) =>
          el("tr", {"data-purpose": k}, el("th", {scope: "row"}, PURPOSES[k] || k), el("td", {}, v))))),
      t.credentials.length
        ? el("ul", {}, t.credentials.map((c) => el("li", {}, c.credential_id, " version ", c.credential_version,
            " from ", c.issuer, ": ", c.ceus, " toward ", PURPOSES[c.purpose] || c.purpose)))
        : el("p", {}, "No valid presented credential counts yet."));
    say("");
  } catch (err) { say(""); showError(form, err); }
});

// ---- policies ----

async function loadPolicies() {
  const r = await api("GET", "/v1/recognition/policies?recognizer=" + me.id);
  const box = document.getElementById("policies");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No active policies."));
  for (const p of r.items)
    box.append(el("article", {class: "card", "data-policy": p.id},
      el("h3", {}, p.credential_id, " toward ", PURPOSES[p.purpose] || p.purpose),
      el("p", {}, "From ", p.issuer, ", version ", p.min_version, " or later; ",
        p.ceus === null ? "the record's own CEUs" : p.ceus + " CEUs",
        p.requires_approval ? "; approval needed before starting" : "", p.note ? "; " + p.note : ""),
      el("p", {class: "muted"}, "Since ", localTime(p.created_at)),
      el("button", {type: "button", class: "secondary", onclick: async () => {
        try {
          await api("POST", "/v1/recognition/policies/" + p.id + "/retire", {});
          say("Policy " + p.id + " retired.");
          await loadPolicies();
        } catch (err) { say(err.message); }
      }}, "Retire policy ", p.id)));
}

document.getElementById("policy-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const f = form.elements;
  const body = {credential_id: f["credential_id"].value.trim(), purpose: f["purpose"].value,
    requires_approval: f["requires_approval"].checked};
  if (f["issuer"].value.trim()) body.issuer = f["issuer"].value.trim();
  const version = f["min_version"].value.trim();
  if (version) body.min_version = /^[0-9]+$/.test(version) ? Number(version) : version;
  const ceus = f["ceus"].value.trim();
  if (ceus) body.ceus = isNaN(Number(ceus)) ? ceus : Number(ceus);
  if (f["note"].value.trim()) body.note = f["note"].value.trim();
  try {
    const p = await api("POST", "/v1/recognition/policies", body);
    say("Policy " + p.id + " added.");
    form.reset();
    await loadPolicies();
  } catch (err) { showError(form, err); }
});

// ---- approvals ----

async function loadApprovals() {
  const r = await api("GET", "/v1/approvals");
  const box = document.getElementById("approvals");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No approval requests."));
  for (const a of r.items) {
    const card = el("article", {class: "card", "data-approval": a.id},
      el("h3", {}, "Request ", a.id, ": ", a.credential_id),
      el("p", {}, "Teacher account ", a.earner_id, " asks to pursue ", a.credential_id, " from ", a.issuer,
        a.note ? ": " + a.note : ""),
      el("p", {}, "State: ", el("strong", {class: "approval-state"}, a.state),
        a.reason ? "; " + a.reason : "", "; asked ", localTime(a.requested_at),
        a.decided_at ? "; decided " + localTime(a.decided_at) : ""));
    if (a.state === "pending") {
      const id = "appr-reason-" + a.id;
      const form = el("form", {class: "decide-form", novalidate: true},
        el("label", {for: id}, "Reason (required to deny)"), el("input", {id, name: "reason"}),
        el("div", {class: "row"},
          el("button", {type: "submit", value: "approve"}, "Approve request ", a.id),
          el("button", {type: "submit", value: "deny", class: "secondary"}, "Deny request ", a.id)));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        clearErrors(form);
        const decision = e.submitter ? e.submitter.value : "approve";
        const body = {decision};
        if (form.elements["reason"].value.trim()) body.reason = form.elements["reason"].value.trim();
        try {
          await api("POST", "/v1/approvals/" + a.id + "/decision", body);
          say("Request " + a.id + (decision === "approve" ? " approved." : " denied."));
          await loadApprovals();
        } catch (err) { showError(form, err); }
      });
      card.append(form);
    }
    box.append(card);
  }
}

await Promise.all([loadPolicies(), loadApprovals()]);

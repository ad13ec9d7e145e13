// recognizer.js - a recognizer verifies a credential a teacher presents: the
// file goes to the node's presentation endpoint, which verifies it itself
// (signature, key window, log inclusion, status fetched from the issuer, as
// accord-verify does) and ties it to the teacher; the page shows each check
// and the three-valued verdict the node reached. The browser decides nothing.
import {el, api, start, showError, clearErrors, say, ApiError} from "./app.js";
import {toB64url, isBundle} from "./present.js";

await start();

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

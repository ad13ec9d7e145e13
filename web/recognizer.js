// recognizer.js - a recognizer verifies a credential a teacher presents:
// the file is checked here (verify.js: each check and the three-valued
// verdict, as accord-verify reports them) and the result is recorded with
// the node's presentation endpoint, which ties it to the teacher.
import {el, api, start, showError, clearErrors, say, ApiError} from "./app.js";
import {verify, toB64url} from "./verify.js";

await start();

function showResult(res, recorded) {
  const box = document.getElementById("result");
  const rows = res.checks.map((c) => el("tr", {"data-check": c.check},
    el("th", {scope: "row"}, c.check), el("td", {class: "result-" + c.result}, c.result), el("td", {}, c.reason)));
  box.replaceChildren(
    el("h2", {id: "verdict-h", tabindex: -1}, "Verdict: ", el("span", {id: "verdict", class: "status-" + res.verdict}, res.verdict)),
    el("table", {}, el("caption", {}, "Each check of the ", res.kind),
      el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Check"), el("th", {scope: "col"}, "Result"), el("th", {scope: "col"}, "Reason"))),
      el("tbody", {}, rows)),
    res.claims ? el("p", {}, "Credential ", res.claims.definition_id, " version ", res.claims.definition_version,
      ", level ", res.claims.achieved_level,
      res.claims.ceu_hundredths !== undefined ? ", " + res.claims.ceu_hundredths / 100 + " CEUs" : "") : null,
    recorded ? el("p", {}, "Recorded as presentation ", recorded.id, " for teacher ", recorded.teacher, ".") : null);
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
  say("Verifying…");
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const res = await verify(bytes);
    let recorded = null;
    if (res.claims) {
      const body = {teacher: form.elements["teacher"].value,
        verification: {verdict: res.verdict, checks: res.checks, claims: {cti: res.claims.cti}}};
      body[res.kind] = toB64url(res.kind === "bundle" ? bytes : res.record);
      recorded = await api("POST", "/v1/recognition/presentations", body);
    }
    showResult(res, recorded);
    say("Verified: " + res.verdict + ".");
    document.getElementById("verdict-h").focus();
  } catch (err) {
    say("");
    showError(form, err);
  }
});

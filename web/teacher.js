// teacher.js - a teacher's screen: the catalog, submitting evidence (text
// and files, uploaded with progress), my submissions with their status and
// outcome, and my credentials with their downloads.
import {el, api, start, showError, clearErrors, say, localTime} from "./app.js";

await start();
const defs = {};

async function definition(id, version) {
  const ref = id + "@" + version;
  if (!defs[ref]) defs[ref] = (await api("GET", "/v1/definitions/" + encodeURIComponent(ref))).definition;
  return defs[ref];
}

// One line of text per review that has feedback: "Reviewer 1 (pass): ...",
// with each element's level and feedback when the rubric is per element.
function feedbackLines(s) {
  return (s.feedback || []).map((f) => {
    const parts = [f.feedback].concat((f.elements || []).filter((e) => e.feedback)
      .map((e) => e.element + (e.level ? " (" + e.level + ")" : "") + ": " + e.feedback))
      .filter(Boolean);
    return parts.length ? "Reviewer " + f.reviewer + (f.level ? " (" + f.level + ")" : "") +
      ": " + parts.join("; ") : null;
  }).filter(Boolean);
}

async function loadCatalog() {
  const r = await api("GET", "/v1/catalog");
  const box = document.getElementById("catalog");
  const select = document.getElementById("credential");
  box.replaceChildren();
  select.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No credentials are open for submissions yet."));
  for (const c of r.items) {
    box.append(el("article", {class: "card"},
      el("h3", {}, c.title),
      el("p", {}, c.competency),
      el("p", {class: "muted"}, "Credential ", c.credential_id, ", version ", c.version,
        c.domains.length ? "; domains: " + c.domains.join(", ") : "")));
    select.append(el("option", {value: c.credential_id + "@" + c.version}, c.title));
  }
  await showElements();
}

async function showElements() {
  const box = document.getElementById("elements");
  box.replaceChildren();
  const value = document.getElementById("credential").value;
  if (!value) return;
  const [id, version] = value.split("@");
  const d = await definition(id, version);
  for (const e of d.submission.elements) {
    box.append(el("fieldset", {class: "card", "data-element": e.id},
      el("legend", {}, e.prompt),
      el("label", {for: "text-" + e.id}, "Your text"),
      el("textarea", {id: "text-" + e.id, name: "text-" + e.id, rows: 4}),
      el("label", {for: "file-" + e.id}, "Or a file"),
      el("input", {id: "file-" + e.id, name: "file-" + e.id, type: "file"})));
  }
}
document.getElementById("credential").addEventListener("change", showElements);

async function sha256(file) {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

document.getElementById("submit").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const [credential, version] = form.elements["credential"].value.split("@");
  const progress = document.getElementById("upload-progress");
  try {
    const elements = [];
    for (const fs of form.querySelectorAll("fieldset[data-element]")) {
      const id = fs.dataset.element;
      const text = fs.querySelector("textarea").value.trim();
      const file = fs.querySelector("input[type=file]").files[0];
      if (file) {
        progress.hidden = false;
        const hash = await sha256(file);
        const type = encodeURIComponent(file.type || "application/octet-stream");
        const art = await api("POST", `/v1/artifacts?sha256=${hash}&media_type=${type}`, file,
          (f) => { progress.value = f; });
        elements.push({id, artifact: art.sha256});
      } else if (text) {
        elements.push({id, text});
      }
    }
    const s = await api("POST", "/v1/submissions", {credential, version: Number(version), elements});
    say("Submission " + s.id + " received; it is " + s.state + ".");
    form.reset();
    progress.hidden = true;
    await loadSubmissions();
  } catch (err) {
    progress.hidden = true;
    showError(form, err);
  }
});

async function loadSubmissions() {
  const r = await api("GET", "/v1/submissions");
  const subs = document.getElementById("submissions");
  const creds = document.getElementById("credentials");
  subs.replaceChildren();
  creds.replaceChildren();
  if (!r.items.length) subs.append(el("p", {}, "You have not submitted anything yet."));
  let earned = 0;
  for (const s of r.items) {
    subs.append(el("article", {class: "card", "data-submission": s.id},
      el("h3", {}, "Submission ", s.id, ": ", s.credential, " version ", s.version),
      el("p", {}, "Status: ", el("strong", {}, s.state),
        s.level ? "; level reached: " + s.level : "",
        s.passed === true ? " (passed)" : s.passed === false ? " (not passed)" : ""),
      s.reason ? el("p", {}, "Decision: ", s.reason) : null,
      feedbackLines(s).length
        ? el("div", {class: "feedback"}, el("h4", {}, "Reviewer feedback"),
            el("ul", {}, feedbackLines(s).map((f) => el("li", {}, f))))
        : null,
      el("p", {class: "muted"}, "Submitted ", localTime(s.created_at),
        s.decided_at ? "; decided " + localTime(s.decided_at) : "",
        s.resubmit_after ? "; you may resubmit after " + localTime(s.resubmit_after) : "")));
    if (s.record) {
      earned++;
      const base = "/v1/credentials/" + s.record;
      creds.append(el("article", {class: "card", "data-record": s.record},
        el("h3", {}, s.credential, " (record ", s.record, ")"),
        el("ul", {},
          el("li", {}, el("a", {href: base + "/bundle", download: "credential-" + s.record + ".bundle"}, "Download the bundle (record, proof and status)")),
          el("li", {}, el("a", {href: base, download: "credential-" + s.record + ".cose"}, "Download the COSE record")),
          el("li", {}, el("a", {href: base + "?format=json"}, "View the record's summary")),
          el("li", {}, el("a", {href: base + "/qr.png", download: "credential-" + s.record + ".png"}, "Download a QR code of the record"))),
        el("img", {src: base + "/qr.png", alt: "QR code of credential record " + s.record, class: "qr", width: 160, height: 160})));
    }
  }
  if (!earned) creds.append(el("p", {}, "No credentials yet."));
}

await loadCatalog();
await loadSubmissions();

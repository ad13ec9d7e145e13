// teacher.js - a teacher's screen: the catalog with who counts each
// credential and, where a district (recognizer) must approve it first,
// asking that approval and its state; submitting evidence (text and files,
// uploaded with progress), my submissions with their status and outcome
// (resubmitting after the wait, appealing a decision), and my credentials
// with their downloads and share links.
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

// ---- approvals: a recognizer whose policy requires it approves a
// credential before the teacher starts it (docs/api-recognition.md).

let approvals = [];        // my requests, as GET /v1/approvals gives them
const recognizerName = {}; // recognizer id -> display name, from the catalog
const PURPOSES = {ceu: "CEUs", pay_scale: "the pay scale", relicensure: "relicensure"};

function nameOf(id) {
  return recognizerName[id] || "recognizer " + id;
}

// My newest request to |recognizer| for |credential|, if any.
function requestFor(recognizer, credential) {
  return approvals.filter((a) => a.recognizer_id === recognizer && a.credential_id === credential)
    .sort((a, b) => b.id - a.id)[0];
}

// Who counts catalog entry |c| and for what, then for each recognizer that
// must approve it first: my request's state, or a form to ask (again,
// after a denial).
function recognitionPart(c) {
  const box = el("div", {class: "recognitions", "data-credential": c.credential_id});
  const recs = c.recognitions || [];
  if (!recs.length) return box;
  box.append(el("ul", {}, recs.map((p) => el("li", {}, "Counted by ", nameOf(p.recognizer_id), " for ",
    PURPOSES[p.purpose] || p.purpose, p.ceus !== null && p.ceus !== undefined ? " (" + p.ceus + " CEUs)" : "",
    p.requires_approval ? "; approval needed before you start" : ""))));
  const asked = new Set();
  for (const p of recs) {
    if (!p.requires_approval || asked.has(p.recognizer_id)) continue;
    asked.add(p.recognizer_id);
    const who = nameOf(p.recognizer_id);
    const mine = requestFor(p.recognizer_id, c.credential_id);
    if (mine && mine.state !== "denied") {
      box.append(el("p", {class: "approval", "data-approval": mine.id}, "Approval by ", who, ": ",
        el("strong", {class: "approval-state"}, mine.state), "; asked ", localTime(mine.requested_at),
        mine.decided_at ? "; decided " + localTime(mine.decided_at) : ""));
      continue;
    }
    const id = "approval-note-" + c.from + "-" + c.credential_id + "-" + p.recognizer_id;
    const form = el("form", {class: "approval-form", novalidate: true},
      mine ? el("p", {}, who, " denied your last request: ", mine.reason, ". You may ask again.") : null,
      el("label", {for: id}, "A note to ", who, " (optional)"),
      el("textarea", {id, name: "note", rows: 2}),
      el("button", {type: "submit", class: "secondary"},
        "Ask ", who, " to approve ", c.title));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const body = {recognizer_id: p.recognizer_id, credential_id: c.credential_id};
      const note = form.elements["note"].value.trim();
      if (note) body.note = note;
      // A peer's credential is named with its issuer; this node's own by default.
      if (c.from !== "self") body.issuer = c.issuer;
      try {
        const a = await api("POST", "/v1/approvals", body);
        say("Asked " + who + " to approve " + c.title + "; the request is " + a.state + ".");
        await loadApprovals();
      } catch (err) { showError(form, err); }
    });
    box.append(form);
  }
  return box;
}

let catalogItems = [];

// Draws my requests, and the approval part of every catalog entry again.
function drawApprovals() {
  const box = document.getElementById("approvals");
  box.replaceChildren();
  if (!approvals.length) box.append(el("p", {}, "You have not asked for any approval."));
  for (const a of [...approvals].sort((x, y) => y.id - x.id))
    box.append(el("article", {class: "card", "data-approval": a.id},
      el("h3", {}, a.credential_id, ": ", nameOf(a.recognizer_id)),
      el("p", {}, "State: ", el("strong", {class: "approval-state"}, a.state),
        a.reason ? "; " + a.reason : ""),
      a.note ? el("p", {}, "Your note: ", a.note) : null,
      el("p", {class: "muted"}, "Asked ", localTime(a.requested_at),
        a.decided_at ? "; decided " + localTime(a.decided_at) : "")));
  for (const c of catalogItems) {
    const old = document.querySelector(`#catalog article[data-entry="${CSS.escape(c.from + "/" + c.credential_id + "@" + c.version)}"] .recognitions`);
    if (old) old.replaceWith(recognitionPart(c));
  }
}

async function loadApprovals() {
  let items = [], cursor = "";
  for (let page = 0; page < 10; page++) {
    const r = await api("GET", "/v1/approvals?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items = items.concat(r.items);
    if (!r.next_cursor) break;
    cursor = r.next_cursor;
  }
  approvals = items;
  drawApprovals();
}

async function loadCatalog() {
  const r = await api("GET", "/v1/catalog");
  catalogItems = r.items;
  for (const c of r.items)
    for (const p of c.recognitions || []) if (p.recognizer) recognizerName[p.recognizer_id] = p.recognizer;
  const box = document.getElementById("catalog");
  const select = document.getElementById("credential");
  box.replaceChildren();
  select.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No credentials are open for submissions yet."));
  for (const c of r.items) {
    // A peer's credential (from its verified signed catalog) is earned on
    // that issuer's node: shown with where it comes from, not offered here.
    const peer = c.from !== "self";
    box.append(el("article", {class: "card", "data-from": c.from, "data-entry": c.from + "/" + c.credential_id + "@" + c.version},
      el("h3", {}, c.title),
      el("p", {}, c.competency),
      el("p", {class: "muted"}, "Credential ", c.credential_id, ", version ", c.version,
        c.domains.length ? "; domains: " + c.domains.join(", ") : ""),
      peer ? el("p", {class: "muted"}, "Issued by ", c.source.issuer, " (peer ", c.source.node,
        "); definition ", c.source.content_hash) : null,
      recognitionPart(c)));
    if (!peer) select.append(el("option", {value: c.credential_id + "@" + c.version}, c.title));
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
    const body = {credential, version: Number(version), elements};
    const previous = form.elements["previous"].value.trim();
    if (previous) body.previous = /^[0-9]+$/.test(previous) ? Number(previous) : previous;
    const s = await api("POST", "/v1/submissions", body);
    say("Submission " + s.id + " received; it is " + s.state + ".");
    form.reset();
    progress.hidden = true;
    await loadSubmissions();
  } catch (err) {
    progress.hidden = true;
    showError(form, err);
  }
});

// Fills the submission form to resubmit |s|: its credential and its number
// as the previous attempt. The node checks the wait and answers beside the
// field when it has not run out.
async function startResubmission(s) {
  const form = document.getElementById("submit");
  const select = form.elements["credential"];
  select.value = s.credential + "@" + s.version;
  await showElements();
  form.elements["previous"].value = String(s.id);
  say("Resubmitting submission " + s.id + ": add your revised evidence below.");
  form.elements["previous"].scrollIntoView();
  const first = form.querySelector("fieldset[data-element] textarea");
  (first || select).focus();
}

// An appeal of a decided submission: its state once made, else a form.
function appealPart(s, appeal) {
  if (appeal)
    return el("p", {class: "appeal", "data-appeal": appeal.id}, "Appeal ", appeal.id, ": ",
      el("strong", {}, appeal.state), appeal.level ? "; level on appeal: " + appeal.level : "",
      appeal.note ? "; " + appeal.note : "", "; made ", localTime(appeal.created_at),
      appeal.decided_at ? "; decided " + localTime(appeal.decided_at) : "");
  const id = "appeal-reason-" + s.id;
  const form = el("form", {class: "appeal-form", novalidate: true},
    el("label", {for: id}, "Why the decision on submission " + s.id + " should be looked at again"),
    el("textarea", {id, name: "reason", rows: 3, required: true}),
    el("button", {type: "submit", class: "secondary"}, "Appeal the decision"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      const a = await api("POST", "/v1/submissions/" + s.id + "/appeal", {reason: form.elements["reason"].value});
      say("Appeal " + a.id + " sent; the issuer will look at submission " + s.id + " again.");
      await loadSubmissions();
    } catch (err) { showError(form, err); }
  });
  return form;
}

// Share links made on this device. The node keeps only each token's hash,
// so the page remembers the links it made (in this browser's storage) to
// offer withdrawing them later.
function sharesOf(record) {
  try { return JSON.parse(localStorage.getItem("accord.shares." + record) || "[]"); } catch { return []; }
}
function keepShares(record, list) {
  if (list.length) localStorage.setItem("accord.shares." + record, JSON.stringify(list));
  else localStorage.removeItem("accord.shares." + record);
}

function sharePart(record) {
  const box = el("div", {class: "shares"});
  const draw = () => {
    const list = el("ul", {class: "share-links"});
    for (const sh of sharesOf(record)) {
      list.append(el("li", {"data-share": sh.token}, el("a", {href: sh.url}, sh.url), " ",
        el("button", {type: "button", class: "secondary", onclick: async () => {
          try {
            await api("POST", `/v1/credentials/${record}/shares/${encodeURIComponent(sh.token)}/withdraw`, {});
          } catch (err) {
            // A link the node no longer knows is as good as withdrawn.
            if (err.status !== 404) { say(err.message); return; }
          }
          keepShares(record, sharesOf(record).filter((x) => x.token !== sh.token));
          say("The share link of record " + record + " is withdrawn; it no longer opens.");
          draw();
        }}, "Withdraw this link")));
    }
    box.replaceChildren(el("h4", {}, "Share links"),
      list.children.length ? list : el("p", {class: "muted"}, "No share links made here."),
      el("button", {type: "button", class: "secondary", onclick: async () => {
        try {
          const r = await api("POST", `/v1/credentials/${record}/shares`, {});
          keepShares(record, sharesOf(record).concat([{token: r.token, url: r.url}]));
          say("A share link for record " + record + " is ready: anyone with it can read the record until you withdraw it.");
          draw();
        } catch (err) { say(err.message); }
      }}, "Make a share link for record ", record));
  };
  draw();
  return box;
}

async function loadSubmissions() {
  const [r, ap] = await Promise.all([api("GET", "/v1/submissions"), api("GET", "/v1/appeals")]);
  const appeals = {};
  for (const a of ap.items) appeals[a.submission] = a;
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
        s.previous ? "; a resubmission of submission " + s.previous : "",
        s.decided_at ? "; decided " + localTime(s.decided_at) : "",
        s.resubmit_after ? "; you may resubmit after " + localTime(s.resubmit_after) : ""),
      s.passed === false
        ? el("div", {class: "row"}, el("button", {type: "button", class: "secondary", "data-resubmit": s.id,
            onclick: () => startResubmission(s)}, "Resubmit submission ", s.id))
        : null,
      // An appeal asks for a fail to be looked at again; one already made
      // is shown whatever its outcome.
      appeals[s.id] || (s.decided_at && s.passed === false) ? appealPart(s, appeals[s.id]) : null));
    if (s.record) {
      earned++;
      const base = "/v1/credentials/" + s.record;
      creds.append(el("article", {class: "card", "data-record": s.record},
        el("h3", {}, s.credential, " (record ", s.record, ")"),
        el("ul", {},
          el("li", {}, el("a", {href: base + "/bundle", download: "credential-" + s.record + ".bundle"}, "Download the bundle (record, proof and status)")),
          el("li", {}, el("a", {href: base, download: "credential-" + s.record + ".cose"}, "Download the COSE record")),
          el("li", {}, el("a", {href: base + "?format=ob3", download: "credential-" + s.record + ".json"}, "Download the Open Badges 3.0 credential")),
          el("li", {}, el("a", {href: base + "?format=json"}, "View the record's summary")),
          el("li", {}, el("a", {href: base + "/qr.png", download: "credential-" + s.record + ".png"}, "Download a QR code of the record"))),
        el("img", {src: base + "/qr.png", alt: "QR code of credential record " + s.record, class: "qr", width: 160, height: 160}),
        sharePart(s.record)));
    }
  }
  if (!earned) creds.append(el("p", {}, "No credentials yet."));
}

await loadCatalog();
await loadApprovals();
await loadSubmissions();

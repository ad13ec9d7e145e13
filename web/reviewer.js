// reviewer.js - a reviewer's screen: the profile and availability; per
// credential, applying and the screening status, the general and the
// credential's training module, certification attempts (items, answers,
// result, wait); batches to accept or decline before seeing any content,
// then each accepted assignment's evidence beside the rubric's levels,
// scored with feedback; and the notices the node sent.
import {el, api, start, showError, clearErrors, say, levelSelect, localTime, ApiError} from "./app.js";


await start();
const definitions = {};
async function definitionOf(credential) {
  if (!definitions[credential])
    definitions[credential] = (await api("GET", "/v1/definitions/" + encodeURIComponent(credential))).definition;
  return definitions[credential];
}
async function levels(credential) {
  return (await definitionOf(credential)).scoring.levels;
}

async function decide(batch, verb) {
  try {
    await api("POST", `/v1/reviews/batches/${batch.id}/${verb}`, {});
    say(`Batch ${batch.id} ${verb === "accept" ? "accepted" : "declined"}.`);
    await loadBatches();
  } catch (err) { say(err.message); }
}

async function loadBatches() {
  const r = await api("GET", "/v1/reviews/batches");
  const box = document.getElementById("batches");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No invitations."));
  for (const b of r.items) {
    const card = el("article", {class: "card", "data-batch": b.id},
      el("h3", {}, "Batch ", b.id, ": ", b.credential),
      el("p", {}, "State: ", el("strong", {}, b.state), "; ", b.items.length, " assignments",
        b.deadline ? "; due " + new Date(b.deadline).toLocaleString() : ""));
    if (b.state === "invited") {
      card.append(el("div", {class: "row"},
        el("button", {type: "button", onclick: () => decide(b, "accept")}, "Accept batch ", b.id),
        el("button", {type: "button", class: "secondary", onclick: () => decide(b, "decline")}, "Decline batch ", b.id)));
    } else if (b.state === "accepted") {
      const list = el("ul");
      for (const it of b.items)
        list.append(el("li", {}, it.state === "accepted"
          ? el("button", {type: "button", class: "secondary", "data-assignment": it.assignment, onclick: () => openAssignment(it.assignment)}, "Review assignment ", it.assignment)
          : "Assignment " + it.assignment + ": " + it.state));
      card.append(list);
    }
    box.append(card);
  }
}

// The review screen: the evidence beside the rubric (levels with their
// descriptors, the checklist, common errors); one level for the whole
// submission, or for a per-element rubric a level and feedback per element.
async function openAssignment(id) {
  const box = document.getElementById("review");
  const a = await api("GET", "/v1/reviews/assignments/" + id);
  const def = await definitionOf(a.credential);
  const perElement = def.scoring.grain === "per_element";
  const prompts = {};
  for (const e of def.submission.elements) prompts[e.id] = e.prompt;
  const form = el("form", {id: "score-form", novalidate: true});
  const evidence = el("section", {"aria-label": "Evidence", class: "evidence"}, el("h3", {}, "Evidence"));
  for (const e of a.elements) {
    const card = el("div", {class: "card", "data-element": e.id}, el("h4", {}, prompts[e.id] || e.id),
      e.text ? el("p", {}, e.text) : null,
      e.artifact ? el("p", {}, el("a", {href: "/v1/artifacts/" + e.artifact}, "Open the attached file for ", e.id)) : null);
    if (perElement)
      card.append(...levelSelect("score-level-" + e.id, "levels." + e.id, def.scoring.levels, "Level of " + e.id),
        el("label", {for: "score-feedback-" + e.id}, "Feedback on " + e.id),
        el("textarea", {id: "score-feedback-" + e.id, name: "feedback." + e.id, rows: 3}));
    evidence.append(card);
  }
  const g = a.guide || {levels: [], checklist: [], common_errors: []};
  const rubric = el("section", {"aria-label": "Rubric", class: "rubric"}, el("h3", {}, "Rubric"),
    el("dl", {}, g.levels.flatMap((l) => [el("dt", {}, l.level, l.passing ? " (passing)" : ""),
      el("dd", {}, l.descriptor || "No descriptor given.")])),
    g.checklist.length ? [el("h4", {}, "Checklist"), el("ul", {}, g.checklist.map((t) => el("li", {}, t)))] : null,
    g.common_errors.length ? [el("h4", {}, "Common errors"), el("ul", {}, g.common_errors.map((t) => el("li", {}, t)))] : null);
  if (perElement) {
    form.append(evidence);
  } else {
    form.append(evidence, ...levelSelect("score-level", "level", def.scoring.levels, "Level reached"),
      el("label", {for: "score-feedback"}, "Feedback for the teacher"),
      el("textarea", {id: "score-feedback", name: "feedback", rows: 4}));
  }
  form.append(el("button", {type: "submit"}, "Submit score"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    let body;
    if (perElement) {
      const levelsBy = {}, feedbackBy = {};
      for (const el2 of a.elements) {
        levelsBy[el2.id] = form.elements["levels." + el2.id].value || null;
        const t = form.elements["feedback." + el2.id].value.trim();
        if (t) feedbackBy[el2.id] = t;
      }
      body = {levels: levelsBy};
      if (Object.keys(feedbackBy).length) body.feedback = feedbackBy;
    } else {
      body = {level: form.elements["level"].value, feedback: form.elements["feedback"].value};
    }
    try {
      await api("POST", `/v1/reviews/assignments/${id}/score`, body);
      say("Assignment " + id + " scored.");
      box.replaceChildren(el("p", {}, "Scored. Thank you."));
      await loadBatches();
    } catch (err) { showError(form, err); }
  });
  box.replaceChildren(el("h3", {}, "Assignment ", id, " (", a.credential, ")"), el("div", {class: "review-grid"}, form, rubric));
  form.querySelector("select").focus();
}

// ---- profile and availability ----

let profile = null;
async function loadProfile() {
  try { profile = await api("GET", "/v1/reviewers/me"); } catch (err) {
    if (err.status !== 404) throw err;
    profile = null;  // no profile yet: the form starts empty
  }
  const f = document.getElementById("profile").elements;
  f["school"].value = profile?.school || "";
  f["district"].value = profile?.district || "";
  f["domains"].value = (profile?.domains || []).join(", ");
  f["available"].checked = profile ? profile.available : true;
  // datetime-local holds a local time without a zone: shown in the
  // reader's zone, sent back as UTC.
  const until = profile?.unavailable_until ? new Date(profile.unavailable_until) : null;
  f["unavailable_until"].value = until && !isNaN(until)
    ? new Date(until.getTime() - until.getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "";
}

document.getElementById("profile").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const f = form.elements;
  const until = f["unavailable_until"].value;
  const body = {school: f["school"].value, district: f["district"].value,
    domains: f["domains"].value.split(",").map((x) => x.trim()).filter(Boolean),
    available: f["available"].checked, unavailable_until: until ? new Date(until).toISOString().replace(/\.\d{3}Z$/, "Z") : null};
  try {
    profile = await api("PUT", "/v1/reviewers/me", body);
    say(profile.available ? "Profile saved; you are available for new batches." : "Profile saved; you are not available for new batches.");
  } catch (err) { showError(form, err); }
});

// ---- applying, training and certification, per credential ----

async function loadCerts() {
  const box = document.getElementById("certs");
  const defs = (await api("GET", "/v1/definitions")).items.filter((d) => d.state === "recruiting" || d.state === "active");
  box.replaceChildren();
  if (!defs.length) box.append(el("p", {}, "No credential is recruiting reviewers."));
  for (const d of defs) box.append(await certCard(d));
}

function textList(items) {
  return el("ul", {}, items.map((t) => el("li", {}, t)));
}

async function certCard(d) {
  const ref = d.id + "@" + d.version;
  const card = el("article", {class: "card", "data-credential": ref}, el("h3", {}, d.title, " (", ref, ")"));
  let c = null;
  try { c = await api("GET", "/v1/definitions/" + encodeURIComponent(ref) + "/certification"); } catch (err) {
    if (!(err instanceof ApiError) || err.status >= 500) throw err;
  }
  if (!c) {
    card.append(await applyForm(ref));
    return card;
  }
  card.append(el("p", {}, "Status: ", el("strong", {class: "cert-state"}, c.state),
    "; attempts used: ", c.attempts,
    c.applied_at ? "; applied " + localTime(c.applied_at) : "",
    c.certified_at ? "; certified " + localTime(c.certified_at) : "",
    c.next_attempt_at ? "; next attempt from " + localTime(c.next_attempt_at) : ""));
  if (c.screening.length)
    card.append(el("h4", {}, "Screening"), textList(c.screening.map((s) =>
      s.kind.replace(/_/g, " ") + " " + s.value + " (" + s.check + "): " +
      (s.met === true ? "met" : s.met === false ? "not met" : "waiting for the issuer"))));
  if (c.state === "certified" || c.state === "unavailable" || c.state === "retraining") card.append(await statsPart(d.id));
  if (c.state === "screened" || c.state === "retraining") card.append(await trainingPart(ref));
  if (c.state === "trained" || (c.state === "failed" && c.next_attempt_at)) card.append(attemptPart(ref, c));
  return card;
}

function percent(v) {
  return v === null || v === undefined ? "not enough reviews yet" : Math.round(v * 100) + "%";
}

// My agreement statistics: the issuer's figures for me alone.
async function statsPart(credentialId) {
  const r = (await api("GET", "/v1/analytics/credentials/" + encodeURIComponent(credentialId) + "/reviewers/me")).reviewer;
  const rows = [
    ["Reviews done", r.done], ["Open assignments", r.open], ["Declined or expired", r.declined_or_expired],
    ["Agreement with the final decision", percent(r.consensus_agreement)],
    ["Agreement with benchmark items", percent(r.benchmark_agreement)],
    ["Mean deviation from the decision, in levels (above 0: more lenient)", r.mean_deviation === null ? "not enough reviews yet" : r.mean_deviation.toFixed(2)],
    ["Severity against the pool (z-score)", r.severity_z === null ? "not enough reviews yet" : r.severity_z.toFixed(2)]];
  return el("table", {class: "stats"}, el("caption", {}, "My agreement statistics for ", credentialId),
    el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", {scope: "row"}, k), el("td", {}, v)))));
}

async function applyForm(ref) {
  const def = (await api("GET", "/v1/definitions/" + encodeURIComponent(ref))).definition;
  const quals = def.reviewers?.qualifications || [];
  const form = el("form", {class: "apply-form", novalidate: true}, el("h4", {}, "Apply to review"));
  const keys = [];
  quals.forEach((q, i) => {
    const key = q.kind === "domain_expertise" ? "domain_expertise" : q.kind + (i ? "_" + i : "");
    const id = "apply-" + ref.replace(/[^a-z0-9]/gi, "-") + "-" + i;
    const what = q.kind === "holds_credential" ? "You hold credential " + q.credential + " (checked by the node); anything to add"
      : q.kind === "domain_expertise" ? "Your expertise in " + (q.domain || "the domain")
      : q.description || q.text || q.kind;
    keys.push(key);
    form.append(el("label", {for: id}, what), el("textarea", {id, name: key, rows: 2}));
  });
  form.append(el("button", {type: "submit"}, "Apply to review ", ref));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const answers = {};
    for (const k of keys) if (form.elements[k].value.trim()) answers[k] = form.elements[k].value.trim();
    try {
      await api("POST", "/v1/definitions/" + encodeURIComponent(ref) + "/applications", {answers});
      say("Applied to review " + ref + ".");
      await loadCerts();
    } catch (err) { showError(form, err); }
  });
  return form;
}

async function trainingPart(ref) {
  const part = el("div", {class: "training"});
  if (!profile?.general_module_completed_at) {
    let g;
    try { g = await api("GET", "/v1/general-module"); } catch (err) {
      if (err.status !== 404) throw err;
      part.append(el("p", {}, "The issuer has not written the general module yet; training opens once it has."));
      return part;
    }
    part.append(el("h4", {}, "General module: ", g.title),
      ...g.sections.map((s) => el("details", {}, el("summary", {}, s.heading), el("p", {}, s.body))),
      el("button", {type: "button", class: "secondary", onclick: async () => {
        try {
          await api("POST", "/v1/general-module/complete", {});
          await loadProfile();
          say("General module completed.");
          await loadCerts();
        } catch (err) { say(err.message); }
      }}, "I have completed the general module"));
    return part;
  }
  let m;
  try { m = await api("GET", "/v1/definitions/" + encodeURIComponent(ref) + "/training-module"); } catch (err) {
    if (err.status !== 404) throw err;
    part.append(el("p", {}, "The training module of ", ref, " is not ready yet."));
    return part;
  }
  const examples = el("div", {});
  for (const lv of m.examples)
    examples.append(el("details", {}, el("summary", {}, "Examples at level ", lv.level),
      lv.items.map((it) => el("div", {class: "card"}, el("p", {}, it.content),
        it.key_characteristics ? el("p", {}, "Key characteristics: ", it.key_characteristics) : null,
        it.common_errors ? el("p", {}, "Common errors: ", it.common_errors) : null))));
  part.append(el("h4", {}, "Training module: ", m.title),
    el("p", {}, "Competency: ", m.rationale.competency),
    el("p", {}, "Key method: ", m.rationale.key_method),
    el("p", {}, "Rubric levels, lowest first: ", m.rubric.levels.join(", "), "; passing from ", m.rubric.passing_level),
    examples,
    el("h5", {}, "Feedback guidance"), textList(m.feedback_guidance),
    el("p", {class: "muted"}, "Certification: ", m.certification.sample_per_level, " items per level, at most ",
      m.certification.attempts, " attempts, ", m.certification.wait_days, " days between them."),
    el("button", {type: "button", class: "secondary", onclick: async () => {
      try {
        await api("POST", "/v1/definitions/" + encodeURIComponent(ref) + "/training-module/complete", {});
        say("Training module of " + ref + " completed.");
        await loadCerts();
      } catch (err) { say(err.message); }
    }}, "I have completed the training module of ", ref));
  return part;
}

function attemptPart(ref, c) {
  const part = el("div", {class: "attempt"});
  const begin = el("button", {type: "button", onclick: async () => {
    try {
      const a = await api("POST", "/v1/definitions/" + encodeURIComponent(ref) + "/certification/attempts", {});
      part.replaceChildren(await attemptForm(ref, a));
      part.querySelector("select")?.focus();
    } catch (err) {
      const retry = err instanceof ApiError && err.problem.retry_at;
      say(retry ? "The next attempt opens " + localTime(retry) + "." : err.message);
    }
  }}, "Start certification attempt ", c.attempts + 1, " for ", ref);
  part.append(begin);
  return part;
}

async function attemptForm(ref, a) {
  const levelNames = await levels(ref);
  const form = el("form", {id: "attempt-" + a.attempt_id, class: "attempt-form", novalidate: true},
    el("h4", {}, "Attempt ", a.attempt, ": score each item"));
  a.items.forEach((it, i) => {
    form.append(el("div", {class: "card", "data-item": it.item_id}, el("p", {}, it.content),
      ...levelSelect("att-" + it.item_id, "item-" + it.item_id, levelNames, "Level of item " + (i + 1))));
  });
  form.append(el("button", {type: "submit"}, "Submit answers"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const answers = a.items.map((it) => ({item_id: it.item_id, level: form.elements["item-" + it.item_id].value}));
    try {
      const g = await api("POST", "/v1/certification/attempts/" + a.attempt_id + "/answers", {answers});
      const r = g.result;
      const card = form.closest("article");
      form.replaceWith(el("div", {class: "attempt-result", tabindex: -1},
        el("p", {}, el("strong", {}, g.passed ? "Passed: you are certified." : "Not passed."),
          " ", r.exact, " of ", r.items, " exact (", Math.round(r.exact_rate * 100), "%), ",
          r.within_one, " within one level."),
        g.next_attempt_at ? el("p", {}, "Your next attempt opens ", localTime(g.next_attempt_at), ".") : null,
        el("p", {}, "Status: ", el("strong", {class: "cert-state"}, g.state), "; attempts used: ", g.attempts)));
      say(g.passed ? "Certified for " + ref + "." : "Attempt not passed.");
      card?.querySelector(".attempt-result")?.focus();
    } catch (err) { showError(form, err); }
  });
  return form;
}

// ---- notices ----

async function loadNotices() {
  const r = await api("GET", "/v1/notifications");
  const box = document.getElementById("notices");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No notices."));
  for (const m of r.items.slice(0, 30))
    box.append(el("details", {class: "notice", "data-notice": m.id},
      el("summary", {}, localTime(m.created_at), ": ", m.subject),
      el("pre", {}, m.body)));
}

await loadProfile();
await Promise.all([loadCerts(), loadBatches(), loadNotices()]);

// reviewer.js - a reviewer's screen: batches to accept or decline before
// seeing any content, then each accepted assignment's evidence beside the
// rubric's levels, scored with feedback.
import {el, api, start, showError, clearErrors, say, levelSelect} from "./app.js";

await start();
const levelsOf = {};
async function levels(credential) {
  if (!levelsOf[credential])
    levelsOf[credential] = (await api("GET", "/v1/definitions/" + encodeURIComponent(credential))).definition.scoring.levels;
  return levelsOf[credential];
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

async function openAssignment(id) {
  const box = document.getElementById("review");
  const a = await api("GET", "/v1/reviews/assignments/" + id);
  const evidence = el("section", {"aria-label": "Evidence"}, el("h3", {}, "Evidence"));
  for (const e of a.elements)
    evidence.append(el("div", {class: "card"}, el("h4", {}, e.id),
      e.text ? el("p", {}, e.text) : null,
      e.artifact ? el("a", {href: "/v1/artifacts/" + e.artifact}, "Open the attached file") : null));
  const form = el("form", {id: "score-form", novalidate: true},
    ...levelSelect("score-level", "level", await levels(a.credential), "Level reached"),
    el("label", {for: "score-feedback"}, "Feedback for the teacher"),
    el("textarea", {id: "score-feedback", name: "feedback", rows: 4}),
    el("button", {type: "submit"}, "Submit score"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await api("POST", `/v1/reviews/assignments/${id}/score`, {level: form.elements["level"].value, feedback: form.elements["feedback"].value});
      say("Assignment " + id + " scored.");
      box.replaceChildren(el("p", {}, "Scored. Thank you."));
      await loadBatches();
    } catch (err) { showError(form, err); }
  });
  box.replaceChildren(el("h3", {}, "Assignment ", id, " (", a.credential, ")"), evidence, form);
  form.querySelector("select").focus();
}

await loadBatches();

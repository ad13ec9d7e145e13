// expert.js - benchmark items assigned to this expert, each scored by level.
import {el, api, start, showError, clearErrors, say, levelSelect} from "./app.js";

await start();
const box = document.getElementById("bench");
const levelsOf = {};

async function levels(ref) {
  if (!levelsOf[ref]) levelsOf[ref] = (await api("GET", "/v1/definitions/" + encodeURIComponent(ref))).definition?.scoring?.levels || [];
  return levelsOf[ref];
}

async function load() {
  // Every page of assignments, then only the items not yet scored: those
  // are the work; a count says how many are done.
  let items = [], cursor = "";
  for (let page = 0; page < 20; page++) {
    const r = await api("GET", "/v1/benchmarks/assignments?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    items = items.concat(r.items);
    if (!r.next_cursor) break;
    cursor = r.next_cursor;
  }
  const open = items.filter((it) => !it.my_level);
  box.replaceChildren(el("p", {}, open.length, " items to score; ", items.length - open.length, " scored."));
  for (const it of open.slice(0, 50)) {
    const id = "lvl-" + it.item_id;
    const form = el("form", {class: "card", "data-item": it.item_id},
      el("h3", {}, it.label, " (", it.credential, ")"),
      el("p", {}, it.content),
      ...levelSelect(id, "level", await levels(it.credential), "Level for " + it.label),
      el("button", {type: "submit"}, it.my_level ? "Change score" : "Score"),
      it.my_level ? el("p", {class: "muted"}, "Your score: " + it.my_level) : null);
    if (it.my_level) form.querySelector("select").value = it.my_level;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      try {
        await api("POST", "/v1/benchmarks/items/" + it.item_id + "/score", {level: form.elements["level"].value});
        say("Scored " + it.label + " as " + form.elements["level"].value + ".");
        form.replaceChildren(el("p", {}, "Your score for " + it.label + ": " + form.elements["level"].value));
      } catch (err) { showError(form, err); }
    });
    box.append(form);
  }
}
await load();

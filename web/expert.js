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
  const r = await api("GET", "/v1/benchmarks/assignments?limit=20");
  box.replaceChildren();
  if (!r.items.length) box.append(el("p", {}, "No benchmark items are waiting for you."));
  for (const it of r.items) {
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
        await load();
      } catch (err) { showError(form, err); }
    });
    box.append(form);
  }
}
await load();

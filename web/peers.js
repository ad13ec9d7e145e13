// peers.js - the issuer's (admin's) peers screen: every trusted peer with
// where its trust comes from, its rights and how delivery to it goes (state,
// what is queued to it, the last error), probing it, changing the rights of
// a peer an admin added (taking every right suspends it), removing it, and
// trusting a new one; then the messages peers refused, to send again or
// drop. One more client of /v1/federation/peers (docs/federation.md).
import {el, api, start, showError, clearErrors, say, localTime} from "./app.js";

await start();

const RIGHTS = ["submit", "lend", "certify", "issuer", "witness"];
const STATES = {"ok": "delivering", "backing-off": "backing off after failures",
  "dead-lettering": "delivering, with refused messages"};

// A duration in seconds as people say it.
function age(s) {
  if (s < 90) return s + " s";
  if (s < 90 * 60) return Math.round(s / 60) + " min";
  if (s < 36 * 3600) return Math.round(s / 3600) + " h";
  return Math.round(s / 86400) + " days";
}

function facts(rows) {
  return el("dl", {}, rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

// What is queued to |p| and not yet delivered, oldest first.
async function queued(p) {
  const r = await api("GET", "/v1/federation/peers/" + encodeURIComponent(p.node) + "/outbox?limit=20");
  if (!r.items.length) return el("p", {class: "queue"}, "Nothing is waiting to be sent to ", p.node, ".");
  return el("div", {class: "queue"},
    el("table", {}, el("caption", {}, "Waiting to be sent to ", p.node, ", oldest first"),
      el("thead", {}, el("tr", {}, ["Message", "Type", "Size", "Queued"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, r.items.map((m) => el("tr", {"data-msg": m.msg_id},
        el("td", {}, m.msg_id), el("td", {}, m.type), el("td", {}, m.bytes, " bytes"), el("td", {}, localTime(m.queued_at)))))),
    r.next_cursor ? el("p", {class: "muted"}, "And more: ", p.outbox_depth, " in all.") : null);
}

// Rights, suspension and removal of a peer an admin added; the other
// sources are changed where they come from.
function actions(p) {
  const form = el("form", {class: "peer-form", novalidate: true});
  const held = p.rights === "none" ? [] : p.rights.split(",");
  const boxes = RIGHTS.map((r) => {
    const id = "rights-" + p.node + "-" + r;
    return el("div", {class: "check-row"}, el("input", {class: "check", type: "checkbox", id, name: "right", value: r,
      checked: held.includes(r)}), el("label", {for: id}, r));
  });
  const send = async (what, method, body, done) => {
    clearErrors(form);
    try {
      await api(method, "/v1/federation/peers/" + encodeURIComponent(p.node) + what, body);
      say(done);
      await loadPeers();
    } catch (err) { showError(form, err); }
  };
  const probe = el("button", {type: "button", class: "secondary", onclick: () =>
    send("/probe", "POST", {}, "A probe to " + p.node + " is queued; it is tried now.")}, "Probe ", p.node, " now");
  if (p.source !== "admin") {
    form.append(el("p", {class: "muted"}, "Trusted through the ",
      p.source === "consortium" ? "consortium file" : "node's config file",
      ": its rights and removal are changed there."), el("div", {class: "row"}, probe), el("p", {class: "form-error"}));
    form.addEventListener("submit", (e) => e.preventDefault());
    return form;
  }
  const rightsId = "rights-" + p.node;
  form.append(el("fieldset", {id: rightsId, name: "rights"}, el("legend", {}, "Rights of ", p.node), boxes),
    el("div", {class: "row"},
      el("button", {type: "submit"}, "Save rights of ", p.node),
      el("button", {type: "button", class: "secondary", onclick: () =>
        send("/rights", "PUT", {rights: []}, p.node + " is suspended: it holds no rights here.")}, "Suspend ", p.node),
      probe,
      el("button", {type: "button", class: "secondary", onclick: () =>
        send("", "DELETE", undefined, p.node + " is no longer a peer; work lent to it comes back.")}, "Remove ", p.node)),
    el("p", {class: "form-error"}));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const rights = [...form.querySelectorAll("input[name=right]:checked")].map((b) => b.value);
    send("/rights", "PUT", {rights}, "Rights of " + p.node + ": " + (rights.join(", ") || "none") + ".");
  });
  return form;
}

async function loadPeers() {
  const r = await api("GET", "/v1/federation/peers");
  const box = document.getElementById("peers");
  const cards = [];
  for (const p of r.items) {
    cards.push(el("article", {class: "card", "data-peer": p.node}, el("h3", {}, p.node),
      facts([["Address", p.url], ["Trusted through", p.source], ["Rights", p.rights],
        ["Delivery", el("strong", {class: "peer-state"}, STATES[p.state] || p.state)],
        ["Messages waiting", String(p.outbox_depth) + (p.oldest_undelivered_age_s !== undefined
          ? ", the oldest for " + age(p.oldest_undelivered_age_s) : "")],
        ["Last delivered", p.last_success ? localTime(p.last_success) : "never"],
        ["Next attempt", p.next_attempt ? localTime(p.next_attempt) : null],
        ["Failed attempts", p.attempts ? String(p.attempts) : null],
        ["Last error", p.last_error || null],
        ["Messages refused", p.dead_letters ? String(p.dead_letters) : null],
        ["Messages received from it", String(p.received)],
        ["Software", p.software]]),
      await queued(p), actions(p)));
  }
  box.replaceChildren(...(cards.length ? cards : [el("p", {}, "This node trusts no peer yet.")]));
  await loadDead();
}

async function loadDead() {
  const r = await api("GET", "/v1/federation/dead-letters");
  const box = document.getElementById("dead");
  if (!r.items.length) { box.replaceChildren(el("p", {}, "None.")); return; }
  box.replaceChildren(...r.items.map((d) => {
    const form = el("form", {class: "card", "data-dead": d.id, novalidate: true},
      el("p", {}, el("strong", {}, d.type), " to ", d.peer, " (", d.msg_id, "), queued ", localTime(d.created)),
      el("p", {}, "Refused with HTTP ", d.status, ": ", d.problem),
      el("div", {class: "row"},
        el("button", {type: "submit", value: "retry"}, "Send message ", d.id, " again"),
        el("button", {type: "submit", value: "drop", class: "secondary"}, "Drop message ", d.id)),
      el("p", {class: "form-error"}));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const retry = !e.submitter || e.submitter.value === "retry";
      try {
        await api(retry ? "POST" : "DELETE", "/v1/federation/dead-letters/" + d.id + (retry ? "/retry" : ""), retry ? {} : undefined);
        say("Message " + d.id + (retry ? " is queued again." : " is dropped."));
        await loadPeers();
      } catch (err) { showError(form, err); }
    });
    return form;
  }));
}

// Keys are pasted one per line (or separated by spaces or commas).
document.getElementById("add-peer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  const keys = form.elements["keys"].value.split(/[\s,]+/).filter(Boolean);
  const rights = [...form.querySelectorAll("input[name=right]:checked")].map((b) => b.value);
  try {
    const p = await api("POST", "/v1/federation/peers", {node: form.elements["node"].value.trim(),
      url: form.elements["url"].value.trim(), keys, rights});
    say(p.node + " is now a trusted peer with rights: " + p.rights + ".");
    form.reset();
    await loadPeers();
  } catch (err) { showError(form, err); }
});

try {
  await loadPeers();
} catch (err) {
  document.getElementById("peers").replaceChildren(el("p", {class: "error", role: "alert"}, err.message));
}

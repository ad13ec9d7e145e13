// ledger.js - the reciprocity ledger as an issuer (admin) reviews it: per
// peer the reviews lent and borrowed and the balance, with its debt cap and
// the late results refused from it; per peer, credential and month; the
// receipts both nodes signed, newest first; and setting the debt cap, a
// refusal shown beside its field. One more client of /v1/federation/ledger
// (docs/borrowing.md, "Reciprocity ledger").
import {el, api, start, showError, clearErrors, say, localTime} from "./app.js";

await start();

const form = document.getElementById("cap");

// A data table in a box that scrolls sideways on a narrow screen.
function table(caption, heads, rows, attrs = {}) {
  return el("div", {class: "wide", tabindex: 0, role: "region", "aria-label": caption},
    el("table", attrs, el("caption", {}, caption),
      el("thead", {}, el("tr", {}, heads.map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, rows)));
}

function signed(n) {
  return n > 0 ? "+" + n : String(n);
}

async function loadLedger() {
  const r = await api("GET", "/v1/federation/ledger");
  const balances = document.getElementById("balances");
  balances.replaceChildren(r.peers.length ? table("Reviews per peer", ["Peer", "Lent", "Borrowed", "Balance", "Debt cap", "Late results refused"],
    r.peers.map((p) => el("tr", {"data-peer": p.peer},
      el("th", {scope: "row"}, p.peer), el("td", {class: "lent"}, p.lent), el("td", {class: "borrowed"}, p.borrowed),
      el("td", {class: "balance"}, signed(p.balance), p.balance > 0 ? " (owes us)" : p.balance < 0 ? " (we owe)" : ""),
      el("td", {class: "cap"}, p.max_debt === undefined ? "none" : p.max_debt), el("td", {}, p.late_results_refused)))) :
    el("p", {}, "No review was lent or borrowed yet."));
  document.getElementById("lines").replaceChildren(r.lines.length ? table("Reviews per peer, credential and month (UTC)",
    ["Peer", "Credential", "Month", "Lent", "Borrowed", "Balance"],
    r.lines.map((l) => el("tr", {"data-line": l.peer + " " + l.credential + " " + l.month},
      el("td", {}, l.peer), el("td", {}, l.credential), el("td", {}, l.month), el("td", {}, l.lent),
      el("td", {}, l.borrowed), el("td", {}, signed(l.balance))))) : el("p", {}, "Nothing yet."));
}

// Receipts come oldest first in pages; the newest 50 are shown newest first.
async function loadReceipts() {
  let all = [], cursor = "";
  for (let page = 0; page < 50; page++) {
    const r = await api("GET", "/v1/federation/ledger/receipts?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    all = all.concat(r.items);
    if (!r.next_cursor) break;
    cursor = r.next_cursor;
  }
  const box = document.getElementById("receipts");
  if (!all.length) { box.replaceChildren(el("p", {}, "No receipt yet.")); return; }
  const shown = all.slice(-50).reverse();
  box.replaceChildren(table("Receipts, newest first" + (all.length > 50 ? " (50 of " + all.length + ")" : ""),
    ["Recorded", "Peer", "Direction", "Credential", "Month", "Result message", "Receipt SHA-256"],
    shown.map((e) => el("tr", {"data-receipt": e.id},
      el("td", {}, localTime(e.recorded_at)), el("td", {}, e.peer),
      el("td", {}, e.direction === "lent" ? "lent (we reviewed)" : "borrowed (they reviewed)"),
      el("td", {}, e.credential), el("td", {}, e.month), el("td", {}, el("code", {}, e.result)),
      el("td", {}, el("code", {}, e.receipt_sha256)))), {class: "receipts"}));
}

async function loadPeers() {
  const r = await api("GET", "/v1/federation/peers");
  form.elements["peer"].replaceChildren(el("option", {value: "*"}, "Every peer without a cap of its own"),
    ...r.items.map((p) => el("option", {value: p.node}, p.node)));
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors(form);
  const peer = form.elements["peer"].value;
  const t = form.elements["max_debt"].value.trim();
  // A number when the text is one, so a refusal quotes what was typed.
  const max_debt = t === "" ? null : /^-?\d+$/.test(t) ? Number(t) : t;
  try {
    await api("PUT", "/v1/federation/ledger/policy", {peer, max_debt});
    say(max_debt === null ? "The cap for " + peer + " is removed." : "Offers from " + peer + " are declined once it owes us " + max_debt + " reviews.");
    await loadLedger();
  } catch (err) { showError(form, err); }
});

try {
  await Promise.all([loadLedger(), loadReceipts(), loadPeers()]);
} catch (err) {
  document.getElementById("balances").replaceChildren(el("p", {class: "error", role: "alert"}, err.message));
}

// home.js - after sign-in: who you are and where each of your roles works.
import {el, start} from "./app.js";

const user = await start();
document.getElementById("welcome").textContent = "Welcome, " + user.display_name + ".";
const pages = {earner: ["teacher.html", "Teacher: catalog, submissions, appeals, credentials and share links"],
  reviewer: ["reviewer.html", "Reviewer: applying, training, certification, invitations, reviews and my statistics"],
  expert: ["expert.html", "Expert: benchmark scoring and conflicts"],
  admin: ["issuer.html", "Issuer: users, definitions, flags, analytics, records, keys, peers, lending and ledger"],
  recognizer: ["recognizer.html", "Recognizer: verify a presented credential, totals, policies and approvals"]};
const list = document.getElementById("roles");
for (const r of user.roles)
  if (pages[r]) list.append(el("li", {}, el("a", {href: pages[r][0]}, pages[r][1])));
  else list.append(el("li", {}, "Role " + r + ": use accordctl or the API for now"));

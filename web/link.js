// link.js - a mailed sign-in link lands here; its token is in the fragment
// (never sent to a server in a URL), posted once, then wiped from the bar.
import {api} from "./app.js";

const token = location.hash.slice(1);
history.replaceState(null, "", location.pathname);
const out = document.getElementById("link-result");
api("POST", "/v1/session/redeem", {token})
  .then(() => location.assign("home.html"))
  .catch((err) => {
    out.textContent = err.message + " ";
    const a = document.createElement("a");
    a.href = "/";
    a.textContent = "Back to sign-in";
    out.append(a);
  });

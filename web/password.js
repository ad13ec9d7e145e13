// password.js - an invitation's set-password link lands here.
import {api, showError, clearErrors} from "./app.js";

const token = location.hash.slice(1);
history.replaceState(null, "", location.pathname);
document.getElementById("set-password").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    await api("POST", "/v1/password", {token, password: form.elements["password"].value});
    location.assign("home.html");
  } catch (err) {
    showError(form, err);
  }
});

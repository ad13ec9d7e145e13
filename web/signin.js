// signin.js - the sign-in page: password, or a mailed one-time link.
import {api, showError, clearErrors, say} from "./app.js";

document.getElementById("signin").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    await api("POST", "/v1/session", {name: form.name.value, password: form.password.value});
    location.assign("home.html");
  } catch (err) {
    showError(form, err);
  }
});

document.getElementById("link").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    const r = await api("POST", "/v1/session/link", {name: form.name.value});
    say(r.detail);
  } catch (err) {
    showError(form, err);
  }
});

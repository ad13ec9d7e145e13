// signin.js - the sign-in page: password, a mailed one-time link, or a
// mailed link to choose a new password.
import {api, showError, clearErrors, say} from "./app.js";

document.getElementById("signin").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    await api("POST", "/v1/session", {name: form.elements["name"].value, password: form.elements["password"].value});
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
    const r = await api("POST", "/v1/session/link", {name: form.elements["name"].value});
    say(r.detail);
  } catch (err) {
    showError(form, err);
  }
});

document.getElementById("reset").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    const r = await api("POST", "/v1/password/reset", {name: form.elements["name"].value});
    say(r.detail);
  } catch (err) {
    showError(form, err);
  }
});

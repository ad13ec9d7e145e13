// signin.js - the sign-in page: password, a mailed one-time link, or a
// mailed link to choose a new password. Each takes the person's verified
// e-mail address or user name; the node answers an unknown and an
// unverified address alike, so the page cannot tell them apart either.
import {api, showError, clearErrors, say} from "./app.js";

// What the person typed, without the spaces a pasted address often brings.
const who = (form) => form.elements["name"].value.trim();

document.getElementById("signin").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  clearErrors(form);
  try {
    await api("POST", "/v1/session", {name: who(form), password: form.elements["password"].value});
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
    const r = await api("POST", "/v1/session/link", {name: who(form)});
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
    const r = await api("POST", "/v1/password/reset", {name: who(form)});
    say(r.detail);
  } catch (err) {
    showError(form, err);
  }
});

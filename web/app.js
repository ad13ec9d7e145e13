// app.js - what every page shares: calling the JSON API with the session's
// CSRF header, building DOM nodes from data (textContent only, never
// innerHTML), showing an API problem beside the field it names, local times,
// and the page header with its links.

let csrf = null;

// Builds an element: el("a", {href: "x", class: "y"}, "text", child, ...).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || "HTTP " + status);
    this.status = status;
    this.problem = problem || {};
  }
}

// A fresh Idempotency-Key (docs/api.md): 16 random bytes in hex.
function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// Answers after which a write is sent again with its key: the node could
// not confirm it (or lost races, or its database for a moment).
const REPEAT = ["/outcome-unknown", "/busy", "/storage-unavailable"];

// Calls the API. |body| is JSON, or a Blob/File sent as octet-stream. A
// write carries an Idempotency-Key and is sent again with it (three sends
// at most) when the node could not confirm it or the network failed: the
// node answers a repeat from what it stored, never applying it twice.
export async function api(method, path, body, onProgress) {
  const headers = {};
  if (method !== "GET" && csrf) headers["x-accord-csrf"] = csrf;
  if (method !== "GET" && method !== "HEAD") headers["idempotency-key"] = newKey();
  let payload;
  if (body instanceof Blob) {
    headers["content-type"] = "application/octet-stream";
    payload = body;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (onProgress && payload instanceof Blob) return upload(method, path, headers, payload, onProgress);
  const sends = headers["idempotency-key"] ? 3 : 1;
  for (let n = 1; ; n++) {
    let r;
    try {
      r = await fetch(path, {method, headers, body: payload, credentials: "same-origin"});
    } catch (e) {
      if (n >= sends) throw e;
      await new Promise((ok) => setTimeout(ok, 250 * n));
      continue;
    }
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    const type = (data && typeof data.type === "string") ? data.type : "";
    if (r.status === 503 && n < sends && REPEAT.some((t) => type.endsWith(t))) {
      await new Promise((ok) => setTimeout(ok, 250 * n));
      continue;
    }
    if (!r.ok) throw new ApiError(r.status, data);
    return data;
  }
}

// An upload with progress events (fetch has none for request bodies).
function upload(method, path, headers, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, {detail: "the upload failed"})));
    xhr.send(blob);
  });
}

// The signed-in person, or a redirect to the sign-in page.
export async function session() {
  try {
    const s = await api("GET", "/v1/session");
    csrf = s.csrf;
    return s.user;
  } catch (e) {
    if (e.status === 401) location.assign("/");
    throw e;
  }
}

export function hasRole(user, role) {
  return user.roles.includes(role);
}

// An RFC 3339 time in the reader's own time zone.
export function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

// Shows |err| beside the input its problem names (problem.field) inside
// |form|, else in the form's general error area. Returns nothing.
export function showError(form, err) {
  clearErrors(form);
  const problem = err instanceof ApiError ? err.problem : {};
  // The node writes times in UTC (RFC 3339); people read their own zone.
  const message = (err.message || String(err))
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g, (t) => localTime(t));
  // The field itself ("levels.criteria"), else its top-level name ("levels").
  const field = problem.field
    ? form.querySelector(`[name="${CSS.escape(problem.field)}"]`) ||
      form.querySelector(`[name="${CSS.escape(problem.field.split(/[.[]/)[0])}"]`)
    : null;
  if (field) {
    const id = field.id + "-error";
    const note = el("p", {class: "error", id, role: "alert"}, message);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", id);
    field.insertAdjacentElement("afterend", note);
    field.focus();
  } else {
    const box = form.querySelector(".form-error") || form.appendChild(el("p", {class: "form-error"}));
    box.setAttribute("role", "alert");
    box.textContent = message;
  }
}

export function clearErrors(form) {
  for (const p of form.querySelectorAll("p.error, div.error")) p.remove();
  for (const f of form.querySelectorAll("[aria-invalid]")) {
    f.removeAttribute("aria-invalid");
    f.removeAttribute("aria-describedby");
  }
  const box = form.querySelector(".form-error");
  if (box) box.textContent = "";
}

// A status line that screen readers announce.
export function say(text) {
  const s = document.getElementById("status");
  if (s) s.textContent = text;
}

const ROLE_PAGES = [
  ["earner", "teacher.html", "Teacher"],
  ["reviewer", "reviewer.html", "Reviewer"],
  ["expert", "expert.html", "Expert"],
  ["admin", "issuer.html", "Issuer"],
  ["recognizer", "recognizer.html", "Recognizer"],
];

// Fills the page header: who is signed in, a link per role, sign-out.
export function header(user) {
  const nav = document.getElementById("nav");
  const list = el("ul");
  list.append(el("li", {}, el("a", {href: "home.html"}, "Home")));
  for (const [role, href, label] of ROLE_PAGES)
    if (hasRole(user, role)) list.append(el("li", {}, el("a", {href}, label)));
  const out = el("button", {type: "button", id: "sign-out", onclick: async () => {
    try { await api("DELETE", "/v1/session"); } finally { location.assign("/"); }
  }}, "Sign out");
  list.append(el("li", {}, out));
  nav.replaceChildren(el("span", {class: "who"}, "Signed in as ", user.display_name), list);
}

// The start of every signed-in page.
export async function start() {
  const user = await session();
  header(user);
  return user;
}

// A <select> of level names with a visible label.
export function levelSelect(id, name, levels, labelText) {
  const sel = el("select", {id, name, required: true}, el("option", {value: ""}, "Choose a level"));
  for (const l of levels) sel.append(el("option", {value: l}, l));
  return [el("label", {for: id}, labelText), sel];
}

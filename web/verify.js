// verify.js - checks a presented Accord record or credential bundle in the
// browser, by the rules of docs/records.md ("Checks and verdict"), for
// records this node issued: decode, issuer, signature, key-window, log (the
// bundle's proof, else this node's current log) and status (this node's
// current status token). Every check is pass, fail, indeterminate or
// skipped with a reason; the verdict is invalid if any failed, else
// indeterminate if any was, else valid - the same rule accord-verify uses,
// so what the page shows and posts is what accord-verify would say online.

// ---- CBOR (RFC 8949), the subset records use ----

class Reader {
  constructor(bytes) { this.b = bytes; this.i = 0; }
  byte() {
    if (this.i >= this.b.length) throw new Error("CBOR: data ends early");
    return this.b[this.i++];
  }
  arg(info) {
    if (info < 24) return info;
    const n = {24: 1, 25: 2, 26: 4, 27: 8}[info];
    if (!n) throw new Error("CBOR: indefinite or reserved length");
    let v = 0;
    for (let k = 0; k < n; k++) v = v * 256 + this.byte();
    return v;
  }
  bytes(n) {
    if (this.i + n > this.b.length) throw new Error("CBOR: data ends early");
    const out = this.b.subarray(this.i, this.i + n);
    this.i += n;
    return out;
  }
  item(depth = 0) {
    if (depth > 16) throw new Error("CBOR: nested too deeply");
    const ib = this.byte(), major = ib >> 5, info = ib & 31;
    switch (major) {
      case 0: return this.arg(info);
      case 1: return -1 - this.arg(info);
      case 2: return this.bytes(this.arg(info));
      case 3: return new TextDecoder("utf-8", {fatal: true}).decode(this.bytes(this.arg(info)));
      case 4: { const n = this.arg(info), a = []; for (let k = 0; k < n; k++) a.push(this.item(depth + 1)); return a; }
      case 5: {
        const n = this.arg(info), m = new Map();
        for (let k = 0; k < n; k++) { const key = this.item(depth + 1); m.set(key, this.item(depth + 1)); }
        return m;
      }
      case 6: return {tag: this.arg(info), value: this.item(depth + 1)};
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new Error("CBOR: unsupported simple value or float");
    }
  }
}

export function decodeCbor(bytes) {
  const r = new Reader(bytes);
  const v = r.item();
  if (r.i !== bytes.length) throw new Error("CBOR: " + (bytes.length - r.i) + " bytes after the item");
  return v;
}

function head(major, n) {
  if (n < 24) return [major << 5 | n];
  if (n < 256) return [major << 5 | 24, n];
  if (n < 65536) return [major << 5 | 25, n >> 8, n & 255];
  return [major << 5 | 26, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// RFC 9052 4.4: Sig_structure = ["Signature1", protected, external_aad, payload].
function sigStructure(protectedBytes, payload) {
  const label = new TextEncoder().encode("Signature1");
  const parts = [[0x84], head(3, label.length), label, head(2, protectedBytes.length), protectedBytes,
    [0x40], head(2, payload.length), payload];
  const len = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// ---- helpers ----

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
function b64url(s) {
  const t = s.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(t + "=".repeat((4 - t.length % 4) % 4)), (c) => c.charCodeAt(0));
}
export function toB64url(bytes) {
  let s = "";
  for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
const sha256 = async (b) => new Uint8Array(await crypto.subtle.digest("SHA-256", b));
const concat = (...arrs) => {
  const out = new Uint8Array(arrs.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrs) { out.set(a, o); o += a.length; }
  return out;
};
const equal = (a, b) => a.length === b.length && a.every((x, k) => x === b[k]);

async function ed25519Verify(publicKey, sig, msg) {
  const key = await crypto.subtle.importKey("raw", publicKey, {name: "Ed25519"}, false, ["verify"]);
  return crypto.subtle.verify({name: "Ed25519"}, key, sig, msg);
}

async function getJson(path) {
  const r = await fetch(path, {credentials: "same-origin"});
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
async function getBytes(path) {
  const r = await fetch(path, {credentials: "same-origin"});
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return new Uint8Array(await r.arrayBuffer());
}

// Parses a COSE_Sign1 (tagged 18 or not) into its parts and protected header.
function parseSign1(bytes, tagged) {
  let v = decodeCbor(bytes);
  if (v && v.tag !== undefined) {
    if (v.tag !== 18) throw new Error("COSE: tag " + v.tag + ", not 18 (COSE_Sign1)");
    v = v.value;
  } else if (tagged) {
    throw new Error("COSE: the record is not tagged 18 (COSE_Sign1)");
  }
  if (!Array.isArray(v) || v.length !== 4 || !(v[0] instanceof Uint8Array) || !(v[2] instanceof Uint8Array) ||
      !(v[3] instanceof Uint8Array))
    throw new Error("COSE: not [protected, unprotected, payload, signature]");
  const prot = decodeCbor(v[0]);
  if (!(prot instanceof Map)) throw new Error("COSE: the protected header is not a map");
  const alg = prot.get(1);
  if (alg !== -8 && alg !== -19) throw new Error("COSE: alg " + alg + " is not EdDSA (-8) or Ed25519 (-19)");
  if (!(v[1] instanceof Map) || v[1].size) throw new Error("COSE: the unprotected header must be empty");
  const kid = prot.get(4);
  if (!(kid instanceof Uint8Array)) throw new Error("COSE: no kid in the protected header");
  if (v[3].length !== 64) throw new Error("COSE: the signature is not 64 bytes");
  return {protectedBytes: v[0], payload: v[2], signature: v[3], kid: hex(kid)};
}

function readClaims(payload) {
  const m = decodeCbor(payload);
  if (!(m instanceof Map)) throw new Error("claims: the payload is not a map");
  const text = (k, name) => { const v = m.get(k); if (typeof v !== "string") throw new Error(`claim ${name} (${k}) is missing or not text`); return v; };
  const uint = (k, name, optional) => { const v = m.get(k); if (v === undefined && optional) return undefined; if (!Number.isInteger(v) || v < 0) throw new Error(`claim ${name} (${k}) is missing or not an unsigned integer`); return v; };
  const cti = m.get(7);
  if (!(cti instanceof Uint8Array) || cti.length !== 16) throw new Error("claim cti (7) is missing or not 16 bytes");
  const status = m.get(65535);
  const sl = status instanceof Map ? status.get("status_list") : undefined;
  return {
    iss: text(1, "iss"), sub: text(2, "sub"), iat: uint(6, "iat"), exp: uint(4, "exp", true), nbf: uint(5, "nbf", true),
    cti: hex(cti), definition_id: text(-65537, "definition_id"), definition_version: uint(-65538, "definition_version"),
    achieved_level: text(-65540, "achieved_level"), ceu_hundredths: uint(-65541, "ceu_hundredths", true),
    log_index: uint(-65543, "log_index", true),
    status: sl instanceof Map ? {idx: sl.get("idx"), uri: sl.get("uri")} : undefined,
  };
}

// A C2SP signed note checkpoint: verified with |keys| under name |origin|.
async function checkpointOf(note, origin, keys) {
  const sep = note.lastIndexOf("\n\n");
  if (sep < 0) throw new Error("checkpoint: no blank line before the signatures");
  const text = note.slice(0, sep + 1);
  const lines = text.split("\n");
  if (lines[0] !== origin) throw new Error(`checkpoint: origin "${lines[0]}" is not "${origin}"`);
  const size = Number(lines[1]);
  const root = b64url(lines[2].replace(/\+/g, "-").replace(/\//g, "_"));
  const enc = new TextEncoder();
  for (const line of note.slice(sep + 2).split("\n")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== origin) continue;
    const blob = b64url(m[2].replace(/\+/g, "-").replace(/\//g, "_"));
    for (const k of keys) {
      const h = await sha256(concat(enc.encode(origin), new Uint8Array([10, 1]), k.pub));
      if (!equal(h.subarray(0, 4), blob.subarray(0, 4))) continue;
      if (await ed25519Verify(k.pub, blob.subarray(4), enc.encode(text))) return {size, root, key: k};
    }
  }
  throw new Error("checkpoint: no valid signature by a key of " + origin);
}

// RFC 9162 2.1.3.2: does |proof| lead from |leaf| at |index| of |size| to |root|?
async function inclusionOk(leaf, index, size, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(new Uint8Array([1]), p, r));
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(concat(new Uint8Array([1]), r, p));
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

// ---- the checks ----

// Verifies |bytes| (a COSE record or a bundle). Returns {verdict, checks,
// claims, kind, record} where record is the COSE bytes.
export async function verify(bytes) {
  const checks = [];
  const add = (check, result, reason) => checks.push({check, result, reason});
  const out = (claims, kind, record) => {
    const verdict = checks.some((c) => c.result === "fail") ? "invalid"
      : checks.some((c) => c.result === "indeterminate") ? "indeterminate" : "valid";
    return {verdict, checks, claims, kind, record};
  };
  let kind = "record", record = bytes, bundle = null, msg, claims;
  try {
    const top = decodeCbor(bytes);
    if (top instanceof Map) {
      kind = "bundle";
      if (top.get("v") !== 1) throw new Error("bundle: v is not 1");
      record = top.get("record");
      const log = top.get("log");
      if (!(record instanceof Uint8Array) || !(log instanceof Map) || typeof top.get("checkpoint") !== "string")
        throw new Error("bundle: record, log and checkpoint are required");
      bundle = {index: log.get("index"), size: log.get("size"), proof: log.get("proof"), checkpoint: top.get("checkpoint")};
    }
    msg = parseSign1(record, true);
    claims = readClaims(msg.payload);
    add("decode", "pass", `a ${kind} of ${record.length} bytes: strict COSE_Sign1 with every required claim`);
  } catch (e) {
    add("decode", "fail", e.message);
    return out(null, kind, record);
  }

  const issuer = location.origin;
  let keys;
  try {
    const jwks = await getJson("/.well-known/jwks.json");
    keys = jwks.keys.map((k) => ({kid: k.kid, pub: b64url(k.x), from: Date.parse(k.valid_from || 0), until: k.valid_until ? Date.parse(k.valid_until) : Infinity}));
  } catch (e) {
    add("issuer", "indeterminate", "this node's keys could not be read: " + e.message);
    return out(claims, kind, record);
  }
  const key = keys.find((k) => k.kid === msg.kid);
  if (claims.iss !== issuer) {
    add("issuer", "fail", `iss "${claims.iss}" is not this node (${issuer}); this page trusts only this node's keys (use accord-verify with a trust file for others)`);
    return out(claims, kind, record);
  }
  if (!key) {
    add("issuer", "fail", `kid ${msg.kid} names no key of ${issuer}`);
    return out(claims, kind, record);
  }
  add("issuer", "pass", `${issuer}, key ${msg.kid}`);

  const sigOk = await ed25519Verify(key.pub, msg.signature, sigStructure(msg.protectedBytes, msg.payload));
  add("signature", sigOk ? "pass" : "fail", sigOk ? "Ed25519 signature verifies" : "the Ed25519 signature does not verify: the record was altered or forged");

  const now = Date.now(), iatMs = claims.iat * 1000, skew = 5 * 60 * 1000;
  if (iatMs > now + skew) add("key-window", "fail", "iat is more than 5 minutes in the future");
  else if (claims.nbf !== undefined && claims.nbf * 1000 > now + skew) add("key-window", "fail", "nbf is more than 5 minutes in the future");
  else if (claims.exp !== undefined && claims.exp * 1000 < now - skew) add("key-window", "fail", "the record expired");
  else if (iatMs < Math.floor(key.from / 1000) * 1000 || iatMs >= key.until) add("key-window", "fail", "iat is outside the key's validity window");
  else add("key-window", "pass", "issued " + new Date(iatMs).toISOString() + ", inside the key's window");

  const origin = issuer.replace(/^https?:\/\//, "") + "/log";
  const leaf = await sha256(concat(new Uint8Array([0]), record));
  try {
    if (bundle) {
      const cp = await checkpointOf(bundle.checkpoint, origin, keys);
      if (cp.size !== bundle.size) throw new Error(`the proof is for size ${bundle.size}, the checkpoint for ${cp.size}`);
      if (claims.log_index !== undefined && claims.log_index !== bundle.index) throw new Error("the record's log_index claim differs from the proof's index");
      if (!(await inclusionOk(leaf, bundle.index, bundle.size, bundle.proof, cp.root))) throw new Error("the inclusion proof does not lead from the record to the signed root");
      add("log", "pass", `in the log at index ${bundle.index} of ${bundle.size}, under a signed checkpoint`);
    } else if (claims.log_index === undefined) {
      add("log-fetch", "indeterminate", "the record has no log_index claim");
    } else {
      const note = new TextDecoder().decode(await getBytes("/v1/log/checkpoint"));
      const cp = await checkpointOf(note, origin, keys);
      if (claims.log_index >= cp.size) throw new Error(`the signed log has ${cp.size} entries; the record claims index ${claims.log_index}`);
      const p = await getJson(`/v1/log/inclusion?index=${claims.log_index}&size=${cp.size}`);
      if (!(await inclusionOk(leaf, claims.log_index, cp.size, p.hashes.map((h) => Uint8Array.from(atob(h), (c) => c.charCodeAt(0))), cp.root)))
        throw new Error("this node's log holds another entry at index " + claims.log_index);
      add("log-fetch", "pass", `in this node's log at index ${claims.log_index} of ${cp.size}`);
    }
  } catch (e) {
    add(bundle ? "log" : "log-fetch", bundle ? "fail" : "indeterminate", e.message);
  }

  if (!claims.status || !Number.isInteger(claims.status.idx)) {
    add("status", "indeterminate", "the record has no status reference, so it cannot be shown not revoked");
  } else {
    try {
      const tokenBytes = await getBytes("/v1/status/token");
      const t = parseSign1(tokenBytes, false);
      const tk = keys.find((k) => k.kid === t.kid);
      if (!tk || !(await ed25519Verify(tk.pub, t.signature, sigStructure(t.protectedBytes, t.payload))))
        throw new Error("the status token is not signed by a key of this node");
      const c = decodeCbor(t.payload);
      if (c.get(2) !== claims.status.uri) throw new Error(`the status token is for "${c.get(2)}", not "${claims.status.uri}"`);
      if (c.get(4) !== undefined && c.get(4) * 1000 < now) throw new Error("the status token expired");
      const lst = c.get(65533).get("lst");
      const bits = new Uint8Array(await new Response(new Blob([lst]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer());
      const idx = claims.status.idx;
      if ((idx >> 2) >= bits.length) throw new Error("the status index is beyond the list");
      const v = (bits[idx >> 2] >> (2 * (idx & 3))) & 3;
      if (v === 0) add("status", "pass", "not revoked or suspended (this node's current status list)");
      else add("status", "fail", v === 1 ? "REVOKED by the issuer" : v === 2 ? "SUSPENDED by the issuer" : "status value " + v);
    } catch (e) {
      add("status", "indeterminate", "the current status could not be checked: " + e.message);
    }
  }
  return out(claims, kind, record);
}

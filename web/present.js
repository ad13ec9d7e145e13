// present.js - what the recognizer page needs to hand a credential file to
// the node: its base64url form, and whether it is a bundle or a bare record.

// Returns |bytes| as unpadded base64url (RFC 4648 section 5).
export function toB64url(bytes) {
  let s = "";
  for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// A bundle is a CBOR map (major type 5); a record is a tagged COSE_Sign1
// (tag 18). The node checks either strictly; this only picks the field name.
export function isBundle(bytes) {
  return bytes.length > 0 && (bytes[0] & 0xe0) === 0xa0;
}

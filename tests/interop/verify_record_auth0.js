// verify_record_auth0.js - verifies an Accord native record with the npm
// registry's @auth0/cose (its Sign1 over Node's Ed25519) and prints the
// decoded CWT claims as JSON, for test_record_npm.py.
// usage: node verify_record_auth0.js RECORD_FILE PUBLIC_KEY_HEX
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const path = require('path');
const modules = path.join(__dirname, 'npm', 'node_modules');
const { Sign1 } = require(path.join(modules, '@auth0', 'cose'));
const { decode } = require(path.join(modules, 'cbor-x'));

async function main() {
  const [file, pubHex] = process.argv.slice(2);
  const raw = fs.readFileSync(file);
  const x = Buffer.from(pubHex, 'hex').toString('base64url');
  const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  const msg = Sign1.decode(raw);
  await msg.verify(key, { algorithms: [-8] }); // EdDSA only // throws when the signature is bad
  const claims = decode(msg.payload);
  const out = {};
  for (const [k, v] of (claims instanceof Map ? claims : new Map(Object.entries(claims)))) {
    out[String(k)] = v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
  }
  process.stdout.write(JSON.stringify({ verified: true, alg: msg.alg, claims: out }) + '\n');
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ verified: false, error: String(e && e.message || e) }) + '\n');
  process.exit(1);
});

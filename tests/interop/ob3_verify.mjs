// ob3_verify.mjs - verifies an OB 3.0 credential made by Accord with the
// Digital Bazaar libraries (@digitalbazaar/vc, data-integrity,
// eddsa-rdfc-2022-cryptosuite, vc-bitstring-status-list; jsonld underneath),
// pinned in npm-packages.txt, and checks its status. The document loader
// serves only local files: the shipped contexts (core/records/contexts/), the
// issuer's did:web document and its status list credentials from DIR.
//
// usage: node ob3_verify.mjs CREDENTIAL.json DIR CONTEXTS_DIR
// Prints {"verified": bool, "error": ..., "status": {"revocation": bool,
// "suspension": bool} | null, "statusError": ...}; exit 0 when verified.
// With a FILE.jsonl (one credential a line) instead, verifies each proof in
// this one process (the benchmark's comparison; status not checked) and
// prints {"verified": n, "failed": m, "seconds": s}.
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'npm', 'package.json'));
const vc = await import(require.resolve('@digitalbazaar/vc'));
const {DataIntegrityProof} = await import(require.resolve('@digitalbazaar/data-integrity'));
const {cryptosuite} = await import(
  require.resolve('@digitalbazaar/eddsa-rdfc-2022-cryptosuite'));
const {checkStatus} = await import(require.resolve('@digitalbazaar/vc-bitstring-status-list'));

const [credPath, dir, ctxDir] = process.argv.slice(2);
const json = f => JSON.parse(readFileSync(f, 'utf8'));
const contexts = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
};
const didDoc = json(path.join(dir, 'did.json'));
const docs = new Map();
for(const [url, file] of Object.entries(contexts)) {
  docs.set(url, json(path.join(ctxDir, file)));
}
docs.set(didDoc.id, didDoc);
for(const vm of didDoc.verificationMethod) {
  docs.set(vm.id, {'@context': 'https://w3id.org/security/multikey/v1', ...vm});
}
for(const purpose of ['revocation', 'suspension']) {
  const sl = json(path.join(dir, `status-${purpose}.json`));
  docs.set(sl.id, sl);
}
const documentLoader = async url => {
  if(!docs.has(url)) {
    throw new Error(`document loader: ${url} is not served (no network)`);
  }
  return {contextUrl: null, documentUrl: url, document: structuredClone(docs.get(url))};
};

const suite = new DataIntegrityProof({cryptosuite});
if(credPath.endsWith('.jsonl')) {
  const lines = readFileSync(credPath, 'utf8').split('\n').filter(l => l.trim());
  let verified = 0;
  const t0 = process.hrtime.bigint();
  for(const line of lines) {
    const r = await vc.verifyCredential({credential: JSON.parse(line), suite, documentLoader,
      checkStatus: async () => ({verified: true})});
    verified += r.verified ? 1 : 0;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({verified, failed: lines.length - verified, seconds}));
  process.exit(verified === lines.length ? 0 : 1);
}
const credential = JSON.parse(readFileSync(credPath, 'utf8'));
const out = {verified: false, error: null, status: null, statusError: null};
try {
  // Status is checked below on its own, so a revoked credential's proof
  // still reports as verified and its status as revoked.
  const r = await vc.verifyCredential({credential, suite, documentLoader,
    checkStatus: async () => ({verified: true})});
  out.verified = r.verified;
  if(!r.verified) {
    out.error = String(r.error?.errors?.[0]?.message ?? r.error?.message ?? r.error);
  }
} catch(e) {
  out.error = String(e.message);
}
if(out.verified) {
  const s = await checkStatus({credential, documentLoader, suite,
    verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true});
  if(s.verified) {
    out.status = {};
    for(const r of s.results) {
      out.status[r.credentialStatus.statusPurpose] = r.status;
    }
  } else {
    out.statusError = String(s.error?.message ?? s.error);
  }
}
console.log(JSON.stringify(out));
process.exit(out.verified ? 0 : 1);

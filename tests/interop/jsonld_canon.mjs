// jsonld_canon.mjs - canonical N-Quads of a JSON-LD document by jsonld.js
// (npm jsonld, pinned in npm-packages.txt: toRDF then RDFC-1.0), with a
// document loader serving only the shipped contexts (core/records/contexts/).
// usage: node jsonld_canon.mjs FILE CONTEXTS_DIR
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'npm', 'package.json'));
const jsonld = (await import(require.resolve('jsonld'))).default;
const [file, ctxDir] = process.argv.slice(2);
const files = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2': 'credentials-examples-v2.jsonld',
};
const documentLoader = async url => {
  if(!files[url]) {
    throw new Error(`${url} is not served`);
  }
  return {contextUrl: null, documentUrl: url,
    document: JSON.parse(readFileSync(path.join(ctxDir, files[url]), 'utf8'))};
};
const doc = JSON.parse(readFileSync(file, 'utf8'));
const out = await jsonld.canonize(doc, {algorithm: 'RDFC-1.0', format: 'application/n-quads',
  documentLoader, safe: true});
process.stdout.write(out);

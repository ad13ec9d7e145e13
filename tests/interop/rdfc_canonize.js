// rdfc_canonize.js - canonicalizes N-Quads files with Digital Bazaar's
// rdf-canonize (RDFC-1.0, the implementation jsonld.js and the eddsa-rdfc-2022
// cryptosuite use), for tests/interop/test_rdfc_rdf_canonize.py to compare
// with core/records/rdfc.c. Prints one JSON object a line:
// {"file": ..., "nquads": ..., "map": {"input label": "c14nN"}} or {"file", "error"}.
'use strict';
const fs = require('fs');
const path = require('path');

const modules = process.env.ACCORD_NPM_MODULES ||
  path.join(__dirname, 'npm', 'node_modules');
const canonize = require(path.join(modules, 'rdf-canonize'));

const strip = id => id.startsWith('_:') ? id.slice(2) : id;

(async () => {
  for (const file of process.argv.slice(2)) {
    const input = fs.readFileSync(file, 'utf8');
    const idMap = new Map();
    try {
      const nquads = await canonize.canonize(input, {
        algorithm: 'RDFC-1.0',
        inputFormat: 'application/n-quads',
        format: 'application/n-quads',
        canonicalIdMap: idMap,
        maxWorkFactor: Infinity,
      });
      const map = {};
      for (const [k, v] of idMap) {
        map[strip(k)] = strip(v);
      }
      console.log(JSON.stringify({file, nquads, map}));
    } catch(e) {
      console.log(JSON.stringify({file, error: String(e)}));
    }
  }
})();

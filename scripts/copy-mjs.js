// tsc does not emit .mjs from .ts in a CommonJS package; the ESM register entry is plain JS.
const fs = require('fs');
const path = require('path');
const src = path.join(__dirname, '..', 'src');
const out = path.join(__dirname, '..', 'build', 'src');
for (const name of fs.readdirSync(src)) {
  if (name.endsWith('.mjs')) fs.copyFileSync(path.join(src, name), path.join(out, name));
}

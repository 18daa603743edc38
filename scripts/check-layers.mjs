// Fails when a source file imports against the layers (issue 21):
//   cli → main → storage → api → actions → services → {store, ca, validation, deploy, notify, workers} → {pki, secrets} → config → domain
// A folder may import its own files and any lower layer; folders on one layer do not import
// each other. Tests (*.test.ts) and the test helpers under src/testing/ may import anything.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// The tree to check: this repository, or the folder given (the checker's own test).
const root = path.resolve(process.argv[2] ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..'));
const LAYERS = [
  ['domain'],
  ['config'],
  ['pki', 'secrets'],
  ['store', 'ca', 'validation', 'deploy', 'notify', 'workers'],
  ['services'],
  ['actions'],
  ['api'],
  ['storage.ts'],
  ['main.ts'],
  ['cli'],
];
const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}
const src = path.join(root, 'src');
const unit = (file) => path.relative(src, file).split(path.sep)[0];
const bad = [];
const unknown = new Set();
for (const file of files(src)) {
  const from = unit(file);
  if (from === 'testing') continue;
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm)) {
    const target = path.resolve(path.dirname(file), m[1] ?? m[2]).replace(/\.js$/, '.ts');
    const to = unit(target);
    if (to === from) continue;
    const a = layerOf.get(from);
    const b = layerOf.get(to);
    if (a === undefined) { unknown.add(from); continue; }
    if (b === undefined) { unknown.add(to); continue; }
    if (b >= a) bad.push(`${path.relative(root, file)} imports ${path.relative(root, target).replace(/\.js$/, '.ts')} (${to} is ${b > a ? 'above' : 'beside'} ${from})`);
  }
}
for (const u of unknown) bad.push(`src/${u} is on no layer: add it to scripts/check-layers.mjs`);
if (bad.length) {
  console.error(`${bad.length} import(s) against the layers:\n  ` + bad.join('\n  '));
  process.exit(1);
}
console.log('layers: every import runs downward');

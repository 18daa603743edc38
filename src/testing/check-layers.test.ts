// The layer check (scripts/check-layers.mjs, run by `npm test`) holds for this tree and
// refuses an import that runs back up.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/src/testing/ or src/testing/ → the repository root.
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
const check = (root?: string) => spawnSync(process.execPath, [path.join(repo, 'scripts', 'check-layers.mjs'), ...(root ? [root] : [])], { encoding: 'utf8' });

test('every import of this tree runs downward', () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr);
});

test('an import from a lower layer to a higher one is refused, naming both files', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'layers-'));
  try {
    for (const d of ['domain', 'pki', 'store', 'services']) mkdirSync(path.join(root, 'src', d), { recursive: true });
    writeFileSync(path.join(root, 'src', 'domain', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(root, 'src', 'services', 's.ts'), "import { a } from '../domain/a.js';\nexport const s = a;\n");
    writeFileSync(path.join(root, 'src', 'pki', 'ok.ts'), "import { a } from '../domain/a.js';\nexport const ok = a;\n");
    assert.equal(check(root).status, 0);
    writeFileSync(path.join(root, 'src', 'pki', 'up.ts'), "import type { s } from '../services/s.js';\nexport type T = typeof s;\n");
    writeFileSync(path.join(root, 'src', 'store', 'side.ts'), "export { ok } from '../pki/ok.js';\nimport '../store/x.js';\n");
    const r = check(root);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /src\/pki\/up\.ts imports src\/services\/s\.ts \(services is above pki\)/);
    assert.doesNotMatch(r.stderr, /side\.ts/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// Builds dist/ from the TypeScript sources. dist/ is removed first: a moved or deleted source
// would otherwise leave its compiled copy behind (a test that then runs twice, a module that
// still imports). The stamp dist/.build-stamp carries the time the build started, so a source
// saved during the build still counts as newer. The console's web app (web/) is type-checked and
// built with Vite into dist/console, which certport serves at /console/.
//   node scripts/build.mjs              build
//   node scripts/build.mjs --if-stale   build only when a source is newer than the stamp
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
/** What the build reads: tsconfig.json's include (src, bench, test), and its settings. */
const SOURCES = ['src', 'bench', 'test', 'web', 'tsconfig.json', 'package.json'];

/** The latest change under p; a folder's own time moves when an entry is added, removed or renamed. */
function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(p).reduce((m, f) => Math.max(m, newest(path.join(p, f))), st.mtimeMs);
}

export function isStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return SOURCES.some((s) => newest(path.join(root, s)) > built);
}

/** Returns tsc's exit status. */
export function build() {
  const started = new Date();
  rmSync(dist, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) return r.status ?? 1;
  const web = path.join(root, 'web');
  const require = createRequire(import.meta.url);
  const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  for (const args of [[tsc, '-p', web], [vite, 'build', '--config', path.join(web, 'vite.config.ts'), '--logLevel', 'warn']]) {
    const w = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
    if (w.status !== 0) return w.status ?? 1;
  }
  writeFileSync(stamp, `${started.toISOString()}\n`);
  utimesSync(stamp, started, started);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  process.exit(ifStale && !isStale() ? 0 : build());
}

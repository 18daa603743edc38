// `npm start`: serves from dist/, building it first only when a source changed since the last
// build (`npm ci` builds once, through `prepare`), so a start takes seconds, not a compile.
// Arguments after `npm start --` go to `certport serve`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, isStale } from './build.mjs';

if (isStale()) {
  console.error('certport: the sources changed since the last build; building first');
  const status = build();
  if (status !== 0) process.exit(status);
}
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'cli', 'index.js');
// The CLI reads its command from process.argv, as when run as `certport serve`.
process.argv = [process.argv[0], cli, 'serve', ...process.argv.slice(2)];
await import(pathToFileURL(cli).href);

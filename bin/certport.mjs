#!/usr/bin/env node
// Runs the compiled CLI (`npm run build` makes dist/).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/src/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('certport: not built yet; run `npm run build` first');
  process.exit(1);
}
await import(entry.href);

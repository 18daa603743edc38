// Test support: Debian's chromium driven by playwright-core (FACTS.md: never a downloaded browser).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.CERTPORT_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Screenshots for reviewers: artifacts/console/ at the repository's root (gitignored). */
export const ARTIFACTS = process.env.CERTPORT_ARTIFACTS
  ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []), 'artifacts', 'console');

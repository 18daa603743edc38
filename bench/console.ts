// Benchmark: the console in headless Chromium (Debian's, through playwright-core) against
// `certport serve` on SQLite with 10,000 certificates in one account, default settings (page
// cache on):
// - first load: bytes over the wire (CDP encodedDataLength: headers + compressed bodies) and
//   time to interactive (navigation start → the sign-in form usable; → the list's first page
//   rendered with data when signed in), cold cache (a new browser context each time);
// - the list: time from a page change (random pages) to its rows rendered, and from pressing
//   Filter (random search terms, a status) to the filtered rows rendered.
// Times are measured in the page (performance.now()) where they can be; otherwise in this
// process around the action, which adds the CDP round trip (~1 ms).
//   node dist/bench/console.js          CERTPORT_BENCH_CONSOLE_ROWS=… CERTPORT_BENCH_REQUESTS=…
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../src/config/config.js';
import { openCore } from '../src/main.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../src/testing/browser.js';
import { machine, ms, percentiles } from './lib.js';
import { prepareData, startNode } from './node.js';

const ROWS = Number(process.env.CERTPORT_BENCH_CONSOLE_ROWS ?? 10_000);
const N = Number(process.env.CERTPORT_BENCH_REQUESTS ?? 30);
const PASSWORD = 'bench-password-1';

console.log(`the console in Chromium — ${machine()}`);
const s0 = performance.now();
const data = await prepareData('sqlite', ROWS);
{
  const core = await openCore(loadConfig(data.env));
  await core.console.setPassword(data.cred.accountUin, data.cred.accountUin, PASSWORD);
  await core.close();
}
console.log(`seeded ${ROWS} certificates in ${((performance.now() - s0) / 1000).toFixed(1)} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const node = await startNode(data);
const base = `http://127.0.0.1:${node.port}`;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const stat = (name: string, samples: number[], extra = '') => {
  const p = percentiles(samples);
  console.log(`  ${name.padEnd(52)} median ${ms(p.p50).padStart(9)}   p90 ${ms(p.p90).padStart(9)}   max ${ms(p.max).padStart(9)}${extra}`);
};

/** Bytes received by the page (headers + bodies as transferred) while `fn` runs. */
async function transferred(ctx: BrowserContext, page: Page, fn: () => Promise<void>): Promise<{ bytes: number; requests: number }> {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => { bytes += e.encodedDataLength; requests++; });
  await fn();
  await cdp.detach();
  return { bytes, requests };
}

try {
  // A signed-in session to copy into fresh contexts (a cold cache that still has the cookie).
  const signer = await browser.newContext();
  const sp = await signer.newPage();
  await sp.goto(`${base}/console/`);
  await sp.getByLabel('User name or SubAccountUin').fill(data.cred.accountUin);
  await sp.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await sp.getByRole('button', { name: 'Sign in' }).click();
  await sp.locator('table.certs tbody tr').first().waitFor();
  const cookies = await signer.cookies();

  const firstLoad = async (signedIn: boolean) => {
    const times: number[] = [];
    let last = { bytes: 0, requests: 0 };
    for (let i = 0; i < 7; i++) {
      const ctx = await browser.newContext({ locale: 'en-US' });
      if (signedIn) await ctx.addCookies(cookies);
      const page = await ctx.newPage();
      last = await transferred(ctx, page, async () => {
        await page.goto(`${base}/console/`);
        if (signedIn) await page.locator('table.certs tbody tr').first().waitFor();
        else await page.getByLabel('User name or SubAccountUin').waitFor();
        // performance.now() counts from navigation start.
        times.push(await page.evaluate(() => performance.now()));
      });
      await ctx.close();
    }
    stat(signedIn ? 'first load, signed in: list page 1 rendered' : 'first load: sign-in form usable', times.slice(2),
      `   ${(last.bytes / 1024).toFixed(1)} KiB in ${last.requests} responses`);
  };
  console.log('first load (cold cache, 5 after 2 warm-ups):');
  await firstLoad(false);
  await firstLoad(true);

  const page = sp;
  page.on('crash', () => console.error('the page crashed'));
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('close', () => console.error('the page closed'));
  const firstId = () => page.evaluate(() => document.querySelector('table.certs tbody tr code')?.textContent ?? '');
  /** In-app navigation to `qs` (as the pager and filters do), timed until the first row changes. */
  const navigate = async (qs: string, expectFirst?: string) => {
    const before = await firstId();
    return page.evaluate(async ([q, prev, want]) => {
      const t0 = performance.now();
      history.pushState(null, '', `/console/${q}`);
      dispatchEvent(new PopStateEvent('popstate'));
      for (;;) {
        const id = document.querySelector('table.certs tbody tr code')?.textContent ?? '';
        if (want ? id === want : id !== prev && id !== '') return performance.now() - t0;
        await new Promise((r) => requestAnimationFrame(r));
      }
    }, [qs, before, expectFirst ?? ''] as const);
  };
  console.log(`the list, ${ROWS} certificates, ${N} samples each (random pages and terms; time to rows rendered):`);
  // The wait ends when the first row changes: never draw the page showing the rows already there
  // (same first row: same offset, whatever the page size), or it would wait forever.
  let shown = 0;
  for (const size of [20, 100]) {
    const pages = Math.ceil(ROWS / size);
    const t: number[] = [];
    for (let i = 0; i < N; i++) {
      let n = 1;
      do n = 1 + Math.floor(Math.random() * pages); while ((n - 1) * size === shown);
      shown = (n - 1) * size;
      t.push(await navigate(`?size=${size}&page=${n}&n=${i}`));
    }
    stat(`page change, ${size} rows per page`, t);
  }
  const search: number[] = [];
  for (let i = 0; i < N; i++) {
    const j = Math.floor(Math.random() * (ROWS - 1));
    const id = 'b' + j.toString(36).padStart(7, '0');
    search.push(await navigate(`?q=host${j}.bench`, id));
  }
  stat('filter: search (one match)', search);
  const status: number[] = [];
  for (let i = 0; i < N; i++) status.push(await navigate(`?status=${i % 2 ? 3 : 1}&page=${1 + (i % 5)}&n=${i}`));
  stat('filter: status (issued / expired), pages 1-5', status);
  const expiring: number[] = [];
  for (let i = 0; i < N; i++) expiring.push(await navigate(`?expiring=1&sort=ASC&page=${1 + (i % 3)}&n=${i}`));
  stat('filter: expiring within 30 days, soonest first', expiring);
  // Through the form, as a person does: type, press Filter, rows rendered (timed here).
  const typed: number[] = [];
  await page.goto(`${base}/console/`);
  await page.locator('table.certs tbody tr').first().waitFor();
  for (let i = 0; i < Math.min(N, 10); i++) {
    const j = Math.floor(Math.random() * (ROWS - 1));
    const id = 'b' + j.toString(36).padStart(7, '0');
    await page.getByLabel('Search').fill(`host${j}.bench`);
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction((want) => document.querySelector('table.certs tbody tr code')?.textContent === want, id, { polling: 'raf' });
    typed.push(performance.now() - t0);
  }
  stat('filter through the form (click → rows), measured outside', typed);
  await signer.close();
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await browser.close();
  await node.stop();
  await data.cleanup();
}

// The console's core flow in real headless Chromium against a real certport on PostgreSQL
// (issue 25: "and one run on PostgreSQL"): a fresh schema of 127.0.0.1:5432/test made and dropped
// by the harness; sign in, apply for a certificate, publish the TXT record the page shows on the
// test DNS server, check now, watch it issue, download the nginx ZIP and check it with openssl,
// then deploy it from its page to a `local` resource and see the files written.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestService, type TestService } from '../../testing/harness.js';
import { startFileServer, validationEnv, type FileServer } from '../../testing/dv.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { run, withTempDir } from '../../testing/pki-fixtures.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../../testing/browser.js';

describe('console in Chromium (postgres)', () => {
  let dns: ChallTestSrv;
  let web: FileServer;
  let t: TestService;
  let browser: Browser;
  let base: string;
  let page: Page;
  const PASSWORD = 'root-password-pg';

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [dns, web] = await Promise.all([startChallTestSrv(), startFileServer()]);
    t = await startTestService('postgres', { env: validationEnv(dns.dns, web) });
    assert.equal(t.backend, 'postgres');
    base = `http://127.0.0.1:${t.port}`;
    assert.equal((await fetch(`${base}/console/`)).status, 200, 'the console is built (npm run build)');
    await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, PASSWORD);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 860 }, acceptDownloads: true })).newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await Promise.all([dns?.stop(), web?.stop()]);
  });
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `pg-${name}.png`), fullPage: true });

  test('sign in; a wrong password is refused', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('User name or SubAccountUin').fill(t.cred.accountUin);
    await page.getByLabel('Password').fill('not-the-password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The user name or the password is wrong.' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Certificates' }).waitFor();
    await page.getByText('No certificates match.').waitFor();
  });

  test('apply, publish the TXT record shown, check now, issued; the nginx ZIP verifies with openssl; deployed to a local resource', async () => {
    const domain = `pg-${randomBytes(3).toString('hex')}.example.test`;
    await page.getByRole('link', { name: 'Apply for a free certificate' }).click();
    await page.getByLabel('Domain name').fill(domain);
    await page.getByLabel('DNS TXT record (manual)').check();
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('heading', { name: 'Domain validation' }).waitFor();
    const id = page.url().split('/').pop()!;
    const name = (await page.locator('[data-copy="Full name"]').textContent())!;
    const value = (await page.locator('[data-copy="Value"]').textContent())!;
    await dns.setTxt(name, value);
    await page.getByRole('button', { name: 'Check now' }).click();
    await page.getByTestId('status').filter({ hasText: 'Issued' }).waitFor({ timeout: 60_000 });
    await shot('issued');

    await withTempDir(async (dir) => {
      const [nginx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download for nginx' }).click()]);
      const zip = path.join(dir, 'nginx.zip');
      await nginx.saveAs(zip);
      run('unzip', ['-q', '-o', zip, '-d', dir]);
      const listing = run('unzip', ['-Z1', zip]).split('\n');
      const crt = path.join(dir, listing.find((n) => n.endsWith('_bundle.crt'))!);
      const key = path.join(dir, listing.find((n) => n.endsWith('.key'))!);
      assert.match(run('openssl', ['x509', '-in', crt, '-noout', '-subject']), new RegExp(domain.replace(/\./g, '\\.')));
      assert.equal(run('openssl', ['x509', '-in', crt, '-noout', '-pubkey']), run('openssl', ['pkey', '-in', key, '-pubout']));
      const root = path.join(dir, 'root.pem');
      writeFileSync(root, t.svc.core.ca.rootPem);
      assert.match(run('openssl', ['verify', '-CAfile', root, '-untrusted', crt, crt]), /OK/);

      // Deployment on PostgreSQL: a `local` resource writing into this folder.
      const target = path.join(dir, 'deployed.pem');
      await t.svc.core.services.resources.addResource({
        accountUin: t.cred.accountUin, name: 'pg-web', type: 'cdn', domains: [domain], deployer: 'local', config: { files: [{ path: target, format: 'fullchain' }] },
      });
      await page.getByLabel('Resource type').selectOption('cdn');
      await page.getByLabel(`Deploy to ${domain}`).check();
      await page.getByRole('button', { name: 'Deploy to 1 selected' }).click();
      const note = (await page.getByRole('status').filter({ hasText: /record \d+/ }).textContent())!;
      const rid = /record (\d+)/.exec(note)![1]!;
      await page.locator(`tr[data-record="${rid}"] [data-status="1"]`).waitFor({ timeout: 30_000 });
      assert.equal(run('openssl', ['x509', '-in', target, '-noout', '-fingerprint', '-sha256']), run('openssl', ['x509', '-in', crt, '-noout', '-fingerprint', '-sha256']));
      assert.ok(readFileSync(target, 'utf8').includes('BEGIN CERTIFICATE'));
    });
    await shot('deployed');
    assert.equal(id.length, 8);
  });
});

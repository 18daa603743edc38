// The console in real headless Chromium (Debian's /usr/bin/chromium through playwright-core)
// against a real certport on SQLite (issue 25): sign-in by keyboard, a wrong password refused
// then throttled; apply → publish the shown TXT record on the test DNS server → check now →
// issued → the nginx ZIP checked with openssl and the JKS with keytool and the password the
// page shows; upload and find by search; another account sees nothing; CSRF; session expiry;
// Chinese and phone width; the dashboard; bulk alias and a tag filter; CSRs; a certificate's operation log, deployments and revocation. Screenshots go to artifacts/console/ (gitignored) for review.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestService, type TestService } from '../../testing/harness.js';
import { startFileServer, validationEnv, type FileServer } from '../../testing/dv.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { makeChain, run, withTempDir } from '../../testing/pki-fixtures.js';
import { ConsoleClient } from '../../testing/console-client.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../../testing/browser.js';

const MIN = 60_000;

describe('console in Chromium (sqlite)', () => {
  let dns: ChallTestSrv;
  let web: FileServer;
  let t: TestService;
  let browser: Browser;
  let base: string;
  let offset = 0;
  const PASSWORD = 'root-password-1';
  let other: { uin: string; password: string };
  let uploadedId = '';
  let issuedId = '';

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [dns, web] = await Promise.all([startChallTestSrv(), startFileServer()]);
    t = await startTestService('sqlite', { env: validationEnv(dns.dns, web), clock: () => Date.now() + offset });
    base = `http://127.0.0.1:${t.port}`;
    const index = await fetch(`${base}/console/`);
    assert.equal(index.status, 200, 'the console is built (npm run build runs vite build into dist/console)');
    await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, PASSWORD);
    const o = await t.newAccount();
    other = { uin: o.accountUin, password: 'other-password' };
    await t.svc.core.console.setPassword(o.accountUin, o.accountUin, other.password);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await Promise.all([dns?.stop(), web?.stop()]);
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const context = (opts: { locale?: string; width?: number } = {}) => browser.newContext({
    locale: opts.locale ?? 'en-US', viewport: { width: opts.width ?? 1280, height: 860 }, acceptDownloads: true,
  });
  /** Signs in through the form, by keyboard: the user field has focus, Tab moves on, Enter submits. */
  async function signIn(page: Page, user: string, password: string, account = '') {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Account ID (Uin)').fill(account);
    await page.getByLabel('User name or SubAccountUin').focus();
    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
  }
  let ctx: BrowserContext;
  let page: Page;

  test('the page is served with its CSP, cached assets and compression', async () => {
    const index = await fetch(`${base}/console/certificates/abc`, { headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(index.status, 200, 'an app route answers the index page');
    assert.match(index.headers.get('content-security-policy')!, /default-src 'self'/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const js = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(base + js, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(asset.headers.get('cache-control')!, /immutable/);
    assert.equal(asset.headers.get('content-encoding'), 'gzip');
    assert.equal((await fetch(`${base}/console/assets/nope.js`)).status, 404);
    // Only built files are reachable: a path climbing out gets the app (or 404), never the file.
    for (const raw of ['/console/../../package.json', '/console/..%2f..%2fpackage.json', '/console/assets/../../../package.json']) {
      const body = await new Promise<string>((ok, fail) => http.get({ host: '127.0.0.1', port: t.port, path: raw }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => { b += d.toString(); }).on('end', () => ok(b));
      }).on('error', fail));
      assert.doesNotMatch(body, /"devDependencies"/, raw);
    }
  });

  test('sign-in: a wrong password is refused, then throttled even with the right one; the right one signs in', async () => {
    await t.svc.core.console.createUser(t.cred.accountUin, 'mallory', 'mallory-password');
    ctx = await context();
    page = await ctx.newPage();
    await page.goto(`${base}/console/`);
    await page.getByRole('heading', { name: 'Sign in to certport' }).waitFor();
    assert.equal(await page.getByRole('status').count(), 0, 'no "session ended" notice on a first visit');
    await shot(page, '01-sign-in');
    for (let i = 0; i < 5; i++) {
      await signIn(page, 'mallory', 'not-the-password', t.cred.accountUin);
      await page.getByRole('alert').filter({ hasText: 'The user name or the password is wrong.' }).waitFor();
    }
    await signIn(page, 'mallory', 'mallory-password', t.cred.accountUin);
    await page.getByRole('alert').filter({ hasText: 'Too many failed sign-ins' }).waitFor();
    await shot(page, '02-throttled');
    await signIn(page, t.cred.accountUin, PASSWORD);
    await page.getByRole('heading', { name: 'Certificates' }).waitFor();
    const cookies = await ctx.cookies();
    const session = cookies.find((c) => c.name === 'certport_console')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'script never sees the session');
  });

  test('apply for a certificate, publish the TXT record shown, check now, watch it issue, download for nginx and JKS', async () => {
    const domain = `www-${randomBytes(3).toString('hex')}.example.test`;
    await page.getByRole('link', { name: 'Apply for a free certificate' }).click();
    await page.getByLabel('Domain name').fill(domain);
    await page.getByLabel('DNS TXT record (manual)').check();
    await page.getByLabel('Key type').selectOption('ECC');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('heading', { name: 'Domain validation' }).waitFor();
    issuedId = page.url().split('/').pop()!;
    const name = (await page.locator('[data-copy="Full name"]').textContent())!;
    const value = (await page.locator('[data-copy="Value"]').textContent())!;
    assert.equal(name, `_dnsauth.${domain}`);
    assert.match(value, /^\d{14}[0-9a-z]{40}$/);
    assert.equal(await page.locator('[data-copy="Host (record name)"]').textContent(), `_dnsauth.${domain.split('.')[0]}`);
    await page.getByRole('button', { name: 'Check now' }).click();
    await page.getByRole('list', { name: 'Last check' }).filter({ hasText: 'Not found yet' }).waitFor();
    await shot(page, '03-validation');
    await dns.setTxt(name, value);
    await page.getByRole('button', { name: 'Check now' }).click();
    await page.getByTestId('status').filter({ hasText: 'Issued' }).waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Download' }).waitFor();
    await shot(page, '04-issued');

    await withTempDir(async (dir) => {
      const [nginx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download for nginx' }).click()]);
      const zip = path.join(dir, 'nginx.zip');
      await nginx.saveAs(zip);
      run('unzip', ['-q', '-o', zip, '-d', dir]);
      const listing = run('unzip', ['-Z1', zip]);
      const crt = path.join(dir, listing.split('\n').find((n) => n.endsWith('_bundle.crt'))!);
      const key = path.join(dir, listing.split('\n').find((n) => n.endsWith('.key'))!);
      assert.match(run('openssl', ['x509', '-in', crt, '-noout', '-subject']), new RegExp(domain.replace(/\./g, '\\.')));
      assert.equal(run('openssl', ['x509', '-in', crt, '-noout', '-pubkey']), run('openssl', ['pkey', '-in', key, '-pubout']), 'the key is the certificate\'s');
      const root = path.join(dir, 'root.pem');
      writeFileSync(root, t.svc.core.ca.rootPem);
      assert.match(run('openssl', ['verify', '-CAfile', root, '-untrusted', crt, crt]), /OK/);

      const [jks] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download for jks' }).click()]);
      const jzip = path.join(dir, 'jks.zip');
      await jks.saveAs(jzip);
      const password = (await page.locator('[data-copy="Keystore password"]').textContent())!;
      assert.ok(password.length >= 8);
      const jdir = path.join(dir, 'j');
      run('unzip', ['-q', '-o', jzip, '-d', jdir]);
      const store = run('unzip', ['-Z1', jzip]).split('\n').find((n) => n.endsWith('.jks'))!;
      assert.match(run('keytool', ['-list', '-keystore', path.join(jdir, store), '-storetype', 'JKS', '-storepass', password]), /PrivateKeyEntry/);
    });
    await shot(page, '05-downloaded');
  });

  test('upload a certificate (paste) and find it by search', async () => {
    const domain = `upload-${randomBytes(3).toString('hex')}.example.org`;
    const chain = await makeChain('RSA', domain);
    await page.getByRole('link', { name: 'Upload a certificate' }).click();
    await page.getByLabel('Certificate (PEM, with chain)').fill(chain.leafPem + chain.intermediatePem);
    await page.getByLabel('Private key (PEM)').fill(chain.keyPem);
    await page.getByLabel('Alias', { exact: true }).fill('pasted');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('heading', { name: 'Details' }).waitFor();
    uploadedId = page.url().split('/').pop()!;
    await page.getByRole('link', { name: 'Certificates', exact: true }).click();
    await page.getByRole('table').waitFor();
    await shot(page, '06-list');
    await page.getByLabel('Search').fill(domain.split('.')[0]!);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText(/Page 1 of 1 · 1 certificates/).waitFor();
    assert.deepEqual(await page.locator('table.certs tbody tr a').allTextContents(), [domain]);
    assert.equal(await page.locator('table.certs tbody tr .days').count(), 1, 'days left shown');
    await shot(page, '07-search');
  });

  test('the dashboard counts the certificates by status, the expiring ones and those waiting for validation', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const tiles = page.getByTestId('by-status');
    await tiles.waitFor();
    assert.equal(await tiles.getByRole('link', { name: 'in all' }).locator('.n').textContent(), '2');
    assert.equal(await tiles.getByRole('link', { name: 'Issued' }).locator('.n').textContent(), '2');
    assert.equal(await tiles.getByRole('link', { name: 'Pending validation' }).locator('.n').textContent(), '0');
    const api = new ConsoleClient(base);
    await api.login(t.cred.accountUin, PASSWORD);
    const expiring = await api.action('DescribeCertificates', { FilterExpiring: 1 });
    assert.equal(await page.getByTestId('within30').textContent(), String(expiring.TotalCount));
    await page.getByText('No certificate is waiting for validation.').waitFor();
    await shot(page, '08-dashboard');
    await tiles.getByRole('link', { name: 'Issued' }).click();
    await page.getByText(/Page 1 of 1 · 2 certificates/).waitFor();
  });

  test('the list: an alias for the selected certificates at once, and a tag filter', async () => {
    await page.getByLabel('Select all on this page').check();
    await page.getByLabel('Alias for the selected').fill('bulk-alias');
    await page.getByRole('button', { name: 'Set alias (2)' }).click();
    await page.getByRole('status').filter({ hasText: 'Done for 2 certificates.' }).waitFor();
    await page.locator('table.certs tbody tr .muted').filter({ hasText: 'bulk-alias' }).nth(1).waitFor();
    const api = new ConsoleClient(base);
    await api.login(t.cred.accountUin, PASSWORD);
    for (const id of [issuedId, uploadedId]) assert.equal((await api.action('DescribeCertificateDetail', { CertificateId: id })).Alias, 'bulk-alias');
    await page.getByLabel('Tag (key=value)').fill('env=nowhere');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No certificates match.').waitFor();
  });

  test('CSRs: create one with its key, read it (openssl agrees), delete it', async () => {
    await page.getByRole('link', { name: 'CSRs' }).click();
    await page.getByText('No CSRs yet.').waitFor();
    const domain = `csr-${randomBytes(3).toString('hex')}.example.net`;
    for (const [label, v] of [['Domain name', domain], ['Organization', 'Example Ltd'], ['Department', 'IT'], ['Email', 'it@example.net'],
      ['Province or state', 'Guangdong'], ['City', 'Shenzhen']] as const) await page.getByLabel(label, { exact: true }).fill(v);
    await page.getByLabel('Key type').selectOption({ label: 'ECC P-256' });
    await page.getByRole('button', { name: 'Create a CSR' }).click();
    const pem = (await page.locator('[data-copy="CSR"]').textContent())!;
    await withTempDir(async (dir) => {
      const f = path.join(dir, 'req.pem');
      writeFileSync(f, pem);
      const out = run('openssl', ['req', '-in', f, '-noout', '-verify', '-subject']);
      assert.match(out, new RegExp(`CN ?= ?${domain.replace(/\./g, '\\.')}`));
      assert.match(out, /O ?= ?Example Ltd/);
    });
    await page.getByRole('cell', { name: domain }).waitFor();
    await shot(page, '08b-csr');
    await page.locator('table.csrs tbody tr').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Delete selected (1)' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('No CSRs yet.').waitFor();
  });

  test('CSRF: a state change from the page without the session\'s token is refused', async () => {
    const r = await page.evaluate(async (id) => {
      const res = await fetch('/console/api/DeleteCertificate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ CertificateId: id }) });
      return { status: res.status, body: await res.json() as { Response: { Error: { Code: string } } } };
    }, uploadedId);
    assert.equal(r.status, 403);
    assert.equal(r.body.Response.Error.Code, 'AuthFailure.UnauthorizedOperation');
    const root = new ConsoleClient(base);
    await root.login(t.cred.accountUin, PASSWORD);
    assert.equal((await root.action('DescribeCertificateDetail', { CertificateId: uploadedId })).CertificateId, uploadedId, 'still there');
  });

  test('a user of another account sees none of it, in the page or by calling the endpoint with a foreign id', async () => {
    const octx = await context();
    const p = await octx.newPage();
    await signIn(p, other.uin, other.password);
    await p.getByText('No certificates match.').waitFor();
    await p.goto(`${base}/console/certificates/${issuedId}`);
    await p.getByRole('alert').filter({ hasText: 'FailedOperation.CertificateNotFound' }).waitFor();
    await shot(p, '09-foreign-id');
    const c = new ConsoleClient(base);
    await c.login(other.uin, other.password);
    for (const [action, params] of [['DescribeCertificateDetail', {}], ['DownloadCertificate', {}], ['CheckCertificateDomainVerification', {}],
      ['DescribeDownloadCertificateUrl', { ServiceType: 'nginx' }], ['DeleteCertificate', {}]] as const) {
      await assert.rejects(c.action(action, { CertificateId: uploadedId, ...params }), (e: { code: string }) => /NotFound|NotExist/.test(e.code), action);
    }
    await octx.close();
  });

  test('API keys: create one (shown once), and the page in Chinese and at phone width', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create a key' }).click();
    const secretKey = (await page.locator('[data-copy="SecretKey"]').textContent())!;
    assert.ok(secretKey.length >= 16);
    await shot(page, '10-keys');
    await page.reload();
    await page.getByRole('table', { name: 'API keys' }).waitFor();
    assert.ok(!(await page.content()).includes(secretKey), 'shown once');

    const zh = await context({ locale: 'zh-CN', width: 390 });
    const p = await zh.newPage();
    await p.goto(`${base}/console/`);
    await p.getByRole('heading', { name: '登录 certport' }).waitFor();
    await p.getByLabel('用户名或子账号 Uin').fill(t.cred.accountUin);
    await p.getByLabel('密码').fill(PASSWORD);
    await p.getByRole('button', { name: '登录' }).click();
    await p.getByRole('heading', { name: '我的证书' }).waitFor();
    await p.locator('table.certs').waitFor();
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 390 px');
    await shot(p, '11-list-zh-phone');
    await p.getByLabel('语言').selectOption('en');
    await p.getByRole('heading', { name: 'Certificates' }).waitFor();
    await p.goto(`${base}/console/certificates/${issuedId}`);
    await p.getByRole('heading', { name: 'Details' }).waitFor();
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'detail fits at 390 px');
    await shot(p, '12-detail-phone');
    await zh.close();
  });

  test('the root user creates a sub-user in the console, who signs in by name and sees the account\'s certificates', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('User name', { exact: true }).fill('zoe');
    await page.getByLabel('Password', { exact: true }).fill('zoe-password-1');
    await page.getByRole('button', { name: 'Create a user' }).click();
    await page.getByRole('status').filter({ hasText: 'Created zoe' }).waitFor();
    await page.getByRole('cell', { name: 'zoe', exact: true }).waitFor();
    await shot(page, '13-users');
    const zctx = await context();
    const z = await zctx.newPage();
    await signIn(z, 'zoe', 'zoe-password-1', t.cred.accountUin);
    await z.locator('table.certs tbody tr').first().waitFor();
    assert.equal(await z.locator('table.certs tbody tr').count(), 2);
    assert.equal(await z.getByRole('link', { name: 'Users' }).count(), 0, 'only the root user manages users');
    await zctx.close();
  });

  test('a certificate\'s page: its operation log and deployments, and revoking it with a reason', async () => {
    await page.goto(`${base}/console/certificates/${issuedId}`);
    const log = page.getByTestId('oplog');
    await log.waitFor();
    assert.ok(await log.locator('tbody tr').count() >= 2, 'applied and downloaded, at least');
    assert.ok((await log.locator('tbody tr').allTextContents()).every((r) => r.includes(issuedId)), 'only this certificate\'s entries');
    await page.getByText('This certificate has not been deployed.').waitFor();
    await page.getByLabel('Reason').selectOption('superseded');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByTestId('status').filter({ hasText: 'Revoked' }).waitFor();
    await log.locator('tbody tr').filter({ hasText: 'superseded' }).first().waitFor();
    await shot(page, '14-revoked');
    const root = new ConsoleClient(base);
    await root.login(t.cred.accountUin, PASSWORD);
    const d = await root.action('DescribeCertificateDetail', { CertificateId: issuedId });
    assert.equal(d.Status, 10);
  });

  test('an idle session ends: the next action brings the sign-in page back', async () => {
    offset += (t.svc.core.config.consoleIdleMinutes + 1) * MIN;
    await page.getByRole('link', { name: 'Certificates', exact: true }).click();
    await page.getByText('Your session has ended. Please sign in again.').waitFor();
    await shot(page, '15-session-ended');
    await ctx.close();
  });
});

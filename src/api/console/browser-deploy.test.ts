// The console's deployments, notices and channels in real headless Chromium (Debian's chromium
// through playwright-core) against a real certport on SQLite (issue 25): the registered `local`
// resources listed; a certificate deployed from its page to two of them, one failing (its reload
// refuses), the files written by the other; the dashboard counts the failure; retry of the failed
// resource once its reload is fixed; a second certificate deployed and rolled back from the
// Deployments page (the first one's files come back); channels set by the root user (refused for
// a sub-user, without the CSRF token, and for a too-short secret), a test notice signed and
// received by a real webhook server; notices listed; the expiry-notice switch on the certificate
// page and in bulk on the list; Chinese at phone width. Screenshots in artifacts/console/.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestService, type TestService } from '../../testing/harness.js';
import { makeChain, type TestChain } from '../../testing/pki-fixtures.js';
import { ConsoleClient } from '../../testing/console-client.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../../testing/browser.js';

const NAME = 'shop.console-deploy.test';
const PASSWORD = 'root-password-1';

interface Hook { method: string; headers: http.IncomingHttpHeaders; body: string }

describe('console deployments, notices and channels in Chromium (sqlite)', () => {
  let t: TestService;
  let browser: Browser;
  let base: string;
  let dir: string;
  let hook: http.Server;
  let hookUrl: string;
  const hooks: Hook[] = [];
  let a: TestChain;
  let b: TestChain;
  let aId = '';
  let bId = '';
  const res: Record<string, string> = {};
  let ctx: BrowserContext;
  let page: Page;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'certport-console-deploy-'));
    hook = http.createServer((req, reply) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); }).on('end', () => {
        hooks.push({ method: req.method ?? '', headers: req.headers, body });
        reply.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => hook.listen(0, '127.0.0.1', ok));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    t = await startTestService('sqlite');
    base = `http://127.0.0.1:${t.port}`;
    assert.equal((await fetch(`${base}/console/`)).status, 200, 'the console is built (npm run build)');
    await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, PASSWORD);
    await t.svc.core.console.createUser(t.cred.accountUin, 'sam', 'sam-password-1');
    [a, b] = await Promise.all([makeChain('EC', NAME), makeChain('EC', NAME)]);
    aId = (await t.client.UploadCertificate({ CertificatePublicKey: a.leafPem + a.intermediatePem, CertificatePrivateKey: a.keyPem, Alias: 'cert-a' })).CertificateId!;
    bId = (await t.client.UploadCertificate({ CertificatePublicKey: b.leafPem + b.intermediatePem, CertificatePrivateKey: b.keyPem, Alias: 'cert-b' })).CertificateId!;
    // Two `local` resources on this host: web-1 writes its files; web-2's reload refuses until a flag file exists.
    for (const d of ['web-1', 'web-2']) mkdirSync(path.join(dir, d));
    const r = t.svc.core.services.resources;
    res.web1 = (await r.addResource({
      accountUin: t.cred.accountUin, name: 'web-1', type: 'clb', region: 'ap-test', domains: [NAME], deployer: 'local',
      config: { files: [{ path: path.join(dir, 'web-1', 'fullchain.pem'), format: 'fullchain' }, { path: path.join(dir, 'web-1', 'key.pem'), format: 'key' }] },
    })).id;
    res.web2 = (await r.addResource({
      accountUin: t.cred.accountUin, name: 'web-2', type: 'clb', region: 'ap-test', domains: [NAME], deployer: 'local',
      config: {
        files: [{ path: path.join(dir, 'web-2', 'fullchain.pem'), format: 'fullchain' }],
        reload: ['/bin/sh', '-c', `test -e '${path.join(dir, 'reload-ok')}' || { echo 'reload refused: the flag file is missing' >&2; exit 3; }`],
      },
    })).id;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await new Promise<void>((ok) => (hook ? hook.close(() => ok()) : ok()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const context = (opts: { locale?: string; width?: number } = {}) => browser.newContext({
    locale: opts.locale ?? 'en-US', viewport: { width: opts.width ?? 1280, height: 860 },
  });
  async function signIn(p: Page, user: string, password: string) {
    await p.goto(`${base}/console/`);
    await p.getByLabel('User name or SubAccountUin').fill(user);
    await p.getByLabel('Password').fill(password);
    await p.keyboard.press('Enter');
  }
  const record = (p: Page, id: number | string) => p.locator(`tr[data-record="${id}"]`);
  async function recordIdFromNote(p: Page): Promise<number> {
    const note = (await p.getByRole('status').filter({ hasText: /record \d+/ }).first().textContent())!;
    return Number(/record (\d+)/.exec(note)![1]);
  }

  test('the Deployments page lists the resources registered for the account', async () => {
    ctx = await context();
    page = await ctx.newPage();
    await signIn(page, t.cred.accountUin, PASSWORD);
    await page.getByRole('heading', { name: 'Certificates' }).waitFor();
    await page.getByRole('link', { name: 'Deployments', exact: true }).click();
    const table = page.getByRole('table', { name: 'Resources' });
    await table.waitFor();
    for (const id of [res.web1!, res.web2!]) await table.getByRole('cell', { name: new RegExp(id) }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 2);
    await page.getByRole('tab', { name: 'Deployments' }).waitFor();
    await page.getByText('No records.').waitFor();
    await shot(page, '20-deployments-empty');
  });

  test('deploy from the certificate\'s page to two resources: one written, one failing with its reload\'s stderr; the dashboard counts it; retry succeeds', async () => {
    await page.goto(`${base}/console/certificates/${aId}`);
    await page.getByRole('heading', { name: 'Deploy this certificate' }).waitFor();
    await page.getByRole('group', { name: 'Covered by this certificate' }).waitFor();
    await page.getByLabel('Deploy to web-1').check();
    await page.getByLabel('Deploy to web-2').check();
    await page.getByRole('button', { name: 'Deploy to 2 selected' }).click();
    const rid = await recordIdFromNote(page);
    await record(page, rid).locator('[data-status="2"]').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: `Details of record ${rid}` }).click();
    const details = page.getByRole('region', { name: `Details of record ${rid}` });
    await details.getByText('1 succeeded · 1 failed · 0 running · 0 pending').waitFor();
    await details.locator('pre.errmsg').filter({ hasText: 'reload refused: the flag file is missing' }).waitFor();
    await shot(page, '21-deploy-failed');
    // web-1 got the certificate and its key, the key file private.
    const chain = readFileSync(path.join(dir, 'web-1', 'fullchain.pem'), 'utf8');
    assert.ok(chain.startsWith(a.leafPem.trim()), 'the leaf first');
    assert.ok(chain.includes(a.intermediatePem.trim()), 'then the chain');
    assert.equal(readFileSync(path.join(dir, 'web-1', 'key.pem'), 'utf8').trim(), a.keyPem.trim());
    assert.equal(statSync(path.join(dir, 'web-1', 'key.pem')).mode & 0o777, 0o600);
    assert.ok(!existsSync(path.join(dir, 'web-2', 'fullchain.pem')), 'a failed reload puts the old (no) file back');

    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('failed-deployments').filter({ hasText: '1' }).waitFor();
    assert.equal(await page.getByTestId('failed-renewals').textContent(), '0');
    await page.getByRole('link', { name: `Deployments #${rid}` }).waitFor();
    await shot(page, '22-dashboard-failed-deployment');

    writeFileSync(path.join(dir, 'reload-ok'), '');
    await page.goto(`${base}/console/certificates/${aId}`);
    await page.getByRole('button', { name: `Details of record ${rid}` }).click();
    await page.getByRole('button', { name: 'Retry web-2' }).click();
    await page.getByRole('status').filter({ hasText: `Retry started for record ${rid}.` }).waitFor();
    await record(page, rid).locator('[data-status="1"]').waitFor({ timeout: 30_000 });
    await details.getByText('2 succeeded · 0 failed · 0 running · 0 pending').waitFor();
    assert.ok(readFileSync(path.join(dir, 'web-2', 'fullchain.pem'), 'utf8').startsWith(a.leafPem.trim()));
    await shot(page, '23-deploy-retried');
    const api = new ConsoleClient(base);
    await api.login(t.cred.accountUin, PASSWORD);
    const d = await api.action('DescribeHostDeployRecordDetail', { DeployRecordId: String(rid) });
    assert.equal(d.SuccessTotalCount, 2);
    assert.equal(d.FailedTotalCount, 0);
  });

  test('a second certificate deployed to web-1, then rolled back from the Deployments page: the first one\'s files come back', async () => {
    await page.goto(`${base}/console/certificates/${bId}`);
    await page.getByLabel('Deploy to web-1').check();
    await page.getByRole('button', { name: 'Deploy to 1 selected' }).click();
    const rid = await recordIdFromNote(page);
    await record(page, rid).locator('[data-status="1"]').waitFor({ timeout: 30_000 });
    assert.ok(readFileSync(path.join(dir, 'web-1', 'fullchain.pem'), 'utf8').startsWith(b.leafPem.trim()));

    await page.getByRole('link', { name: 'Deployments', exact: true }).click();
    const all = page.getByRole('table', { name: 'Deployments' });
    await record(page, rid).waitFor();
    assert.equal(await all.locator('tbody tr[data-record]').count(), 2, 'both records of the account, without naming a certificate');
    await page.getByLabel('Certificate ID').fill(bId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(new RegExp(`cert=${bId}`));
    await record(page, rid).waitFor();
    assert.equal(await page.locator('tbody tr[data-record]').count(), 1);
    await page.getByRole('button', { name: `Roll back record ${rid}` }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    const note = (await page.getByRole('status').filter({ hasText: 'Rollback started' }).textContent())!;
    const back = Number(/record (\d+)/.exec(note)![1]);
    assert.ok(back > rid);
    // A rollback record names no single certificate (each resource gets its own previous one): it is in the account's list.
    await page.getByRole('button', { name: 'All certificates' }).click();
    await record(page, back).locator('[data-status="1"]').waitFor({ timeout: 30_000 });
    assert.ok(readFileSync(path.join(dir, 'web-1', 'fullchain.pem'), 'utf8').startsWith(a.leafPem.trim()), 'certificate A is back');
    await page.getByRole('tab', { name: 'One-click updates' }).click();
    await page.getByText('No records.').waitFor();
    await shot(page, '24-rolled-back');
  });

  test('channels: a sub-user and a request without the CSRF token are refused; the root user sets them and a signed test notice arrives', async () => {
    const sam = new ConsoleClient(base);
    await sam.login('sam', 'sam-password-1', t.cred.accountUin);
    const view = await sam.call('GET', 'notify');
    assert.equal(view.body.Response.CanChange, false);
    for (const p of ['notify/set', 'notify/test']) {
      const r = await sam.call('POST', p, { webhookUrl: hookUrl, webhookSecret: 'x'.repeat(20) });
      assert.equal(r.body.Response.Error.Code, 'AuthFailure.UnauthorizedOperation', p);
    }
    const root = new ConsoleClient(base);
    await root.login(t.cred.accountUin, PASSWORD);
    const noCsrf = await root.call('POST', 'notify/set', { webhookUrl: hookUrl }, { 'x-csrf-token': 'nope' });
    assert.equal(noCsrf.status, 403);
    assert.equal((await root.call('GET', 'notify')).body.Response.WebhookUrl, null, 'nothing changed');

    await page.getByRole('link', { name: 'Notices', exact: true }).click();
    await page.getByText('No channel is set: notices reach nobody.').waitFor();
    await page.getByText('No notices yet.').waitFor();
    await page.getByLabel('Email addresses').fill('ops@example.com, oncall@example.com');
    await page.getByLabel('Webhook URL').fill(hookUrl);
    await page.getByLabel('Webhook secret').fill('too-short');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'webhookSecret must be at least 16 characters' }).waitFor();
    const secret = randomBytes(16).toString('hex');
    await page.getByLabel('Webhook secret').fill(secret);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).filter({ hasText: 'CERTPORT_SMTP_URL is not set' }).waitFor();
    await page.getByText('A secret is stored (never shown).').waitFor();
    assert.equal(await page.getByLabel('Webhook secret').inputValue(), '', 'the secret is not shown again');
    const stored = await t.svc.core.notices.getChannels(t.cred.accountUin);
    assert.deepEqual(stored.emails, ['ops@example.com', 'oncall@example.com']);
    assert.equal(stored.webhookUrl, hookUrl);
    assert.equal(stored.webhookSecretSet, true);

    await page.getByRole('button', { name: 'Send a test notice' }).click();
    const results = page.getByTestId('test-results');
    await results.waitFor();
    await results.getByText(/Webhook.*delivered/).waitFor();
    await results.getByText(/Email.*failed.*CERTPORT_SMTP_URL is not set/).waitFor();
    const got = hooks.find((h) => h.headers['x-certport-event'] === 'notice.test')!;
    assert.ok(got, 'the webhook server got the test notice');
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got.headers['x-certport-signature']))!;
    assert.equal(createHmac('sha256', secret).update(`${sig[1]}.${got.body}`).digest('hex'), sig[2], 'signed with the secret set in the page');
    assert.equal(JSON.parse(got.body).accountUin, t.cred.accountUin);
    await shot(page, '25-channels');
  });

  test('notices: a failed renewal raised for the account is listed, delivered to the webhook, and counted on the dashboard', async () => {
    await t.svc.core.notices.raise({
      accountUin: t.cred.accountUin, certId: aId, kind: 'renewal-failed', key: `renewal-failed:${aId}:console-test`,
      subject: `Renewal of ${NAME} failed`, text: 'The CA refused the order.', data: { certId: aId },
    });
    await page.reload();
    const list = page.getByRole('table', { name: 'Notices' });
    await list.getByRole('cell', { name: 'Renewal failed' }).waitFor();
    await list.getByRole('link', { name: `Renewal of ${NAME} failed` }).waitFor();
    // Delivered by the notice job: the webhook took it, the email channel cannot (no SMTP server).
    for (let i = 0; i < 100 && !hooks.some((h) => h.headers['x-certport-event'] === 'notice.renewal-failed'); i++) await new Promise((ok) => setTimeout(ok, 100));
    assert.ok(hooks.some((h) => h.headers['x-certport-event'] === 'notice.renewal-failed'));
    await page.reload();
    await list.getByText('Webhook: Sent').waitFor();
    await shot(page, '26-notices');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('failed-renewals').filter({ hasText: '1' }).waitFor();
    assert.equal(await page.getByTestId('failed-deployments').textContent(), '0', 'the failed deployment was retried');
    // Another account sees none of it.
    const o = await t.newAccount();
    await t.svc.core.console.setPassword(o.accountUin, o.accountUin, 'other-password');
    const other = new ConsoleClient(base);
    await other.login(o.accountUin, 'other-password');
    assert.equal((await other.call('GET', 'notices')).body.Response.TotalCount, 0);
    assert.equal((await other.call('GET', 'deploy-records')).body.Response.TotalCount, 0);
    assert.equal((await other.call('GET', 'notify')).body.Response.WebhookUrl, null);
    await assert.rejects(other.action('DeployCertificateRecordRetry', { DeployRecordId: 1 }), (e: { code: string }) => e.code === 'FailedOperation.CertificateDeployNotExist');
  });

  test('the expiry-notice switch: off on the certificate\'s page, shown in the list, on again in bulk', async () => {
    const api = new ConsoleClient(base);
    await api.login(t.cred.accountUin, PASSWORD);
    const ignored = async (id: string) => ((await api.action('DescribeCertificates', { SearchKey: id })).Certificates as { CertificateId: string; IsIgnore: boolean }[])
      .find((c) => c.CertificateId === id)!.IsIgnore;
    await page.goto(`${base}/console/certificates/${aId}`);
    const sw = page.getByTestId('expiry-switch');
    await sw.getByText('On: notices are sent before this certificate expires.').waitFor();
    await sw.getByRole('button', { name: 'Turn off' }).click();
    await sw.getByText('Off: no expiry notice for this certificate.').waitFor();
    assert.equal(await ignored(aId), true);
    await page.getByRole('link', { name: 'Certificates', exact: true }).click();
    await page.locator('table.certs tbody tr').filter({ hasText: aId }).getByText('expiry notices off', { exact: true }).waitFor();
    assert.equal(await page.getByText('expiry notices off', { exact: true }).count(), 1);
    await page.getByLabel('Select all on this page').check();
    await page.getByRole('button', { name: 'Expiry notices on (2)' }).click();
    await page.getByRole('status').filter({ hasText: 'Done for 2 certificates.' }).waitFor();
    // exact: while the two rows are selected, the bulk button "Expiry notices off (2)" holds the words too
    await page.getByText('expiry notices off', { exact: true }).waitFor({ state: 'detached' });
    assert.equal(await ignored(aId), false);
  });

  test('Deployments and Notices in Chinese at phone width', async () => {
    const zh = await context({ locale: 'zh-CN', width: 390 });
    const p = await zh.newPage();
    await p.goto(`${base}/console/`);
    await p.getByLabel('用户名或子账号 Uin').fill(t.cred.accountUin);
    await p.getByLabel('密码').fill(PASSWORD);
    await p.getByRole('button', { name: '登录' }).click();
    await p.getByRole('heading', { name: '我的证书' }).waitFor();
    await p.getByRole('link', { name: '部署', exact: true }).click();
    await p.getByRole('heading', { name: '资源' }).waitFor();
    await p.locator('tbody tr[data-record]').first().waitFor();
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 390 px');
    await shot(p, '27-deployments-zh-phone');
    await p.getByRole('link', { name: '通知', exact: true }).click();
    await p.getByRole('heading', { name: '通知渠道' }).waitFor();
    await p.getByRole('cell', { name: '续期失败' }).waitFor();
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 390 px');
    await shot(p, '28-notices-zh-phone');
    // Keyboard: Tab reaches the test button from the form and Enter presses it.
    await p.getByLabel('Webhook 地址').focus();
    let focused = '';
    for (let i = 0; i < 6 && focused !== '发送测试通知'; i++) {
      await p.keyboard.press('Tab');
      focused = await p.evaluate(() => document.activeElement?.textContent ?? '');
    }
    assert.equal(focused, '发送测试通知');
    await zh.close();
    await ctx.close();
  });
});

// Paid orders and operators in real headless Chromium (Debian's /usr/bin/chromium through
// playwright-core) against a real certport on SQLite (issue 25): a customer orders an OV
// certificate in the console and uploads the confirmation letter (a refused file shows the
// spec's code); a user of another account sees none of it, in the page or by calling the
// endpoints; an operator signs in, finds the order, opens and saves the letter, approves; the
// customer publishes the TXT record shown and sees the certificate issued; the OV revocation
// letter and its confirmation; the accounts and CA pages; Chinese at phone width.
// Screenshots go to artifacts/console/ (gitignored), named op-*.png.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestService, type TestService } from '../../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { ConsoleClient } from '../../testing/console-client.js';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../../testing/browser.js';
import { withTempDir } from '../../testing/pki-fixtures.js';

describe('console in Chromium: OV orders and operators (sqlite)', () => {
  let dns: ChallTestSrv;
  let t: TestService;
  let browser: Browser;
  let base: string;
  let dir: string;
  const PASSWORD = 'customer-password-1';
  const OP_PASSWORD = 'operator-password-1';
  let opsUin = '';
  let other: { uin: string; password: string };
  let letterFile = '';
  let tinyFile = '';
  let orderId = '';
  let customer: { ctx: BrowserContext; page: Page };
  let operator: { ctx: BrowserContext; page: Page };
  const domain = `shop-${randomBytes(3).toString('hex')}.example.test`;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dns = await startChallTestSrv();
    t = await startTestService('sqlite', { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '500', CERTPORT_PAID_LETTER: 'OV,EV' } });
    base = `http://127.0.0.1:${t.port}`;
    await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, PASSWORD);
    const o = await t.newAccount();
    other = { uin: o.accountUin, password: 'other-password-1' };
    await t.svc.core.console.setPassword(o.accountUin, o.accountUin, other.password);
    opsUin = (await t.newAccount()).accountUin;
    const rita = await t.svc.core.console.createUser(opsUin, 'rita', OP_PASSWORD);
    await t.svc.core.console.setOperator(opsUin, rita.uin, true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    dir = await mkdtemp(path.join(tmpdir(), 'certport-op-'));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await dns?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `op-${name}.png`), fullPage: true });
  const open = async (opts: { locale?: string; width?: number } = {}) => {
    const ctx = await browser.newContext({ locale: opts.locale ?? 'en-US', viewport: { width: opts.width ?? 1280, height: 860 }, acceptDownloads: true });
    return { ctx, page: await ctx.newPage() };
  };
  async function signIn(page: Page, user: string, password: string, account = '') {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Account ID (Uin)').fill(account);
    await page.getByLabel('User name or SubAccountUin').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  }

  test('a customer orders an OV certificate in the console and uploads the confirmation letter; a refused file shows the code', async () => {
    customer = await open();
    const { page } = customer;
    await page.goto(`${base}/console/`);
    await page.getByRole('heading', { name: 'Sign in to certport' }).waitFor();
    // A real PNG of some kilobytes, so that the operator's page can show it.
    letterFile = path.join(dir, 'letter.png');
    writeFileSync(letterFile, await page.screenshot());
    tinyFile = path.join(dir, 'tiny.png');
    writeFileSync(tinyFile, readFileSync(letterFile).subarray(0, 300));
    await signIn(page, t.cred.accountUin, PASSWORD);
    assert.equal(await page.getByRole('link', { name: 'Order review' }).count(), 0, 'a customer has no operator pages');
    await page.getByRole('link', { name: 'Order OV/EV' }).click();
    await page.getByRole('heading', { name: 'Order an OV/EV certificate' }).waitFor();
    for (const [label, v] of [['Domain name', domain], ['Organization name', 'Example Widgets Ltd'], ['Department', 'IT'], ['Address', '1 Example Road'],
      ['Country code (ISO 3166)', 'CN'], ['Province or state', 'Guangdong'], ['City', 'Shenzhen'], ['Postal code', '518000'], ['Phone area code', '0755'],
      ['Phone number', '86013388'], ['First name', 'Ada'], ['Last name', 'Lovelace'], ['Email', 'ada@example.test'], ['Phone', '13800000000'], ['Position', 'CTO']] as const) {
      await page.getByLabel(label, { exact: true }).fill(v);
    }
    await shot(page, '01-order-form');
    await page.getByRole('button', { name: 'Submit for review' }).click();
    await page.getByRole('heading', { name: 'Certificate order' }).waitFor();
    orderId = page.url().split('/').pop()!;
    assert.match(orderId, /^[A-Za-z0-9]{8}$/);
    await page.getByText('Upload the confirmation letter, signed and stamped').waitFor();
    assert.equal(await page.getByTestId('status').textContent(), 'Awaiting confirmation letter');

    await page.getByLabel('Confirmation letter (PDF, JPG or PNG)').setInputFiles(tinyFile);
    await page.getByRole('button', { name: 'Upload the letter' }).click();
    await page.getByTestId('letter-error').filter({ hasText: 'The letter is too small: at least 1 KB.' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'FailedOperation.ConfirmLetterTooSmall' }).waitFor();
    await shot(page, '02-letter-refused');
    await page.getByLabel('Confirmation letter (PDF, JPG or PNG)').setInputFiles(letterFile);
    await page.getByRole('button', { name: 'Upload the letter' }).click();
    await page.getByText('Submitted: an operator is reviewing the order.').waitFor();
    await shot(page, '03-under-review');
  });

  test('a user of another account sees none of it: the list, the page, the operator pages and the endpoints called directly', async () => {
    const o = await open();
    await signIn(o.page, other.uin, other.password);
    await o.page.getByText('No certificates match.').waitFor();
    await o.page.goto(`${base}/console/certificates/${orderId}`);
    await o.page.getByRole('alert').filter({ hasText: 'FailedOperation.CertificateNotFound' }).waitFor();
    await o.page.goto(`${base}/console/operator/orders/${orderId}`);
    await o.page.getByText('There is no such page.').waitFor();
    // The page's own fetch, with its session and CSRF token: the server says no, whatever the page shows.
    const r = await o.page.evaluate(async (id) => {
      const res = await fetch(`/console/api/operator/orders/${id}/letter`);
      return { status: res.status, body: await res.json() as { Response: { Error: { Code: string } } } };
    }, orderId);
    assert.equal(r.status, 403);
    assert.equal(r.body.Response.Error.Code, 'AuthFailure.UnauthorizedOperation');
    const c = new ConsoleClient(base);
    await c.login(other.uin, other.password);
    for (const [action, params] of [['DescribeCertificateDetail', {}], ['UploadConfirmLetter', { ConfirmLetter: readFileSync(letterFile).toString('base64') }],
      ['CancelCertificateOrder', {}]] as const) {
      await assert.rejects(c.action(action, { CertificateId: orderId, ...params }), (e: { code: string }) => /NotFound/.test(e.code), action);
    }
    assert.equal((await c.call('POST', `operator/orders/${orderId}/approve`, {})).status, 403);
    await o.ctx.close();
  });

  test('an operator signs in, finds the order, opens and saves the letter, and approves it', async () => {
    operator = await open();
    const { page, ctx } = operator;
    await signIn(page, 'rita', OP_PASSWORD, opsUin);
    await page.getByRole('link', { name: 'Order review' }).click();
    await page.getByRole('heading', { name: 'Order review' }).waitFor();
    const row = page.locator('table.orders tbody tr').filter({ hasText: orderId });
    await row.waitFor();
    assert.match((await row.textContent())!, /Example Widgets Ltd/);
    assert.match((await row.textContent())!, /Awaiting review/);
    assert.match((await row.textContent())!, /PNG/);
    await shot(page, '04-review-list');
    await row.getByRole('link', { name: orderId }).click();
    await page.getByRole('heading', { name: 'Confirmation letter' }).waitFor();
    await page.getByRole('heading', { name: 'Organization' }).waitFor();
    await page.locator('dd').filter({ hasText: 'ada@example.test' }).first().waitFor();
    const preview = page.getByRole('img', { name: `The confirmation letter of order ${orderId}` });
    await preview.waitFor();
    await page.waitForFunction(() => ((document.querySelector('img.letter-preview') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
    await shot(page, '05-review-order');

    const [tab] = await Promise.all([ctx.waitForEvent('page'), page.getByRole('link', { name: 'Open the letter' }).click()]);
    await tab.waitForLoadState();
    const shown = await tab.reload();
    assert.equal(shown!.headers()['content-type'], 'image/png');
    assert.ok((await shown!.body()).equals(readFileSync(letterFile)), 'the very letter uploaded');
    await shot(tab, '06-letter-opened');
    await tab.close();
    await withTempDir(async (tmp) => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the letter' }).click()]);
      assert.equal(dl.suggestedFilename(), `confirmation-letter-${orderId}.png`);
      const f = path.join(tmp, 'saved.png');
      await dl.saveAs(f);
      assert.ok(readFileSync(f).equals(readFileSync(letterFile)));
    });

    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.getByRole('alertdialog', { name: 'Approve this order?' }).getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Approved: the domains are being validated.').waitFor();
    assert.match((await page.locator('dd').filter({ hasText: 'rita (' }).textContent())!, /^rita \(\d+\)/);
    await shot(page, '07-approved');
  });

  test('the customer sees the TXT record to publish, checks, and sees the certificate issued', async () => {
    const { page } = customer;
    // The page follows an order under review by itself.
    await page.getByRole('heading', { name: 'Domain validation' }).waitFor({ timeout: 20_000 });
    await page.getByText('Approved: publish the values below').waitFor();
    const name = (await page.locator('[data-copy="Full name"]').first().textContent())!;
    const value = (await page.locator('[data-copy="Value"]').first().textContent())!;
    await dns.setTxt(name, value);
    await page.getByRole('button', { name: 'Check now' }).click();
    await page.getByTestId('status').filter({ hasText: 'Issued' }).waitFor({ timeout: 60_000 });
    await page.getByText('The order is complete: the certificate is issued.').waitFor();
    await page.getByRole('heading', { name: 'Download' }).waitFor();
    await shot(page, '08-issued');
  });

  test('revoking the OV certificate asks for the revocation letter; the operator opens it and confirms', async () => {
    const { page } = customer;
    await page.getByLabel('Reason').selectOption('cessationOfOperation');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Revocation letter', exact: true }).waitFor();
    assert.equal(await page.getByTestId('status').textContent(), 'Awaiting revocation letter');
    await page.getByLabel('Revocation letter (PDF, JPG or PNG)').setInputFiles(letterFile);
    await page.getByRole('button', { name: 'Upload the letter' }).click();
    await page.getByText('The revocation letter is in: an operator will confirm the revocation.').waitFor();
    await shot(page, '09-revocation-letter-in');

    const op = operator.page;
    await op.getByRole('link', { name: 'Order review' }).click();
    const row = op.getByRole('table', { name: 'Revocations awaiting confirmation' }).locator('tbody tr').filter({ hasText: orderId });
    await row.waitFor();
    assert.equal(await row.getByRole('link', { name: 'Open the letter' }).getAttribute('href'), `/console/api/operator/revocations/${orderId}/letter`);
    await shot(op, '10-revocations');
    await row.getByRole('button', { name: 'Confirm revocation' }).click();
    await op.getByRole('status').filter({ hasText: `${orderId} is revoked.` }).waitFor();
    await page.reload();
    await page.getByTestId('status').filter({ hasText: 'Revoked' }).waitFor();
  });

  test('accounts (with users, disable and enable) and the CA page; the review page in Chinese at phone width', async () => {
    const op = operator.page;
    await op.getByRole('link', { name: 'Accounts' }).click();
    const row = op.locator('table.accounts tbody tr').filter({ hasText: other.uin });
    await row.getByRole('button', { name: `Disable account ${other.uin}` }).click();
    await row.getByText('Disabled').waitFor();
    assert.equal((await new ConsoleClient(base).login(other.uin, other.password)).status, 401, 'a disabled account cannot sign in');
    await row.getByRole('button', { name: `Enable account ${other.uin}` }).click();
    await row.getByText('Active').waitFor();
    await op.locator('table.accounts tbody tr').filter({ hasText: opsUin }).getByRole('button', { name: `Users of ${opsUin}` }).click();
    await op.getByRole('table', { name: `Users of ${opsUin}` }).getByRole('cell', { name: 'Sub-user, Operator' }).waitFor();
    await shot(op, '11-accounts');

    await op.getByRole('link', { name: 'CA', exact: true }).click();
    await op.getByRole('heading', { name: /^root\.pem/ }).waitFor();
    const href = await op.getByRole('link', { name: 'Download root.pem' }).getAttribute('href');
    assert.equal((await (await fetch(base + href!)).text()).trim(), t.svc.core.ca.rootPem.trim());
    await op.getByRole('link', { name: /rsa-intermediate\.crl$/ }).waitFor();
    await shot(op, '12-ca');

    const zh = await open({ locale: 'zh-CN', width: 390 });
    await zh.page.goto(`${base}/console/`);
    await zh.page.getByLabel('主账号 ID（Uin）').fill(opsUin);
    await zh.page.getByLabel('用户名或子账号 Uin').fill('rita');
    await zh.page.getByLabel('密码').fill(OP_PASSWORD);
    await zh.page.getByRole('button', { name: '登录' }).click();
    await zh.page.getByRole('link', { name: '订单审核' }).click();
    await zh.page.getByRole('heading', { name: '付费证书订单' }).waitFor();
    await zh.page.getByRole('heading', { name: '待确认的吊销' }).waitFor();
    assert.ok(await zh.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 390 px');
    await shot(zh.page, '13-review-zh-phone');
    await zh.page.goto(`${base}/console/order`);
    await zh.page.getByRole('heading', { name: '申请 OV/EV 证书' }).waitFor();
    assert.ok(await zh.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the order form fits at 390 px');
    await shot(zh.page, '14-order-zh-phone');
    await zh.ctx.close();
    await operator.ctx.close();
    await customer.ctx.close();
  });
});

// Notices end to end, on SQLite and PostgreSQL: a real SMTP receiver offering STARTTLS with a
// certificate trusted through CERTPORT_SMTP_CA_FILE, a webhook receiver checking the signature,
// certificates uploaded through the official SDK, and the business clock moved forward.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { BACKENDS, sdkClient, startTestService, type Cred, type SslClient, type TestService } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { EXPIRY_SWEEP, NOTICE_SEND } from './notices.js';
import { startSmtp, type SmtpReceiver } from '../testing/smtp.js';

const DAY = 86_400_000;
const MIN = 60_000;
const TOKEN = 'admin-token-for-the-notice-tests-0123';
const SECRET = 'notice-webhook-secret-0123456789';
const SWEEP_MS = 60_000;

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const backend of BACKENDS) {
  describe(`notices (${backend})`, () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    let t: TestService;
    let smtp: SmtpReceiver;
    let hook: Receiver;
    let dir: string;
    let acc: Cred;
    let c: SslClient;
    const ids: Record<string, string> = {};

    const admin = (method: string, p: string, body?: unknown, token = TOKEN) => fetch(`http://127.0.0.1:${t.port}/admin${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const k = () => t.svc.core.stores.kysely;
    const mailsFor = (certId: string) => smtp.messages.filter((m) => m.headers['x-certport-kind'] === 'expiry' && m.subject.includes(certId));
    const hooksFor = (certId: string) => hook.got.filter((g) => g.body.kind === 'expiry' && g.body.certId === certId);
    /** Moves the business clock and waits until the sweep has run after the move and every notice job has settled. */
    const advanceTo = async (ms: number) => {
      offset = ms;
      const since = clock();
      t.svc.core.runner.kick();
      await until('the expiry sweep and the notice jobs', async () => {
        const sweep = await k().selectFrom('jobs').select(['run_at', 'lease_until']).where('kind', '=', EXPIRY_SWEEP).executeTakeFirst();
        const pending = await k().selectFrom('jobs').select(sql<number>`count(*)`.as('n'))
          .where('kind', '=', NOTICE_SEND).where('state', '=', 'pending').executeTakeFirstOrThrow();
        return !!sweep && Number(sweep.run_at) >= since + SWEEP_MS && Number(sweep.lease_until) === 0 && Number(pending.n) === 0;
      });
    };

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'certport-notices-'));
      smtp = await startSmtp({ user: 'certport', pass: 'smtp-pass' });
      hook = await startReceiver(SECRET);
      t = await startTestService(backend, {
        clock,
        env: {
          CERTPORT_ADMIN_TOKEN: TOKEN,
          CERTPORT_SMTP_URL: `smtp://certport:smtp-pass@127.0.0.1:${smtp.port}`,
          CERTPORT_SMTP_FROM: 'certport <certport@notices.test>',
          CERTPORT_SMTP_CA_FILE: smtp.writeCa(path.join(dir, 'smtp-ca.pem')),
          CERTPORT_NOTICE_SWEEP_MS: String(SWEEP_MS),
        },
      });
      acc = await t.newAccount();
      c = sdkClient(t.port, acc);
      const chains = await Promise.all(['a', 'off', 'renewed', 'successor'].map((n) => makeChain('EC', `${n}.notices.test`)));
      for (const [i, n] of ['a', 'off', 'renewed', 'successor'].entries()) {
        ids[n] = (await c.UploadCertificate({ CertificatePublicKey: chains[i]!.leafPem, CertificatePrivateKey: chains[i]!.keyPem, Alias: n })).CertificateId!;
      }
    });
    after(async () => {
      await t?.close();
      await smtp?.stop();
      await hook?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('admin HTTP: channels are checked, 400 for bad input, the secret is never returned', async () => {
      assert.equal((await admin('GET', `/notify/${acc.accountUin}`, undefined, 'wrong-token-wrong-token')).status, 401);
      const empty = await (await admin('GET', `/notify/${acc.accountUin}`)).json() as Record<string, unknown>;
      assert.deepEqual(empty, { accountUin: acc.accountUin, emails: [], webhookUrl: null, webhookSecretSet: false, updatedAt: null, usesDefault: false });

      const bad: [unknown, RegExp][] = [
        [{ emails: ['not-an-email'] }, /"not-an-email" is not an email address/],
        [{ emails: 'ops@x.test' }, /emails must be a list/],
        [{ emails: ['ops@x.test'], webhookUrl: 'ftp://127.0.0.1/x', webhookSecret: SECRET }, /http:\/\/ or https:\/\//],
        [{ webhookUrl: 'not a url', webhookSecret: SECRET }, /is not a URL/],
        [{ webhookUrl: hook.url, webhookSecret: 'short' }, /at least 16 characters/],
        [{ webhookUrl: hook.url }, /needs webhookSecret/],
        [{ mail: ['ops@x.test'] }, /unknown field "mail"/],
        [{ email: 'ops@x.test', emails: ['ops@x.test'] }, /emails is given twice/],
        [{ 'no-email': 'yes' }, /no-email takes true/],
        ['{"emails": [', /not JSON/],
        ['[]', /must be a JSON object/],
      ];
      for (const [body, msg] of bad) {
        const r = await admin('PUT', `/notify/${acc.accountUin}`, body);
        const text = await r.text();
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${text}`);
        assert.match((JSON.parse(text) as { error: string }).error, msg);
      }
      assert.equal((await admin('PUT', '/notify/999999999999', { emails: ['ops@x.test'] })).status, 404);
      // Nothing was stored by the refused requests.
      assert.equal(((await (await admin('GET', `/notify/${acc.accountUin}`)).json()) as { emails: string[] }).emails.length, 0);

      const put = await admin('PUT', `/notify/${acc.accountUin}`, { emails: ['ops@notices.test', 'oncall@notices.test'], webhookUrl: hook.url, webhookSecret: SECRET });
      const text = await put.text();
      assert.equal(put.status, 200, text);
      assert.ok(!text.includes(SECRET));
      const view = JSON.parse(text) as Record<string, unknown>;
      assert.deepEqual(view.emails, ['ops@notices.test', 'oncall@notices.test']);
      assert.equal(view.webhookUrl, hook.url);
      assert.equal(view.webhookSecretSet, true);
      assert.deepEqual(view.warnings, []);
      // The secret is sealed at rest.
      const row = await k().selectFrom('notification_channels').selectAll().where('account_uin', '=', acc.accountUin).executeTakeFirstOrThrow();
      assert.ok(row.webhook_secret_sealed?.startsWith('v1:') && !row.webhook_secret_sealed.includes(SECRET));
      // A partial change keeps the rest (the webhook and its secret).
      const again = await (await admin('PUT', `/notify/${acc.accountUin}`, { emails: ['ops@notices.test'] })).json() as Record<string, unknown>;
      assert.deepEqual([again.emails, again.webhookUrl, again.webhookSecretSet], [['ops@notices.test'], hook.url, true]);
      // The CLI's names (notify set --email … --webhook-url … --no-webhook) work as well.
      const cliNames = await (await admin('PUT', `/notify/${acc.accountUin}`, { email: 'x@notices.test, y@notices.test', 'no-webhook': true })).json() as Record<string, unknown>;
      assert.deepEqual([cliNames.emails, cliNames.webhookUrl, cliNames.webhookSecretSet], [['x@notices.test', 'y@notices.test'], null, false]);
      const back = await (await admin('PUT', `/notify/${acc.accountUin}`, { email: ['ops@notices.test'], 'webhook-url': hook.url, 'webhook-secret': SECRET })).json() as Record<string, unknown>;
      assert.deepEqual([back.emails, back.webhookUrl, back.webhookSecretSet], [['ops@notices.test'], hook.url, true]);
    });

    test('expiry: one notice 30 days before and one 7 days before, by email over STARTTLS and signed webhook; switched-off and renewed certificates get none', async () => {
      await c.ModifyCertificatesExpiringNotificationSwitch({ CertificateIds: [ids.off!], SwitchStatus: 1 });
      // `renewed` was renewed by `successor` (issued), as a renewal order links them.
      await k().updateTable('certificates').set({ renew_order_id: ids.successor! }).where('id', '=', ids.renewed!).execute();

      await advanceTo(10 * DAY); // 80 days left: nothing yet
      assert.equal(smtp.messages.length, 0);
      assert.equal(hook.got.length, 0);

      await advanceTo(61 * DAY); // 29 days left
      assert.equal(mailsFor(ids.a!).length, 1);
      assert.equal(hooksFor(ids.a!).length, 1);
      for (const id of [ids.off!, ids.renewed!]) {
        assert.equal(mailsFor(id).length, 0, `no mail for ${id}`);
        assert.equal(hooksFor(id).length, 0, `no webhook for ${id}`);
      }
      const mail = mailsFor(ids.a!)[0]!;
      assert.equal(mail.secure, true, 'the session was upgraded with STARTTLS');
      assert.equal(mail.user, 'certport');
      assert.equal(mail.from, 'certport@notices.test');
      assert.deepEqual(mail.to, ['ops@notices.test']);
      assert.match(mail.subject, new RegExp(`Certificate ${ids.a} for a\\.notices\\.test expires in 29 days`));
      assert.match(mail.text, /expires on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      const got = hooksFor(ids.a!)[0]!;
      assert.equal(got.headers['x-certport-delivery'], got.body.id);
      assert.equal(mail.headers['x-certport-notice'], got.body.id, 'one notice, two channels');
      assert.deepEqual(Object.keys(got.body).sort(), ['accountUin', 'certId', 'createdAt', 'data', 'id', 'kind', 'subject', 'text']);
      assert.equal(got.body.accountUin, acc.accountUin);
      assert.equal(got.body.data.daysBefore, 30);
      assert.equal(got.body.data.daysLeft, 29);

      await advanceTo(61 * DAY + 5 * MIN); // later sweeps do not repeat it
      assert.equal(mailsFor(ids.a!).length, 1);
      assert.equal(hooksFor(ids.a!).length, 1);

      await advanceTo(84 * DAY); // 6 days left
      assert.equal(mailsFor(ids.a!).length, 2);
      assert.equal(hooksFor(ids.a!).length, 2);
      assert.equal(hooksFor(ids.a!)[1]!.body.data.daysBefore, 7);
      assert.equal(smtp.plainSessions, 0);
      for (const id of [ids.off!, ids.renewed!]) assert.equal(hooksFor(id).length, 0);
      // `successor` expires too (it is issued and nothing renewed it).
      assert.equal(hooksFor(ids.successor!).length, 2);
    });

    test('a certificate first seen inside 7 days gets the 7-day notice only, never the 30-day one later', async () => {
      const late = await makeChain('EC', 'late.notices.test');
      // The business clock is 84 days ahead: this certificate (90 days) has 6 days left.
      const id = (await c.UploadCertificate({ CertificatePublicKey: late.leafPem, CertificatePrivateKey: late.keyPem })).CertificateId!;
      await advanceTo(84 * DAY + 5 * MIN);
      assert.deepEqual(hooksFor(id).map((g) => g.body.data.daysBefore), [7]);
      await advanceTo(89 * DAY + 12 * 3_600_000); // 12 hours left
      assert.deepEqual(hooksFor(id).map((g) => g.body.data.daysBefore), [7, 1]);
      assert.equal(mailsFor(id).length, 2);
      assert.match(mailsFor(id)[1]!.subject, /expires in 12 hour\(s\)/);
      const keys = (await t.svc.core.notices.listNotices(acc.accountUin, { certId: id })).map((n) => n.key.split(':').at(-1)).sort();
      assert.deepEqual(keys, ['1', '7']);
      // Expired certificates are left alone.
      await advanceTo(91 * DAY);
      assert.equal(hooksFor(id).length, 2);
    });

    test('a failing webhook is retried and delivered once; the email that went through is not sent again', async () => {
      const certId = ids.a!;
      const before = smtp.messages.length;
      hook.script.push(500);
      const event = {
        accountUin: acc.accountUin, certId, kind: 'deploy-failed' as const, key: `deploy-failed:${certId}:r1`,
        subject: `Deploying ${certId} failed`, text: 'nginx on web-1 refused the reload', data: { recordId: 1 },
      };
      assert.equal(await t.svc.core.notifier.raise(event), true);
      assert.equal(await t.svc.core.notifier.raise(event), false, 'the same key twice is one event');
      const notice = (await t.svc.core.notices.getNoticeByKey(event.key))!;
      await until('the first attempt', async () => (await t.svc.core.notices.getNoticeByKey(event.key))!.attempts >= 1);
      let n = (await t.svc.core.notices.getNoticeByKey(event.key))!;
      assert.equal(n.state, 'pending');
      assert.deepEqual(n.channels, { email: 'sent', webhook: 'pending' });
      assert.match(n.lastError ?? '', /answered 500/);
      assert.equal(smtp.messages.length, before + 1);
      assert.equal(hook.got.filter((g) => g.body.id === notice.id).length, 0);

      offset += 2 * MIN; // past the first backoff (30 s)
      t.svc.core.runner.kick();
      await until('the retry', async () => (await t.svc.core.notices.getNoticeByKey(event.key))!.state !== 'pending');
      n = (await t.svc.core.notices.getNoticeByKey(event.key))!;
      assert.equal(n.state, 'sent');
      assert.deepEqual(n.channels, { email: 'sent', webhook: 'sent' });
      const deliveries = hook.got.filter((g) => g.body.id === notice.id);
      assert.equal(deliveries.length, 1);
      assert.equal(deliveries[0]!.headers['x-certport-delivery'], notice.id);
      assert.deepEqual(deliveries[0]!.body.data, { recordId: 1 });
      assert.equal(deliveries[0]!.body.kind, 'deploy-failed');
      assert.equal(smtp.messages.filter((m) => m.headers['x-certport-notice'] === notice.id).length, 1);
    });

    test('after 24 hours of failures the notice is given up and recorded as failed', async () => {
      const dead = `http://127.0.0.1:${await freePort()}/hook`; // nothing listens there
      const other = await t.newAccount();
      await t.svc.core.notices.setChannels(other.accountUin, { webhookUrl: dead, webhookSecret: SECRET, emails: ['x@notices.test'] });
      const key = `renewal-failed:${ids.a}:give-up`;
      await t.svc.core.notifier.raise({ accountUin: other.accountUin, certId: ids.a!, kind: 'renewal-failed', key, subject: 'Renewal failed', text: 'CA refused', data: {} });
      await until('the first attempt', async () => (await t.svc.core.notices.getNoticeByKey(key))!.attempts >= 1);
      assert.match((await t.svc.core.notices.getNoticeByKey(key))!.lastError ?? '', /ECONNREFUSED/);
      offset += 25 * 3_600_000;
      t.svc.core.runner.kick();
      await until('giving up', async () => (await t.svc.core.notices.getNoticeByKey(key))!.state !== 'pending');
      const n = (await t.svc.core.notices.getNoticeByKey(key))!;
      assert.equal(n.state, 'failed');
      assert.deepEqual(n.channels, { email: 'sent', webhook: 'failed' });
      assert.equal((await t.svc.core.stores.jobs.getJob(NOTICE_SEND, n.id))!.state, 'done');
    });
  });
}

// The operator's default notice channel (issue 22): an account without channels of its own used
// to get no expiry notice and nobody was told. With CERTPORT_NOTIFY_DEFAULT_EMAIL and
// CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL/_SECRET its notices reach the operator (a real SMTP
// receiver, a webhook receiver checking the signature with the default secret), saying whose
// they are; an account with a channel of its own keeps getting them there only.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../config/config.js';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { BACKENDS, sdkClient, startTestService, type Cred, type TestService } from '../testing/harness.js';
import { startSmtp, type SmtpReceiver } from '../testing/smtp.js';
import { runCli } from '../testing/cli.js';

const DAY = 86_400_000;
const DEFAULT_SECRET = 'operator-default-webhook-secret-01';
const OWN_SECRET = 'account-own-webhook-secret-012345';

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('CERTPORT_NOTIFY_DEFAULT_*: checked at start, a webhook needs its signing secret', () => {
  const base = { CERTPORT_DATA_DIR: '/nonexistent' };
  assert.deepEqual(loadConfig(base).noticeDefaults, { emails: [], webhook: null });
  const c = loadConfig({ ...base, CERTPORT_NOTIFY_DEFAULT_EMAIL: 'ops@x.test, pki@x.test', CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL: 'https://hooks.x.test/certport',
    CERTPORT_NOTIFY_DEFAULT_WEBHOOK_SECRET: DEFAULT_SECRET });
  assert.deepEqual(c.noticeDefaults, { emails: ['ops@x.test', 'pki@x.test'], webhook: { url: 'https://hooks.x.test/certport', secret: DEFAULT_SECRET } });
  for (const [env, msg] of [
    [{ CERTPORT_NOTIFY_DEFAULT_EMAIL: 'not-an-address' }, /CERTPORT_NOTIFY_DEFAULT_EMAIL: "not-an-address" is not an email address/],
    [{ CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL: 'https://hooks.x.test/' }, /needs CERTPORT_NOTIFY_DEFAULT_WEBHOOK_SECRET/],
    [{ CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL: 'https://hooks.x.test/', CERTPORT_NOTIFY_DEFAULT_WEBHOOK_SECRET: 'short' }, /16 to 512 characters/],
    [{ CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL: 'ftp://hooks.x.test/', CERTPORT_NOTIFY_DEFAULT_WEBHOOK_SECRET: DEFAULT_SECRET }, /http:\/\/ or https:\/\//],
    [{ CERTPORT_NOTIFY_DEFAULT_WEBHOOK_SECRET: DEFAULT_SECRET }, /needs CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL/],
  ] as const) {
    assert.throws(() => loadConfig({ ...base, ...env }), (e: unknown) => e instanceof ConfigError && msg.test(e.message));
  }
});

for (const backend of BACKENDS) {
  describe(`the operator's default notice channel (${backend})`, () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    let t: TestService;
    let smtp: SmtpReceiver;
    let defaultHook: Receiver;
    let ownHook: Receiver;
    let dir: string;
    let bare: Cred;
    let owned: Cred;

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'certport-default-channel-'));
      smtp = await startSmtp();
      defaultHook = await startReceiver(DEFAULT_SECRET);
      ownHook = await startReceiver(OWN_SECRET);
      t = await startTestService(backend, {
        clock,
        env: {
          CERTPORT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
          CERTPORT_SMTP_FROM: 'certport <certport@notices.test>',
          CERTPORT_SMTP_CA_FILE: smtp.writeCa(path.join(dir, 'smtp-ca.pem')),
          CERTPORT_NOTICE_SWEEP_MS: '60000',
          CERTPORT_NOTIFY_DEFAULT_EMAIL: 'pki-team@operator.test',
          CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL: defaultHook.url,
          CERTPORT_NOTIFY_DEFAULT_WEBHOOK_SECRET: DEFAULT_SECRET,
        },
      });
      bare = await t.newAccount();
      owned = await t.newAccount();
      await t.svc.core.notices.setChannels(owned.accountUin, { webhookUrl: ownHook.url, webhookSecret: OWN_SECRET });
    });
    after(async () => {
      await t?.close();
      await smtp?.stop();
      await defaultHook?.stop();
      await ownHook?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('an account without channels: its expiry notice reaches the default email and signed webhook, naming the account; the CLI says so', async () => {
      const ids: Record<string, string> = {};
      for (const [name, acc] of [['bare', bare], ['owned', owned]] as const) {
        const chain = await makeChain('EC', `${name}.default-channel.test`);
        ids[name] = (await sdkClient(t.port, acc).UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem })).CertificateId!;
      }
      offset = 61 * DAY; // 29 days left: the 30-day notice
      await t.svc.core.notices.sweep();
      t.svc.core.runner.kick();
      await until('both notices delivered', async () => {
        const list = [...await t.svc.core.notices.listNotices(bare.accountUin), ...await t.svc.core.notices.listNotices(owned.accountUin)];
        return list.length === 2 && list.every((n) => n.state !== 'pending');
      });

      const [mine] = await t.svc.core.notices.listNotices(bare.accountUin);
      assert.equal(mine!.state, 'sent');
      assert.deepEqual(mine!.channels, { email: 'sent', webhook: 'sent' });
      const mail = smtp.messages.filter((m) => m.subject.includes(ids.bare!));
      assert.equal(mail.length, 1);
      assert.deepEqual(mail[0]!.to, ['pki-team@operator.test']);
      assert.match(mail[0]!.subject, new RegExp(`^\\[account ${bare.accountUin}\\] Certificate ${ids.bare}`));
      assert.match(mail[0]!.text, new RegExp(`account ${bare.accountUin}, which has no notification channel of its own`));
      const hooks = defaultHook.got.filter((g) => g.body.certId === ids.bare);
      assert.equal(hooks.length, 1, 'signed with the default secret (the receiver verified it)');
      assert.equal(hooks[0]!.body.accountUin, bare.accountUin);
      assert.equal(hooks[0]!.body.data.defaultChannel, true);
      assert.equal(defaultHook.forged + ownHook.forged, 0);

      // The account with its own webhook: there only, never to the operator's default.
      assert.equal(ownHook.got.filter((g) => g.body.certId === ids.owned).length, 1);
      assert.equal(defaultHook.got.filter((g) => g.body.certId === ids.owned).length, 0);
      assert.equal(smtp.messages.filter((m) => m.subject.includes(ids.owned!)).length, 0);
      assert.equal(ownHook.got[0]!.body.data.defaultChannel, undefined);

      const shown = await runCli(t.env, 'notify', 'show', '--account', bare.accountUin, '--json');
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(JSON.parse(shown.stdout).usesDefault, true);
      assert.equal(JSON.parse((await runCli(t.env, 'notify', 'show', '--account', owned.accountUin, '--json')).stdout).usesDefault, false);
    });
  });
}

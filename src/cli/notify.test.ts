// `certport notify set|show|test` as a child process on a throw-away data dir, with a real
// SMTP receiver (STARTTLS) and a webhook receiver checking the signature.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { startSmtp, type SmtpReceiver } from '../testing/smtp.js';
import { runCli } from '../testing/cli.js';
import { freePort } from '../testing/net.js';

const SECRET = 'cli-notice-webhook-secret-0123';

describe('certport notify', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let smtp: SmtpReceiver;
  let hook: Receiver;
  const cli = (...args: string[]) => runCli(env, ...args);


  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'certport-cli-notify-'));
    smtp = await startSmtp();
    hook = await startReceiver(SECRET);
    env = {
      CERTPORT_DATA_DIR: dataDir, CERTPORT_LOG_LEVEL: 'silent',
      CERTPORT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, CERTPORT_SMTP_FROM: 'certport@cli.notices.test',
      CERTPORT_SMTP_CA_FILE: smtp.writeCa(path.join(dataDir, 'smtp-ca.pem')),
    };
    writeFileSync(path.join(dataDir, 'secret.txt'), SECRET + '\n', { mode: 0o600 });
  });
  after(async () => {
    await smtp?.stop();
    await hook?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('set, show and test the channels; bad input is refused by name; the secret never printed', async () => {
    const acc = JSON.parse((await cli('account', 'create', '--json')).stdout) as { Uin: string };
    const shown0 = await cli('notify', 'show', '--account', acc.Uin, '--json');
    assert.equal(shown0.code, 0, shown0.stderr);
    assert.deepEqual(JSON.parse(shown0.stdout), { accountUin: acc.Uin, emails: [], webhookUrl: null, webhookSecretSet: false, updatedAt: null, usesDefault: false });

    const set = await cli('notify', 'set', '--account', acc.Uin, '--email', 'ops@cli.notices.test', '--email', 'oncall@cli.notices.test',
      '--webhook-url', hook.url, '--webhook-secret', `@${path.join(dataDir, 'secret.txt')}`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /email\s+ops@cli\.notices\.test, oncall@cli\.notices\.test/);
    assert.match(set.stdout, /webhook\s+http:\/\/127\.0\.0\.1:\d+\/hook \(secret set\)/);
    const shown = await cli('notify', 'show', '--account', acc.Uin, '--json');
    assert.ok(!shown.stdout.includes(SECRET) && !set.stdout.includes(SECRET));
    assert.equal((JSON.parse(shown.stdout) as { webhookSecretSet: boolean }).webhookSecretSet, true);

    const sent = await cli('notify', 'test', '--account', acc.Uin);
    assert.equal(sent.code, 0, sent.stdout + sent.stderr);
    assert.match(sent.stdout, /^ok {3}email ops@cli\.notices\.test, oncall@cli\.notices\.test: smtp:\/\/127\.0\.0\.1:\d+ accepted 2 recipient/m);
    assert.match(sent.stdout, /^ok {3}webhook http:\/\/127\.0\.0\.1:\d+\/hook: .* answered 200/m);
    assert.equal(smtp.messages.length, 1);
    assert.equal(smtp.messages[0]!.subject, 'certport test notice');
    assert.equal(smtp.messages[0]!.secure, true);
    assert.equal(hook.got.length, 1);
    assert.equal(hook.got[0]!.body.kind, 'test');
    assert.equal(hook.got[0]!.body.accountUin, acc.Uin);

    for (const [args, message] of [
      [['--email', 'not-an-email'], /certport: "not-an-email" is not an email address/],
      [['--webhook-url', 'ftp://127.0.0.1/hook'], /certport: webhookUrl must be an http:\/\/ or https:\/\/ URL/],
      [['--webhook-secret', 'short'], /certport: webhookSecret must be at least 16 characters/],
    ] as [string[], RegExp][]) {
      const r = await cli('notify', 'set', '--account', acc.Uin, ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message);
    }
    const missing = await cli('notify', 'show', '--account', '999999999999');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no account "999999999999"/);

    // A webhook that does not answer: the test says so and exits 1; --no-email drops the email channel.
    const dead = `http://127.0.0.1:${await freePort()}/hook`;
    assert.equal((await cli('notify', 'set', '--account', acc.Uin, '--no-email', '--webhook-url', dead)).code, 0);
    const failed = await cli('notify', 'test', '--account', acc.Uin);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /^FAIL webhook http:\/\/127\.0\.0\.1:\d+\/hook: webhook POST .* failed: ECONNREFUSED/m);
    assert.doesNotMatch(failed.stdout, /email/);

    const off = await cli('notify', 'set', '--account', acc.Uin, '--no-webhook', '--json');
    assert.deepEqual((JSON.parse(off.stdout) as { emails: string[]; webhookUrl: null }).webhookUrl, null);
    const none = await cli('notify', 'test', '--account', acc.Uin);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /has no notification channel/);
  });
});

// The email and webhook senders on their own, against real receivers on loopback, and the
// configuration that feeds them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../config/config.js';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { EmailSender } from './email.js';
import { DeliveryError, type NoticeMessage } from './message.js';
import { startSmtp, type SmtpReceiver } from '../testing/smtp.js';
import { postNotice } from './webhook.js';

const msg = (id: string): NoticeMessage => ({
  id, kind: 'expiry', accountUin: '100000000001', certId: 'AbCd1234', subject: `Certificate AbCd1234 expires in 7 days (${id})`,
  text: 'The certificate AbCd1234 for shop.example.test expires on 2030-01-01 00:00:00 UTC.', data: { daysBefore: 7 }, createdAt: '2029-12-25T00:00:00.000Z',
});

describe('email notices over SMTP', () => {
  let dir: string;
  let tls: SmtpReceiver;
  let plain: SmtpReceiver;
  let caFile: string;
  const config = (env: Record<string, string>) =>
    loadConfig({ CERTPORT_DATA_DIR: dir, ...(env.CERTPORT_SMTP_URL ? { CERTPORT_SMTP_FROM: 'certport@notices.test' } : {}), ...env });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'certport-email-'));
    tls = await startSmtp({ user: 'u', pass: 'p@ss:word' });
    plain = await startSmtp({ starttls: false });
    caFile = tls.writeCa(path.join(dir, 'ca.pem'));
  });
  after(async () => {
    await tls?.stop();
    await plain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('upgrades with STARTTLS when the server offers it, trusting CERTPORT_SMTP_CA_FILE, and logs in', async () => {
    const c = config({ CERTPORT_SMTP_URL: `smtp://u:${encodeURIComponent('p@ss:word')}@127.0.0.1:${tls.port}`, CERTPORT_SMTP_CA_FILE: caFile });
    const sender = new EmailSender(c.smtp!);
    try {
      assert.match(await sender.send(['a@notices.test', 'b@notices.test'], msg('n1')), /accepted 2 recipient/);
    } finally {
      sender.close();
    }
    const m = tls.messages.at(-1)!;
    assert.equal(m.secure, true);
    assert.equal(m.user, 'u');
    assert.deepEqual(m.to, ['a@notices.test', 'b@notices.test']);
    assert.equal(m.subject, 'Certificate AbCd1234 expires in 7 days (n1)');
    assert.equal(m.headers['message-id'], '<n1@certport>');
    assert.match(m.text, /shop\.example\.test expires on 2030-01-01/);
  });

  test('refuses a server whose certificate it does not trust', async () => {
    const sender = new EmailSender(config({ CERTPORT_SMTP_URL: `smtp://u:p%40ss%3Aword@127.0.0.1:${tls.port}` }).smtp!);
    const before = tls.messages.length;
    try {
      await assert.rejects(sender.send(['a@notices.test'], msg('n2')), (e: Error) => e instanceof DeliveryError && /certificate/i.test(e.message));
    } finally {
      sender.close();
    }
    assert.equal(tls.messages.length, before);
  });

  test('sends in the clear to a server without STARTTLS, but not with CERTPORT_SMTP_REQUIRE_TLS=1', async () => {
    const url = `smtp://127.0.0.1:${plain.port}`;
    const open = new EmailSender(config({ CERTPORT_SMTP_URL: url }).smtp!);
    const strict = new EmailSender(config({ CERTPORT_SMTP_URL: url, CERTPORT_SMTP_REQUIRE_TLS: '1' }).smtp!);
    try {
      await open.send(['a@notices.test'], msg('n3'));
      assert.equal(plain.messages.length, 1);
      assert.equal(plain.messages[0]!.secure, false);
      await assert.rejects(strict.send(['a@notices.test'], msg('n4')), DeliveryError);
      assert.equal(plain.messages.length, 1);
    } finally {
      open.close();
      strict.close();
    }
  });

  test('a refused message is a DeliveryError carrying the server reply', async () => {
    const sender = new EmailSender(config({ CERTPORT_SMTP_URL: `smtp://u:p%40ss%3Aword@127.0.0.1:${tls.port}`, CERTPORT_SMTP_CA_FILE: caFile }).smtp!);
    tls.script.push(451);
    try {
      await assert.rejects(sender.send(['a@notices.test'], msg('n5')), (e: Error) => e instanceof DeliveryError && /451/.test(e.message));
    } finally {
      sender.close();
    }
  });

  test('bad SMTP settings stop the configuration with a message naming the variable', async () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ CERTPORT_SMTP_URL: 'http://mail.test' }, /CERTPORT_SMTP_URL must start with smtp:\/\/ or smtps:\/\//],
      [{ CERTPORT_SMTP_URL: 'smtp://' }, /CERTPORT_SMTP_URL/],
      [{ CERTPORT_SMTP_URL: 'smtp://mail.test', CERTPORT_SMTP_FROM: '' }, /CERTPORT_SMTP_FROM is required/],
      [{ CERTPORT_SMTP_URL: 'smtp://mail.test', CERTPORT_SMTP_FROM: 'nobody' }, /CERTPORT_SMTP_FROM must be an address/],
      [{ CERTPORT_SMTP_URL: 'smtp://mail.test', CERTPORT_SMTP_CA_FILE: path.join(dir, 'missing.pem') }, /CERTPORT_SMTP_CA_FILE: cannot read/],
      [{ CERTPORT_SMTP_URL: 'smtp://mail.test', CERTPORT_SMTP_REQUIRE_TLS: 'maybe' }, /CERTPORT_SMTP_REQUIRE_TLS must be 1 or 0/],
      [{ CERTPORT_SMTP_FROM: 'a@b.test', CERTPORT_SMTP_URL: '' }, /CERTPORT_SMTP_FROM needs CERTPORT_SMTP_URL/],
      [{ CERTPORT_EXPIRY_NOTICE_DAYS: '30,seven' }, /CERTPORT_EXPIRY_NOTICE_DAYS must be a whole number/],
      [{ CERTPORT_EXPIRY_NOTICE_DAYS: '0' }, /CERTPORT_EXPIRY_NOTICE_DAYS must be between 1 and 3650/],
      [{ CERTPORT_NOTICE_SWEEP_MS: '10' }, /CERTPORT_NOTICE_SWEEP_MS must be between/],
    ];
    await writeFile(path.join(dir, 'not-pem.txt'), 'hello');
    bad.push([{ CERTPORT_SMTP_URL: 'smtp://mail.test', CERTPORT_SMTP_CA_FILE: path.join(dir, 'not-pem.txt') }, /holds no PEM certificate/]);
    for (const [env, message] of bad) {
      assert.throws(() => config(env), (e: Error) => e instanceof ConfigError && message.test(e.message), JSON.stringify(env));
    }
    const ok = config({ CERTPORT_SMTP_URL: 'smtps://mail.test', CERTPORT_EXPIRY_NOTICE_DAYS: '1, 14,7,14' });
    assert.deepEqual({ ...ok.smtp!, caPem: null }, {
      host: 'mail.test', port: 465, secure: true, user: null, pass: null, from: 'certport@notices.test', caPem: null, requireTls: false,
    });
    assert.deepEqual(ok.expiryNoticeDays, [14, 7, 1]);
    assert.equal(config({}).smtp, null);
    assert.deepEqual(config({}).expiryNoticeDays, [30, 7, 1]);
    assert.equal(config({}).noticeSweepMs, 600_000);
    assert.equal(config({ CERTPORT_SMTP_URL: 'smtp://mail.test' }).smtp!.port, 587);
  });
});

describe('webhook notices', () => {
  let hook: Receiver;
  before(async () => {
    hook = await startReceiver('notice-webhook-secret-0123456789');
  });
  after(async () => {
    await hook?.stop();
  });

  test('POSTs the notice signed like the deploy webhook, with the notice id as X-Certport-Delivery', async () => {
    assert.match(await postNotice({ url: hook.url, secret: 'notice-webhook-secret-0123456789' }, msg('w1')), /answered 200/);
    const got = hook.got.at(-1)!;
    assert.equal(got.headers['x-certport-delivery'], 'w1');
    assert.equal(got.headers['x-certport-event'], 'notice.expiry');
    assert.deepEqual(got.body, { ...msg('w1') });
  });

  test('a wrong secret is refused by the receiver and reported; non-2xx is a DeliveryError', async () => {
    await assert.rejects(postNotice({ url: hook.url, secret: 'another-secret-0123456789abcdef' }, msg('w2')), (e: Error) => e instanceof DeliveryError && /answered 401/.test(e.message));
    assert.equal(hook.forged, 1);
    hook.script.push(503);
    await assert.rejects(postNotice({ url: hook.url, secret: 'notice-webhook-secret-0123456789' }, msg('w3')), /answered 503/);
    assert.equal(hook.got.filter((g) => g.body.id === 'w3').length, 0);
  });
});

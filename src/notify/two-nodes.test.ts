// Two certport nodes on one PostgreSQL schema (same master key), both running workers on the
// same moved clock: every notice reaches the SMTP receiver and the webhook exactly once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { dropPgSchema } from '../store/db.js';
import { BACKENDS, PG_URL, sdkClient, startTestService, type TestService } from '../testing/harness.js';
import { EXPIRY_SWEEP, NOTICE_SEND } from './notices.js';
import { startSmtp, type SmtpReceiver } from '../testing/smtp.js';

const DAY = 86_400_000;
const SECRET = 'two-nodes-webhook-secret-0123456789';
const SWEEP_MS = 60_000;

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('notices with two nodes on one PostgreSQL', { skip: !BACKENDS.includes('postgres') && 'PostgreSQL is not among CERTPORT_TEST_BACKENDS' }, () => {
  let offset = 0;
  const clock = () => Date.now() + offset;
  const schema = 't_notice2_' + randomBytes(5).toString('hex');
  let dir: string;
  let smtp: SmtpReceiver;
  let hook: Receiver;
  const nodes: TestService[] = [];
  const secretId = 'AKIDnotice2' + randomBytes(10).toString('hex');
  const secretKey = randomBytes(16).toString('hex');

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'certport-notice2-'));
    smtp = await startSmtp();
    hook = await startReceiver(SECRET);
    const env = {
      CERTPORT_DATABASE_URL: PG_URL,
      CERTPORT_DATABASE_SCHEMA: schema,
      CERTPORT_MASTER_KEY: randomBytes(32).toString('hex'),
      // Nodes share the CA key like the master key (each has its own data dir, so no ca.key file).
      CERTPORT_CA_KEY: randomBytes(32).toString('hex'),
      // The harness's own key is not the bootstrap key here: use ours.
      CERTPORT_BOOTSTRAP_SECRET_ID: secretId,
      CERTPORT_BOOTSTRAP_SECRET_KEY: secretKey,
      CERTPORT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      CERTPORT_SMTP_FROM: 'certport@notices.test',
      CERTPORT_SMTP_CA_FILE: smtp.writeCa(path.join(dir, 'ca.pem')),
      CERTPORT_SMTP_REQUIRE_TLS: '1',
      CERTPORT_NOTICE_SWEEP_MS: String(SWEEP_MS),
    };
    // Each node has its own data dir and port; the database, key and account are shared.
    nodes.push(await startTestService('postgres', { env, clock }));
    nodes.push(await startTestService('postgres', { env, clock }));
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await dropPgSchema(PG_URL, schema);
    await smtp?.stop();
    await hook?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('each expiry notice and each raised event arrives once, whichever node works it', async () => {
    const [a, b] = nodes as [TestService, TestService];
    assert.notEqual(a.port, b.port);
    assert.equal(a.cred.accountUin, b.cred.accountUin);
    const k = a.svc.core.stores.kysely;
    // Set on node A, read (and the sealed secret opened) on node B.
    await a.svc.core.notices.setChannels(a.cred.accountUin, { emails: ['ops@notices.test'], webhookUrl: hook.url, webhookSecret: SECRET });
    assert.equal((await b.svc.core.notices.getChannels(a.cred.accountUin)).webhookSecretSet, true);

    const certIds: string[] = [];
    for (const [i, node] of [a, b, a].entries()) {
      const chain = await makeChain('EC', `n${i}.two.notices.test`);
      certIds.push((await sdkClient(node.port, { ...node.cred, secretId, secretKey }).UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem })).CertificateId!);
    }

    const settle = async () => {
      const since = clock();
      a.svc.core.runner.kick();
      b.svc.core.runner.kick();
      await until('the sweep and the notice jobs', async () => {
        const sweep = await k.selectFrom('jobs').select(['run_at', 'lease_until']).where('kind', '=', EXPIRY_SWEEP).executeTakeFirst();
        const pending = await k.selectFrom('jobs').select(sql<number>`count(*)`.as('n')).where('kind', '=', NOTICE_SEND).where('state', '=', 'pending').executeTakeFirstOrThrow();
        return !!sweep && Number(sweep.run_at) >= since + SWEEP_MS && Number(sweep.lease_until) === 0 && Number(pending.n) === 0;
      });
    };

    for (const [days, expected] of [[61, 1], [61.01, 1], [84, 2], [84.01, 2], [89.5, 3]] as const) {
      offset = days * DAY;
      await settle();
      for (const id of certIds) {
        const hooks = hook.got.filter((g) => g.body.certId === id && g.body.kind === 'expiry');
        const mails = smtp.messages.filter((m) => m.subject.includes(id));
        assert.equal(hooks.length, expected, `${id} at +${days} days: webhooks`);
        assert.equal(mails.length, expected, `${id} at +${days} days: emails`);
        assert.equal(new Set(hooks.map((h) => h.body.id)).size, expected, 'distinct notices');
      }
    }
    assert.ok(smtp.messages.every((m) => m.secure));
    // Only one sweep job and one notice row per event for the whole cluster.
    const sweeps = await k.selectFrom('jobs').select(sql<number>`count(*)`.as('n')).where('kind', '=', EXPIRY_SWEEP).executeTakeFirstOrThrow();
    assert.equal(Number(sweeps.n), 1);
    const notices = await k.selectFrom('notices').select(sql<number>`count(*)`.as('n')).where('kind', '=', 'expiry').executeTakeFirstOrThrow();
    assert.equal(Number(notices.n), 3 * certIds.length);

    // Both nodes raise the same event at the same moment: one wins, one delivery.
    const event = {
      accountUin: a.cred.accountUin, certId: certIds[0]!, kind: 'renewal-failed' as const, key: `renewal-failed:${certIds[0]}:both`,
      subject: 'Renewal failed', text: 'The CA refused the order.', data: { reason: 'rejectedIdentifier' },
    };
    const raised = await Promise.all([a.svc.core.notifier.raise(event), b.svc.core.notifier.raise(event), a.svc.core.notifier.raise(event), b.svc.core.notifier.raise(event)]);
    assert.equal(raised.filter(Boolean).length, 1);
    await until('the renewal-failed notice', () => hook.got.some((g) => g.body.kind === 'renewal-failed'));
    offset += 2 * SWEEP_MS;
    await settle();
    assert.equal(hook.got.filter((g) => g.body.kind === 'renewal-failed').length, 1);
    assert.equal(smtp.messages.filter((m) => m.subject === 'Renewal failed').length, 1);
  });
});

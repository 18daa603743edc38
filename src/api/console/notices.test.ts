// The console's notices, channels and account-wide deploy records without a browser, on SQLite
// and PostgreSQL: the channel rules are NoticeService's (the CLI's names work, bad values are
// InvalidParameterValue naming the field), only the root user changes them or sends a test, a
// state change needs the CSRF token, every list is the caller's account only.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';
import { ConsoleClient } from '../../testing/console-client.js';
import { makeChain } from '../../testing/pki-fixtures.js';

for (const backend of BACKENDS) {
  describe(`console notices, channels and deploy records (${backend})`, () => {
    let t: TestService;
    let base: string;
    let root: ConsoleClient;
    let sub: ConsoleClient;
    let other: ConsoleClient;
    let dir: string;

    before(async () => {
      t = await startTestService(backend);
      base = `http://127.0.0.1:${t.port}`;
      dir = await mkdtemp(path.join(tmpdir(), 'certport-console-notices-'));
      await t.svc.core.console.setPassword(t.cred.accountUin, t.cred.accountUin, 'root-password-1');
      await t.svc.core.console.createUser(t.cred.accountUin, 'ana', 'ana-password-1');
      const o = await t.newAccount();
      await t.svc.core.console.setPassword(o.accountUin, o.accountUin, 'other-password-1');
      root = new ConsoleClient(base);
      sub = new ConsoleClient(base);
      other = new ConsoleClient(base);
      assert.equal((await root.login(t.cred.accountUin, 'root-password-1')).status, 200);
      assert.equal((await sub.login('ana', 'ana-password-1', t.cred.accountUin)).status, 200);
      assert.equal((await other.login(o.accountUin, 'other-password-1')).status, 200);
    });
    after(async () => {
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const error = (r: { body: { Response: Record<string, any> } }) => r.body.Response.Error as { Code: string; Message: string } | undefined;

    test('channels: none at first; a test with none is refused; bad values are InvalidParameterValue naming the field', async () => {
      const v = (await root.call('GET', 'notify')).body.Response;
      assert.deepEqual([v.Emails, v.WebhookUrl, v.WebhookSecretSet, v.CanChange, v.UsesDefault], [[], null, false, true, false]);
      assert.match(error(await root.call('POST', 'notify/test'))!.Message, /has no notification channel/);
      for (const [body, msg] of [
        [{ emails: ['not an email'] }, /"not an email" is not an email address/],
        [{ webhookUrl: 'ftp://hooks.example.com/x' }, /webhookUrl must be an http/],
        [{ webhookUrl: 'https://hooks.example.com/x' }, /needs webhookSecret/],
        [{ webhookUrl: 'https://hooks.example.com/x', webhookSecret: 'short' }, /at least 16 characters/],
        [{ pager: '555' }, /unknown field "pager"/],
      ] as const) {
        const e = error(await root.call('POST', 'notify/set', body))!;
        assert.equal(e.Code, 'InvalidParameterValue', JSON.stringify(body));
        assert.match(e.Message, msg);
      }
      assert.deepEqual((await t.svc.core.notices.getChannels(t.cred.accountUin)).emails, [], 'nothing stored');
    });

    test('the root user sets them with the admin endpoint\'s names or the CLI\'s; the secret never comes back', async () => {
      const r = (await root.call('POST', 'notify/set', { email: 'ops@example.com,oncall@example.com', 'webhook-url': 'https://hooks.example.com/c', 'webhook-secret': 's'.repeat(20) })).body.Response;
      assert.equal(r.Error, undefined);
      assert.deepEqual(r.Emails, ['ops@example.com', 'oncall@example.com']);
      assert.equal(r.WebhookSecretSet, true);
      assert.deepEqual(r.Warnings, ['CERTPORT_SMTP_URL is not set: email notices cannot be sent until it is']);
      assert.ok(!JSON.stringify(r).includes('s'.repeat(20)));
      const again = (await root.call('POST', 'notify/set', { webhookUrl: null })).body.Response;
      assert.deepEqual([again.WebhookUrl, again.WebhookSecretSet, again.Emails.length], [null, false, 2], 'null removes the webhook, the emails stay');
      const seen = await t.svc.core.notices.getChannels(t.cred.accountUin);
      assert.deepEqual([seen.emails.length, seen.webhookUrl], [2, null]);
    });

    test('a sub-user reads the channels but cannot change them or send a test; without the CSRF token nothing changes; another account sees its own', async () => {
      const v = (await sub.call('GET', 'notify')).body.Response;
      assert.equal(v.CanChange, false);
      assert.equal(v.Emails.length, 2);
      for (const p of ['notify/set', 'notify/test']) assert.equal(error(await sub.call('POST', p, { emails: [] }))!.Code, 'AuthFailure.UnauthorizedOperation', p);
      const forged = await root.call('POST', 'notify/set', { emails: [] }, { 'x-csrf-token': '' });
      assert.equal(forged.status, 403);
      assert.equal((await t.svc.core.notices.getChannels(t.cred.accountUin)).emails.length, 2);
      assert.deepEqual((await other.call('GET', 'notify')).body.Response.Emails, []);
      assert.equal((await new ConsoleClient(base).call('GET', 'notify')).status, 401);
    });

    test('notices: the account\'s own, newest first, with their delivery; limit checked', async () => {
      for (const [i, kind] of (['renewal-failed', 'deploy-failed'] as const).entries()) {
        await t.svc.core.notices.raise({ accountUin: t.cred.accountUin, certId: 'abcd1234', kind, key: `${kind}:console-test`, subject: `subject ${i}`, text: 'text', data: {} });
      }
      const r = (await sub.call('GET', 'notices?limit=10')).body.Response;
      assert.deepEqual(r.Notices.map((n: { Kind: string }) => n.Kind).sort(), ['deploy-failed', 'renewal-failed']);
      const n = r.Notices[0];
      assert.equal(n.CertificateId, 'abcd1234');
      assert.match(n.CreateTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.ok(['pending', 'sent', 'failed', 'none'].includes(n.State));
      assert.equal((await other.call('GET', 'notices')).body.Response.TotalCount, 0);
      for (const q of ['limit=abc', 'limit=500', 'limit=-1']) assert.equal(error(await root.call('GET', `notices?${q}`))!.Code, 'InvalidParameterValue', q);
    });

    test('deploy-records: every DeployCertificateInstance record of the account, without naming a certificate; none of another\'s', async () => {
      const chain = await makeChain('EC', 'records.console.test');
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem })).CertificateId!;
      const target = path.join(dir, 'fullchain.pem');
      const rid = (await t.svc.core.services.resources.addResource({
        accountUin: t.cred.accountUin, name: 'rec-web', type: 'clb', domains: ['records.console.test'], deployer: 'local', config: { files: [{ path: target, format: 'fullchain' }] },
      })).id;
      const d = await root.action('DeployCertificateInstance', { CertificateId: id, ResourceType: 'clb', InstanceIdList: [rid] });
      assert.equal(d.DeployStatus, 1);
      for (let i = 0; i < 300; i++) {
        const r = await root.action('DescribeHostDeployRecord', { CertificateId: id });
        if (r.DeployRecordList[0].Status === 1 || r.DeployRecordList[0].Status === 2) break;
        await new Promise((ok) => setTimeout(ok, 100));
      }
      assert.ok((await readFile(target, 'utf8')).startsWith(chain.leafPem.trim()));
      const r = (await sub.call('GET', 'deploy-records?limit=5')).body.Response;
      assert.equal(r.TotalCount, 1);
      assert.deepEqual([r.DeployRecordList[0].Id, r.DeployRecordList[0].CertId, r.DeployRecordList[0].ResourceType, r.DeployRecordList[0].Status], [d.DeployRecordId, id, 'clb', 1]);
      assert.deepEqual((await root.action('DescribeHostDeployRecord', { CertificateId: id })).DeployRecordList[0].Id, d.DeployRecordId, 'the same record as the action shows');
      assert.equal((await other.call('GET', 'deploy-records')).body.Response.TotalCount, 0);
      assert.equal(error(await root.call('GET', 'deploy-records?offset=x'))!.Code, 'InvalidParameterValue');
    });
  });
}

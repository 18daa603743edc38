// Deployment end to end through the official SDK: a real nginx on loopback serving TLS from
// files that the `local` deployer writes, `openssl s_client` reading the leaf it serves, on
// SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { servedFingerprint, startNginx, waitServed, type Nginx } from '../testing/nginx.js';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { waitRecord, type RecordDetails } from '../testing/sdk.js';
import { BACKENDS, expectCode, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { freePort } from '../testing/net.js';

const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
const NAME = 'www.deploy.test';

const flat = (d: RecordDetails) => (d.RecordDetailList ?? []).flatMap((g) => g.List ?? []);

let oldChain: TestChain;
let newChain: TestChain;
before(async () => {
  [oldChain, newChain] = await Promise.all([makeChain('EC', NAME), makeChain('RSA', NAME)]);
});

for (const backend of BACKENDS) {
  describe(`deployment to nginx with the local deployer (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    let nginx: Nginx;
    let dir: string;
    let port: number;
    let oldId: string;
    let newId: string;
    let resourceId: string;
    const certFile = () => path.join(dir, 'certs', 'site.pem');
    const keyFile = () => path.join(dir, 'certs', 'site.key');

    before(async () => {
      t = await startTestService(backend, { deployment: { retryDelay: () => 100 } });
      c = t.client;
      dir = await mkdtemp(path.join(tmpdir(), 'certport-deploy-'));
      const { mkdirSync } = await import('node:fs');
      mkdirSync(path.join(dir, 'certs'));
      writeFileSync(certFile(), oldChain.leafPem + oldChain.intermediatePem);
      writeFileSync(keyFile(), oldChain.keyPem, { mode: 0o600 });
      port = await freePort();
      nginx = await startNginx([{ name: NAME, port, certFile: certFile(), keyFile: keyFile() }], path.join(dir, 'nginx'));
      oldId = (await c.UploadCertificate({ CertificatePublicKey: oldChain.leafPem + oldChain.intermediatePem, CertificatePrivateKey: oldChain.keyPem, Alias: 'old' })).CertificateId!;
      newId = (await c.UploadCertificate({ CertificatePublicKey: newChain.leafPem + newChain.intermediatePem, CertificatePrivateKey: newChain.keyPem, Alias: 'new' })).CertificateId!;
      const r = await t.svc.core.services.resources.addResource({
        accountUin: t.cred.accountUin, name: 'web-1', type: 'clb', region: 'ap-test', domains: [NAME],
        probe: `127.0.0.1:${port}`, sni: NAME, deployer: 'local', certId: oldId,
        config: {
          files: [{ path: certFile(), format: 'fullchain' }, { path: keyFile(), format: 'key' }],
          reload: nginx.reloadArgv, timeoutMs: 10_000,
        },
      });
      resourceId = r.id;
    });
    after(async () => {
      await nginx?.stop();
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('nginx serves the old certificate before the update', async () => {
      assert.equal(await servedFingerprint(port, NAME), fp(oldChain.leafPem));
    });

    test('UpdateCertificateInstance deploys the new certificate: record, details, files, nginx serves it', async () => {
      const u = await c.UpdateCertificateInstance({ OldCertificateId: oldId, CertificateId: newId, ResourceTypes: ['clb', 'cdn'] });
      assert.ok(u.DeployRecordId! > 0);
      assert.equal(u.DeployStatus, 1);
      const clb = u.UpdateSyncProgress!.find((p) => p.ResourceType === 'clb')!;
      assert.deepEqual(clb.UpdateSyncProgressRegions, [{ Region: 'ap-test', TotalCount: 1, OffsetCount: 1, Status: 1 }]);
      const d = await waitRecord(c, u.DeployRecordId!);
      assert.equal(d.TotalCount, 1);
      assert.equal(d.SuccessTotalCount, 1);
      assert.equal(d.FailedTotalCount, 0);
      assert.equal(d.RunningTotalCount, 0);
      assert.equal(d.RecordDetailList!.length, 1);
      assert.equal(d.RecordDetailList![0]!.ResourceType, 'clb');
      assert.equal(d.RecordDetailList![0]!.TotalCount, 1);
      const [item] = flat(d);
      assert.equal(item!.Status, 1);
      assert.equal(item!.CertId, newId);
      assert.equal(item!.OldCertId, oldId);
      assert.equal(item!.InstanceId, resourceId);
      assert.equal(item!.InstanceName, 'web-1');
      assert.deepEqual(item!.Domains, [NAME]);
      assert.equal(item!.Region, 'ap-test');
      assert.equal(item!.ErrorMsg, '');
      assert.equal(item!.Algorithm, 'RSA 2048');
      assert.equal(item!.OldAlgorithm, 'ECC 256');
      assert.match(item!.CreateTime!, TIME);
      await waitServed(port, NAME, fp(newChain.leafPem));
      assert.equal(statSync(keyFile()).mode & 0o777, 0o600);
      assert.equal(statSync(certFile()).mode & 0o777, 0o644);
      const list = await c.DescribeHostUpdateRecord({ OldCertificateId: oldId });
      assert.equal(list.TotalCount, 1);
      const rec = list.DeployRecordList![0]!;
      assert.equal(rec.Id, u.DeployRecordId);
      assert.equal(rec.CertId, newId);
      assert.equal(rec.OldCertId, oldId);
      assert.deepEqual(rec.ResourceTypes, ['clb', 'cdn']);
      assert.equal(rec.Status, 1);
      assert.match(rec.CreateTime!, TIME);
      const logs = await c.DescribeCertificateOperateLogs({});
      const actions = logs.OperateLogs!.map((l) => l.Action ?? '');
      assert.ok(actions.some((a) => a.includes(`updates the resources of certificate [id: ${oldId}] to certificate [id: ${newId}]`)), actions.join('\n'));
      assert.ok(actions.some((a) => a.includes(`Certificate [id: ${newId}] was deployed to clb resource [${resourceId}]`)), actions.join('\n'));
    });

    test('UpdateCertificateRecordRollback deploys the old certificate again as a new record', async () => {
      const [first] = (await c.DescribeHostUpdateRecord({ OldCertificateId: oldId })).DeployRecordList!;
      const rb = await c.UpdateCertificateRecordRollback({ DeployRecordId: first!.Id! });
      assert.ok(rb.DeployRecordId! > first!.Id!);
      const d = await waitRecord(c, rb.DeployRecordId!);
      assert.equal(d.TotalCount, 1);
      assert.equal(d.SuccessTotalCount, 1);
      const [item] = flat(d);
      assert.equal(item!.Status, 4, 'rolled back');
      assert.equal(item!.CertId, oldId);
      assert.equal(item!.OldCertId, newId);
      await waitServed(port, NAME, fp(oldChain.leafPem));
    });

    test('a failing reload marks the detail failed with its stderr, puts the old files back; retry after fixing it succeeds', async () => {
      // The server's own choice of mode for its certificate, to be kept.
      chmodSync(certFile(), 0o640);
      const before = [readFileSync(certFile(), 'utf8'), readFileSync(keyFile(), 'utf8')];
      nginx.writeConf({ broken: true });
      const u = await c.UpdateCertificateInstance({ OldCertificateId: oldId, CertificateId: newId, ResourceTypes: ['clb'] });
      assert.equal(u.DeployStatus, 1);
      const d = await waitRecord(c, u.DeployRecordId!);
      assert.equal(d.FailedTotalCount, 1);
      assert.equal(d.SuccessTotalCount, 0);
      const [item] = flat(d);
      assert.equal(item!.Status, 2);
      assert.match(item!.ErrorMsg!, /reload command exited with status 1: .*unknown directive "certport_broken_directive"/s);
      const rec = (await c.DescribeHostUpdateRecord({ OldCertificateId: oldId })).DeployRecordList!.find((r) => r.Id === u.DeployRecordId)!;
      assert.equal(rec.Status, 2);
      // nginx kept running on its old configuration: still the old certificate.
      assert.equal(await servedFingerprint(port, NAME), fp(oldChain.leafPem));
      await expectCode(c.UpdateCertificateRecordRollback({ DeployRecordId: u.DeployRecordId! }), 'FailedOperation.CertificateDeployRollbackStatusInvalid');
      // The old files are back, with their modes: nginx's next reload still serves the old certificate.
      assert.deepEqual([readFileSync(certFile(), 'utf8'), readFileSync(keyFile(), 'utf8')], before);
      assert.equal(statSync(certFile()).mode & 0o777, 0o640);
      assert.equal(statSync(keyFile()).mode & 0o777, 0o600);
      nginx.writeConf();
      await nginx.reload();
      assert.equal(await servedFingerprint(port, NAME), fp(oldChain.leafPem));

      await c.UpdateCertificateRecordRetry({ DeployRecordDetailId: item!.Id! });
      const again = await waitRecord(c, u.DeployRecordId!);
      assert.equal(again.SuccessTotalCount, 1);
      assert.equal(again.FailedTotalCount, 0);
      assert.equal(flat(again)[0]!.Status, 1);
      assert.equal(flat(again)[0]!.ErrorMsg, '');
      await waitServed(port, NAME, fp(newChain.leafPem));
      await expectCode(c.UpdateCertificateRecordRetry({ DeployRecordId: u.DeployRecordId! }), 'FailedOperation.CertificateDeployRetryStatusInvalid');
    });

    test('nothing bound: an empty record that is already done', async () => {
      const other = await makeChain('EC', 'other.deploy.test');
      const otherId = (await c.UploadCertificate({ CertificatePublicKey: other.leafPem, CertificatePrivateKey: other.keyPem })).CertificateId!;
      const u = await c.UpdateCertificateInstance({ OldCertificateId: otherId, CertificateId: newId, ResourceTypes: ['clb'] });
      assert.ok(u.DeployRecordId! > 0);
      assert.equal(u.DeployStatus, 1);
      assert.deepEqual(u.UpdateSyncProgress, [{ ResourceType: 'clb', Status: 1, UpdateSyncProgressRegions: [] }]);
      const d = await c.DescribeHostUpdateRecordDetail({ DeployRecordId: String(u.DeployRecordId) });
      assert.equal(d.TotalCount, 0);
      assert.equal(d.SuccessTotalCount, 0);
      assert.equal(d.FailedTotalCount, 0);
      assert.deepEqual(d.RecordDetailList, []);
      const rec = (await c.DescribeHostUpdateRecord({ OldCertificateId: otherId })).DeployRecordList![0]!;
      assert.equal(rec.Status, 1);
      await expectCode(c.UpdateCertificateRecordRollback({ DeployRecordId: u.DeployRecordId! }), 'FailedOperation.CertificateDeployRollbackStatusInvalid');
    });

    test('refusals: unknown type, unknown certificates, unknown records, another account', async () => {
      await expectCode(c.UpdateCertificateInstance({ OldCertificateId: oldId, CertificateId: newId, ResourceTypes: ['nginx'] }), 'FailedOperation.CertificateHostResourceTypeInvalid');
      await expectCode(c.UpdateCertificateInstance({ OldCertificateId: 'NoSuch01', CertificateId: newId, ResourceTypes: ['clb'] }), 'FailedOperation.CertificateNotFound');
      await expectCode(c.UpdateCertificateInstance({ OldCertificateId: oldId, ResourceTypes: ['clb'] }), 'InvalidParameter.WithDetailReason');
      await expectCode(c.DescribeHostUpdateRecordDetail({ DeployRecordId: '999999' }), 'FailedOperation.CertificateDeployNotExist');
      await expectCode(c.DescribeHostUpdateRecordDetail({ DeployRecordId: 'abc' }), 'FailedOperation.InvalidParam');
      await expectCode(c.UpdateCertificateRecordRetry({}), 'FailedOperation.InvalidParam');
      await expectCode(c.UpdateCertificateRecordRollback({ DeployRecordId: 999999 }), 'FailedOperation.CertificateDeployNotExist');
      const other = await t.newAccount();
      const { sdkClient } = await import('../testing/harness.js');
      const oc = sdkClient(t.port, other);
      const [rec] = (await c.DescribeHostUpdateRecord({ OldCertificateId: oldId })).DeployRecordList!;
      await expectCode(oc.DescribeHostUpdateRecordDetail({ DeployRecordId: String(rec!.Id) }), 'FailedOperation.CertificateDeployNotExist');
      assert.equal((await oc.DescribeHostUpdateRecord({})).TotalCount, 0);
    });

    test('the upload form: UpdateCertificateInstance with key material uploads it and deploys it', async () => {
      const fresh = await makeChain('EC', NAME);
      // The resource serves `newId` now.
      const u = await c.UpdateCertificateInstance({
        OldCertificateId: newId, CertificatePublicKey: fresh.leafPem + fresh.intermediatePem, CertificatePrivateKey: fresh.keyPem,
        ResourceTypes: ['clb'], Repeatable: false,
      });
      assert.equal(u.DeployStatus, 1);
      const d = await waitRecord(c, u.DeployRecordId!);
      assert.equal(d.SuccessTotalCount, 1);
      await waitServed(port, NAME, fp(fresh.leafPem));
      // The same key material again with Repeatable false: it exists already.
      await expectCode(c.UpdateCertificateInstance({
        OldCertificateId: newId, CertificatePublicKey: fresh.leafPem + fresh.intermediatePem, CertificatePrivateKey: fresh.keyPem,
        ResourceTypes: ['clb'], Repeatable: false,
      }), 'FailedOperation.CertificateExists');
    });
  });
}

for (const backend of BACKENDS) {
  describe(`deployment to a webhook (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    let rx: Receiver;
    const SECRET = 'webhook-secret-for-tests';
    let retryMs = 100;
    before(async () => {
      t = await startTestService(backend, { deployment: { retryDelay: () => retryMs } });
      c = t.client;
      rx = await startReceiver(SECRET);
    });
    after(async () => {
      await rx?.stop();
      await t?.close();
    });

    test('transient failures are retried with backoff until the signed delivery is accepted, exactly once', async () => {
      const a = await makeChain('EC', 'hook.deploy.test');
      const b = await makeChain('EC', 'hook.deploy.test');
      const aId = (await c.UploadCertificate({ CertificatePublicKey: a.leafPem, CertificatePrivateKey: a.keyPem })).CertificateId!;
      const bId = (await c.UploadCertificate({ CertificatePublicKey: b.leafPem + b.intermediatePem, CertificatePrivateKey: b.keyPem })).CertificateId!;
      const r = await t.svc.core.services.resources.addResource({
        accountUin: t.cred.accountUin, name: 'edge', type: 'cdn', domains: ['hook.deploy.test'], deployer: 'webhook', certId: aId,
        config: { url: rx.url }, secrets: { hmacSecret: SECRET },
      });
      assert.equal(r.hasSecrets, true);
      const sealed = await t.svc.core.stores.kysely.selectFrom('deploy_resources').select('deployer_secret_sealed').where('id', '=', r.id).executeTakeFirstOrThrow();
      assert.ok(!sealed.deployer_secret_sealed!.includes(SECRET), 'the secret is sealed at rest');
      rx.got.length = 0;
      rx.script.push(503, 503, 502);
      // Slow retries at first, so the record is seen running.
      retryMs = 1500;
      const u = await c.UpdateCertificateInstance({ OldCertificateId: aId, CertificateId: bId, ResourceTypes: ['cdn'] });
      assert.equal(u.DeployStatus, 1);
      await new Promise((res) => setTimeout(res, 500));
      const again = await c.UpdateCertificateInstance({ OldCertificateId: aId, CertificateId: bId, ResourceTypes: ['cdn'] });
      assert.equal(again.DeployStatus, 0, 'a running record is returned, not a new one');
      assert.equal(again.DeployRecordId, u.DeployRecordId);
      await expectCode(c.UpdateCertificateRecordRetry({ DeployRecordId: u.DeployRecordId! }), 'FailedOperation.CertificateDeployHasPendingRecord');
      await expectCode(c.UpdateCertificateRecordRollback({ DeployRecordId: u.DeployRecordId! }), 'FailedOperation.CertificateDeployDetailRollbackStatusInvalid');
      const mid = await c.DescribeHostUpdateRecordDetail({ DeployRecordId: String(u.DeployRecordId) });
      assert.equal(mid.PendingTotalCount! + mid.RunningTotalCount!, 1);
      assert.match(flat(mid)[0]!.ErrorMsg!, /try 1 failed: POST .* answered 503/);
      retryMs = 100;
      const d = await waitRecord(c, u.DeployRecordId!);
      assert.equal(d.SuccessTotalCount, 1);
      assert.equal(rx.got.length, 1, 'delivered once');
      const [got] = rx.got;
      assert.equal(got!.body.certificate.id, bId);
      assert.equal(got!.body.certificate.privateKeyPem, undefined, 'no key unless the resource allows it');
      assert.equal(got!.headers['x-certport-delivery'], `cp-${u.DeployRecordId}-${flat(d)[0]!.Id}`);
      assert.equal(rx.forged, 0);
    });

    test('a final refusal fails the detail with the receiver\'s answer', async () => {
      const a = await makeChain('EC', 'hook2.deploy.test');
      const b = await makeChain('EC', 'hook2.deploy.test');
      const aId = (await c.UploadCertificate({ CertificatePublicKey: a.leafPem, CertificatePrivateKey: a.keyPem })).CertificateId!;
      const bId = (await c.UploadCertificate({ CertificatePublicKey: b.leafPem, CertificatePrivateKey: b.keyPem })).CertificateId!;
      await t.svc.core.services.resources.addResource({
        accountUin: t.cred.accountUin, name: 'edge-2', type: 'cdn', domains: [], deployer: 'webhook', certId: aId,
        config: { url: rx.url, includeKey: true }, secrets: { hmacSecret: SECRET },
      });
      rx.script.push(409);
      const u = await c.UpdateCertificateInstance({ OldCertificateId: aId, CertificateId: bId, ResourceTypes: ['cdn'] });
      const d = await waitRecord(c, u.DeployRecordId!);
      assert.equal(d.FailedTotalCount, 1);
      assert.match(flat(d)[0]!.ErrorMsg!, /answered 409: try later/);
      rx.got.length = 0;
      await c.UpdateCertificateRecordRetry({ DeployRecordId: u.DeployRecordId! });
      assert.equal((await waitRecord(c, u.DeployRecordId!)).SuccessTotalCount, 1);
      assert.equal(rx.got[0]!.body.certificate.privateKeyPem, b.keyPem, 'includeKey: the key goes along');
    });
  });
}

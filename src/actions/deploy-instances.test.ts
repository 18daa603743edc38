// Bound resources (TLS probe of a real nginx + what certport deployed), the per-type instance
// lists, and DeployCertificateInstance, through the official SDK on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { startNginx, waitServed, type Nginx } from '../testing/nginx.js';
import { BACKENDS, expectCode, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { waitRecord } from '../testing/sdk.js';

const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
const NAME = 'shop.bind.test';

let oldChain: TestChain;
let newChain: TestChain;
before(async () => {
  [oldChain, newChain] = await Promise.all([makeChain('EC', NAME), makeChain('EC', NAME)]);
});

async function waitTask(c: SslClient, id: string) {
  for (let i = 0; i < 200; i++) {
    const r = await c.DescribeCertificateBindResourceTaskResult({ TaskIds: [id] });
    const t = r.SyncTaskBindResourceResult![0]!;
    if (t.Status !== 0) return t;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`task ${id} did not finish`);
}

for (const backend of BACKENDS) {
  describe(`bound resources, instance lists and DeployCertificateInstance (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    let nginx: Nginx;
    let dir: string;
    let port: number;
    let oldId: string;
    let newId: string;
    const ids: Record<string, string> = {};

    before(async () => {
      t = await startTestService(backend);
      c = t.client;
      dir = await mkdtemp(path.join(tmpdir(), 'certport-bind-'));
      mkdirSync(path.join(dir, 'certs'));
      const certFile = path.join(dir, 'certs', 'shop.pem');
      const keyFile = path.join(dir, 'certs', 'shop.key');
      writeFileSync(certFile, oldChain.leafPem + oldChain.intermediatePem);
      writeFileSync(keyFile, oldChain.keyPem, { mode: 0o600 });
      port = await freePort();
      nginx = await startNginx([{ name: NAME, port, certFile, keyFile }], path.join(dir, 'nginx'));
      oldId = (await c.UploadCertificate({ CertificatePublicKey: oldChain.leafPem + oldChain.intermediatePem, CertificatePrivateKey: oldChain.keyPem })).CertificateId!;
      newId = (await c.UploadCertificate({ CertificatePublicKey: newChain.leafPem + newChain.intermediatePem, CertificatePrivateKey: newChain.keyPem })).CertificateId!;
      const d = t.svc.core.services.resources;
      const acc = t.cred.accountUin;
      // Serves the old certificate, but certport has never deployed there: found by its probe.
      ids.nginx = (await d.addResource({
        accountUin: acc, name: 'shop-nginx', type: 'clb', region: 'ap-test', domains: [NAME], probe: `127.0.0.1:${port}`, sni: NAME,
        deployer: 'local', config: { files: [{ path: certFile, format: 'fullchain' }, { path: keyFile, format: 'key' }], reload: nginx.reloadArgv },
      })).id;
      // Declared as serving the old certificate: found by what certport knows it deployed.
      mkdirSync(path.join(dir, 'edge'));
      ids.edge = (await d.addResource({
        accountUin: acc, name: 'edge', type: 'cdn', domains: [NAME], deployer: 'local', certId: oldId,
        config: { files: [{ path: path.join(dir, 'edge', 'fullchain.pem'), format: 'fullchain' }] },
      })).id;
      // Another name, serving nothing we know of.
      mkdirSync(path.join(dir, 'other'));
      ids.other = (await d.addResource({
        accountUin: acc, name: 'other', type: 'clb', region: 'ap-test', domains: ['other.bind.test'], deployer: 'local',
        config: { files: [{ path: path.join(dir, 'other', 'fullchain.pem'), format: 'fullchain' }] },
      })).id;
    });
    after(async () => {
      await nginx?.stop();
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('the bind-resource task finds the nginx by its TLS probe and the CDN by deployment; cached for 30 minutes', async () => {
      const created = await c.CreateCertificateBindResourceSyncTask({ CertificateIds: [oldId], IsCache: 1 });
      const [task] = created.CertTaskIds!;
      assert.equal(task!.CertId, oldId);
      const r = await waitTask(c, task!.TaskId!);
      assert.equal(r.Status, 1);
      assert.equal(r.Error, null);
      const byType = Object.fromEntries(r.BindResourceResult!.map((b) => [b.ResourceType, b.BindResourceRegionResult]));
      assert.deepEqual(byType.clb, [{ Region: 'ap-test', TotalCount: 1, Error: '' }]);
      assert.deepEqual(byType.cdn, [{ Region: '', TotalCount: 1, Error: '' }]);
      const detail = await c.DescribeCertificateBindResourceTaskDetail({ TaskId: task!.TaskId! });
      assert.equal(detail.Status, 1);
      assert.equal(detail.CLB!.length, 1);
      assert.equal(detail.CLB![0]!.Region, 'ap-test');
      assert.equal(detail.CLB![0]!.TotalCount, 1);
      assert.equal(detail.CLB![0]!.InstanceList![0]!.LoadBalancerId, ids.nginx);
      assert.equal(detail.CLB![0]!.InstanceList![0]!.Listeners![0]!.Certificate!.CertId, oldId);
      assert.equal(detail.CDN![0]!.InstanceList![0]!.Domain, NAME);
      assert.deepEqual(detail.WAF, []);
      const onlyCdn = await c.DescribeCertificateBindResourceTaskDetail({ TaskId: task!.TaskId!, ResourceTypes: ['cdn'] });
      assert.deepEqual(onlyCdn.CLB, []);
      assert.equal(onlyCdn.CDN!.length, 1);

      const cached = await c.CreateCertificateBindResourceSyncTask({ CertificateIds: [oldId], IsCache: 1 });
      assert.equal(cached.CertTaskIds![0]!.TaskId, task!.TaskId, 'the cached result');
      const fresh = await c.CreateCertificateBindResourceSyncTask({ CertificateIds: [oldId], IsCache: 0 });
      assert.notEqual(fresh.CertTaskIds![0]!.TaskId, task!.TaskId);
      await waitTask(c, fresh.CertTaskIds![0]!.TaskId!);
      await expectCode(c.DescribeCertificateBindResourceTaskResult({ TaskIds: ['bind-nosuch'] }), 'FailedOperation.CertificateSyncTaskIdInvalid');
      await expectCode(c.CreateCertificateBindResourceSyncTask({ CertificateIds: ['NoSuch01'], IsCache: 1 }), 'FailedOperation.CertificateNotFound');
      // The new certificate is bound nowhere yet.
      const none = await c.CreateCertificateBindResourceSyncTask({ CertificateIds: [newId], IsCache: 1 });
      assert.deepEqual((await waitTask(c, none.CertTaskIds![0]!.TaskId!)).BindResourceResult, []);
    });

    test('instance lists: resources of the type the certificate covers (domainMatch), with the certificate on them', async () => {
      const match = await c.DescribeHostClbInstanceList({ CertificateId: newId });
      assert.equal(match.TotalCount, 1);
      assert.equal(match.InstanceList![0]!.LoadBalancerId, ids.nginx);
      assert.equal(match.InstanceList![0]!.LoadBalancerName, 'shop-nginx');
      const nomatch = await c.DescribeHostClbInstanceList({ CertificateId: newId, Filters: [{ FilterKey: 'domainMatch', FilterValue: '0' }] });
      assert.deepEqual(nomatch.InstanceList!.map((i) => i.LoadBalancerId), [ids.other]);
      assert.deepEqual(nomatch.InstanceList![0]!.Listeners![0]!.NoMatchDomains, ['other.bind.test']);
      const cdn = await c.DescribeHostCdnInstanceList({ CertificateId: newId });
      assert.deepEqual(cdn.InstanceList, [{ Domain: NAME, CertId: oldId, Status: 'online', HttpsBillingSwitch: 'on' }]);
      const bound = await c.DescribeHostClbInstanceList({ CertificateId: newId, OldCertificateId: oldId });
      assert.deepEqual(bound.InstanceList!.map((i) => i.LoadBalancerId), [ids.nginx]);
      assert.equal((await c.DescribeHostTeoInstanceList({ CertificateId: newId })).TotalCount, 0);
      assert.deepEqual((await c.DescribeHostWafInstanceList({ CertificateId: newId })).InstanceList, []);
      assert.equal((await c.DescribeHostClbInstanceList({ CertificateId: newId, Limit: 1, Offset: 1 })).InstanceList!.length, 0);
    });

    test('UpdateCertificateInstance reaches the probed nginx and the declared CDN', async () => {
      const u = await c.UpdateCertificateInstance({ OldCertificateId: oldId, CertificateId: newId, ResourceTypes: ['clb', 'cdn'] });
      const d = await waitRecord(c, u.DeployRecordId!);
      assert.equal(d.TotalCount, 2);
      assert.equal(d.SuccessTotalCount, 2);
      await waitServed(port, NAME, fp(newChain.leafPem));
      assert.equal(readFileSync(path.join(dir, 'edge', 'fullchain.pem'), 'utf8'), newChain.leafPem + newChain.intermediatePem);
    });

    test('DeployCertificateInstance deploys to named instances (by id or by domain); unknown ones are refused by name', async () => {
      const r = await c.DeployCertificateInstance({ CertificateId: newId, InstanceIdList: [`${ids.other}|lbl-1`], ResourceType: 'clb' });
      assert.equal(r.DeployStatus, 1);
      let d;
      for (let i = 0; i < 200; i++) {
        d = await c.DescribeHostDeployRecordDetail({ DeployRecordId: String(r.DeployRecordId) });
        if (d.SuccessTotalCount! + d.FailedTotalCount! === d.TotalCount) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(d!.SuccessTotalCount, 1);
      assert.equal(d!.DeployRecordDetailList![0]!.InstanceId, ids.other);
      assert.equal(d!.DeployRecordDetailList![0]!.Status, 1);
      assert.deepEqual(d!.DeployRecordDetailList![0]!.Url, []);
      assert.equal(readFileSync(path.join(dir, 'other', 'fullchain.pem'), 'utf8'), newChain.leafPem + newChain.intermediatePem);
      const list = await c.DescribeHostDeployRecord({ CertificateId: newId });
      assert.equal(list.TotalCount, 1);
      assert.equal(list.DeployRecordList![0]!.ResourceType, 'clb');
      assert.equal(list.DeployRecordList![0]!.Status, 1);
      assert.equal((await c.DescribeHostDeployRecord({ CertificateId: newId, ResourceType: 'cdn' })).TotalCount, 0);

      const byDomain = await c.DeployCertificateInstance({ CertificateId: oldId, InstanceIdList: [`${NAME}|on`], ResourceType: 'cdn' });
      for (let i = 0; i < 200; i++) {
        const x = await c.DescribeHostDeployRecordDetail({ DeployRecordId: String(byDomain.DeployRecordId) });
        if (x.SuccessTotalCount === 1) break;
        if (i === 199) throw new Error('not deployed');
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(readFileSync(path.join(dir, 'edge', 'fullchain.pem'), 'utf8'), oldChain.leafPem + oldChain.intermediatePem);

      const msg = await expectCode(c.DeployCertificateInstance({ CertificateId: newId, InstanceIdList: ['lb-nosuch|lbl-1'], ResourceType: 'clb' }), 'FailedOperation.CertificateNotDeployInstance');
      assert.match(msg, /lb-nosuch/);
      await expectCode(c.DeployCertificateInstance({ CertificateId: newId, InstanceIdList: [], ResourceType: 'clb' }), 'FailedOperation.CertificateDeployInstanceEmpty');
      await expectCode(c.DescribeHostDeployRecordDetail({ DeployRecordId: '424242' }), 'FailedOperation.CertificateDeployNotExist');
    });
  });
}

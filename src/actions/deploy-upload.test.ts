// UploadUpdateCertificateInstance with its records, retry and rollback; DeleteCertificates as
// tasks that keep bound certificates; the expiry notification switch. Through the official
// SDK on SQLite and PostgreSQL, with `local` resources writing files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { BACKENDS, expectCode, startTestService, type SslClient, type TestService } from '../testing/harness.js';

const NAME = 'upload.deploy.test';
type UploadDetail = Awaited<ReturnType<SslClient['DescribeHostUploadUpdateRecordDetail']>>;

async function waitUpload(c: SslClient, id: number, entries = 1): Promise<UploadDetail> {
  for (let i = 0; i < 300; i++) {
    const d = await c.DescribeHostUploadUpdateRecordDetail({ DeployRecordId: id, Limit: 200 });
    const all = d.DeployRecordDetail ?? [];
    if (all.length >= entries && all.every((r) => r.Status !== 0 && r.Status !== 3 && r.SuccessTotalCount! + r.FailedTotalCount! === r.TotalCount)) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`upload record ${id} did not finish`);
}

let a: TestChain;
let b: TestChain;
before(async () => {
  [a, b] = await Promise.all([makeChain('EC', NAME), makeChain('EC', NAME)]);
});

for (const backend of BACKENDS) {
  describe(`UploadUpdateCertificateInstance, DeleteCertificates, notification switch (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    let dir: string;
    let aId: string;
    let resourceId: string;
    const file = () => path.join(dir, 'site', 'fullchain.pem');
    const okMarker = () => path.join(dir, 'reload-ok');

    before(async () => {
      t = await startTestService(backend, { deployment: { retryDelay: () => 100 } });
      c = t.client;
      dir = await mkdtemp(path.join(tmpdir(), 'certport-upload-'));
      mkdirSync(path.join(dir, 'site'));
      writeFileSync(okMarker(), '');
      aId = (await c.UploadCertificate({ CertificatePublicKey: a.leafPem + a.intermediatePem, CertificatePrivateKey: a.keyPem })).CertificateId!;
      resourceId = (await t.svc.core.services.resources.addResource({
        accountUin: t.cred.accountUin, name: 'site', type: 'clb', region: 'ap-x', domains: [NAME], deployer: 'local', certId: aId,
        config: { files: [{ path: file(), format: 'fullchain' }], reload: `test -f ${okMarker()} || { echo "reload refused: no marker" >&2; exit 1; }` },
      })).id;
    });
    after(async () => {
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('UploadUpdateCertificateInstance uploads the key material and deploys it; rollback is listed under the record', async () => {
      const u = await c.UploadUpdateCertificateInstance({
        OldCertificateId: aId, CertificatePublicKey: b.leafPem + b.intermediatePem, CertificatePrivateKey: b.keyPem, ResourceTypes: ['clb'],
        ResourceTypesRegions: [{ ResourceType: 'clb', Regions: ['ap-x'] }],
      });
      assert.equal(u.DeployStatus, 1);
      assert.ok(u.DeployRecordId! > 0);
      const d = await waitUpload(c, u.DeployRecordId!);
      const [rec] = d.DeployRecordDetail!;
      assert.equal(rec!.Type, 0);
      assert.equal(rec!.TotalCount, 1);
      assert.equal(rec!.SuccessTotalCount, 1);
      assert.equal(rec!.Status, 1);
      assert.equal(rec!.RecordDetailList![0]!.ResourceType, 'clb');
      const it = rec!.RecordDetailList![0]!.List![0]!;
      assert.equal(it.InstanceId, resourceId);
      assert.equal(it.OldCertId, aId);
      assert.equal(it.Status, 1);
      assert.equal(readFileSync(file(), 'utf8'), b.leafPem + b.intermediatePem);
      const list = await c.DescribeHostUploadUpdateRecord({ OldCertificateId: aId });
      assert.equal(list.TotalCount, 1);
      assert.deepEqual(list.DeployRecordList![0]!.ResourceTypes, ['clb']);
      assert.equal(list.DeployRecordList![0]!.Status, 1);

      await c.UploadUpdateCertificateRecordRollback({ DeployRecordId: u.DeployRecordId! });
      const after = await waitUpload(c, u.DeployRecordId!, 2);
      assert.equal(after.DeployRecordDetail!.length, 2);
      const rb = after.DeployRecordDetail![1]!;
      assert.equal(rb.Type, 1);
      assert.equal(rb.SuccessTotalCount, 1);
      assert.equal(rb.RecordDetailList![0]!.List![0]!.Status, 4);
      assert.equal(readFileSync(file(), 'utf8'), a.leafPem + a.intermediatePem);
      assert.equal((await c.DescribeHostUploadUpdateRecord({ OldCertificateId: aId })).TotalCount, 1, 'rollbacks are not listed as records of their own');
    });

    test('a failed upload-update is retried once fixed', async () => {
      rmSync(okMarker());
      const fresh = await makeChain('EC', NAME);
      const u = await c.UploadUpdateCertificateInstance({
        OldCertificateId: aId, CertificatePublicKey: fresh.leafPem, CertificatePrivateKey: fresh.keyPem, ResourceTypes: ['clb'],
      });
      const d = await waitUpload(c, u.DeployRecordId!);
      const it = d.DeployRecordDetail![0]!.RecordDetailList![0]!.List![0]!;
      assert.equal(it.Status, 2);
      assert.match(it.ErrorMsg!, /reload refused: no marker/);
      writeFileSync(okMarker(), '');
      await c.UploadUpdateCertificateRecordRetry({ DeployRecordDetailId: it.Id! });
      const again = await waitUpload(c, u.DeployRecordId!);
      assert.equal(again.DeployRecordDetail![0]!.SuccessTotalCount, 1);
      assert.equal(readFileSync(file(), 'utf8'), fresh.leafPem);
    });

    test('DeleteCertificates: a bound certificate stays (task status 4), an unbound one goes', async () => {
      const spare = await makeChain('EC', 'spare.deploy.test');
      const spareId = (await c.UploadCertificate({ CertificatePublicKey: spare.leafPem, CertificatePrivateKey: spare.keyPem })).CertificateId!;
      const [resource] = await t.svc.core.services.resources.listResources(t.cred.accountUin);
      const boundId = resource!.certId!;
      const r = await c.DeleteCertificates({ CertificateIds: [boundId, spareId, 'NoSuch01'], IsSync: true });
      assert.deepEqual(r.Success, []);
      assert.equal(r.Fail!.length, 1);
      assert.equal(r.Fail![0]!.CertId, 'NoSuch01');
      const tasks = Object.fromEntries(r.CertTaskIds!.map((x) => [x.CertId, x.TaskId]));
      let res;
      for (let i = 0; i < 100; i++) {
        res = await c.DescribeDeleteCertificatesTaskResult({ TaskIds: Object.values(tasks) as string[] });
        if (res.DeleteTaskResult!.every((x) => x.Status !== 0)) break;
        await new Promise((s) => setTimeout(s, 100));
      }
      const by = Object.fromEntries(res!.DeleteTaskResult!.map((x) => [x.CertId, x]));
      assert.equal(by[boundId]!.Status, 4);
      assert.match(by[boundId]!.Error!, new RegExp(`still deployed on clb ${resourceId}`));
      assert.deepEqual(by[boundId]!.Domains, [NAME]);
      assert.equal(by[spareId]!.Status, 1);
      assert.equal(by[spareId]!.Error, '');
      await expectCode(c.DescribeCertificate({ CertificateId: spareId }), 'FailedOperation.CertificateNotFound');
      assert.equal((await c.DescribeCertificate({ CertificateId: boundId })).CertificateId, boundId);

      const spare2 = await makeChain('EC', 'spare2.deploy.test');
      const spare2Id = (await c.UploadCertificate({ CertificatePublicKey: spare2.leafPem, CertificatePrivateKey: spare2.keyPem })).CertificateId!;
      const now = await c.DeleteCertificates({ CertificateIds: [spare2Id, boundId] });
      assert.deepEqual(now.Success, [spare2Id]);
      assert.equal(now.Fail![0]!.CertId, boundId);
      assert.deepEqual(now.CertTaskIds, []);
    });

    test('DeleteCertificate with IsCheckResource: a task; a bound certificate stays, an unbound one goes', async () => {
      const [resource] = await t.svc.core.services.resources.listResources(t.cred.accountUin);
      const boundId = resource!.certId!;
      const spare = await makeChain('EC', 'spare3.deploy.test');
      const spareId = (await c.UploadCertificate({ CertificatePublicKey: spare.leafPem, CertificatePrivateKey: spare.keyPem })).CertificateId!;
      const settle = async (taskId: string) => {
        for (let i = 0; i < 100; i++) {
          const x = (await c.DescribeDeleteCertificatesTaskResult({ TaskIds: [taskId] })).DeleteTaskResult![0]!;
          if (x.Status !== 0) return x;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`task ${taskId} did not finish`);
      };
      const bound = await c.DeleteCertificate({ CertificateId: boundId, IsCheckResource: true });
      assert.equal(bound.DeleteResult, false, 'still bound: it will not be deleted');
      assert.match(bound.TaskId!, /^del-/);
      const b = await settle(bound.TaskId!);
      assert.equal(b.Status, 4);
      assert.match(b.Error!, /still deployed/);
      assert.equal((await c.DescribeCertificate({ CertificateId: boundId })).CertificateId, boundId, 'a bound certificate is kept');
      const unbound = await c.DeleteCertificate({ CertificateId: spareId, IsCheckResource: true });
      assert.equal(unbound.DeleteResult, true);
      const free = await settle(unbound.TaskId!);
      assert.equal(free.Status, 1);
      await expectCode(c.DescribeCertificate({ CertificateId: spareId }), 'FailedOperation.CertificateNotFound');
      await expectCode(c.DeleteCertificate({ CertificateId: 'NoSuch01', IsCheckResource: true }), 'FailedOperation.CertificateNotFound');
    });

    test('ModifyCertificatesExpiringNotificationSwitch records the switch per certificate', async () => {
      const r = await c.ModifyCertificatesExpiringNotificationSwitch({ CertificateIds: [aId], SwitchStatus: 1 });
      assert.deepEqual(r.CertificateIds, [aId]);
      assert.deepEqual([...await t.svc.core.services.expirySwitch.ignoredExpiry(t.cred.accountUin, [aId])], [aId]);
      await c.ModifyCertificatesExpiringNotificationSwitch({ CertificateIds: [aId], SwitchStatus: 0 });
      assert.equal((await t.svc.core.services.expirySwitch.ignoredExpiry(t.cred.accountUin, [aId])).size, 0);
      await expectCode(c.ModifyCertificatesExpiringNotificationSwitch({ CertificateIds: ['NoSuch01'], SwitchStatus: 1 }), 'FailedOperation.CertificateNotFound');
      await expectCode(c.ModifyCertificatesExpiringNotificationSwitch({ CertificateIds: [aId], SwitchStatus: 2 }), 'InvalidParameterValue');
      assert.ok(existsSync(file()));
    });
  });
}

for (const backend of BACKENDS) {
  describe(`DescribeDeployedResources (${backend})`, () => {
    let t: TestService;
    let dir: string;
    before(async () => {
      t = await startTestService(backend);
      dir = await mkdtemp(path.join(tmpdir(), 'certport-deployed-'));
    });
    after(async () => {
      await t?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });
    test('lists the resources of a type each certificate is on', async () => {
      const c = t.client;
      const id = (await c.UploadCertificate({ CertificatePublicKey: a.leafPem, CertificatePrivateKey: a.keyPem })).CertificateId!;
      const r = await t.svc.core.services.resources.addResource({
        accountUin: t.cred.accountUin, name: 'edge', type: 'cdn', domains: [NAME], deployer: 'local', certId: id,
        config: { files: [{ path: path.join(dir, 'c.pem'), format: 'cert' }] },
      });
      const out = await c.DescribeDeployedResources({ CertificateIds: [id], ResourceType: 'cdn' });
      assert.deepEqual(out.DeployedResources, [{ CertificateId: id, Count: 1, Type: 'cdn', ResourceIds: [r.id], Resources: [r.id] }]);
      assert.equal((await c.DescribeDeployedResources({ CertificateIds: [id], ResourceType: 'clb' })).DeployedResources![0]!.Count, 0);
      await expectCode(c.DescribeDeployedResources({ CertificateIds: [id], ResourceType: 'ftp' }), 'FailedOperation.CertificateHostResourceTypeInvalid');
    });
  });
}

describe('BoundResource source (sqlite)', () => {
  test('boundTypes: the types each certificate of a page is on, in one query', async () => {
    const t = await startTestService('sqlite');
    const dir = await mkdtemp(path.join(tmpdir(), 'certport-boundtypes-'));
    try {
      const c = t.client;
      const id = (await c.UploadCertificate({ CertificatePublicKey: a.leafPem, CertificatePrivateKey: a.keyPem })).CertificateId!;
      const other = (await c.UploadCertificate({ CertificatePublicKey: b.leafPem, CertificatePrivateKey: b.keyPem })).CertificateId!;
      const d = t.svc.core.services.resources;
      for (const type of ['cdn', 'clb', 'cdn']) {
        await d.addResource({ accountUin: t.cred.accountUin, name: type, type, domains: [], deployer: 'local', certId: id, config: { files: [{ path: path.join(dir, type + '.pem') }] } });
      }
      const certs = await Promise.all([id, other].map((x) => t.svc.core.services.certificates.get({ accountUin: t.cred.accountUin, userUin: t.cred.accountUin }, x)));
      const m = await d.boundTypes(certs);
      assert.deepEqual(m.get(id)?.sort(), ['cdn', 'clb']);
      assert.equal(m.get(other), undefined);
      // …and DescribeCertificates shows them.
      const listed = await c.DescribeCertificates({ CertIds: [id, other] });
      assert.deepEqual(listed.Certificates!.find((x) => x.CertificateId === id)!.BoundResource!.sort(), ['cdn', 'clb']);
      assert.deepEqual(listed.Certificates!.find((x) => x.CertificateId === other)!.BoundResource, []);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

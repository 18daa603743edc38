// The deployment record's state machine on the in-memory stores, with a fake deployer and a
// clock the test moves: a record goes pending → running → succeeded or failed by its details;
// transient failures are retried with backoff; failed details are retried on request; a
// rollback is a new record that deploys the old certificate again. (Deployment to real nginx,
// ssh and webhooks through the SDK: actions/*deploy*.test.ts, update-certificate-instance.test.ts.)
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DETAIL, RECORD } from '../domain/deployment.js';
import { DeployError } from '../deploy/types.js';
import { deploymentWorld, type DeploymentWorld } from '../testing/deployment-world.js';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import type { CertificateRecord } from '../domain/certificate.js';
import { DEPLOY_RECORD } from './deployments.js';

const RETRY_MS = 1000;
const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

let oldChain: TestChain;
let newChain: TestChain;
before(async () => {
  [oldChain, newChain] = await Promise.all([makeChain('EC', 'www.unit.test'), makeChain('EC', 'www.unit.test')]);
});

/** A world with the old and new certificates uploaded and `resources` serving the old one. */
async function setup(resources: string[], opts = {}) {
  const w = deploymentWorld({ retryDelay: () => RETRY_MS, maxAttempts: 3, ...opts });
  const old = await w.upload(oldChain);
  const next = await w.upload(newChain);
  const ids: Record<string, string> = {};
  for (const name of resources) ids[name] = await w.addResource(name, old.id);
  return { w, old, next, ids };
}

const update = (w: DeploymentWorld, old: CertificateRecord, next: CertificateRecord, types = ['clb']) =>
  w.deployments.updateInstance(w.caller, { oldCertId: old.id, certId: next.id, types, regions: new Map() });

const details = (w: DeploymentWorld, recordId: number) => w.deployments.recordDetails(w.caller, recordId, 'update');
const statusOf = async (w: DeploymentWorld, recordId: number) => (await w.deployments.record(w.caller, recordId, 'update')).status;
const servedBy = async (w: DeploymentWorld, resourceId: string) => (await w.resources.getResource(resourceId))!.certId;

describe('deployment records on the fakes', () => {
  test('a record goes pending → running → succeeded, deploying the new certificate to each bound resource', async () => {
    const { w, old, next, ids } = await setup(['web-1', 'web-2']);
    const out = await update(w, old, next);
    assert.equal(out.created, true);
    assert.equal(await statusOf(w, out.recordId), RECORD.pending);
    assert.equal((await details(w, out.recordId)).pending, 2);
    assert.equal((await w.stores.jobs.getJob(DEPLOY_RECORD, String(out.recordId)))?.state, 'pending', 'the record has its job');
    assert.equal(w.kicks.n, 1);

    const seen: number[] = [];
    w.deployer.during = async () => {
      seen.push(await statusOf(w, out.recordId));
    };
    assert.equal(await w.deployments.runRecord(out.recordId), null, 'nothing left to do');
    assert.deepEqual(seen, [RECORD.running, RECORD.running]);
    assert.equal(await statusOf(w, out.recordId), RECORD.ok);
    const d = await details(w, out.recordId);
    assert.equal(d.succeeded, 2);
    assert.ok(d.details.every((x) => x.status === DETAIL.ok));
    assert.deepEqual(w.deployer.deliveries.map((x) => [x.resourceId, x.certId, x.sha256]).sort(),
      [[ids['web-1'], next.id, next.fingerprintSha256], [ids['web-2'], next.id, next.fingerprintSha256]].sort());
    assert.deepEqual(w.deployer.deliveries.map((x) => x.deliveryId).sort(), d.details.map((x) => `cp-${out.recordId}-${x.id}`).sort());
    assert.equal(await servedBy(w, ids['web-1']!), next.id, 'the resource now carries the new certificate');
    assert.ok(w.stores.db.logs.some((l) => l.action === `Deployment record ${out.recordId} finished: 2 succeeded, 0 failed`));
  });

  test('a record whose detail fails for good settles failed; the other details still succeed', async () => {
    const { w, old, next, ids } = await setup(['web-1', 'web-2']);
    w.deployer.fail(ids['web-2']!, new DeployError('the server refused the files'));
    const out = await update(w, old, next);
    assert.equal(await w.deployments.runRecord(out.recordId), null);
    assert.equal(await statusOf(w, out.recordId), RECORD.failed);
    const d = await details(w, out.recordId);
    assert.deepEqual([d.succeeded, d.failed], [1, 1]);
    const failed = d.details.find((x) => x.resourceId === ids['web-2'])!;
    assert.equal(failed.status, DETAIL.failed);
    assert.equal(failed.errorMsg, 'the server refused the files');
    assert.equal(await servedBy(w, ids['web-2']!), old.id, 'a failed resource keeps what it had');
  });

  test('a transient failure is deferred by the retry delay, then deployed', async () => {
    const { w, old, next, ids } = await setup(['web-1']);
    w.deployer.fail(ids['web-1']!, new DeployError('503 Service Unavailable', true));
    const out = await update(w, old, next);
    const t0 = w.time.now;
    assert.equal(await w.deployments.runRecord(out.recordId), t0 + RETRY_MS, 'the job looks again when the retry is due');
    let [d] = (await details(w, out.recordId)).details;
    assert.equal(d!.status, DETAIL.pending);
    assert.equal(d!.errorMsg, 'try 1 failed: 503 Service Unavailable');
    assert.equal(await statusOf(w, out.recordId), RECORD.running);

    w.time.now += RETRY_MS / 2;
    assert.equal(await w.deployments.runRecord(out.recordId), t0 + RETRY_MS, 'not due yet: nothing is tried');
    assert.equal(w.deployer.deliveries.length, 0);

    w.time.now = t0 + RETRY_MS;
    assert.equal(await w.deployments.runRecord(out.recordId), null);
    [d] = (await details(w, out.recordId)).details;
    assert.equal(d!.status, DETAIL.ok);
    assert.equal(d!.attempts, 2);
    assert.equal(await statusOf(w, out.recordId), RECORD.ok);
  });

  test('transient failures fail the detail after maxAttempts tries', async () => {
    const { w, old, next, ids } = await setup(['web-1']);
    w.deployer.fail(ids['web-1']!, ...[1, 2, 3].map((n) => new DeployError(`connection refused (${n})`, true)));
    const out = await update(w, old, next);
    for (let run = 0; run < 2; run++) {
      assert.equal(await w.deployments.runRecord(out.recordId), w.time.now + RETRY_MS);
      w.time.now += RETRY_MS;
    }
    assert.equal(await w.deployments.runRecord(out.recordId), null);
    const [d] = (await details(w, out.recordId)).details;
    assert.equal(d!.status, DETAIL.failed);
    assert.equal(d!.errorMsg, 'connection refused (3)');
    assert.equal(await statusOf(w, out.recordId), RECORD.failed);
  });

  test('retry runs the failed details again and leaves the succeeded ones alone', async () => {
    const { w, old, next, ids } = await setup(['web-1', 'web-2']);
    w.deployer.fail(ids['web-2']!, new DeployError('disk full'));
    const out = await update(w, old, next);
    await assert.rejects(w.deployments.retry(w.caller, 'update', out.recordId, undefined), code('FailedOperation.CertificateDeployHasPendingRecord'));
    await w.deployments.runRecord(out.recordId);
    assert.equal(await statusOf(w, out.recordId), RECORD.failed);

    const kicks = w.kicks.n;
    await w.deployments.retry(w.caller, 'update', out.recordId, undefined);
    assert.equal(w.kicks.n, kicks + 1);
    assert.equal(await statusOf(w, out.recordId), RECORD.running);
    const d = await details(w, out.recordId);
    assert.deepEqual([d.succeeded, d.pending, d.failed], [1, 1, 0]);
    assert.equal((await w.stores.jobs.getJob(DEPLOY_RECORD, String(out.recordId)))?.state, 'pending');

    assert.equal(await w.deployments.runRecord(out.recordId), null);
    assert.equal(await statusOf(w, out.recordId), RECORD.ok);
    assert.deepEqual(w.deployer.deliveries.map((x) => x.resourceId).sort(), [ids['web-1'], ids['web-2']].sort(), 'each resource got it once');
    await assert.rejects(w.deployments.retry(w.caller, 'update', out.recordId, undefined), code('FailedOperation.CertificateDeployRetryStatusInvalid'));
  });

  test('a rollback is a new record that deploys the old certificate again', async () => {
    const { w, old, next, ids } = await setup(['web-1']);
    const out = await update(w, old, next);
    await assert.rejects(w.deployments.rollback(w.caller, 'update', out.recordId), code('FailedOperation.CertificateDeployDetailRollbackStatusInvalid'));
    await w.deployments.runRecord(out.recordId);
    assert.equal(await servedBy(w, ids['web-1']!), next.id);

    const back = await w.deployments.rollback(w.caller, 'update', out.recordId);
    assert.notEqual(back, out.recordId);
    const rec = await w.deployments.record(w.caller, back, 'update');
    assert.deepEqual([rec.kind, rec.rollbackOf, rec.certId, rec.oldCertId, rec.status], ['rollback', out.recordId, old.id, next.id, RECORD.pending]);
    assert.deepEqual((await w.deployments.rollbacksOf(w.caller, out.recordId, 'update')).map((r) => r.id), [back]);

    assert.equal(await w.deployments.runRecord(back), null);
    assert.equal(await statusOf(w, back), RECORD.ok);
    assert.equal((await details(w, back)).details[0]!.status, DETAIL.rolledBack);
    assert.deepEqual(w.deployer.deliveries.at(-1)!.sha256, old.fingerprintSha256);
    assert.equal(await servedBy(w, ids['web-1']!), old.id);
  });

  test('a record with nothing to do is settled at once, with no job', async () => {
    const { w, old, next } = await setup(['web-1']);
    const out = await update(w, old, next, ['cdn']);
    assert.equal(out.created, true);
    assert.deepEqual(out.progress, [{ type: 'cdn', regions: [] }]);
    assert.equal(await statusOf(w, out.recordId), RECORD.ok);
    assert.equal((await details(w, out.recordId)).total, 0);
    assert.equal(await w.stores.jobs.getJob(DEPLOY_RECORD, String(out.recordId)), null);
    assert.equal(w.kicks.n, 0);
    assert.equal(await w.deployments.runRecord(out.recordId), null);
    await assert.rejects(w.deployments.rollback(w.caller, 'update', out.recordId), code('FailedOperation.CertificateDeployRollbackStatusInvalid'));
  });

  test('an update while a record for the same certificate is open returns that record', async () => {
    const { w, old, next } = await setup(['web-1']);
    const first = await update(w, old, next);
    const again = await update(w, old, next);
    assert.deepEqual([again.recordId, again.created], [first.recordId, false]);
  });

  test('a resource removed before its turn fails its detail', async () => {
    const { w, old, next, ids } = await setup(['web-1']);
    const out = await update(w, old, next);
    await w.resources.removeResource(ids['web-1']!);
    await w.deployments.runRecord(out.recordId);
    const [d] = (await details(w, out.recordId)).details;
    assert.deepEqual([d!.status, d!.errorMsg], [DETAIL.failed, 'the resource was removed']);
    assert.equal(await statusOf(w, out.recordId), RECORD.failed);
  });
});

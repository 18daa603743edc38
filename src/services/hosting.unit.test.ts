// Hosting's state machine on the in-memory stores, with the real deployment services, a fake
// deployer, fake renewal orders and a clock the test moves: hosting → renewal → replacing →
// done; the renewal window; backoff after a failed or cancelled renewal and after a failed
// replacement. (End to end with BIND, pebble and nginx through the SDK: hosting.test.ts.)
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { CertStatus, type CertificateRecord } from '../domain/certificate.js';
import { RECORD } from '../domain/deployment.js';
import { HOSTING, type HostingRecord } from '../domain/hosting.js';
import { DeployError } from '../deploy/types.js';
import type { Notifier, NoticeEvent } from '../notify/types.js';
import { deploymentWorld, type DeploymentWorld } from '../testing/deployment-world.js';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { HOSTING_STEP, HostingService, nextInWindow, type HostingInput } from './hosting.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

let oldChain: TestChain;
let newChain: TestChain;
before(async () => {
  [oldChain, newChain] = await Promise.all([makeChain('EC', 'hosted.unit.test'), makeChain('EC', 'hosted.unit.test')]);
});

/** Renewal orders as DvOrderService places them, from certificates the test uploaded beforehand. */
class FakeOrders {
  /** Certificates the next renewals become, in order. */
  readonly next: string[] = [];
  readonly placed: string[] = [];
  readonly released: string[] = [];
  constructor(private readonly w: DeploymentWorld) {}

  async renewHosted(old: CertificateRecord): Promise<string> {
    const id = this.next.shift();
    if (!id) throw new Error('no renewal prepared');
    this.w.setCertificate(id, { status: CertStatus.reviewing, source: 'embedded', isDv: true });
    await this.w.stores.certificates.linkRenewal(old.id, id, this.w.clock());
    this.placed.push(id);
    return id;
  }

  async releaseEndedRenewal(old: CertificateRecord): Promise<boolean> {
    this.released.push(old.renewOrderId!);
    await this.w.stores.certificates.releaseRenewal(old.id, old.renewOrderId!, this.w.clock());
    return true;
  }

  async getOrder() {
    return null;
  }
}

/** Notices as the notice service takes them: once per key. */
class FakeNotifier implements Notifier {
  readonly raised: NoticeEvent[] = [];
  async raise(e: NoticeEvent): Promise<boolean> {
    if (this.raised.some((x) => x.key === e.key)) return false;
    this.raised.push(e);
    return true;
  }

  kinds(): string[] {
    return this.raised.map((e) => e.kind);
  }
}

/** A hosted DV certificate served by one resource, with `renewals` certificates ready to be its renewals. */
async function hosted(input: HostingInput = { ResourceTypes: ['clb'] }, renewals = 1) {
  const w = deploymentWorld({ retryDelay: () => 1000 });
  const orders = new FakeOrders(w);
  const notifier = new FakeNotifier();
  const paid = { getOrder: async () => null, renewHosted: async (): Promise<string> => { throw new Error('not a paid certificate'); } };
  const hosting = new HostingService(w.stores.hosting, w.stores.jobs, w.certificates, orders, paid, w.deployments, notifier, w.clock,
    { renewBeforeDays: 30 }, () => w.kicks.n++);
  const old = await w.upload(oldChain);
  w.setCertificate(old.id, { source: 'embedded', isDv: true });
  const resourceId = await w.addResource('web-1', old.id);
  for (let i = 0; i < renewals; i++) orders.next.push((await w.upload(newChain)).id);
  const renewals0 = [...orders.next];
  await hosting.enable(old.id, input);
  const state = async (): Promise<HostingRecord> => (await hosting.get(old.id))!;
  const step = () => hosting.step(old.id);
  return { w, orders, notifier, hosting, old, resourceId, renewals: renewals0, state, step, renewAt: old.notAfter - 30 * DAY };
}

describe('hosting on the fakes', () => {
  test('the renewal window: 30 days before expiry, or at a third of the lifetime if sooner', async () => {
    const h = await hosted();
    assert.equal((await h.state()).status, HOSTING.hosting);
    assert.equal((await h.w.stores.jobs.getJob(HOSTING_STEP, h.old.id))?.state, 'pending', 'hosting has its job');
    assert.equal(await h.step(), h.renewAt, 'nothing to do until the window opens');
    assert.equal((await h.state()).nextAt, h.renewAt);
    h.w.time.now = h.renewAt - 1;
    assert.equal(await h.step(), h.renewAt);
    assert.deepEqual(h.orders.placed, []);

    h.w.time.now = h.renewAt;
    assert.equal(await h.step(), h.renewAt + 15 * MINUTE);
    assert.deepEqual(h.orders.placed, h.renewals);
    assert.equal((await h.state()).renewCertId, h.renewals[0]);
    assert.deepEqual(h.notifier.kinds(), ['hosting-reminder']);

    const t = h.w.time.now;
    assert.equal(h.hosting.renewAt({ ...h.old, notBefore: t, notAfter: t + 9 * DAY }), t + 6 * DAY, 'a 9-day certificate renews after 6 days');
  });

  test('hosting → renewal → replacing → done; the renewal is hosted in turn', async () => {
    const h = await hosted();
    const [renewal] = h.renewals;
    h.w.time.now = h.renewAt;
    await h.step();
    // Waiting for validation.
    assert.equal(await h.step(), h.w.time.now + 15 * MINUTE);
    assert.equal((await h.state()).status, HOSTING.hosting);

    h.w.setCertificate(renewal!, { status: CertStatus.issued });
    assert.equal(await h.step(), h.w.time.now, 'issued: replacement starts at once (no ReplaceTime)');
    const replacing = await h.state();
    assert.equal(replacing.status, HOSTING.replacing);
    const record = await h.w.deployments.record(h.w.caller, replacing.recordId!, 'update');
    assert.deepEqual([record.oldCertId, record.certId, record.status], [h.old.id, renewal, RECORD.pending]);
    assert.equal(await h.step(), h.w.time.now + 10_000, 'the record is still running');

    await h.w.deployments.runRecord(record.id);
    assert.deepEqual(h.w.deployer.deliveries.map((d) => [d.resourceId, d.certId]), [[h.resourceId, renewal]]);
    h.w.time.now += 10_000;
    assert.equal(await h.step(), null, 'done: nothing left to do');
    const done = await h.state();
    assert.deepEqual([done.status, done.completeAt, done.renewCertId], [HOSTING.done, h.w.time.now, renewal]);
    assert.equal(HostingService.view(done).AutoRenewFlag, 0);
    assert.deepEqual(h.notifier.kinds(), ['hosting-reminder', 'hosting-started', 'deploy-succeeded']);

    const next = (await h.hosting.get(renewal!))!;
    assert.deepEqual([next.status, next.resourceTypes], [HOSTING.hosting, ['clb']]);
    assert.equal((await h.w.stores.jobs.getJob(HOSTING_STEP, renewal!))?.state, 'pending');
    assert.equal(await h.step(), null);
  });

  test('a failed renewal is released and ordered again after 1 h, then 2 h; one notice per reason', async () => {
    const h = await hosted(undefined, 3);
    const [first, second, third] = h.renewals;
    h.w.time.now = h.renewAt;
    await h.step();
    h.w.setCertificate(first!, { status: CertStatus.failed, statusMsg: 'CAA forbids issuance' });
    const t1 = h.w.time.now;
    assert.equal(await h.step(), t1 + HOUR);
    let s = await h.state();
    assert.deepEqual([s.failures, s.renewCertId, s.lastError, s.status], [1, null, 'CAA forbids issuance', HOSTING.hosting]);
    assert.deepEqual(h.orders.released, [first]);
    assert.equal((await h.w.certificates.findAnywhere(h.old.id))!.renewOrderId, null, 'the certificate can be renewed again');

    h.w.time.now = t1 + 30 * MINUTE;
    assert.equal(await h.step(), t1 + HOUR, 'within the backoff: no new order');
    assert.deepEqual(h.orders.placed, [first]);

    h.w.time.now = t1 + HOUR;
    await h.step();
    assert.deepEqual(h.orders.placed, [first, second]);
    assert.equal((await h.state()).lastError, null, 'a new attempt clears the last error');
    h.w.setCertificate(second!, { status: CertStatus.failed, statusMsg: 'CAA forbids issuance' });
    const t2 = h.w.time.now;
    assert.equal(await h.step(), t2 + 2 * HOUR);
    s = await h.state();
    assert.deepEqual([s.failures, s.nextAt], [2, t2 + 2 * HOUR]);
    assert.equal(h.notifier.kinds().filter((k) => k === 'renewal-failed').length, 1, 'the same reason is told once');

    h.w.time.now = t2 + 2 * HOUR;
    await h.step();
    assert.deepEqual(h.orders.placed, [first, second, third]);
  });

  test('a cancelled renewal is a failure: released, told, and ordered again after the backoff', async () => {
    const h = await hosted(undefined, 2);
    const [first, second] = h.renewals;
    h.w.time.now = h.renewAt;
    await h.step();
    h.w.setCertificate(first!, { status: CertStatus.cancelled });
    assert.equal(await h.step(), h.w.time.now + HOUR);
    const s = await h.state();
    assert.deepEqual([s.failures, s.renewCertId, s.lastError], [1, null, 'the renewal order was cancelled']);
    assert.deepEqual(h.orders.released, [first]);
    const notice = h.notifier.raised.find((e) => e.kind === 'renewal-failed')!;
    assert.equal(notice.data.reason, 'the renewal order was cancelled');
    assert.equal(notice.data.renewalCertificateId, first);

    h.w.time.now += HOUR;
    await h.step();
    assert.deepEqual(h.orders.placed, [first, second]);
  });

  test('replacement waits for ReplaceTime days before expiry, inside the daily window', async () => {
    const h = await hosted({ ResourceTypes: ['clb'], HostingConfig: { ReplaceTime: 10, ReplaceStartTime: '02:00', ReplaceEndTime: '03:00' } });
    h.w.time.now = h.renewAt;
    await h.step();
    h.w.setCertificate(h.renewals[0]!, { status: CertStatus.issued });
    const at = nextInWindow(h.old.notAfter - 10 * DAY, '02:00', '03:00');
    assert.equal(await h.step(), at);
    assert.equal((await h.state()).status, HOSTING.hosting);
    h.w.time.now = at - 1;
    assert.equal(await h.step(), at);
    h.w.time.now = at;
    await h.step();
    assert.equal((await h.state()).status, HOSTING.replacing);
  });

  test('a replacement whose record fails is told, and deployed again after the backoff', async () => {
    const h = await hosted();
    h.w.deployer.fail(h.resourceId, new DeployError('permission denied'));
    h.w.time.now = h.renewAt;
    await h.step();
    h.w.setCertificate(h.renewals[0]!, { status: CertStatus.issued });
    await h.step();
    const { recordId } = await h.state();
    await h.w.deployments.runRecord(recordId!);
    const t1 = h.w.time.now;
    assert.equal(await h.step(), t1 + HOUR);
    let s = await h.state();
    assert.deepEqual([s.status, s.failures], [HOSTING.replacing, 1]);
    assert.match(s.lastError!, new RegExp(`deployment record ${recordId} failed`));
    assert.ok(h.notifier.kinds().includes('deploy-failed'));

    h.w.time.now = t1 + 30 * MINUTE;
    assert.equal(await h.step(), t1 + HOUR, 'within the backoff: left alone');
    h.w.time.now = t1 + HOUR;
    assert.equal(await h.step(), h.w.time.now + 10_000);
    assert.equal((await h.w.deployments.record(h.w.caller, recordId!, 'update')).status, RECORD.running, 'the failed resources are deployed again');
    s = await h.state();
    assert.equal(s.lastError, null);

    await h.w.deployments.runRecord(recordId!);
    assert.equal(await h.step(), null);
    assert.equal((await h.state()).status, HOSTING.done);
  });
});

// The fakes keep the ports' contracts as the SQL stores do: the same assertions run against
// the in-memory stores and the SQLite ones (conditional transitions, the renewal and reissue
// conflicts, what a delete takes with it, the job upserts and leases).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import type { DvOrderRecord } from '../../domain/dv-order.js';
import { type CertificateStore, type DvOrderStore, type JobStore, type ProjectStore, RenewalConflict, ReplaceConflict } from '../../domain/stores.js';
import { openStores } from '../../store/open.js';
import { fakeStores } from './index.js';

interface Subject { certificates: CertificateStore; projects: ProjectStore; dvOrders: DvOrderStore; jobs: JobStore; close(): Promise<void> }

const A = '100001';
const B = '100002';
const T0 = Date.UTC(2027, 0, 1);
const DAY = 86_400_000;

const SUBJECTS: [string, () => Promise<Subject>][] = [
  ['fake', async () => ({ ...fakeStores(), close: async () => {} })],
  ['sqlite', async () => {
    const s = await openStores('sqlite::memory:');
    for (const uin of [A, B]) await s.accounts.createAccount({ uin, name: uin, status: 'active', createdAt: T0 });
    return s;
  }],
];

const cert = (id: string, over: Partial<CertificateRecord> = {}): CertificateRecord => ({
  id, accountUin: A, projectId: 0, alias: `alias ${id}`, certificateType: 'SVR', source: 'upload', status: 1, statusMsg: null,
  domain: `${id}.example.com`, sans: [`${id}.example.com`, `www.${id}.example.com`], certPem: `PEM ${id}`, privateKeySealed: `key ${id}`,
  keyPasswordSealed: null, fingerprintSha1: `sha1-${id}`, fingerprintSha256: `sha256-${id}`, serialHex: '01', issuerCn: 'Test CA',
  encryptAlgorithm: 'RSA', isSm: false, isWildcard: false, isDv: false, notBefore: T0, notAfter: T0 + 90 * DAY, certificateUse: '',
  packageType: null, productZhName: '', verifyType: null, validityPeriod: '3', caInfo: null, createdAt: T0, updatedAt: T0,
  tags: [{ key: 'team', value: 'a' }, { key: 'env', value: 'prod' }], dvDeadline: null, validatedAt: null, originCertId: null,
  renewOrderId: null, replacedBy: null, replacedFor: null, encryptCertPem: null, encryptKeySealed: null, ...over,
});

const order = (certId: string, over: Partial<DvOrderRecord> = {}): DvOrderRecord => ({
  certId, accountUin: A, method: 'DNS', mainDomain: 'example.com', auths: [], keyAlgo: 'RSA', keyParam: '2048', contactEmail: null,
  contactPhone: null, deleteDnsAutoRecord: false, recordState: 'none', lastCheckAt: null, lastCheckDetail: null, createdAt: T0,
  acmeOrderUrl: null, csrPem: null, ...over,
});

const log = (certId: string, type = 'x', accountUin = A): OperationLogRecord => ({ accountUin, userUin: accountUin, certId, type, action: type, createdAt: T0 + 1 });
const job = (subject: string, runAt = T0, payload: string | null = null) => ({ kind: 'contract', subject, runAt, payload });
/** A new DV order's certificate: under review. */
const pending = (id: string, over: Partial<CertificateRecord> = {}) => cert(id, { status: 0, source: 'embedded', isDv: true, ...over });

for (const [name, open] of SUBJECTS) {
  describe(`store ports contract (${name})`, () => {
    let s: Subject;
    before(async () => {
      s = await open();
    });
    after(async () => {
      await s?.close();
    });

    test('a certificate reads back as written (tags in key order), and only in its account', async () => {
      const c = cert('c1');
      await s.certificates.insertCertificate(c, log('c1', 'upload'));
      const want = { ...c, tags: [{ key: 'env', value: 'prod' }, { key: 'team', value: 'a' }] };
      assert.deepEqual(await s.certificates.getCertificate(A, 'c1'), want);
      assert.deepEqual(await s.certificates.getCertificateById('c1'), want);
      assert.equal(await s.certificates.getCertificate(B, 'c1'), null);
      assert.equal((await s.certificates.findByFingerprint(A, 'sha1-c1', 'SVR'))?.id, 'c1');
      assert.equal(await s.certificates.findByFingerprint(A, 'sha1-c1', 'CA'), null);
      await assert.rejects(s.certificates.insertCertificate(c, log('c1')));
    });

    test('the change token moves with a write and stays put without one', async () => {
      const before = await s.certificates.changeToken();
      assert.equal(await s.certificates.changeToken(), before);
      assert.equal(await s.certificates.updateAlias(A, 'c1', 'renamed', T0 + 2, log('c1', 'modify')), true);
      assert.notEqual(await s.certificates.changeToken(), before);
      assert.equal(await s.certificates.updateAlias(B, 'c1', 'stolen', T0 + 2, log('c1', 'modify', B)), false);
      assert.equal((await s.certificates.getCertificate(A, 'c1'))!.alias, 'renamed');
    });

    test('updateProject moves the account\'s certificates that exist, in the order given', async () => {
      await s.certificates.insertCertificate(cert('c2', { createdAt: T0 + 10 }), log('c2'));
      await s.certificates.insertCertificate(cert('b1', { accountUin: B }), log('b1', 'x', B));
      assert.deepEqual(await s.certificates.updateProject(A, ['c2', 'nope', 'b1', 'c1'], 7, T0 + 3, (id) => log(id, 'move')), ['c2', 'c1']);
      assert.equal((await s.certificates.getCertificate(A, 'c2'))!.projectId, 7);
      assert.equal((await s.certificates.getCertificate(B, 'b1'))!.projectId, 0);
      assert.deepEqual(await s.certificates.updateProject(A, ['nope'], 7, T0 + 3, (id) => log(id, 'move')), []);
    });

    test('a project is created once and read back; reads create none', async () => {
      assert.equal(await s.projects.getProject(A, 3), null);
      const p = { accountUin: A, projectId: 3, name: 'Project 3', createdAt: T0 };
      assert.deepEqual(await s.projects.ensureProject(p), p);
      assert.deepEqual(await s.projects.ensureProject({ ...p, name: 'another name', createdAt: T0 + 1 }), p, 'the first one stays');
      assert.deepEqual(await s.projects.getProjects(A, [3, 4]), [p]);
      assert.deepEqual(await s.projects.getProjects(B, [3]), []);
      await s.projects.ensureProject({ ...p, projectId: 1, name: 'Project 1' });
      assert.deepEqual((await s.projects.listProjects(A)).map((x) => x.projectId), [1, 3]);
      assert.deepEqual(await s.projects.listProjects(B), []);
    });

    test('listing: filters, order, count', async () => {
      const all = await s.certificates.listCertificates({ accountUin: A, offset: 0, limit: 10 });
      assert.deepEqual([all.total, all.items.map((c) => c.id)], [2, ['c2', 'c1']]);
      const page = await s.certificates.listCertificates({ accountUin: A, offset: 1, limit: 10, expirationSort: 'ASC', searchKey: 'C' });
      assert.deepEqual([page.total, page.items.map((c) => c.id)], [2, ['c2']]);
      const tagged = await s.certificates.listCertificates({ accountUin: A, offset: 0, limit: 10, tags: [{ key: 'env', value: '' }], projectId: 7 });
      assert.deepEqual(tagged.items.map((c) => c.id), ['c2', 'c1']);
      const expired = await s.certificates.listCertificates({ accountUin: A, offset: 0, limit: 10, statuses: [3], now: T0 + 91 * DAY });
      assert.equal(expired.total, 2);
    });

    test('a renewal links once; it is released only by the renewal it names', async () => {
      await s.certificates.linkRenewal('c1', 'c2', T0 + 4);
      assert.equal((await s.certificates.getCertificate(A, 'c1'))!.renewOrderId, 'c2');
      assert.equal((await s.certificates.getCertificate(A, 'c2'))!.originCertId, 'c1');
      await assert.rejects(s.certificates.linkRenewal('c1', 'b1', T0 + 4), RenewalConflict);
      await s.certificates.releaseRenewal('c1', 'b1', T0 + 5);
      assert.equal((await s.certificates.getCertificate(A, 'c1'))!.renewOrderId, 'c2');
      await s.certificates.releaseRenewal('c1', 'c2', T0 + 5);
      assert.equal((await s.certificates.getCertificate(A, 'c1'))!.renewOrderId, null);
    });

    test('a DV order comes with its certificate, order and first job; a renewal that is taken conflicts and writes nothing', async () => {
      await s.dvOrders.insertDvOrder(pending('d1'), order('d1'), log('d1', 'apply'), job('d1'), 'c1');
      assert.equal((await s.certificates.getCertificate(A, 'd1'))!.status, 0);
      assert.equal((await s.dvOrders.getDvOrder('d1'))!.method, 'DNS');
      assert.equal((await s.jobs.getJob('contract', 'd1'))!.state, 'pending');
      assert.equal((await s.certificates.getCertificate(A, 'c1'))!.renewOrderId, 'd1');
      await assert.rejects(s.dvOrders.insertDvOrder(pending('d2'), order('d2'), log('d2', 'apply'), job('d2'), 'c1'), RenewalConflict);
      assert.equal(await s.certificates.getCertificate(A, 'd2'), null);
      assert.equal(await s.dvOrders.getDvOrder('d2'), null);
      assert.equal(await s.jobs.getJob('contract', 'd2'), null);
      // Another account's certificate cannot be renewed from here.
      await assert.rejects(s.dvOrders.insertDvOrder(pending('d3'), order('d3'), log('d3', 'apply'), job('d3'), 'b1'), RenewalConflict);
    });

    test('a reissue takes an issued certificate to 11 once; settling returns it to 1', async () => {
      await s.dvOrders.insertDvOrder(pending('r1', { replacedFor: 'c2' }), order('r1'), log('r1', 'apply'), job('r1'), undefined, 'c2');
      const original = (await s.certificates.getCertificate(A, 'c2'))!;
      assert.deepEqual([original.status, original.replacedBy, original.updatedAt], [11, 'r1', T0]);
      await assert.rejects(s.dvOrders.insertDvOrder(pending('r2'), order('r2'), log('r2', 'apply'), job('r2'), undefined, 'c2'), ReplaceConflict);
      await assert.rejects(s.dvOrders.insertDvOrder(pending('r3'), order('r3'), log('r3', 'apply'), job('r3'), undefined, 'd1'), ReplaceConflict);
      assert.equal(await s.certificates.getCertificate(A, 'r2'), null);
      await s.dvOrders.settleReplacement('c2', false, T0 + 6);
      const settled = (await s.certificates.getCertificate(A, 'c2'))!;
      assert.deepEqual([settled.status, settled.replacedBy, settled.updatedAt], [1, null, T0 + 6]);
      await s.dvOrders.settleReplacement('c2', false, T0 + 7);
      assert.equal((await s.certificates.getCertificate(A, 'c2'))!.updatedAt, T0 + 6, 'only a certificate at 11 is settled');
    });

    test('a transition applies only from the statuses named, with its log entry and jobs', async () => {
      const set = { status: 1, certPem: 'ISSUED', notAfter: T0 + 30 * DAY, serialHex: 'ff', validatedAt: T0 + 8 };
      assert.equal(await s.dvOrders.transitionCertificate('d1', { fromStatuses: [4], set }, log('d1', 'issued'), [job('next-d1')]), false);
      assert.equal((await s.certificates.getCertificate(A, 'd1'))!.status, 0);
      assert.equal(await s.jobs.getJob('contract', 'next-d1'), null);
      assert.equal(await s.dvOrders.transitionCertificate('d1', { fromStatuses: [0, 4], set }, { ...log('d1', 'issued'), createdAt: T0 + 9 }, [job('next-d1')]), true);
      const c = (await s.certificates.getCertificate(A, 'd1'))!;
      assert.deepEqual([c.status, c.certPem, c.notAfter, c.serialHex, c.validatedAt, c.updatedAt, c.domain], [1, 'ISSUED', T0 + 30 * DAY, 'ff', T0 + 8, T0 + 9, 'd1.example.com']);
      assert.equal((await s.jobs.getJob('contract', 'next-d1'))!.state, 'pending');
      assert.equal(await s.dvOrders.transitionCertificate('missing', { fromStatuses: [0], set }), false);
    });

    test('a chain root is kept with the certificate, as written or recorded later; a new chain forgets it', async () => {
      await s.certificates.insertCertificate(cert('cr1', { chainRootPem: 'ROOT cr1' }), log('cr1', 'upload'));
      assert.equal((await s.certificates.getCertificate(A, 'cr1'))!.chainRootPem, 'ROOT cr1');
      await s.certificates.insertCertificate(pending('cr2'), log('cr2', 'apply'));
      assert.equal((await s.certificates.getCertificate(A, 'cr2'))!.chainRootPem ?? null, null, 'not known');
      await s.certificates.recordChainRoot('cr2', '');
      assert.equal((await s.certificates.getCertificate(A, 'cr2'))!.chainRootPem, '', 'known: none');
      await s.certificates.recordChainRoot('cr2', 'ROOT cr2');
      assert.equal((await s.certificates.getCertificate(A, 'cr2'))!.chainRootPem, 'ROOT cr2');
      assert.equal(await s.dvOrders.transitionCertificate('cr2', { fromStatuses: [0], set: { status: 1, certPem: 'NEW CHAIN' } }), true);
      assert.equal((await s.certificates.getCertificate(A, 'cr2'))!.chainRootPem ?? null, null, 'forgotten with the old chain');
      await s.certificates.recordChainRoot('missing', 'x');
    });

    test('DV checks and ACME orders are recorded on the order; free certificates are counted', async () => {
      await s.dvOrders.recordDvCheck('d1', T0 + 10, 'not yet', 'added');
      await s.dvOrders.recordDvCheck('d1', T0 + 11, 'still not');
      const auths = [{ domain: 'd1.example.com', verifyType: 'TXT' as const, key: '_dnsauth', value: 'v', zone: 'example.com', subDomain: '_dnsauth', path: null }];
      await s.dvOrders.replaceAcmeOrder('d1', 'https://acme/order/1', auths, 'none');
      const o = (await s.dvOrders.getDvOrder('d1'))!;
      assert.deepEqual([o.lastCheckAt, o.lastCheckDetail, o.recordState, o.acmeOrderUrl, o.auths], [T0 + 11, 'still not', 'none', 'https://acme/order/1', auths]);
      assert.deepEqual([...(await s.dvOrders.getDvOrders(['d1', 'nope'])).keys()], ['d1']);
      assert.equal(await s.dvOrders.countFreeCertificates(A, T0), 2, 'd1 issued and unexpired, r1 pending');
      assert.equal(await s.dvOrders.countFreeCertificates(A, T0 + 31 * DAY), 1, 'd1 expired');
      assert.equal(await s.dvOrders.countFreeCertificates(A, T0, 'other.com'), 0);
    });

    test('deleting takes the order with it, frees what it renewed, enqueues its jobs; only in its own account', async () => {
      assert.equal(await s.certificates.deleteCertificate(B, 'd1', log('d1', 'delete', B)), false);
      assert.equal(await s.certificates.deleteCertificate(A, 'd1', log('d1', 'delete'), [job('cleanup-d1', T0 + 12, 'p')]), true);
      assert.equal(await s.certificates.getCertificate(A, 'd1'), null);
      assert.equal(await s.dvOrders.getDvOrder('d1'), null);
      assert.equal((await s.certificates.getCertificate(A, 'c1'))!.renewOrderId, null);
      assert.equal((await s.jobs.getJob('contract', 'cleanup-d1'))!.payload, 'p');
      assert.equal(await s.certificates.deleteCertificate(A, 'd1', log('d1', 'delete')), false);
    });

    test('jobs: enqueue upserts, one lease at a time, only the holder settles', async () => {
      await s.jobs.enqueueJob(job('j1', T0 + 100, 'one'), T0);
      const due = async (now: number) => (await s.jobs.dueJobs(now, 50)).filter((j) => j.subject === 'j1');
      assert.deepEqual(await due(T0 + 99), []);
      assert.deepEqual((await due(T0 + 100)).map((j) => j.payload), ['one']);
      assert.equal(await s.jobs.claimJob('contract', 'j1', 'n1', T0 + 100, 1000), true);
      assert.equal(await s.jobs.claimJob('contract', 'j1', 'n2', T0 + 200, 1000), false, 'the lease runs to T0 + 1100');
      assert.deepEqual(await due(T0 + 200), []);
      assert.equal(await s.jobs.settleJob('contract', 'j1', 'n2', T0 + 300, { state: 'done' }), false);
      assert.equal(await s.jobs.settleJob('contract', 'j1', 'n1', T0 + 300, { state: 'pending', runAt: T0 + 500, error: 'later' }), true);
      assert.deepEqual(await s.jobs.getJob('contract', 'j1'), {
        kind: 'contract', subject: 'j1', state: 'pending', runAt: T0 + 500, attempts: 1, leaseOwner: null, leaseUntil: 0, lastError: 'later', payload: 'one',
      });
      assert.equal(await s.jobs.claimJob('contract', 'j1', 'n2', T0 + 1200, 1000), true, 'a lease that ran out is free');
      // Enqueued again while leased: pending at the new time, tries and error reset, the lease left alone.
      await s.jobs.enqueueJob(job('j1', T0 + 50, 'two'), T0 + 1300);
      assert.deepEqual(await s.jobs.getJob('contract', 'j1'), {
        kind: 'contract', subject: 'j1', state: 'pending', runAt: T0 + 50, attempts: 0, leaseOwner: 'n2', leaseUntil: T0 + 2200, lastError: null, payload: 'two',
      });
      // The run that was going on settles: the enqueue made during it is not lost (pending at its time, lease free).
      assert.equal(await s.jobs.settleJob('contract', 'j1', 'n2', T0 + 1400, { state: 'done' }), true);
      assert.deepEqual(await s.jobs.getJob('contract', 'j1'), {
        kind: 'contract', subject: 'j1', state: 'pending', runAt: T0 + 50, attempts: 0, leaseOwner: null, leaseUntil: 0, lastError: null, payload: 'two',
      });
      // The next run, not woken while it ran, ends as it says.
      assert.equal(await s.jobs.claimJob('contract', 'j1', 'n1', T0 + 1500, 1000), true);
      assert.equal(await s.jobs.settleJob('contract', 'j1', 'n1', T0 + 1600, { state: 'done' }), true);
      assert.equal((await s.jobs.getJob('contract', 'j1'))!.state, 'done');
    });

    test('jobs: ensureJob leaves a pending job alone and makes an ended one pending again', async () => {
      await s.jobs.ensureJob(job('sweep', T0 + 10, 'first'), T0);
      await s.jobs.ensureJob(job('sweep', T0 + 20, 'second'), T0);
      assert.deepEqual([(await s.jobs.getJob('contract', 'sweep'))!.runAt, (await s.jobs.getJob('contract', 'sweep'))!.payload], [T0 + 10, 'first']);
      assert.equal(await s.jobs.claimJob('contract', 'sweep', 'n1', T0 + 10, 1000), true);
      assert.equal(await s.jobs.settleJob('contract', 'sweep', 'n1', T0 + 11, { state: 'failed' }), true);
      await s.jobs.ensureJob(job('sweep', T0 + 30, 'third'), T0 + 12);
      const j = (await s.jobs.getJob('contract', 'sweep'))!;
      assert.deepEqual([j.state, j.runAt, j.attempts, j.payload], ['pending', T0 + 30, 1, 'first']);
    });
  });
}

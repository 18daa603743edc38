// The DV order's state machine (the diagram at the top of ./dv-orders.ts) on the in-memory
// stores: apply → 0 (→ 4 when DNS_AUTO wrote the record) → 1 issued, 2 failed at the deadline,
// 7 cancelled; renewals, reissues and the free-certificate quotas. The validator is a fake the
// test answers for; certport's own CA signs. The SDK-level tests (actions/apply-certificate.test.ts)
// run the same flows against real DNS and HTTP servers.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { CertStatus } from '../domain/certificate.js';
import { CALLER, DAY, HOUR, dvJob, orderCore, rejectsWith, type OrderCore } from '../testing/order-services.js';
import { DNS_CLEANUP, STATUS_MSG } from './dv-orders.js';
import type { ApplyInput } from './dv-rules.js';

/** ApplyCertificate with an ECDSA key (quick to make) unless the test says otherwise. */
const apply = (core: OrderCore, domain: string, over: Partial<ApplyInput> = {}) =>
  core.orders.apply(CALLER, { dvAuthMethod: 'DNS', domainName: domain, csrEncryptAlgo: 'ECC', csrKeyParameter: 'prime256v1', ...over });

/** Publishes what the order asks for, then runs its job's step: issued. */
async function issue(core: OrderCore, id: string) {
  core.validator.publish(...core.dvOrder(id).auths);
  assert.equal(await core.step(id), null, 'the step settles the order');
  assert.equal(core.cert(id).status, CertStatus.issued);
  return core.cert(id);
}

test('apply stores the order at 0 (pending-dcv) with what to publish, and its dv-validate job due now', async () => {
  const core = await orderCore();
  const id = await apply(core, 'shop.example.test');
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.reviewing);
  assert.equal(c.statusMsg, STATUS_MSG.pending);
  assert.equal(c.isDv, true);
  assert.equal(c.dvDeadline, core.clock() + 72 * HOUR);
  const o = core.dvOrder(id);
  assert.equal(o.method, 'DNS');
  assert.equal(o.mainDomain, 'example.test');
  assert.deepEqual(o.auths.map((a) => [a.verifyType, a.key, a.zone, a.subDomain]), [['TXT', '_dnsauth.shop.example.test', 'example.test', '_dnsauth.shop']]);
  const job = dvJob(core, id);
  assert.equal(job?.state, 'pending');
  assert.equal(job?.runAt, core.clock());
  assert.equal(core.kicks, 1, 'the job runner is woken');
  assert.equal(core.logs(id, 'apply'), 1);
});

test('a step while nothing is published keeps the order at 0, records what was found, and asks to run again later', async () => {
  const core = await orderCore();
  const id = await apply(core, 'shop.example.test');
  const next = await core.step(id);
  assert.ok(next !== null && next > core.clock(), 'runs again later');
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.reviewing);
  assert.equal(c.statusMsg, STATUS_MSG.pending);
  assert.match(core.dvOrder(id).lastCheckDetail ?? '', /shop\.example\.test: nothing published at _dnsauth\.shop\.example\.test/);
  assert.deepEqual(core.settled, []);
});

test('validation passing issues the certificate (1) signed by the embedded CA for the name, 90 days', async () => {
  const core = await orderCore();
  const id = await apply(core, 'shop.example.test');
  const c = await issue(core, id);
  assert.equal(c.statusMsg, null);
  const leaf = new X509Certificate(c.certPem);
  assert.equal(leaf.subjectAltName, 'DNS:shop.example.test');
  const [, intermediatePem, ...rest] = c.certPem.split(/(?=-----BEGIN)/);
  assert.equal(rest.length, 0, 'leaf and issuing intermediate');
  const intermediate = new X509Certificate(intermediatePem!);
  assert.ok(leaf.verify(intermediate.publicKey), 'signed by the issuing intermediate');
  assert.ok(intermediate.verify(new X509Certificate(core.ca.rootPem).publicKey), 'under the embedded root');
  assert.equal(c.serialHex, leaf.serialNumber.toLowerCase());
  assert.equal(c.notAfter, Date.parse(leaf.validTo));
  assert.equal(Math.round((c.notAfter - c.notBefore) / DAY), 90);
  assert.equal(c.validatedAt, core.clock());
  assert.equal(core.logs(id, 'issued'), 1);
});

test('two steps racing on one validated order store it as issued once: one certificate, one issued log entry', async () => {
  const core = await orderCore();
  const id = await apply(core, 'race.example.test');
  core.validator.publish(...core.dvOrder(id).auths);
  const results = await Promise.all([core.step(id), core.step(id)]);
  assert.deepEqual(results, [null, null]);
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.issued);
  assert.equal(core.logs(id, 'issued'), 1, 'one transition to issued');
  assert.equal(new X509Certificate(c.certPem).serialNumber.toLowerCase(), c.serialHex, 'the stored chain is the one the log names');
  assert.match(core.stores.db.logs.find((l) => l.certId === id && l.type === 'issued')!.action, new RegExp(`serial ${c.serialHex}`));
  // A later step finds it settled and changes nothing.
  assert.equal(await core.step(id), null);
  assert.equal(core.cert(id).certPem, c.certPem);
});

// storeIssued (dv-validation.ts) goes on to settleReplacement and onSettled whether or not its
// conditional update won: the step that lost a race calls onSettled a second time.
test('two steps racing on one validated order call onSettled once', async () => {
  const core = await orderCore();
  const id = await apply(core, 'race.example.test');
  core.validator.publish(...core.dvOrder(id).auths);
  await Promise.all([core.step(id), core.step(id)]);
  assert.deepEqual(core.settled, [id]);
});

test('onSettled is called once when the order is issued, and not again by later steps', async () => {
  const core = await orderCore();
  const id = await apply(core, 'shop.example.test');
  await core.step(id);
  assert.deepEqual(core.settled, [], 'not while pending');
  await issue(core, id);
  await core.step(id);
  assert.deepEqual(core.settled, [id]);
});

test('the deadline passing fails the order (2) with the timeout message, once (even by two steps at once); publishing later does not revive it', async () => {
  const core = await orderCore();
  const id = await apply(core, 'late.example.test');
  core.clock.advance(72 * HOUR - 1);
  assert.notEqual(await core.step(id), null, 'still pending just before the deadline');
  core.clock.advance(1);
  assert.deepEqual(await Promise.all([core.step(id), core.step(id)]), [null, null], 'two steps at once');
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.failed);
  assert.equal(c.statusMsg, STATUS_MSG.timedOut);
  assert.deepEqual(core.settled, [id]);
  core.validator.publish(...core.dvOrder(id).auths);
  assert.equal(await core.step(id), null);
  assert.equal(core.cert(id).status, CertStatus.failed);
  assert.deepEqual(core.settled, [id], 'settled once');
  assert.deepEqual(core.jobs(DNS_CLEANUP), [], 'nothing to clean up: certport wrote no record');
});

test('DNS_AUTO: the record is written once (0 → 4), and validation passing issues (4 → 1)', async () => {
  const core = await orderCore({ zones: ['auto.test'] });
  const id = await apply(core, 'www.auto.test', { dvAuthMethod: 'DNS_AUTO' });
  const o = core.dvOrder(id);
  assert.equal(o.mainDomain, 'auto.test');
  assert.equal(core.cert(id).status, CertStatus.reviewing);
  assert.notEqual(await core.step(id), null, 'the record is not visible yet');
  assert.equal(core.cert(id).status, CertStatus.dnsAdded);
  assert.equal(core.dvOrder(id).recordState, 'added');
  assert.deepEqual(core.validator.added, [{ zone: 'auto.test', name: '_dnsauth.www.auto.test', value: o.auths[0]!.value }]);
  assert.equal(core.logs(id, 'dnsAutoAdded'), 1);
  await core.step(id);
  assert.equal(core.validator.added.length, 1, 'written once');
  core.validator.propagate();
  assert.equal(await core.step(id), null);
  assert.equal(core.cert(id).status, CertStatus.issued);
  assert.deepEqual(core.jobs(DNS_CLEANUP), [], 'the record stays: DeleteDnsAutoRecord was not asked for');
});

test('DNS_AUTO with DeleteDnsAutoRecord: issuance enqueues the removal of the record, and the cleanup job removes it', async () => {
  const core = await orderCore({ zones: ['auto.test'] });
  const id = await apply(core, 'www.auto.test', { dvAuthMethod: 'DNS_AUTO', deleteDnsAutoRecord: true });
  await core.step(id);
  core.validator.propagate();
  await core.step(id);
  assert.equal(core.cert(id).status, CertStatus.issued);
  const [job, ...more] = core.jobs(DNS_CLEANUP);
  assert.equal(more.length, 0);
  assert.equal(job!.subject, `${id}:_dnsauth.www.auto.test`);
  assert.deepEqual(core.validator.removed, [], 'removed by the job, not inline');
  await core.orders.cleanupStep(job!.payload);
  assert.deepEqual(core.validator.removed, core.validator.added);
});

test('DNS_AUTO without a provider for the name is refused at apply', async () => {
  const core = await orderCore({ zones: ['auto.test'] });
  await rejectsWith(apply(core, 'www.elsewhere.test', { dvAuthMethod: 'DNS_AUTO' }), 'FailedOperation.InvalidParam');
  assert.equal(core.db.certificates.size, 0);
});

test('DNS_AUTO: the deadline fails the order (2) and enqueues the removal of the record certport wrote', async () => {
  const core = await orderCore({ zones: ['auto.test'] });
  const id = await apply(core, 'www.auto.test', { dvAuthMethod: 'DNS_AUTO' });
  await core.step(id);
  assert.equal(core.cert(id).status, CertStatus.dnsAdded);
  core.clock.advance(72 * HOUR);
  assert.equal(await core.step(id), null);
  assert.equal(core.cert(id).status, CertStatus.failed);
  assert.equal(core.cert(id).statusMsg, STATUS_MSG.timedOut);
  const jobs = core.jobs(DNS_CLEANUP);
  assert.deepEqual(jobs.map((j) => JSON.parse(j.payload!)), [{ zone: 'auto.test', name: '_dnsauth.www.auto.test', value: core.validator.added[0]!.value }]);
  assert.deepEqual(core.settled, [id]);
});

test('cancel moves an order at 0 to 7, once settled, and its job then ends without issuing', async () => {
  const core = await orderCore();
  const id = await apply(core, 'shop.example.test');
  await core.orders.cancel(CALLER, id);
  assert.equal(core.cert(id).status, CertStatus.cancelled);
  assert.equal(core.cert(id).statusMsg, null);
  assert.equal(core.logs(id, 'cancel'), 1);
  assert.deepEqual(core.settled, [id]);
  core.validator.publish(...core.dvOrder(id).auths);
  assert.equal(await core.step(id), null);
  assert.equal(core.cert(id).status, CertStatus.cancelled);
  await rejectsWith(core.orders.cancel(CALLER, id), 'FailedOperation.InvalidCertificateStatusCode');
  assert.deepEqual(core.settled, [id]);
});

test('cancel moves a DNS_AUTO order at 4 to 7 and enqueues the removal of its record', async () => {
  const core = await orderCore({ zones: ['auto.test'] });
  const id = await apply(core, 'www.auto.test', { dvAuthMethod: 'DNS_AUTO' });
  await core.step(id);
  assert.equal(core.cert(id).status, CertStatus.dnsAdded);
  await core.orders.cancel(CALLER, id);
  assert.equal(core.cert(id).status, CertStatus.cancelled);
  assert.equal(core.jobs(DNS_CLEANUP).length, 1);
});

test('cancel is refused for an issued certificate (1), which stays issued', async () => {
  const core = await orderCore();
  const id = await apply(core, 'shop.example.test');
  await issue(core, id);
  await rejectsWith(core.orders.cancel(CALLER, id), 'FailedOperation.InvalidCertificateStatusCode');
  assert.equal(core.cert(id).status, CertStatus.issued);
  assert.deepEqual(core.settled, [id]);
});

test('CheckCertificateDomainVerification: passing checks make the job due now; the job issues', async () => {
  const core = await orderCore();
  const id = await apply(core, 'shop.example.test');
  await core.step(id);
  core.clock.advance(HOUR);
  core.validator.publish(...core.dvOrder(id).auths);
  const { checks } = await core.orders.checkNow(CALLER, id);
  assert.deepEqual(checks.map((x) => x.result.ok), [true]);
  assert.equal(core.cert(id).status, CertStatus.reviewing, 'not issued by the check itself');
  assert.equal(dvJob(core, id)?.runAt, core.clock());
  await core.step(id);
  assert.equal(core.cert(id).status, CertStatus.issued);
});

test('a renewal (OldCertificateId) links to the original both ways; a second renewal is refused', async () => {
  const core = await orderCore();
  const oldId = await apply(core, 'renew.example.test');
  const old = await issue(core, oldId);
  core.clock.advance(old.notAfter - core.clock() - 10 * DAY);
  const newId = await apply(core, 'renew.example.test', { oldCertificateId: oldId });
  assert.equal(core.cert(newId).originCertId, oldId);
  assert.equal(core.cert(oldId).renewOrderId, newId);
  assert.equal(core.cert(oldId).status, CertStatus.issued, 'the original stays issued meanwhile');
  const msg = await rejectsWith(apply(core, 'renew.example.test', { oldCertificateId: oldId }), 'FailedOperation.InvalidCertificateStatusCode');
  assert.match(msg, new RegExp(`already has the renewal order ${newId}`));
  await issue(core, newId);
  assert.equal(core.cert(oldId).renewOrderId, newId);
});

test('renewal opens 30 days before expiry: earlier, or of a certificate not issued, it is refused', async () => {
  const core = await orderCore();
  const oldId = await apply(core, 'renew.example.test');
  await rejectsWith(apply(core, 'renew.example.test', { oldCertificateId: oldId }), 'FailedOperation.InvalidCertificateStatusCode');
  const old = await issue(core, oldId);
  core.clock.advance(old.notAfter - core.clock() - 31 * DAY);
  assert.match(await rejectsWith(apply(core, 'renew.example.test', { oldCertificateId: oldId }), 'FailedOperation.InvalidCertificateStatusCode'), /renewal opens 30 days/);
  assert.equal(core.cert(oldId).renewOrderId, null);
});

test('a renewal that was cancelled no longer holds the original: it can be renewed again', async () => {
  const core = await orderCore();
  const oldId = await apply(core, 'renew.example.test');
  const old = await issue(core, oldId);
  core.clock.advance(old.notAfter - core.clock() - 10 * DAY);
  const first = await apply(core, 'renew.example.test', { oldCertificateId: oldId });
  await core.orders.cancel(CALLER, first);
  const second = await apply(core, 'renew.example.test', { oldCertificateId: oldId });
  assert.equal(core.cert(oldId).renewOrderId, second);
  assert.equal(core.cert(second).originCertId, oldId);
});

test('free-certificate quota per account: pending and issued orders count, a cancelled one frees its place', async () => {
  const core = await orderCore({ dv: { freeCertLimit: 2 } });
  const a = await apply(core, 'a.one.test');
  await issue(core, await apply(core, 'b.two.test'));
  await rejectsWith(apply(core, 'c.three.test'), 'FailedOperation.ExceedsFreeLimit');
  await core.orders.cancel(CALLER, a);
  await apply(core, 'c.three.test');
  await rejectsWith(apply(core, 'd.four.test'), 'FailedOperation.ExceedsFreeLimit');
  assert.equal(core.db.certificates.size, 3, 'a refused order stores nothing');
});

test('free-certificate quota per main domain: another name under it is refused, another main domain is not', async () => {
  const core = await orderCore({ dv: { mainDomainCertLimit: 1 } });
  await apply(core, 'a.example.test');
  await rejectsWith(apply(core, 'b.example.test'), 'FailedOperation.MainDomainCertificateCountLimit');
  await apply(core, 'b.other.test');
});

test('a failed order frees its quota place', async () => {
  const core = await orderCore({ dv: { freeCertLimit: 1 } });
  const a = await apply(core, 'a.example.test');
  core.clock.advance(72 * HOUR);
  await core.step(a);
  assert.equal(core.cert(a).status, CertStatus.failed);
  await apply(core, 'b.example.test');
});

test('reissue: the original waits at 11 and is issued again (1, replaced) when the reissue is issued', async () => {
  const core = await orderCore();
  const origId = await apply(core, 'shop.example.test');
  await issue(core, origId);
  const newId = await core.orders.reissue(CALLER, { certificateId: origId, validType: 'DNS' });
  assert.equal(core.cert(origId).status, 11);
  assert.equal(core.cert(origId).replacedBy, newId);
  assert.equal(core.cert(newId).replacedFor, origId);
  await rejectsWith(core.orders.reissue(CALLER, { certificateId: origId, validType: 'DNS' }), 'FailedOperation.OrderAlreadyReplaced');
  await issue(core, newId);
  assert.equal(core.cert(origId).status, CertStatus.issued);
  assert.equal(core.cert(origId).replacedBy, newId);
});

test('reissue: a reissue that fails gives the original back, reissuable again', async () => {
  const core = await orderCore();
  const origId = await apply(core, 'shop.example.test');
  await issue(core, origId);
  const newId = await core.orders.reissue(CALLER, { certificateId: origId, validType: 'DNS' });
  core.clock.advance(72 * HOUR);
  await core.step(newId);
  assert.equal(core.cert(newId).status, CertStatus.failed);
  assert.equal(core.cert(origId).status, CertStatus.issued);
  assert.equal(core.cert(origId).replacedBy, null);
  await core.orders.reissue(CALLER, { certificateId: origId, validType: 'DNS' });
});

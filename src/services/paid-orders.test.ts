// The paid (OV/EV) order's state machine (the diagram at the top of ./paid-orders.ts) on the
// in-memory stores: create → 5 → commit → 8 (a letter awaited) or 0 (review) → approve →
// domain validation (the DV machinery) → 1 issued with the vetted subject; reject → 2;
// resubmit 2/7 → 5; cancel → 7. The validator is a fake the test answers for; certport's own
// CA signs. The SDK-level tests (actions/paid-certificates.test.ts) run the same flows with the
// real CLI and DNS.
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CertStatus } from '../domain/certificate.js';
import * as der from '../pki/der.js';
import { OID } from '../pki/oids.js';
import { CALLER, DAY, HOUR, dvJob, orderCore, rejectsWith, type OrderCore } from '../testing/order-services.js';
import { ORG, png } from '../testing/paid-fixtures.js';
import { DNS_CLEANUP, STATUS_MSG } from './dv-orders.js';
import type { SubmitInput } from './paid-orders.js';

const OV = 6; // SecureSite OV: one name, review without a letter
const EV = 46; // DNSPod EV SSL certificate: review after a confirmation letter
const DV = 48; // DNSPod DV SSL certificate: reviewed, no organization

const create = async (core: OrderCore, productId: number) =>
  (await core.paid.create(CALLER, { productId, domainNum: 1, timeSpan: 1 })).certificateIds[0]!;

/** Created and submitted (an ECDSA key made online, quick to make): still at 5. */
async function submitted(core: OrderCore, productId: number, over: SubmitInput = {}) {
  const id = await create(core, productId);
  await core.paid.submit(CALLER, id, { CsrType: 'online', CertificateDomain: 'shop.example.test', VerifyType: 'DNS', ...ORG, ...over },
    { algo: 'ECC', param: 'prime256v1' });
  return id;
}

/** Submitted and committed: under review (0) for OV, awaiting its letter (8) for EV. */
async function committed(core: OrderCore, productId: number, over: SubmitInput = {}) {
  const id = await submitted(core, productId, over);
  await core.paid.commit(CALLER, id);
  return id;
}

/** Under review (0), the letter given when the product needs one. */
async function inReview(core: OrderCore, productId: number, over: SubmitInput = {}) {
  const id = await committed(core, productId, over);
  if (core.cert(id).status === 8) await core.paid.uploadLetter(CALLER, id, png());
  return id;
}

/** Approved, validated and issued. */
async function issued(core: OrderCore, productId: number) {
  const id = await inReview(core, productId);
  await core.paid.approve('rita', id);
  core.validator.publish(...core.dvOrder(id).auths);
  assert.equal(await core.step(id), null);
  assert.equal(core.cert(id).status, CertStatus.issued);
  return id;
}

/** The certificate's leaf carries this certificate policy (BR 7.1.6.1). */
const hasPolicy = (leaf: X509Certificate, dotted: string) => leaf.raw.includes(der.oid(dotted));

test('create puts a paid order at 5 (pending submission) with its deal id; nothing to validate yet', async () => {
  const core = await orderCore();
  const made = await core.paid.create(CALLER, { productId: EV, domainNum: 1, timeSpan: 1 });
  const id = made.certificateIds[0]!;
  assert.match(made.dealIds[0]!, /^\d{23}$/);
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.pendingSubmission);
  assert.equal(c.packageType, String(EV));
  assert.equal(c.isDv, false);
  assert.equal(core.stores.db.paidOrders.get(id)?.dealId, made.dealIds[0]);
  assert.equal(core.stores.db.dvOrders.size, 0);
  assert.equal(core.logs(id, 'create'), 1);
});

test('submit keeps the order at 5 with its names, its key and what was submitted', async () => {
  const core = await orderCore();
  const id = await submitted(core, OV);
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.pendingSubmission);
  assert.equal(c.domain, 'shop.example.test');
  assert.deepEqual(c.sans, ['shop.example.test']);
  assert.ok(c.privateKeySealed, 'the key made online is kept');
  assert.equal(core.stores.db.paidOrders.get(id)?.submitted?.OrganizationName, ORG.OrganizationName);
});

test('commit sends an OV order to review (0, pre-reviewing)', async () => {
  const core = await orderCore();
  const id = await submitted(core, OV);
  const r = await core.paid.commit(CALLER, id);
  assert.deepEqual(r, { orderId: core.stores.db.paidOrders.get(id)!.dealId, status: 0, audited: false });
  assert.equal(core.cert(id).status, CertStatus.reviewing);
  assert.equal(core.cert(id).statusMsg, 'pre-reviewing');
  assert.equal(core.cert(id).dvDeadline, null, 'validation has not started');
  assert.equal(dvJob(core, id), null);
});

test('commit makes an EV order wait for its confirmation letter (8, pending-letter)', async () => {
  const core = await orderCore();
  const id = await submitted(core, EV);
  assert.equal((await core.paid.commit(CALLER, id)).status, 8);
  assert.equal(core.cert(id).status, CertStatus.pendingLetter);
  assert.equal(core.cert(id).statusMsg, 'pending-letter');
});

test('commit is refused before submit, and once committed', async () => {
  const core = await orderCore();
  const id = await create(core, OV);
  await rejectsWith(core.paid.commit(CALLER, id), 'FailedOperation.InvalidParam');
  assert.equal(core.cert(id).status, CertStatus.pendingSubmission);
  const done = await committed(core, OV);
  await rejectsWith(core.paid.commit(CALLER, done), 'FailedOperation.InvalidCertificateStatusCode');
  await rejectsWith(core.paid.submit(CALLER, done, { CsrType: 'online', CertificateDomain: 'x.example.test', ...ORG }), 'FailedOperation.InvalidCertificateStatusCode');
});

test('the confirmation letter moves an EV order from 8 to review (0); a bad letter leaves it at 8', async () => {
  const core = await orderCore();
  const id = await committed(core, EV);
  await rejectsWith(core.paid.uploadLetter(CALLER, id, randomBytes(4096).toString('base64')), 'FailedOperation.InvalidConfirmLetterFormat');
  assert.equal(core.cert(id).status, CertStatus.pendingLetter);
  await core.paid.uploadLetter(CALLER, id, png());
  assert.equal(core.cert(id).status, CertStatus.reviewing);
  assert.equal(core.cert(id).statusMsg, 'pre-reviewing');
  assert.equal(core.stores.db.paidOrders.get(id)?.letterType, 'png');
  await rejectsWith(core.paid.uploadLetter(CALLER, id, png()), 'FailedOperation.InvalidCertificateStatusCode');
});

test('a letter is refused while none is awaited (an OV order under review)', async () => {
  const core = await orderCore();
  const id = await committed(core, OV);
  await rejectsWith(core.paid.uploadLetter(CALLER, id, png()), 'FailedOperation.InvalidCertificateStatusCode');
  assert.equal(core.stores.db.paidOrders.get(id)?.letterSealed, null);
});

test('approve starts domain validation of the submitted names: a DV order, a deadline and a dv-validate job; still 0', async () => {
  const core = await orderCore();
  const id = await inReview(core, OV);
  await core.paid.approve('rita', id);
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.reviewing);
  assert.equal(c.statusMsg, STATUS_MSG.pending);
  assert.equal(c.dvDeadline, core.clock() + 72 * HOUR);
  const o = core.dvOrder(id);
  assert.equal(o.method, 'DNS');
  assert.deepEqual(o.auths.map((a) => a.key), ['_dnsauth.shop.example.test']);
  assert.equal(dvJob(core, id)?.state, 'pending');
  assert.equal(core.stores.db.paidOrders.get(id)?.reviewedBy, 'rita');
  assert.equal(core.logs(id, 'approve'), 1);
  await rejectsWith(core.paid.approve('rita', id), 'FailedOperation.InvalidCertificateStatusCode');
});

test('approve is refused unless the order is under review (at 5, at 8)', async () => {
  const core = await orderCore();
  await rejectsWith(core.paid.approve('rita', await submitted(core, OV)), 'FailedOperation.InvalidCertificateStatusCode');
  await rejectsWith(core.paid.approve('rita', await committed(core, EV)), 'FailedOperation.InvalidCertificateStatusCode');
  assert.equal(core.stores.db.dvOrders.size, 0);
});

test('an approved OV order is issued when validation passes, with the OV subject and policy, for the validity bought', async () => {
  const core = await orderCore();
  const id = await inReview(core, OV);
  await core.paid.approve('rita', id);
  assert.notEqual(await core.step(id), null, 'pending until the names are validated');
  assert.equal(core.cert(id).status, CertStatus.reviewing);
  core.validator.publish(...core.dvOrder(id).auths);
  assert.equal(await core.step(id), null);
  const c = core.cert(id);
  assert.equal(c.status, CertStatus.issued);
  const leaf = new X509Certificate(c.certPem);
  assert.deepEqual(leaf.subject.split('\n'), ['C=CN', 'ST=Guangdong', 'L=Shenzhen', 'O=Example Widgets Ltd', 'OU=IT', 'CN=shop.example.test']);
  assert.ok(hasPolicy(leaf, OID.organizationValidated), 'the OV policy');
  assert.ok(!hasPolicy(leaf, OID.domainValidated));
  assert.equal(Math.round((c.notAfter - c.notBefore) / DAY), 365);
  assert.deepEqual(core.settled, [id]);
});

test('an EV order is issued with the EV subject (jurisdiction, category, the deal id as serial number) and policy', async () => {
  const core = await orderCore();
  const id = await issued(core, EV);
  const leaf = new X509Certificate(core.cert(id).certPem);
  const dealId = core.stores.db.paidOrders.get(id)!.dealId;
  assert.deepEqual(leaf.subject.split('\n'), [
    'jurisdictionC=CN', 'businessCategory=Private Organization', `serialNumber=${dealId}`,
    'C=CN', 'ST=Guangdong', 'L=Shenzhen', 'O=Example Widgets Ltd', 'OU=IT', 'CN=shop.example.test',
  ]);
  assert.ok(hasPolicy(leaf, OID.extendedValidation), 'the EV policy');
  assert.ok(!hasPolicy(leaf, OID.organizationValidated));
});

test('a paid order validated by DNS_AUTO passes through 4 and is issued', async () => {
  const core = await orderCore({ zones: ['example.test'] });
  const id = await inReview(core, OV, { VerifyType: 'DNS_AUTO' });
  await core.paid.approve('rita', id);
  await core.step(id);
  assert.equal(core.cert(id).status, CertStatus.dnsAdded);
  core.validator.propagate();
  await core.step(id);
  assert.equal(core.cert(id).status, CertStatus.issued);
});

test('reject moves an order under review (0, or 8 awaiting its letter) to 2 with the reason', async () => {
  const core = await orderCore();
  const a = await inReview(core, OV);
  await core.paid.reject('rita', a, '  The organization could not be verified ');
  assert.equal(core.cert(a).status, CertStatus.failed);
  assert.equal(core.cert(a).statusMsg, 'The organization could not be verified');
  assert.equal(core.stores.db.paidOrders.get(a)?.reviewNote, 'The organization could not be verified');
  const b = await committed(core, EV);
  await core.paid.reject('rita', b, ' ');
  assert.equal(core.cert(b).status, CertStatus.failed);
  assert.equal(core.cert(b).statusMsg, 'The order review failed.', 'a blank reason gets the default');
  await rejectsWith(core.paid.approve('rita', a), 'FailedOperation.InvalidCertificateStatusCode');
});

test('reject is refused before commit (5), after rejection (2) and once issued (1)', async () => {
  const core = await orderCore();
  const pending = await submitted(core, OV);
  await rejectsWith(core.paid.reject('rita', pending, 'no'), 'FailedOperation.InvalidCertificateStatusCode');
  assert.equal(core.cert(pending).status, CertStatus.pendingSubmission);
  const rejected = await inReview(core, OV);
  await core.paid.reject('rita', rejected, 'no');
  await rejectsWith(core.paid.reject('rita', rejected, 'again'), 'FailedOperation.InvalidCertificateStatusCode');
  assert.equal(core.cert(rejected).statusMsg, 'no');
  const done = await issued(core, OV);
  await rejectsWith(core.paid.reject('rita', done, 'late'), 'FailedOperation.InvalidCertificateStatusCode');
  assert.equal(core.cert(done).status, CertStatus.issued);
});

test('an order rejected while its names were being validated is not issued', async () => {
  const core = await orderCore();
  const id = await inReview(core, OV);
  await core.paid.approve('rita', id);
  await core.paid.reject('rita', id, 'withdrawn');
  core.validator.publish(...core.dvOrder(id).auths);
  assert.equal(await core.step(id), null);
  assert.equal(core.cert(id).status, CertStatus.failed);
  assert.equal(core.cert(id).certPem, '');
});

test('resubmit reopens a rejected (2) or cancelled (7) order at 5 under the same id, its review note cleared', async () => {
  const core = await orderCore();
  const rejected = await inReview(core, OV);
  await core.paid.reject('rita', rejected, 'no');
  await core.paid.resubmit(CALLER, rejected);
  assert.equal(core.cert(rejected).status, CertStatus.pendingSubmission);
  assert.equal(core.cert(rejected).statusMsg, null);
  assert.equal(core.stores.db.paidOrders.get(rejected)?.reviewNote, null);
  const cancelled = await create(core, OV);
  await core.paid.cancelIfPaid(CALLER, cancelled);
  await core.paid.resubmit(CALLER, cancelled);
  assert.equal(core.cert(cancelled).status, CertStatus.pendingSubmission);
  // Reopened, it goes round again.
  await core.paid.submit(CALLER, rejected, { CsrType: 'online', CertificateDomain: 'shop.example.test', ...ORG, OrganizationName: 'Example Widgets Group' });
  assert.equal((await core.paid.commit(CALLER, rejected)).status, 0);
});

test('resubmit is refused at 5, under review (0) and once issued (1)', async () => {
  const core = await orderCore();
  for (const id of [await create(core, OV), await inReview(core, OV), await issued(core, OV)]) {
    const before = core.cert(id).status;
    await rejectsWith(core.paid.resubmit(CALLER, id), 'FailedOperation.InvalidCertificateStatusCode');
    assert.equal(core.cert(id).status, before);
  }
});

test('CancelCertificateOrder cancels a paid order at 5, 0 (under review) and 8 (awaiting its letter): 7', async () => {
  const core = await orderCore();
  for (const id of [await create(core, OV), await inReview(core, OV), await committed(core, EV)]) {
    assert.equal(await core.paid.cancelIfPaid(CALLER, id), true);
    assert.equal(core.cert(id).status, CertStatus.cancelled);
    assert.equal(core.logs(id, 'cancel'), 1);
  }
});

test('CancelCertificateOrder of a paid order is refused once issued (1), rejected (2) or cancelled (7)', async () => {
  const core = await orderCore();
  const done = await issued(core, OV);
  const rejected = await inReview(core, OV);
  await core.paid.reject('rita', rejected, 'no');
  const cancelled = await create(core, OV);
  await core.paid.cancelIfPaid(CALLER, cancelled);
  for (const id of [done, rejected, cancelled]) {
    const before = core.cert(id).status;
    await rejectsWith(core.paid.cancelIfPaid(CALLER, id), 'FailedOperation.InvalidCertificateStatusCode');
    assert.equal(core.cert(id).status, before);
  }
});

test('CancelCertificateOrder of an approved paid DV order in validation is left to the DV path, which cancels it (7)', async () => {
  const core = await orderCore();
  const id = await inReview(core, DV, { IsDV: true });
  await core.paid.approve('rita', id);
  assert.equal(await core.paid.cancelIfPaid(CALLER, id), false);
  assert.equal(core.cert(id).status, CertStatus.reviewing);
  await core.orders.cancel(CALLER, id);
  assert.equal(core.cert(id).status, CertStatus.cancelled);
  assert.deepEqual(core.settled, [id]);
});

// paid.cancelIfPaid leaves an approved order to the DV path, which cancels any certificate with a DV order.
test('CancelCertificateOrder of an approved OV order in validation cancels it (7)', async () => {
  const core = await orderCore();
  const id = await inReview(core, OV);
  await core.paid.approve('rita', id);
  assert.equal(await core.paid.cancelIfPaid(CALLER, id), false);
  await core.orders.cancel(CALLER, id);
  assert.equal(core.cert(id).status, CertStatus.cancelled);
});

test('CancelCertificateOrder of a certificate that is no paid order is not handled here', async () => {
  const core = await orderCore();
  const id = await core.orders.apply(CALLER, { dvAuthMethod: 'DNS', domainName: 'free.example.test', csrEncryptAlgo: 'ECC', csrKeyParameter: 'prime256v1' });
  assert.equal(await core.paid.cancelIfPaid(CALLER, id), false);
  assert.equal(core.cert(id).status, CertStatus.reviewing);
});

test('CancelAuditCertificate cancels an order under review at 0, 4 and 8: 7', async () => {
  const core = await orderCore({ zones: ['example.test'] });
  const atFour = await inReview(core, OV, { VerifyType: 'DNS_AUTO' });
  await core.paid.approve('rita', atFour);
  await core.step(atFour);
  assert.equal(core.cert(atFour).status, CertStatus.dnsAdded);
  for (const id of [await inReview(core, OV), atFour, await committed(core, EV)]) {
    await core.paid.cancelAudit(CALLER, id);
    assert.equal(core.cert(id).status, CertStatus.cancelled);
    assert.equal(core.logs(id, 'cancelAudit'), 1);
  }
});

test('an approved DNS_AUTO order that is rejected or has its review cancelled at 4 enqueues the removal of its record', async () => {
  const core = await orderCore({ zones: ['example.test'] });
  for (const end of [(id: string) => core.paid.reject('rita', id, 'no'), (id: string) => core.paid.cancelAudit(CALLER, id)]) {
    const id = await inReview(core, OV, { VerifyType: 'DNS_AUTO' });
    await core.paid.approve('rita', id);
    await core.step(id);
    assert.equal(core.cert(id).status, CertStatus.dnsAdded);
    await end(id);
    const subjects = core.jobs(DNS_CLEANUP).map((j) => j.subject);
    assert.ok(subjects.some((s) => s.startsWith(`${id}:`)), `a dns-cleanup job for ${id}`);
  }
});

test('CancelAuditCertificate is refused at 5, once issued (1) and once cancelled (7)', async () => {
  const core = await orderCore();
  const cancelled = await inReview(core, OV);
  await core.paid.cancelAudit(CALLER, cancelled);
  for (const id of [await submitted(core, OV), await issued(core, OV), cancelled]) {
    const before = core.cert(id).status;
    await rejectsWith(core.paid.cancelAudit(CALLER, id), 'FailedOperation.InvalidCertificateStatusCode');
    assert.equal(core.cert(id).status, before);
  }
});

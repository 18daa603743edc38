// The dv-validate step and CAA, on the in-memory stores: certport asks CAA before its own CAs
// sign and ends the order with the reason (status, operation log, server log); a CA that
// asks CAA itself is left to it. The CAA lookups themselves are validation/caa.test.ts's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Issuer, IssueRequest, OrderProgress } from '../ca/issuer.js';
import { Issuers } from '../ca/issuers.js';
import { CertStatus, type CertificateRecord } from '../domain/certificate.js';
import type { DvOrderRecord } from '../domain/dv-order.js';
import type { Log } from '../domain/log.js';
import type { Sealer } from '../secrets/sealer.js';
import { joinStores } from '../store/open.js';
import { fakeStores } from '../testing/fakes/index.js';
import type { CheckResult } from '../validation/dns.js';
import type { Validator } from '../validation/validator.js';
import { DvValidation } from './dv-validation.js';

const T0 = Date.UTC(2027, 0, 1);
const A = '100001';
const REFUSAL = 'CAA record for shop.example.com does not authorize certport.local (issue "other-ca.example")';

function fixture(opts: { checksCaa: boolean; caa: CheckResult | null }) {
  const stores = fakeStores();
  const store = joinStores(stores.certificates, stores.dvOrders, stores.jobs, stores.paidOrders);
  const finalized: IssueRequest[] = [];
  const issuer: Issuer = {
    name: 'test', source: 'embedded', label: 'the test CA', keyAlgorithms: ['RSA'], signsPublicKeys: true, rootPem: null, checksCaa: opts.checksCaa,
    place: async () => ({ ref: null, auths: [] }),
    revoke: async () => {},
    poll: async (): Promise<OrderProgress> => ({ state: 'ready' }),
    finalize: async (_o, req): Promise<OrderProgress> => {
      finalized.push(req);
      return { state: 'pending', detail: 'signing', soon: true };
    },
  };
  const caaAsked: (readonly string[])[] = [];
  const validator = {
    check: async () => ({ ok: true, detail: 'passed' }),
    checkCaa: async (names: readonly string[]) => {
      caaAsked.push(names);
      return opts.caa;
    },
  } as unknown as Validator;
  const lines: { level: string; obj: object; msg: string }[] = [];
  const log: Log = {
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
  const v = new DvValidation(store, new Issuers([issuer], () => 'embedded'), validator, {} as Sealer, () => T0,
    { validationIntervalMs: 1000 }, async () => {}, log);
  return { stores, v, finalized, caaAsked, lines };
}

async function seed(stores: ReturnType<typeof fakeStores>): Promise<string> {
  const id = 'caa00001';
  const c: CertificateRecord = {
    id, accountUin: A, projectId: 0, alias: '', certificateType: 'SVR', source: 'embedded', status: CertStatus.reviewing, statusMsg: 'pending-dcv',
    domain: 'shop.example.com', sans: ['shop.example.com'], certPem: '', privateKeySealed: null, keyPasswordSealed: null,
    fingerprintSha1: '', fingerprintSha256: '', serialHex: '', issuerCn: '', encryptAlgorithm: 'RSA 2048', isSm: false, isWildcard: false, isDv: true,
    notBefore: 0, notAfter: 0, certificateUse: '', packageType: '83', productZhName: '', verifyType: 'DNS', validityPeriod: '3', caInfo: null,
    createdAt: T0, updatedAt: T0, tags: [], dvDeadline: T0 + 86_400_000, validatedAt: null, originCertId: null, renewOrderId: null,
    replacedBy: null, replacedFor: null, encryptCertPem: null, encryptKeySealed: null,
  };
  const order: DvOrderRecord = {
    certId: id, accountUin: A, method: 'DNS', mainDomain: 'example.com', auths: [], keyAlgo: 'RSA', keyParam: '2048', contactEmail: null,
    contactPhone: null, deleteDnsAutoRecord: false, recordState: 'none', lastCheckAt: null, lastCheckDetail: null, createdAt: T0,
    acmeOrderUrl: null, csrPem: '-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n',
  };
  await stores.dvOrders.insertDvOrder(c, order, { accountUin: A, userUin: A, certId: id, type: 'apply', action: 'apply', createdAt: T0 },
    { kind: 'dv-validate', subject: id, runAt: T0 });
  return id;
}

test('certport\'s own CA: a CAA refusal ends the order before anything is signed, with the reason in StatusMsg, the operation log and the server log', async () => {
  const f = fixture({ checksCaa: false, caa: { ok: false, detail: REFUSAL } });
  const id = await seed(f.stores);
  assert.equal(await f.v.step(id, 0), null, 'settled');
  assert.deepEqual(f.caaAsked, [['shop.example.com']]);
  assert.equal(f.finalized.length, 0, 'not signed');
  const c = await f.stores.certificates.getCertificate(A, id);
  assert.equal(c?.status, CertStatus.failed);
  assert.equal(c?.statusMsg, REFUSAL);
  const failed = f.stores.db.logs.find((l) => l.certId === id && l.type === 'failed');
  assert.ok(failed?.action.endsWith(`: ${REFUSAL}`), failed?.action);
  assert.deepEqual(f.lines.map((l) => [l.level, l.msg]), [['warn', 'CAA forbids issuance; the order fails']]);
  assert.deepEqual(f.lines[0]!.obj, { certId: id, accountUin: A, names: ['shop.example.com'], reason: REFUSAL });
});

test('certport\'s own CA: CAA allowing, the order is finalized', async () => {
  const f = fixture({ checksCaa: false, caa: { ok: true, detail: 'shop.example.com: no CAA records' } });
  const id = await seed(f.stores);
  assert.notEqual(await f.v.step(id, 0), null);
  assert.equal(f.finalized.length, 1);
  assert.equal((await f.stores.certificates.getCertificate(A, id))?.status, CertStatus.reviewing);
  assert.deepEqual(f.lines.map((l) => [l.level, l.msg]), [['info', 'CAA allows issuance']]);
});

test('a CA that asks CAA itself (an upstream ACME CA) is left to it: certport does not ask', async () => {
  const f = fixture({ checksCaa: true, caa: { ok: false, detail: REFUSAL } });
  const id = await seed(f.stores);
  await f.v.step(id, 0);
  assert.deepEqual(f.caaAsked, []);
  assert.equal(f.finalized.length, 1);
  assert.notEqual((await f.stores.certificates.getCertificate(A, id))?.status, CertStatus.failed);
});

test('CAA not asked here (CERTPORT_CAA=0): the order is finalized', async () => {
  const f = fixture({ checksCaa: false, caa: null });
  const id = await seed(f.stores);
  await f.v.step(id, 0);
  assert.equal(f.finalized.length, 1);
  assert.deepEqual(f.lines, []);
});

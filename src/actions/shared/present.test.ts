// presentListItem is one object literal (issue 27): it must serialize exactly as the item did when
// it was common()'s object with the list's members assigned (listItemReference), member order,
// nulls and left-out undefined members included, for every kind of record and side facts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CertStatus, isIssued, type CertificateRecord } from '../../domain/certificate.js';
import type { RevocationRecord } from '../../domain/revocation.js';
import type { DvOrderRecord } from '../../domain/dv-order.js';
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { downloadFormats } from '../../pki/download-zip.js';
import { EXPIRING_WINDOW, effectiveStatus } from '../../services/certificates.js';
import { awaitingMessage, common, presentListItem, projectInfo, type ListItemSides } from './present.js';
import { formatTime } from './time.js';


const DAY = 86_400_000;
const NOW = 1_796_447_694_302;

const text = fc.oneof(fc.string(), fc.constantFrom('', 'a"b', 'back\\slash', 'nl\n', 'é中文', '😀', '\ud800'));
const optText = fc.oneof(text, fc.constant(null));
const maybeText = fc.oneof(text, fc.constant(null), fc.constant(undefined));
const time = fc.integer({ min: NOW - 800 * DAY, max: NOW + 800 * DAY });

const record = fc.record({
  id: fc.string({ minLength: 1, maxLength: 8 }),
  accountUin: fc.constantFrom('604296030030', '100000000001'),
  projectId: fc.nat(20),
  alias: text,
  certificateType: fc.constantFrom('SVR', 'CA'),
  source: fc.constantFrom('upload', 'embedded', 'acme'),
  status: fc.integer({ min: 0, max: 14 }),
  statusMsg: optText,
  domain: text,
  sans: fc.array(text, { maxLength: 4 }),
  certPem: fc.constant(''),
  privateKeySealed: fc.constantFrom('', 'sealed', null),
  keyPasswordSealed: fc.constantFrom(null, 'sealed'),
  fingerprintSha1: fc.constant(''),
  fingerprintSha256: fc.constantFrom('aa', 'bb'),
  serialHex: fc.constant(''),
  issuerCn: fc.constant(''),
  encryptAlgorithm: fc.constantFrom('RSA 2048', 'ECC 256', 'SM2'),
  isSm: fc.boolean(),
  isWildcard: fc.boolean(),
  isDv: fc.boolean(),
  notBefore: time,
  notAfter: time,
  certificateUse: fc.constant(''),
  packageType: fc.constantFrom(null, '', '83'),
  productZhName: text,
  verifyType: fc.constantFrom(null, 'DNS', 'FILE', 'DNS_AUTO'),
  validityPeriod: fc.constantFrom('3', '12', ''),
  caInfo: fc.oneof(fc.constant(null), fc.constant(undefined), fc.array(fc.record({ encryptAlgorithm: text, commonName: text, notAfter: time }), { maxLength: 2 })),
  createdAt: time,
  updatedAt: fc.constant(0),
  tags: fc.array(fc.record({ key: text, value: text }), { maxLength: 3 }),
  dvDeadline: fc.oneof(time, fc.constant(null)),
  validatedAt: fc.oneof(time, fc.constant(null)),
  originCertId: maybeText,
  renewOrderId: maybeText,
  replacedBy: maybeText,
  replacedFor: maybeText,
  encryptCertPem: fc.constant(null),
  encryptKeySealed: fc.constant(null),
}) as unknown as fc.Arbitrary<CertificateRecord>;

const sides = fc.record({
  project: fc.oneof(fc.constant(null), fc.record({ accountUin: fc.constant('1'), projectId: fc.nat(5), name: text, createdAt: time })),
  order: fc.oneof(fc.constant(null), fc.record({ lastCheckDetail: optText, auths: fc.constant([]) }) as unknown as fc.Arbitrary<DvOrderRecord>),
  boundResource: fc.array(fc.constantFrom('clb', 'cdn', 'waf'), { maxLength: 3 }),
  isIgnore: fc.boolean(),
  revocation: fc.oneof(fc.constant(undefined), fc.constant(null),
    fc.record({ state: fc.constantFrom('revoked', 'pending-proof', 'requested'), revokedAt: fc.oneof(time, fc.constant(null)) }) as unknown as fc.Arbitrary<RevocationRecord>),
  hosting: fc.oneof(
    fc.constant({ AutoRenewFlag: 0, HostingStatus: -1, HostingCompleteTime: null, HostingRenewCertId: null, HostingResourceTypes: [], HostingConfig: null }),
    fc.record({
      AutoRenewFlag: fc.constantFrom(0, 1), HostingStatus: fc.integer({ min: -1, max: 4 }), HostingCompleteTime: fc.oneof(time, fc.constant(null)),
      HostingRenewCertId: optText, HostingResourceTypes: fc.array(fc.constantFrom('clb', 'cdn'), { maxLength: 2 }),
      HostingConfig: fc.oneof(fc.constant(null), fc.record({ ReplaceTime: fc.nat(30), MessageTypes: fc.array(fc.nat(3), { maxLength: 2 }), ReplaceStartTime: text, ReplaceEndTime: text })),
    })),
}) as unknown as fc.Arbitrary<ListItemSides>;

test('presentListItem serializes exactly as the composed item did', () => {
  fc.assert(fc.property(record, sides, fc.oneof(fc.constant(NOW), time), (c, s, now) => {
    assert.equal(JSON.stringify(presentListItem(c, now, s)), JSON.stringify(listItemReference(c, now, s)));
  }), { numRuns: 3000 });
});

test('an issued, expiring, hosted list item with tags, CA info and a revocation keeps its members in order', () => {
  const c = {
    id: 'b000032y', accountUin: '604296030030', projectId: 0, alias: 'a "quoted" alias', certificateType: 'SVR', source: 'upload',
    status: CertStatus.issued, statusMsg: null, domain: 'x.example.com', sans: ['x.example.com', '*.x.example.com'], certPem: '',
    privateKeySealed: 'k', keyPasswordSealed: null, fingerprintSha1: '', fingerprintSha256: 'aa', serialHex: '', issuerCn: '',
    encryptAlgorithm: 'RSA 2048', isSm: false, isWildcard: true, isDv: true, notBefore: NOW - 80 * DAY, notAfter: NOW + 5 * DAY,
    certificateUse: '', packageType: '83', productZhName: 'TrustAsia C1 DV Free', verifyType: 'DNS', validityPeriod: '3',
    caInfo: [{ encryptAlgorithm: 'RSA', commonName: 'Root CA', notAfter: NOW + 900 * DAY }], createdAt: NOW - 81 * DAY, updatedAt: 0,
    tags: [{ key: 'team', value: 'ops' }], dvDeadline: null, validatedAt: NOW - 80 * DAY, originCertId: 'old00001', renewOrderId: undefined,
    replacedBy: null, replacedFor: null, encryptCertPem: null, encryptKeySealed: null,
  } as unknown as CertificateRecord;
  const s: ListItemSides = {
    project: null, order: null, boundResource: ['clb'], isIgnore: true,
    revocation: { state: 'revoked', revokedAt: NOW } as RevocationRecord,
    hosting: { AutoRenewFlag: 1, HostingStatus: 2, HostingCompleteTime: NOW, HostingRenewCertId: 'new00001', HostingResourceTypes: ['clb'], HostingConfig: { ReplaceTime: 3, MessageTypes: [1], ReplaceStartTime: '', ReplaceEndTime: '' } },
  };
  const item = presentListItem(c, NOW, s);
  assert.equal(JSON.stringify(item), JSON.stringify(listItemReference(c, NOW, s)));
  assert.deepEqual(Object.keys(item).slice(0, 3), ['OwnerUin', 'ProjectId', 'From']);
  assert.deepEqual(Object.keys(item).slice(-2), ['HostingResourceTypes', 'HostingConfig']);
  assert.equal(item.IsExpiring, true);
  assert.equal(item.Deployable, true);
});

/**
 * The list item as it was composed before presentListItem was written as one literal: common's
 * object with the list's members assigned.
 */
function listItemReference(c: CertificateRecord, now: number, s: ListItemSides): M.Certificates {
  const status = effectiveStatus(c, now);
  const issued = isIssued(status);
  const download = issued ? downloadFormats(c.certificateType === 'SVR' && c.privateKeySealed !== null, c.certificateType === 'CA', c.isSm) : null;
  const h = s.hosting;
  const r = s.revocation;
  return Object.assign(common(c, now), {
    PackageTypeName: c.packageType ? c.productZhName : '',
    ProjectInfo: projectInfo(c, s.project),
    BoundResource: s.boundResource,
    IsIgnore: s.isIgnore,
    IsSM: c.isSm,
    EncryptAlgorithm: c.encryptAlgorithm,
    AutoRenewFlag: h.AutoRenewFlag,
    HostingStatus: h.HostingStatus,
    HasRenewOrder: c.renewOrderId ?? '',
    ReplaceOriCertIsDelete: false,
    IsExpiring: status === CertStatus.issued && c.notAfter - now <= EXPIRING_WINDOW,
    DVAuthDeadline: formatTime(c.dvDeadline) as string,
    ValidationPassedTime: formatTime(c.validatedAt) as string,
    CertSANs: [...c.sans],
    AwaitingValidationMsg: awaitingMessage(c, s.order, now) as string,
    AllowDownload: download !== null,
    IsDNSPODResolve: false,
    IsPackage: false,
    KeyPasswordCustomFlag: c.keyPasswordSealed !== null,
    SupportDownloadType: download ?? { NGINX: false, APACHE: false, TOMCAT: false, IIS: false, JKS: false, OTHER: false, ROOT: false },
    CertRevokedTime: (r && r.state === 'revoked' ? formatTime(r.revokedAt) : null) as string,
    HostingCompleteTime: formatTime(h.HostingCompleteTime) as string,
    HostingRenewCertId: h.HostingRenewCertId as string,
    HostingResourceTypes: h.HostingResourceTypes,
    HostingConfig: h.HostingConfig as M.HostingConfig,
  }) as M.Certificates;
}

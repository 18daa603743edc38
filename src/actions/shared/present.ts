// Shapes stored certificates into the spec's data types. Field types follow the SDK models
// (FACTS.md: Go clients fail on one wrong JSON type): ProjectId/OwnerUin/ValidityPeriod are
// strings, ProjectInfo.OwnerUin a number, arrays are never null.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { downloadFormats } from '../../pki/download-zip.js';
import { EXPIRING_WINDOW, effectiveStatus } from '../../services/certificates.js';
import { DvOrderService } from '../../services/dv-orders.js';
import type { HostingView } from '../../services/hosting.js';
import { CertStatus, isAwaitingIssue, isIssued, type CertificateRecord } from '../../domain/certificate.js';
import type { RevocationRecord } from '../../domain/revocation.js';
import type { DvOrderRecord } from '../../domain/dv-order.js';
import type { ProjectRecord } from '../../domain/account.js';
import { HOSTING } from '../../domain/hosting.js';
import { formatTime } from './time.js';

/** The spec's CertificateStatus codes. */
export const STATUS_NAMES: Record<number, string> = {
  [CertStatus.reviewing]: 'Under review', [CertStatus.issued]: 'Certificate issued', [CertStatus.failed]: 'Review failed',
  [CertStatus.expired]: 'Expired', [CertStatus.dnsAdded]: 'DNS record added',
  [CertStatus.pendingSubmission]: 'Enterprise certificate, pending submission', [CertStatus.cancelling]: 'Order cancellation in progress',
  [CertStatus.cancelled]: 'Canceled', [CertStatus.pendingLetter]: 'Documents submitted, pending upload of confirmation letter',
  [CertStatus.revoking]: 'Certificate revocation in progress', [CertStatus.revoked]: 'Revoked', [CertStatus.reissuing]: 'Reissue in progress',
  [CertStatus.pendingRevocationLetter]: 'Pending upload of revocation confirmation letter',
};

export function isDeployable(c: CertificateRecord, now: number): boolean {
  return c.certificateType === 'SVR' && c.privateKeySealed !== null && effectiveStatus(c, now) === CertStatus.issued;
}

export function projectInfo(c: CertificateRecord, p: ProjectRecord | null): M.ProjectInfo {
  const owner = Number(c.accountUin);
  return {
    ProjectName: p?.name ?? (c.projectId === 0 ? 'Default Project' : `Project ${c.projectId}`),
    ProjectCreatorUin: owner,
    ProjectCreateTime: formatTime(p?.createdAt ?? c.createdAt)!,
    ProjectResume: p?.name ?? '',
    OwnerUin: owner,
    ProjectId: String(c.projectId),
  };
}

function extra(c: CertificateRecord): M.CertificateExtra {
  return {
    DomainNumber: String(c.sans.length || 1),
    OriginCertificateId: c.originCertId as string,
    ReplacedBy: c.replacedBy as string,
    ReplacedFor: c.replacedFor as string,
    RenewOrder: c.renewOrderId as string,
    SMCert: c.isSm ? 1 : 0,
    CompanyType: 0,
  };
}

/** What DownloadCertificate can produce for this certificate now (nothing before issuance). */
export function supportDownloadType(c: CertificateRecord, now: number): M.SupportDownloadType {
  const status = effectiveStatus(c, now);
  if (!isIssued(status)) {
    return { NGINX: false, APACHE: false, TOMCAT: false, IIS: false, JKS: false, OTHER: false, ROOT: false };
  }
  return downloadFormats(c.certificateType === 'SVR' && c.privateKeySealed !== null, c.certificateType === 'CA', c.isSm);
}

const tags = (c: CertificateRecord): M.Tags[] => c.tags.map((t) => ({ TagKey: t.key, TagValue: t.value }));

/** Fields shared by `Certificates`, `DescribeCertificate` and `DescribeCertificateDetail`. */
export function common(c: CertificateRecord, now: number) {
  const status = effectiveStatus(c, now);
  const issued = isIssued(status);
  return {
    OwnerUin: c.accountUin,
    ProjectId: String(c.projectId),
    From: c.source,
    CertificateType: c.certificateType,
    PackageType: c.packageType,
    ProductZhName: c.productZhName,
    Domain: c.domain,
    Alias: c.alias,
    Status: status,
    StatusMsg: c.statusMsg,
    VerifyType: c.verifyType,
    VulnerabilityStatus: 'INACTIVE',
    CertBeginTime: issued ? formatTime(c.notBefore)! : '',
    CertEndTime: issued ? formatTime(c.notAfter)! : '',
    ValidityPeriod: c.validityPeriod,
    InsertTime: formatTime(c.createdAt)!,
    CertificateId: c.id,
    CertificateExtra: extra(c),
    SubjectAltName: [...c.sans],
    StatusName: STATUS_NAMES[status] ?? String(status),
    IsVip: false,
    IsWildcard: c.isWildcard,
    IsDv: c.isDv,
    IsVulnerability: false,
    RenewAble: DvOrderService.renewable(c, now),
    Deployable: isDeployable(c, now),
    Tags: tags(c),
    CAEncryptAlgorithms: (c.caInfo ?? []).map((i) => i.encryptAlgorithm),
    CACommonNames: (c.caInfo ?? []).map((i) => i.commonName),
    CAEndTimes: (c.caInfo ?? []).map((i) => formatTime(i.notAfter)!),
  };
}

/** What the owner must publish (DvAuthDetail), for certificates applied for here. */
export function dvAuthDetail(order: DvOrderRecord | null): M.DvAuthDetail {
  if (!order || order.auths.length === 0) return null as unknown as M.DvAuthDetail;
  const first = order.auths[0]!;
  return {
    DvAuthKey: first.key,
    DvAuthValue: first.value,
    DvAuthDomain: first.zone,
    DvAuthPath: first.path as string,
    DvAuthKeySubDomain: first.subDomain as string,
    DvAuths: order.auths.map((a) => ({
      DvAuthKey: a.key,
      DvAuthValue: a.value,
      DvAuthDomain: a.zone,
      DvAuthPath: a.path as string,
      DvAuthSubDomain: a.subDomain as string,
      DvAuthVerifyType: a.verifyType,
    })),
  };
}

/** While validation is pending: why it has not passed yet (the last check's finding). */
export function awaitingMessage(c: CertificateRecord, order: DvOrderRecord | null, now: number): string | null {
  const status = effectiveStatus(c, now);
  return order && isAwaitingIssue(status) ? order.lastCheckDetail : null;
}

/** What a list item shows besides its certificate (DescribeCertificates gathers it per page). */
export interface ListItemSides {
  project: ProjectRecord | null;
  order: DvOrderRecord | null;
  boundResource: string[];
  isIgnore: boolean;
  revocation: RevocationRecord | null | undefined;
  hosting: HostingView;
}

/**
 * One `Certificates` item in the order the fields always had on the wire (common's, then the
 * list's, CertRevokedTime, then the hosting ones), the clock-derived facts worked out once.
 * One object literal, not common's object grown by Object.assign with the list's 25 members:
 * growing it reallocated its property store (a third of a page's allocations with common's
 * object and the nested ones) and left it in a shape JSON.stringify walks slower (issue 27).
 * listItemReference (the test) keeps the old composition to hold the two together.
 */
export function presentListItem(c: CertificateRecord, now: number, s: ListItemSides): M.Certificates {
  const status = effectiveStatus(c, now);
  const issued = isIssued(status);
  const isSvr = c.certificateType === 'SVR';
  const hasKey = c.privateKeySealed !== null;
  const download = issued ? listedDownloadFormats(isSvr && hasKey, c.certificateType === 'CA', c.isSm) : null;
  const h = s.hosting;
  const r = s.revocation;
  const ca = c.caInfo;
  return {
    // common()'s members, in its order.
    OwnerUin: c.accountUin,
    ProjectId: String(c.projectId),
    From: c.source,
    CertificateType: c.certificateType,
    PackageType: c.packageType as string,
    ProductZhName: c.productZhName,
    Domain: c.domain,
    Alias: c.alias,
    Status: status,
    StatusMsg: c.statusMsg as string,
    VerifyType: c.verifyType as string,
    VulnerabilityStatus: 'INACTIVE',
    CertBeginTime: issued ? formatTime(c.notBefore)! : '',
    CertEndTime: issued ? formatTime(c.notAfter)! : '',
    ValidityPeriod: c.validityPeriod,
    InsertTime: formatTime(c.createdAt)!,
    CertificateId: c.id,
    CertificateExtra: extra(c),
    // The record's own array, not a copy: the item is serialized at once and never changed.
    SubjectAltName: c.sans,
    StatusName: STATUS_NAMES[status] ?? String(status),
    IsVip: false,
    IsWildcard: c.isWildcard,
    IsDv: c.isDv,
    IsVulnerability: false,
    RenewAble: DvOrderService.renewable(c, now),
    Deployable: isSvr && hasKey && status === CertStatus.issued,
    Tags: tags(c),
    CAEncryptAlgorithms: ca == null ? [] : ca.map((i) => i.encryptAlgorithm),
    CACommonNames: ca == null ? [] : ca.map((i) => i.commonName),
    CAEndTimes: ca == null ? [] : ca.map((i) => formatTime(i.notAfter)!),
    // The list's own.
    // The product's name (the spec's example: "TrustAsia C1 DV Free"), not its number.
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
    CertSANs: c.sans,
    AwaitingValidationMsg: awaitingMessage(c, s.order, now) as string,
    // Every format but the keystores is offered once issued (downloadFormats).
    AllowDownload: download !== null,
    IsDNSPODResolve: false,
    IsPackage: false,
    KeyPasswordCustomFlag: c.keyPasswordSealed !== null,
    SupportDownloadType: download ?? NOT_DOWNLOADABLE,
    CertRevokedTime: (r && r.state === 'revoked' ? formatTime(r.revokedAt) : null) as string,
    HostingCompleteTime: formatTime(h.HostingCompleteTime) as string,
    HostingRenewCertId: h.HostingRenewCertId as string,
    HostingResourceTypes: h.HostingResourceTypes,
    HostingConfig: h.HostingConfig as M.HostingConfig,
  };
}

/** SupportDownloadType before issuance, shared by the items that show it (frozen: serialized, never changed). */
const NOT_DOWNLOADABLE: M.SupportDownloadType = Object.freeze({ NGINX: false, APACHE: false, TOMCAT: false, IIS: false, JKS: false, OTHER: false, ROOT: false });
/** downloadFormats' eight answers (it depends on its three flags alone), shared by the listed items. */
const LISTED_DOWNLOADS: readonly M.SupportDownloadType[] = Array.from({ length: 8 }, (_, k) => Object.freeze(downloadFormats((k & 1) !== 0, (k & 2) !== 0, (k & 4) !== 0)));
function listedDownloadFormats(hasKey: boolean, isCa: boolean, isSm: boolean): M.SupportDownloadType {
  return LISTED_DOWNLOADS[(hasKey ? 1 : 0) | (isCa ? 2 : 0) | (isSm ? 4 : 0)]!;
}

export function presentCertificate(c: CertificateRecord, now: number, order: DvOrderRecord | null = null,
  submitted: Record<string, unknown> | null = null): Omit<M.DescribeCertificateResponse, 'RequestId'> {
  return Object.assign(common(c, now), {
    OrderId: null as unknown as string,
    DvAuthDetail: dvAuthDetail(order),
    VulnerabilityReport: null as unknown as string,
    // The product's name (the spec's example: "TrustAsia C1 DV Free"), not its number.
    PackageTypeName: c.packageType ? c.productZhName : '',
    SubmittedData: submitted as unknown as M.SubmittedData,
    DvRevokeAuthDetail: [],
  }) as Omit<M.DescribeCertificateResponse, 'RequestId'>;
}

/**
 * `rootPem`: the issuing CA's root; `facts`: what CertificateService.detailFacts derives from the
 * stored chains (kept at upload, so nothing here parses a certificate).
 */
export function presentDetail(c: CertificateRecord, privateKey: string | null, now: number, order: DvOrderRecord | null = null, rootPem: string | null = null,
  encryptKey: string | null = null, submitted: Record<string, unknown> | null = null,
  facts: { standardRoot: string | null; encryptFingerprint: string | null }): Omit<M.DescribeCertificateDetailResponse, 'RequestId'> {
  const issued = c.certPem !== '';
  // SM2 double certificates: the signing chain's root signs both.
  const pair = c.isSm && c.encryptCertPem !== null;
  return Object.assign(common(c, now), {
    OrderId: null as unknown as string,
    // Before issuance there is no certificate yet, and the key stays in until there is.
    CertificatePrivateKey: (issued ? privateKey : null) as string,
    CertificatePublicKey: (issued ? c.certPem : null) as string,
    DvAuthDetail: dvAuthDetail(order),
    VulnerabilityReport: null as unknown as string,
    TypeName: c.productZhName,
    SubmittedData: submitted as unknown as M.SubmittedData,
    RootCert: pair
      ? { Sign: rootPem as string, Encrypt: rootPem as string, Standard: null as unknown as string }
      : { Sign: null as unknown as string, Encrypt: null as unknown as string, Standard: facts.standardRoot as string },
    EncryptCert: (pair ? c.encryptCertPem : null) as string,
    EncryptPrivateKey: (pair ? encryptKey : null) as string,
    CertFingerprint: (c.fingerprintSha1 || null) as string,
    EncryptCertFingerprint: (pair ? facts.encryptFingerprint : null) as string,
    EncryptAlgorithm: c.encryptAlgorithm,
    DvRevokeAuthDetail: [],
    CertChainInfo: null as unknown as M.CertBasicInfo[],
    DomainType: c.isWildcard ? 2 : c.sans.length > 1 ? 1 : 0,
    CertType: c.certificateType,
    UseCrossSignRoot: false,
    HostingStatus: HOSTING.none,
  }) as Omit<M.DescribeCertificateDetailResponse, 'RequestId'>;
}

/** Statuses a certificate shows while it is being revoked or once it is. */
export const REVOCATION_STATUSES: readonly number[] = [CertStatus.revoking, CertStatus.revoked, CertStatus.pendingRevocationLetter];

/** DvRevokeAuthDetail (what to publish while a DV revocation waits for proof of control) and CertRevokedTime. */
export function revocationFields(r: RevocationRecord | null | undefined): { DvRevokeAuthDetail: M.DvAuths[]; CertRevokedTime: string } {
  return {
    DvRevokeAuthDetail: r && r.state === 'pending-proof' && r.auths
      ? r.auths.map((a) => ({
          DvAuthKey: a.key, DvAuthValue: a.value, DvAuthDomain: a.zone, DvAuthPath: a.path as string,
          DvAuthSubDomain: a.subDomain as string, DvAuthVerifyType: a.verifyType,
        }))
      : [],
    CertRevokedTime: (r && r.state === 'revoked' ? formatTime(r.revokedAt) : null) as string,
  };
}

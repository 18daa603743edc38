// Free DV certificates: the rules for ApplyCertificate and the order's state machine.
//
//   apply ──► 0 pending-dcv ──(DNS_AUTO wrote the record)──► 4
//                 │                                            │
//                 ├──────────── validated: wait-issue ◄────────┘
//                 │                    │
//                 │                    ▼ signed by the issuer
//                 │                    1 issued ──(notAfter passes)──► 3 expired
//                 ├─ deadline passes ─► 2 failed
//                 └─ CancelCertificateOrder ─► 7 cancelled
//
// Validation runs in durable jobs (kind `dv-validate`, one per certificate), so a restart
// resumes it and a lease keeps two nodes from working one order at once; the final move to
// 1 is a conditional update, so a certificate is stored as issued exactly once.
import { createPublicKey, randomBytes } from 'node:crypto';
import { ServiceError, certificateNotFound } from '../domain/errors.js';
import { AcmeRefused, AcmeUnreachable, caUnreachable, type AcmeIssuer } from '../ca/acme.js';
import type { Issuer, IssueProfile } from '../ca/issuer.js';
import { buildCsr, generateKeyPairAsync } from '../ca/embedded.js';
import { parseCertificateChain } from '../pki/certificate.js';
import type { Sealer } from '../secrets/sealer.js';
import type { CertificateStore, DvOrderStore, JobStore, PaidOrderStore } from '../domain/stores.js';
import type { NewJob } from '../domain/job.js';
import { RenewalConflict, ReplaceConflict } from '../domain/stores.js';
import { parseCsr } from '../pki/csr.js';
import { generateSm2KeyPair, verifySm2Csr, type Sm2Issuer } from '../ca/sm2.js';
import type { CertificateRecord, Tag } from '../domain/certificate.js';
import type { DvAuth, DvMethod, DvOrderRecord } from '../domain/dv-order.js';
import type { CheckResult } from '../validation/dns.js';
import { NameError, normalizeDomain, parentZoneGuess } from '../validation/names.js';
import type { Validator } from '../validation/validator.js';
import { EXPIRING_WINDOW, effectiveStatus, logEntry, systemLogEntry, type CertificateService } from './certificates.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { newCertificateId } from './ids.js';

export const DV_VALIDATE = 'dv-validate';
export const DNS_CLEANUP = 'dns-cleanup';
/** The spec's free certificate: "3 months". */
export const DV_VALIDITY_DAYS = 90;
export const DV_PACKAGE_TYPE = '83';
export const DV_PRODUCT_NAME = 'certport DV SSL certificate (free)';
export const FILE_AUTH_PATH = '/.well-known/pki-validation/';
export const FILE_AUTH_NAME = 'fileauth.txt';
const HOUR = 3_600_000;

export const STATUS_MSG = {
  pending: 'pending-dcv',
  validated: 'wait-issue',
  timedOut: 'Domain verification timed out, and the order was automatically closed. please reapply for the certificate.',
} as const;

export interface ApplyInput {
  dvAuthMethod: string;
  domainName: string;
  projectId?: number;
  packageType?: string;
  contactEmail?: string;
  contactPhone?: string;
  validityPeriod?: string;
  csrEncryptAlgo?: string;
  csrKeyParameter?: string;
  csrKeyPassword?: string;
  alias?: string;
  oldCertificateId?: string;
  packageId?: string;
  deleteDnsAutoRecord?: boolean;
  tags?: Tag[];
}

type KeyAlgo = DvOrderRecord['keyAlgo'];

interface NewOrder {
  domain: string;
  zone: string;
  method: DvMethod;
  issuerName: string;
  /** The key certport keeps (null when the owner uploaded a CSR). */
  privateKeyPem: string | null;
  /** SM2 double certificates: the encryption key. */
  encryptKeyPem: string | null;
  csrPem: string | null;
  keyAlgo: KeyAlgo;
  keyParam: string;
  keyPassword: string | null;
  projectId: number;
  alias: string;
  tags: Tag[];
  contactEmail: string | null;
  contactPhone: string | null;
  deleteDnsAutoRecord: boolean;
  renewing: CertificateRecord | null;
  replacing: CertificateRecord | null;
  /** Embedded CA renewals: the values the owner already published, so they validate again. */
  reuseAuths?: DvAuth[];
  logType: string;
  logExtra: string;
}

export interface ReissueInput {
  certificateId: string;
  validType: string;
  csrType?: string;
  csrContent?: string;
  csrKeyPassword?: string;
  reason?: string;
  certCsrEncryptAlgo?: string;
  certCsrKeyParameter?: string;
}

/** The names, key algorithm and parameter of an uploaded CSR (RSA, ECC or SM2), its signature checked. */
function csrNames(pem: string): { domains: string[]; keyAlgo: KeyAlgo; keyParam: string } {
  if (isSm2Csr(pem)) {
    const info = verifySm2Csr(pem);
    return { domains: info.domains, keyAlgo: 'SM2', keyParam: 'sm2p256v1' };
  }
  let parsed;
  try {
    parsed = parseCsr(pem);
  } catch (e) {
    throw badParam(`CsrContent is not a valid CSR: ${(e as Error).message}`);
  }
  const names = [...(parsed.subject.CN ? [parsed.subject.CN.toLowerCase()] : []), ...parsed.dnsNames];
  return { domains: [...new Set(names)], keyAlgo: parsed.keyAlgorithm, keyParam: parsed.keyParameter };
}

/** True when the CSR's key is on the SM2 curve. */
function isSm2Csr(pem: string): boolean {
  try {
    verifySm2Csr(pem);
    return true;
  } catch {
    return false;
  }
}

export interface DvOrderSettings {
  freeCertLimit: number;
  mainDomainCertLimit: number;
  dvAuthHours: number;
  validationIntervalMs: number;
  /** Accounts whose orders go to the upstream ACME CA ('*' = all), when one is configured. */
  acmeAccounts?: '*' | string[];
}

/** One name's result for CheckCertificateDomainVerification. */
export interface AuthCheck { auth: DvAuth; result: CheckResult }

const bad = (message: string) => new ServiceError('InvalidParameter', message);
const badParam = (message: string) => new ServiceError('FailedOperation.InvalidParam', message);

const publicKeyOf = (privateKeyPem: string) => createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();

/** TXT auths: the zone (DvAuthDomain) and the record name relative to it (DvAuthKeySubDomain). */
function withZone(a: DvAuth, zone: string): DvAuth {
  if (a.verifyType !== 'TXT') return a;
  const inZone = a.key === zone || a.key.endsWith('.' + zone);
  const z = inZone ? zone : a.key.split('.').slice(-2).join('.');
  return { ...a, zone: z, subDomain: a.key === z ? '@' : a.key.slice(0, -z.length - 1) };
}

/** A TXT/file value like a public CA's: a timestamp and 40 random base-36 characters. */
function token(now: number): string {
  const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 14);
  let r = '';
  for (const b of randomBytes(48)) if (r.length < 40 && b < 252) r += (b % 36).toString(36);
  return stamp + r;
}

export class DvOrderService {
  constructor(
    private readonly store: CertificateStore & DvOrderStore & JobStore & Pick<PaidOrderStore, 'startDvValidation'>,
    private readonly certificates: CertificateService,
    private readonly issuer: Issuer,
    private readonly validator: Validator,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: DvOrderSettings,
    /** Wakes this node's job runner (a new job is due now). */
    private readonly kick: () => void = () => {},
    private readonly acme: AcmeIssuer | null = null,
    private readonly sm2Issuer: Sm2Issuer | null = null,
  ) {}

  /** Called when an order settles (issued, failed or cancelled), e.g. to wake its hosting. */
  onSettled: (c: CertificateRecord) => Promise<void> = async () => {};

  /** Paid orders: the vetted subject and the validity bought (set at composition). */
  issueProfile: (certId: string) => Promise<{ profile: IssueProfile; validityDays: number } | null> = async () => null;

  /**
   * A reviewed paid order: validation of every name starts now (the DV machinery), and the
   * certificate is issued with the order's profile when it passes.
   */
  async beginValidation(c: CertificateRecord, o: { method: string; csrPem: string | null; keyAlgo: KeyAlgo | null; reviewer: string }): Promise<void> {
    const method = o.method as DvMethod;
    const now = this.clock();
    const auths: DvAuth[] = [];
    let mainDomain = '';
    for (const domain of c.sans) {
      const base = domain.replace(/^\*\./, '');
      const zone = this.zoneFor(domain, method);
      mainDomain ||= zone;
      auths.push(method === 'FILE'
        ? { domain, verifyType: 'FILE', key: FILE_AUTH_NAME, value: token(now), zone: base, subDomain: null, path: FILE_AUTH_PATH }
        : withZone({ domain, verifyType: 'TXT', key: `_dnsauth.${base}`, value: token(now), zone, subDomain: null, path: null }, zone));
    }
    const keyAlgo: KeyAlgo = o.keyAlgo ?? (c.encryptAlgorithm.startsWith('ECC') ? 'ECC' : c.isSm ? 'SM2' : 'RSA');
    const order: DvOrderRecord = {
      certId: c.id, accountUin: c.accountUin, method, mainDomain, auths, keyAlgo, keyParam: keyAlgo === 'SM2' ? 'sm2p256v1' : keyAlgo === 'ECC' ? 'prime256v1' : '2048',
      contactEmail: null, contactPhone: null, deleteDnsAutoRecord: false, recordState: 'none', lastCheckAt: null, lastCheckDetail: null,
      createdAt: now, acmeOrderUrl: null, csrPem: o.csrPem,
    };
    const ok = await this.store.startDvValidation(order, now + this.settings.dvAuthHours * HOUR,
      { accountUin: c.accountUin, userUin: '--', certId: c.id, type: 'approve', createdAt: now,
        action: `Reviewer [${o.reviewer}] approves certificate [id: ${c.id}]; domain validation (${method}) starts` },
      { kind: DV_VALIDATE, subject: c.id, runAt: now });
    if (!ok) throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${c.id} is no longer awaiting review.`);
    this.kick();
  }

  /** The zone of a name: DNS_AUTO's configured zone for it (which must exist), else the registrable domain. */
  private zoneFor(domain: string, method: DvMethod): string {
    const base = domain.replace(/^\*\./, '');
    if (method !== 'DNS_AUTO') return parentZoneGuess(base);
    const provider = this.validator.providerFor(base);
    if (!provider) {
      throw badParam(`DNS_AUTO needs a DNS provider for ${domain}, and none is configured for any zone containing it (CERTPORT_DNS_PROVIDERS); publish the record yourself and validate by DNS instead.`);
    }
    return provider.zone;
  }

  /** The free-certificate quotas: per account, and per main domain when `zone` is given. */
  private async checkQuota(accountUin: string, now: number, zone: string | null): Promise<void> {
    const limits = this.settings;
    if (limits.freeCertLimit > 0 && (await this.store.countFreeCertificates(accountUin, now)) >= limits.freeCertLimit) {
      throw new ServiceError('FailedOperation.ExceedsFreeLimit',
        `The number of free certificates exceeds the maximum value: this account holds ${limits.freeCertLimit}, the limit. Delete or cancel unused ones first.`);
    }
    if (zone !== null && limits.mainDomainCertLimit > 0 && (await this.store.countFreeCertificates(accountUin, now, zone)) >= limits.mainDomainCertLimit) {
      throw new ServiceError('FailedOperation.MainDomainCertificateCountLimit',
        `The number of free certificates applied for under the primary domain name (${zone}) has reached the upper limit of ${limits.mainDomainCertLimit}. Please purchase a paid certificate.`);
    }
  }

  /** Which CA serves an account's new orders; a renewal stays with the original's CA. */
  private issuerFor(accountUin: string, old: CertificateRecord | null): string {
    if (old && old.source !== 'upload' && (old.source !== 'acme' || this.acme)) return old.source;
    const list = this.settings.acmeAccounts ?? '*';
    return this.acme && (list === '*' || list.includes(accountUin)) ? this.acme.name : this.issuer.name;
  }

  async apply(caller: Caller, p: ApplyInput): Promise<string> {
    const method = p.dvAuthMethod as DvMethod;
    if (!['DNS_AUTO', 'DNS', 'FILE'].includes(method)) {
      throw bad(`DvAuthMethod must be DNS_AUTO, DNS or FILE, got ${JSON.stringify(p.dvAuthMethod)}.`);
    }
    if (p.packageType && p.packageType !== DV_PACKAGE_TYPE) {
      throw bad(`PackageType ${JSON.stringify(p.packageType)} is not offered; the free DV certificate is type ${DV_PACKAGE_TYPE}.`);
    }
    if (p.validityPeriod && p.validityPeriod !== '3') throw bad(`ValidityPeriod must be "3" (months), got ${JSON.stringify(p.validityPeriod)}.`);
    if (p.packageId) {
      throw new ServiceError('FailedOperation.PackageNotFound', `The benefit package ${JSON.stringify(p.packageId)} does not exist (free certificate packages are discontinued).`);
    }
    const algo = (p.csrEncryptAlgo || 'RSA').toUpperCase();
    if (algo !== 'RSA' && algo !== 'ECC') throw bad(`CsrEncryptAlgo must be RSA or ECC, got ${JSON.stringify(p.csrEncryptAlgo)}.`);
    let keyParam: string;
    if (algo === 'RSA') {
      keyParam = p.csrKeyParameter || '2048';
      if (keyParam !== '2048') throw bad(`CsrKeyParameter for RSA must be 2048, got ${JSON.stringify(p.csrKeyParameter)}.`);
    } else {
      if (!p.csrKeyParameter) throw bad('CsrKeyParameter is required when CsrEncryptAlgo is ECC (prime256v1).');
      keyParam = p.csrKeyParameter.toLowerCase();
      if (keyParam !== 'prime256v1') throw bad(`CsrKeyParameter for ECC must be prime256v1, got ${JSON.stringify(p.csrKeyParameter)}.`);
    }
    if (p.deleteDnsAutoRecord && method !== 'DNS_AUTO') throw bad('DeleteDnsAutoRecord can only be set with DvAuthMethod DNS_AUTO.');
    if (p.contactEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p.contactEmail)) throw bad(`ContactEmail ${JSON.stringify(p.contactEmail)} is not an email address.`);
    if (p.contactPhone && !/^\+?[0-9][0-9 -]{3,30}$/.test(p.contactPhone)) throw bad(`ContactPhone ${JSON.stringify(p.contactPhone)} is not a phone number.`);
    if ((p.alias ?? '').length > 200) throw bad('Alias must be at most 200 characters.');
    if (p.projectId !== undefined && (!Number.isInteger(p.projectId) || p.projectId < 0)) throw bad('ProjectId must be a non-negative integer.');

    let domain: string;
    try {
      domain = normalizeDomain(p.domainName, { allowWildcard: method !== 'FILE' });
    } catch (e) {
      if (e instanceof NameError) {
        const wildcardFile = method === 'FILE' && p.domainName.trim().startsWith('*.');
        throw badParam(wildcardFile
          ? `DomainName ${JSON.stringify(p.domainName)} is a wildcard; wildcards can only be validated by DNS (DvAuthMethod DNS or DNS_AUTO).`
          : `DomainName: ${e.message}.`);
      }
      throw e;
    }
    const now = this.clock();
    const zone = this.zoneFor(domain, method);

    let old: CertificateRecord | null = null;
    if (p.oldCertificateId) {
      old = await this.store.getCertificate(caller.accountUin, p.oldCertificateId);
      if (!old) throw certificateNotFound(p.oldCertificateId);
      const status = effectiveStatus(old, now);
      if (status !== 1) {
        throw new ServiceError('FailedOperation.InvalidCertificateStatusCode',
          `OldCertificateId ${old.id} cannot be renewed: only an issued, unexpired certificate can (its status is ${status}).`);
      }
      if (old.notAfter - now > EXPIRING_WINDOW) {
        throw new ServiceError('FailedOperation.InvalidCertificateStatusCode',
          `OldCertificateId ${old.id} cannot be renewed yet: renewal opens 30 days before it expires (${new Date(old.notAfter - EXPIRING_WINDOW).toISOString().slice(0, 10)}).`);
      }
      if (old.renewOrderId && !(await this.releaseEndedRenewal(old))) {
        throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `OldCertificateId ${old.id} already has the renewal order ${old.renewOrderId}.`);
      }
      const oldNames = new Set([old.domain, ...old.sans]);
      if (!oldNames.has(domain)) throw badParam(`DomainName ${domain} is not a name of the certificate being renewed (${old.id}: ${old.domain}).`);
    }

    await this.checkQuota(caller.accountUin, now, zone);

    const keys = await generateKeyPairAsync(algo, keyParam);
    return this.placeOrder(caller, {
      domain, zone, method, issuerName: this.issuerFor(caller.accountUin, old),
      privateKeyPem: keys.privateKeyPem, encryptKeyPem: null, csrPem: null, keyAlgo: algo, keyParam,
      keyPassword: p.csrKeyPassword || null, projectId: p.projectId ?? 0, alias: p.alias ?? '', tags: p.tags ?? [],
      contactEmail: p.contactEmail || null, contactPhone: p.contactPhone || null, deleteDnsAutoRecord: !!p.deleteDnsAutoRecord,
      renewing: old, replacing: null, logType: 'apply', logExtra: old ? ` for [${domain}], renewing [id: ${old.id}]` : ` for [${domain}]`,
    });
  }

  /** Stores a new order (its certificate at status 0, or 2 if the CA refused it) and its first job. */
  private async placeOrder(caller: Caller, o: NewOrder): Promise<string> {
    const now = this.clock();
    const { domain, zone, method } = o;
    const base = domain.replace(/^\*\./, '');
    const id = newCertificateId();
    let auths: DvAuth[];
    let acmeOrderUrl: string | null = null;
    let refused: string | null = null;
    if (o.issuerName === 'acme') {
      // The CA decides what must be published: ask it now, so DvAuthDetail is there at once.
      try {
        const placed = await this.acme!.createOrder(domain, method === 'FILE' ? 'FILE' : 'DNS');
        acmeOrderUrl = placed.orderUrl;
        auths = placed.auths.map((a) => withZone(a, zone));
      } catch (e) {
        if (e instanceof AcmeUnreachable) throw caUnreachable(e);
        if (!(e instanceof AcmeRefused)) throw e;
        // A CA refusal (rejected identifier, rate limit) ends the order: status 2, its reason.
        refused = e.message;
        auths = [];
      }
    } else if (o.reuseAuths?.length) {
      auths = o.reuseAuths.map((a) => ({ ...a }));
    } else {
      auths = [method === 'FILE'
        ? { domain, verifyType: 'FILE', key: FILE_AUTH_NAME, value: token(now), zone: base, subDomain: null, path: FILE_AUTH_PATH }
        : withZone({ domain, verifyType: 'TXT', key: `_dnsauth.${base}`, value: token(now), zone, subDomain: null, path: null }, zone)];
    }
    await this.certificates.project(caller.accountUin, o.projectId);
    const cert: CertificateRecord = {
      id,
      accountUin: caller.accountUin,
      projectId: o.projectId,
      alias: o.alias,
      certificateType: 'SVR',
      source: o.issuerName,
      status: refused === null ? 0 : 2,
      statusMsg: refused ?? STATUS_MSG.pending,
      domain,
      sans: [domain],
      certPem: '',
      privateKeySealed: o.privateKeyPem ? this.sealer.seal(o.privateKeyPem, 'certkey:' + id) : null,
      keyPasswordSealed: o.keyPassword && o.privateKeyPem ? this.sealer.seal(o.keyPassword, 'keypass:' + id) : null,
      fingerprintSha1: '',
      fingerprintSha256: '',
      serialHex: '',
      issuerCn: '',
      encryptAlgorithm: o.keyAlgo === 'RSA' ? `RSA ${o.keyParam}` : o.keyAlgo === 'SM2' ? 'SM2' : `ECC ${o.keyParam === 'secp384r1' ? 384 : 256}`,
      isSm: o.keyAlgo === 'SM2',
      isWildcard: domain.startsWith('*.'),
      isDv: true,
      notBefore: 0,
      notAfter: 0,
      certificateUse: '',
      packageType: DV_PACKAGE_TYPE,
      productZhName: DV_PRODUCT_NAME,
      verifyType: method,
      validityPeriod: '3',
      caInfo: null,
      createdAt: now,
      updatedAt: now,
      tags: o.tags,
      dvDeadline: now + this.settings.dvAuthHours * HOUR,
      validatedAt: null,
      originCertId: o.renewing?.id ?? null,
      renewOrderId: null,
      replacedBy: null,
      replacedFor: o.replacing?.id ?? null,
      encryptCertPem: null,
      encryptKeySealed: o.encryptKeyPem ? this.sealer.seal(o.encryptKeyPem, 'certenckey:' + id) : null,
    };
    const order: DvOrderRecord = {
      certId: id,
      accountUin: caller.accountUin,
      method,
      mainDomain: zone,
      auths,
      keyAlgo: o.keyAlgo,
      keyParam: o.keyParam,
      contactEmail: o.contactEmail,
      contactPhone: o.contactPhone,
      deleteDnsAutoRecord: o.deleteDnsAutoRecord,
      recordState: 'none',
      lastCheckAt: null,
      lastCheckDetail: null,
      createdAt: now,
      acmeOrderUrl,
      csrPem: o.csrPem,
    };
    try {
      await this.store.insertDvOrder(cert, order, logEntry(caller, o.logType, id, now, o.logExtra + (refused ? `; the CA refused it: ${refused}` : '')),
        { kind: DV_VALIDATE, subject: id, runAt: now }, o.renewing?.id, refused === null ? o.replacing?.id : undefined);
    } catch (e) {
      if (e instanceof RenewalConflict) {
        throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `OldCertificateId ${e.certId} already has a renewal order.`);
      }
      if (e instanceof ReplaceConflict) {
        throw new ServiceError('FailedOperation.OrderAlreadyReplaced', `The certificate ${e.certId} has already been reissued (or is no longer issued).`);
      }
      throw e;
    }
    this.kick();
    return id;
  }

  /** ReplaceCertificate: a new certificate for the same name, validated and issued again. */
  async reissue(caller: Caller, p: ReissueInput): Promise<string> {
    const now = this.clock();
    const original = await this.certificates.get(caller, p.certificateId);
    if (original.replacedBy) {
      throw new ServiceError('FailedOperation.OrderAlreadyReplaced', `The certificate ${original.id} has already been reissued as ${original.replacedBy}.`);
    }
    if (original.source === 'upload') {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${original.id} was uploaded, not issued here; only certificates issued here can be reissued.`);
    }
    const status = effectiveStatus(original, now);
    if (status !== 1) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${original.id} is in status ${status}; only an issued, unexpired certificate can be reissued.`);
    }
    const method = p.validType as DvMethod;
    if (!['DNS_AUTO', 'DNS', 'FILE'].includes(method)) throw bad(`ValidType must be DNS_AUTO, DNS or FILE, got ${JSON.stringify(p.validType)}.`);
    const domain = original.domain;
    if (method === 'FILE' && domain.startsWith('*.')) throw badParam(`${domain} is a wildcard; wildcards can only be validated by DNS (ValidType DNS or DNS_AUTO).`);
    const csrType = p.csrType || 'Original';
    if (!['Original', 'Upload', 'Online'].includes(csrType)) throw bad(`CsrType must be Original, Upload or Online, got ${JSON.stringify(p.csrType)}.`);
    if (csrType !== 'Online' && (p.certCsrEncryptAlgo || p.certCsrKeyParameter)) {
      throw bad('CertCSREncryptAlgo and CertCSRKeyParameter can only be given with CsrType Online.');
    }
    if (csrType !== 'Upload' && p.csrContent) throw bad('CsrContent can only be given with CsrType Upload.');
    const zone = this.zoneFor(domain, method);
    const issuerName = original.source === 'acme' && this.acme ? 'acme' : this.issuer.name;

    let privateKeyPem: string | null = null;
    let encryptKeyPem: string | null = null;
    let csrPem: string | null = null;
    let keyAlgo: KeyAlgo;
    let keyParam: string;
    if (csrType === 'Original') {
      const order = await this.store.getDvOrder(original.id);
      if (!original.privateKeySealed || !order) {
        throw badParam(`The certificate ${original.id} has no key here to reuse (it was issued for an uploaded CSR); reissue with CsrType Upload or Online.`);
      }
      privateKeyPem = this.sealer.openString(original.privateKeySealed, 'certkey:' + original.id);
      if (original.encryptKeySealed) encryptKeyPem = this.sealer.openString(original.encryptKeySealed, 'certenckey:' + original.id);
      keyAlgo = order.keyAlgo;
      keyParam = order.keyParam;
    } else if (csrType === 'Online') {
      const algo = (p.certCsrEncryptAlgo || 'RSA').toUpperCase();
      const param = p.certCsrKeyParameter || { RSA: '2048', ECC: 'prime256v1', SM2: 'sm2p256v1' }[algo];
      const allowed: Record<string, string[]> = { RSA: ['2048', '4096'], ECC: ['prime256v1', 'secp384r1'], SM2: ['sm2p256v1', 'sm2'] };
      if (!allowed[algo] || !param || !allowed[algo]!.includes(param.toLowerCase())) {
        throw new ServiceError('InvalidParameter.RenewAlgorithmInvalid',
          `CertCSREncryptAlgo ${JSON.stringify(p.certCsrEncryptAlgo ?? 'RSA')} with CertCSRKeyParameter ${JSON.stringify(p.certCsrKeyParameter ?? '')} is not supported: RSA 2048/4096, ECC prime256v1/secp384r1, or SM2.`);
      }
      keyAlgo = algo as KeyAlgo;
      keyParam = algo === 'SM2' ? 'sm2p256v1' : param.toLowerCase();
      if (keyAlgo === 'SM2') {
        if (issuerName === 'acme') throw new ServiceError('InvalidParameter.RenewAlgorithmInvalid', 'The ACME CA that issued this certificate cannot issue SM2 certificates.');
        // GM/T double certificates: one key signs, the other encrypts.
        privateKeyPem = generateSm2KeyPair().privateKeyPem;
        encryptKeyPem = generateSm2KeyPair().privateKeyPem;
      } else {
        privateKeyPem = (await generateKeyPairAsync(keyAlgo, keyParam)).privateKeyPem;
      }
    } else {
      if (!p.csrContent) throw new ServiceError('MissingParameter', 'CsrContent is required when CsrType is Upload.');
      const names = csrNames(p.csrContent);
      if (!names.domains.includes(domain)) {
        throw badParam(`The uploaded CSR is for ${names.domains.join(', ') || 'no name'}, not for ${domain}, the certificate being reissued.`);
      }
      csrPem = p.csrContent;
      keyAlgo = names.keyAlgo;
      keyParam = names.keyParam;
      if (keyAlgo === 'SM2' && issuerName === 'acme') throw new ServiceError('InvalidParameter.RenewAlgorithmInvalid', 'The ACME CA that issued this certificate cannot issue SM2 certificates.');
    }
    const orderOf = await this.store.getDvOrder(original.id);
    return this.placeOrder(caller, {
      domain, zone, method, issuerName, privateKeyPem, encryptKeyPem, csrPem, keyAlgo, keyParam,
      keyPassword: csrType === 'Upload' ? null : p.csrKeyPassword || null,
      projectId: original.projectId, alias: original.alias, tags: original.tags,
      contactEmail: orderOf?.contactEmail ?? null, contactPhone: orderOf?.contactPhone ?? null, deleteDnsAutoRecord: false,
      renewing: null, replacing: original, logType: 'replace',
      logExtra: ` [id: ${original.id}] as a reissue (${csrType} CSR${p.reason ? `; reason: ${p.reason.slice(0, 200)}` : ''})`,
    });
  }

  getOrder(certId: string): Promise<DvOrderRecord | null> {
    return this.store.getDvOrder(certId);
  }

  getOrders(certIds: string[]): Promise<Map<string, DvOrderRecord>> {
    return certIds.length ? this.store.getDvOrders(certIds) : Promise.resolve(new Map());
  }

  async cancel(caller: Caller, id: string): Promise<void> {
    const c = await this.certificates.get(caller, id);
    const order = c.isDv ? await this.store.getDvOrder(id) : null;
    if (!order || (c.status !== 0 && c.status !== 4)) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode',
        `The certificate ${id} is not an order awaiting validation (status ${effectiveStatus(c, this.clock())}); only those can be cancelled.`);
    }
    const now = this.clock();
    const cleanup = this.cleanupJobs(order, now);
    const ok = await this.store.transitionCertificate(id, { fromStatuses: [0, 4], set: { status: 7, statusMsg: null } },
      logEntry(caller, 'cancel', id, now), cleanup);
    if (!ok) throw new ServiceError('FailedOperation.CancelOrderFailed', `The order ${id} changed while it was being cancelled; it is no longer awaiting validation.`);
    if (c.replacedFor) await this.store.settleReplacement(c.replacedFor, false, now);
    await this.onSettled(c);
    if (cleanup.length) this.kick();
  }

  /**
   * A renewal order that failed, was cancelled or is gone no longer holds the certificate it
   * renews: the link is released so it can be renewed again. True if it was released.
   */
  async releaseEndedRenewal(old: CertificateRecord): Promise<boolean> {
    if (!old.renewOrderId) return true;
    const r = await this.store.getCertificate(old.accountUin, old.renewOrderId);
    if (r && ![2, 3, 7].includes(effectiveStatus(r, this.clock()))) return false;
    await this.store.releaseRenewal(old.id, old.renewOrderId, this.clock());
    return true;
  }

  /**
   * Hosting: renews `old` now, with its validation method and key type. Embedded CA renewals
   * keep the DV values already published, so a record or file still in place validates again;
   * an ACME CA asks for new ones. The scheduler decides when, so the 30-day window of
   * ApplyCertificate does not apply; the free-certificate quotas do.
   */
  async renewHosted(old: CertificateRecord): Promise<string> {
    const order = await this.store.getDvOrder(old.id);
    if (!order) throw badParam(`The certificate ${old.id} has no DV order here to renew from.`);
    if (old.renewOrderId && !(await this.releaseEndedRenewal(old))) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${old.id} already has the renewal order ${old.renewOrderId}.`);
    }
    const now = this.clock();
    const domain = old.domain;
    const zone = order.method === 'DNS_AUTO' ? this.zoneFor(domain, 'DNS_AUTO') : order.mainDomain || this.zoneFor(domain, order.method);
    // A renewal replaces a certificate of the same main domain: only the account's quota applies.
    await this.checkQuota(old.accountUin, now, null);
    const keyAlgo = order.keyAlgo;
    let privateKeyPem: string;
    let encryptKeyPem: string | null = null;
    if (keyAlgo === 'SM2') {
      privateKeyPem = generateSm2KeyPair().privateKeyPem;
      if (old.encryptKeySealed) encryptKeyPem = generateSm2KeyPair().privateKeyPem;
    } else {
      privateKeyPem = (await generateKeyPairAsync(keyAlgo, order.keyParam)).privateKeyPem;
    }
    const issuerName = this.issuerFor(old.accountUin, old);
    const reuse = issuerName !== 'acme' && order.method !== 'DNS_AUTO' && !order.auths.some((a) => a.authzUrl);
    return this.placeOrder({ accountUin: old.accountUin, userUin: old.accountUin }, {
      domain, zone, method: order.method, issuerName, privateKeyPem, encryptKeyPem, csrPem: null, keyAlgo, keyParam: order.keyParam,
      keyPassword: null, projectId: old.projectId, alias: old.alias, tags: old.tags,
      contactEmail: order.contactEmail, contactPhone: order.contactPhone, deleteDnsAutoRecord: order.deleteDnsAutoRecord,
      renewing: old, replacing: null, ...(reuse ? { reuseAuths: order.auths } : {}),
      logType: 'apply', logExtra: ` for [${domain}], renewing [id: ${old.id}] (hosting)`,
    });
  }

  /** Jobs to run when the certificate is deleted (the DNS_AUTO record, if certport wrote one). */
  async jobsOnDelete(c: CertificateRecord): Promise<NewJob[]> {
    if (!c.isDv) return [];
    const order = await this.store.getDvOrder(c.id);
    return order ? this.cleanupJobs(order, this.clock()) : [];
  }

  /** Runs the checks now (CheckCertificateDomainVerification) and, if they pass, issues at once. */
  async checkNow(caller: Caller, id: string): Promise<{ cert: CertificateRecord; checks: AuthCheck[] }> {
    const c = await this.certificates.get(caller, id);
    const order = c.isDv ? await this.store.getDvOrder(id) : null;
    if (!order) throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${id} has no domain validation (it was not applied for here).`);
    if (c.status !== 0 && c.status !== 4) return { cert: c, checks: [] };
    const checks = await this.runChecks(order);
    if (checks.every((x) => x.result.ok)) {
      await this.store.enqueueJob({ kind: DV_VALIDATE, subject: id, runAt: this.clock() }, this.clock());
      this.kick();
    }
    return { cert: c, checks };
  }

  private async runChecks(order: DvOrderRecord): Promise<AuthCheck[]> {
    const checks = await Promise.all(order.auths.map(async (auth) => ({ auth, result: await this.validator.check(auth) })));
    const detail = checks.map((x) => x.result.ok ? `${x.auth.domain}: passed` : `${x.auth.domain}: ${x.result.detail}`).join('; ');
    await this.store.recordDvCheck(order.certId, this.clock(), detail);
    return checks;
  }

  private cleanupJobs(order: DvOrderRecord, now: number): NewJob[] {
    if (order.method !== 'DNS_AUTO' || order.recordState !== 'added') return [];
    return order.auths.filter((a) => a.verifyType === 'TXT').map((a) => ({
      kind: DNS_CLEANUP, subject: `${order.certId}:${a.key}`, runAt: now, payload: JSON.stringify({ zone: a.zone, name: a.key, value: a.value }),
    }));
  }

  /**
   * One step of the `dv-validate` job for a certificate. Returns when to run again, or null
   * when the order is settled (issued, failed, cancelled or gone).
   */
  async validateStep(certId: string, attempt: number): Promise<number | null> {
    const order = await this.store.getDvOrder(certId);
    if (!order) return null;
    const c = await this.store.getCertificate(order.accountUin, certId);
    if (!c || (c.status !== 0 && c.status !== 4)) return null;
    const now = this.clock();
    if (c.dvDeadline !== null && now >= c.dvDeadline) return this.fail(c, order, STATUS_MSG.timedOut);
    if (c.source === 'acme') return this.acmeStep(c, order, attempt);
    if (!(await this.addDnsAutoRecords(c, order))) return now + this.backoff(attempt);
    const checks = await this.runChecks(order);
    if (!checks.every((x) => x.result.ok)) return this.clock() + this.backoff(attempt);
    await this.issue(c, order);
    return null;
  }

  /** DNS_AUTO: writes the TXT records once (status 4). False if the provider failed. */
  private async addDnsAutoRecords(c: CertificateRecord, order: DvOrderRecord): Promise<boolean> {
    if (order.method !== 'DNS_AUTO' || order.recordState !== 'none') return true;
    const now = this.clock();
    try {
      for (const a of order.auths) await this.validator.addTxt(a.zone, a.key, a.value);
    } catch (e) {
      await this.store.recordDvCheck(c.id, now, `could not add the TXT record: ${(e as Error).message}`);
      return false;
    }
    await this.store.recordDvCheck(c.id, now, 'TXT record added', 'added');
    order.recordState = 'added';
    await this.store.transitionCertificate(c.id, { fromStatuses: [0], set: { status: 4 } },
      systemLogEntry(c.accountUin, 'dnsAutoAdded', c.id, now));
    return true;
  }

  private async fail(c: CertificateRecord, order: DvOrderRecord, reason: string): Promise<null> {
    const now = this.clock();
    const failed = await this.store.transitionCertificate(c.id, { fromStatuses: [0, 4], set: { status: 2, statusMsg: reason } },
      systemLogEntry(c.accountUin, 'failed', c.id, now, `: ${reason}`), this.cleanupJobs(order, now));
    // A failed reissue gives the original back, reissuable again.
    if (failed && c.replacedFor) await this.store.settleReplacement(c.replacedFor, false, now);
    if (failed) await this.onSettled(c);
    return null;
  }

  /** One step of an order at the upstream ACME CA. */
  private async acmeStep(c: CertificateRecord, order: DvOrderRecord, attempt: number): Promise<number | null> {
    const now = this.clock();
    const later = async (detail: string, soon = false) => {
      await this.store.recordDvCheck(c.id, now, detail);
      return this.clock() + (soon ? 1000 : this.backoff(attempt));
    };
    if (!this.acme) return this.fail(c, order, 'The ACME CA this order was placed with is no longer configured.');
    try {
      if (!order.acmeOrderUrl) {
        // The CA forgot the order (it was reset): place it again; the owner publishes anew.
        const o = await this.acme.createOrder(c.domain, order.method === 'FILE' ? 'FILE' : 'DNS');
        order.auths = o.auths.map((a) => withZone(a, order.mainDomain));
        order.acmeOrderUrl = o.orderUrl;
        order.recordState = order.method === 'DNS_AUTO' ? 'none' : order.recordState;
        await this.store.replaceAcmeOrder(c.id, o.orderUrl, order.auths, order.recordState);
      }
      if (!(await this.addDnsAutoRecords(c, order))) return later(order.lastCheckDetail ?? 'could not add the TXT record');
      const csr = order.csrPem ?? await buildCsr(this.sealer.openString(c.privateKeySealed!, 'certkey:' + c.id), [c.domain]);
      const p = await this.acme.progress(order.acmeOrderUrl, order.auths, csr, (a) => this.validator.check(a));
      switch (p.state) {
        case 'waiting':
          if (p.detail === 'the CA is signing' && !c.validatedAt) {
            await this.store.transitionCertificate(c.id, { fromStatuses: [0, 4], set: { statusMsg: STATUS_MSG.validated, validatedAt: now } });
          }
          return later(p.detail, p.soon);
        case 'gone': {
          const cleanup = this.cleanupJobs(order, now);
          for (const j of cleanup) await this.store.enqueueJob(j, now);
          await this.store.replaceAcmeOrder(c.id, null, order.auths, order.recordState === 'added' ? 'removed' : order.recordState);
          return later('the CA no longer knows the order; placing it again', true);
        }
        case 'invalid':
          return this.fail(c, order, p.reason);
        case 'issued':
          await this.storeIssued(c, order, p.certPem);
          return null;
      }
    } catch (e) {
      if (e instanceof AcmeUnreachable) return later(e.message);
      if (e instanceof AcmeRefused) return this.fail(c, order, e.message);
      throw e;
    }
  }

  /** Pauses between checks grow 2 s, 4 s, 8 s … up to the configured interval. */
  private backoff(attempt: number): number {
    return Math.min(this.settings.validationIntervalMs, 2000 * 2 ** Math.min(attempt, 16));
  }

  private async issue(c: CertificateRecord, order: DvOrderRecord): Promise<void> {
    const now = this.clock();
    const validated = await this.store.transitionCertificate(c.id, { fromStatuses: [0, 4], set: { statusMsg: STATUS_MSG.validated, validatedAt: now } });
    if (!validated) return;
    const sm2 = order.keyAlgo === 'SM2';
    if (sm2 && !this.sm2Issuer) throw new Error('no SM2 issuer is configured');
    const issuer = sm2 ? this.sm2Issuer! : this.issuer;
    // A reissue of a paid certificate keeps the vetted organization of the original.
    const paid = (await this.issueProfile(c.id)) ?? (c.replacedFor ? await this.issueProfile(c.replacedFor) : null);
    const validityDays = paid?.validityDays ?? DV_VALIDITY_DAYS;
    const profile = paid ? { profile: paid.profile } : {};
    const request = order.csrPem
      ? { csrPem: order.csrPem, domains: c.sans, validityDays, ...profile }
      : { publicKeyPem: publicKeyOf(this.sealer.openString(c.privateKeySealed!, 'certkey:' + c.id)), domains: c.sans, validityDays, ...profile };
    const issued = await (sm2 ? this.sm2Issuer!.issue({ ...request, usage: 'sign' }) : issuer.issue(request));
    let encryptCertPem: string | null = null;
    if (sm2 && c.encryptKeySealed) {
      // The GM/T pair: an encryption certificate for the second key, from the same CA.
      const enc = await this.sm2Issuer!.issue({
        publicKeyPem: publicKeyOf(this.sealer.openString(c.encryptKeySealed, 'certenckey:' + c.id)),
        domains: c.sans, validityDays: DV_VALIDITY_DAYS, usage: 'encrypt',
      });
      encryptCertPem = [enc.certPem, ...enc.chainPems].map((p) => p.trim() + '\n').join('');
    }
    await this.storeIssued(c, order, [issued.certPem, ...issued.chainPems].map((p) => p.trim() + '\n').join(''), encryptCertPem);
  }

  /** Issued: the chain goes in, status 1, exactly once (a conditional update). */
  private async storeIssued(c: CertificateRecord, order: DvOrderRecord, certPem: string, encryptCertPem: string | null = null): Promise<void> {
    const { leaf } = parseCertificateChain(certPem);
    const done = this.clock();
    const cleanup = order.deleteDnsAutoRecord ? this.cleanupJobs(order, done) : [];
    await this.store.transitionCertificate(c.id, {
      fromStatuses: [0, 4],
      set: {
        status: 1, statusMsg: null, certPem, fingerprintSha1: leaf.sha1, fingerprintSha256: leaf.sha256, serialHex: leaf.serialHex,
        issuerCn: leaf.issuerCn, encryptAlgorithm: leaf.encryptAlgorithm, notBefore: leaf.notBefore, notAfter: leaf.notAfter,
        validatedAt: c.validatedAt ?? done,
        ...(encryptCertPem ? { encryptCertPem } : {}),
        validityPeriod: String(Math.max(1, Math.round((leaf.notAfter - leaf.notBefore) / (30.44 * 86_400_000)))),
      },
    }, systemLogEntry(c.accountUin, 'issued', c.id, done, ` by ${c.source === 'acme' ? this.acme?.directoryUrl ?? 'the ACME CA' : 'the embedded CA'} (serial ${leaf.serialHex})`), cleanup);
    if (c.replacedFor) await this.store.settleReplacement(c.replacedFor, true, done);
    await this.onSettled(c);
  }

  /** The `dns-cleanup` job: removes a TXT record certport wrote. */
  async cleanupStep(payload: string | null): Promise<void> {
    const { zone, name, value } = JSON.parse(payload ?? '{}') as { zone: string; name: string; value: string };
    await this.validator.removeTxt(zone, name, value);
  }

  /** RenewAble: an issued free certificate in its last 30 days without a renewal order. */
  static renewable(c: CertificateRecord, now: number): boolean {
    return c.isDv && c.source !== 'upload' && effectiveStatus(c, now) === 1 && c.notAfter - now <= EXPIRING_WINDOW && !c.renewOrderId;
  }
}

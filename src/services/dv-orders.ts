// Free DV certificates: ApplyCertificate, ReplaceCertificate and the order's state machine
// (their parameter rules are ./dv-rules.ts).
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
// Orders are placed with the CA the registry gives (ca/issuers.ts): an account's default, or
// the CA a renewed or reissued certificate came from. Validation runs in durable jobs (kind
// `dv-validate`, one per certificate; the step machine is ./dv-validation.ts), so a restart
// resumes it and a lease keeps two nodes from working one order at once; the final move to
// 1 is a conditional update, so a certificate is stored as issued exactly once.
import { ServiceError, certificateNotFound } from '../domain/errors.js';
import { CaRefused, CaUnreachable, type IssueProfile } from '../ca/issuer.js';
import { keyAlgorithmOf, type Issuers } from '../ca/issuers.js';
import { generateKeyPairAsync } from '../pki/keys.js';
import type { Sealer } from '../secrets/sealer.js';
import type { CertificateStore, DvOrderStore, JobStore, PaidOrderStore } from '../domain/stores.js';
import type { NewJob } from '../domain/job.js';
import { RenewalConflict, ReplaceConflict } from '../domain/stores.js';
import { AWAITING_ISSUE, CertStatus, isAwaitingIssue, type CertificateRecord, type Tag } from '../domain/certificate.js';
import type { DvAuth, DvMethod, DvOrderRecord } from '../domain/dv-order.js';
import { parentZoneGuess } from '../validation/names.js';
import { EXPIRING_WINDOW, effectiveStatus, logEntry, type CertificateService } from './certificates.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { quietLog, type Log } from '../domain/log.js';
import type { Notifier } from '../notify/types.js';
import { newCertificateId } from './ids.js';
import { DV_VALIDATE, DvValidation, STATUS_MSG, cleanupJobs, withZone, type AuthCheck, type DvValidator, type OnSettled } from './dv-validation.js';
import { createPublicKey } from 'node:crypto';
import { csrSpki } from '../pki/revocation.js';
import { DV_PACKAGE_TYPE, badParam, checkApply, checkReissue, csrNames, onlineKey, type ApplyInput, type KeyAlgo, type ReissueInput } from './dv-rules.js';
import { aad } from '../secrets/aad.js';

export { DNS_CLEANUP, DV_VALIDATE, DV_VALIDITY_DAYS, STATUS_MSG, type AuthCheck } from './dv-validation.js';
export { DV_PACKAGE_TYPE, type ApplyInput, type ReissueInput } from './dv-rules.js';
export const DV_PRODUCT_NAME = 'certport DV SSL certificate (free)';
const HOUR = 3_600_000;

interface NewOrder {
  domain: string;
  zone: string;
  method: DvMethod;
  /** The CA's source (ca/issuer.ts): the order goes to the CA of this source that signs keyAlgo. */
  source: string;
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
  /** Renewals: the values the owner already published, which the CA may accept again. */
  previousAuths?: DvAuth[];
  logType: string;
  logExtra: string;
}

export interface DvOrderSettings {
  freeCertLimit: number;
  mainDomainCertLimit: number;
  dvAuthHours: number;
  validationIntervalMs: number;
}

export class DvOrderService {
  constructor(
    private readonly store: CertificateStore & DvOrderStore & JobStore & Pick<PaidOrderStore, 'startDvValidation' | 'getPaidOrder'>,
    private readonly certificates: CertificateService,
    private readonly issuers: Issuers,
    private readonly validator: DvValidator,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: DvOrderSettings,
    /** Wakes this node's job runner (a new job is due now). */
    private readonly kick: () => void = () => {},
    /** Called when an order settles (issued, failed or cancelled): hosting waits for its renewals. */
    private readonly onSettled: OnSettled = async () => {},
    /** Where the validation steps log what matters to operators (a CAA refusal). */
    log: Log = quietLog,
    /** Notices to the owner (a DNS_AUTO record the DNS server refused). */
    notifier: Notifier | null = null,
  ) {
    this.validation = new DvValidation(store, issuers, validator, sealer, clock, settings, onSettled, log, notifier);
  }

  private readonly validation: DvValidation;

  /**
   * A reviewed paid order: validation of every name starts now (the DV machinery), and the
   * certificate is issued with the order's profile when it passes.
   */
  async beginValidation(c: CertificateRecord, o: { method: string; csrPem: string | null; keyAlgo: KeyAlgo | null; reviewer: string }): Promise<void> {
    const method = o.method as DvMethod;
    const now = this.clock();
    const zones = c.sans.map((domain) => this.zoneFor(domain, method));
    const keyAlgo: KeyAlgo = o.keyAlgo ?? keyAlgorithmOf(c);
    const issuer = this.issuers.find(c.source, keyAlgo);
    if (!issuer) throw new ServiceError('FailedOperation.CertificateCaError', `No ${this.issuers.titleOf(c.source)} that signs ${keyAlgo} keys is configured.`);
    const placed = await issuer.place({ domains: c.sans, method: method === 'FILE' ? 'FILE' : 'DNS' });
    const auths = placed.auths.map((a) => withZone(a, zones[c.sans.indexOf(a.domain)] ?? this.zoneFor(a.domain, method)));
    const order: DvOrderRecord = {
      certId: c.id, accountUin: c.accountUin, method, mainDomain: zones[0] ?? '', auths, keyAlgo, keyParam: keyAlgo === 'SM2' ? 'sm2p256v1' : keyAlgo === 'ECC' ? 'prime256v1' : '2048',
      contactEmail: null, contactPhone: null, deleteDnsAutoRecord: false, recordState: 'none', lastCheckAt: null, lastCheckDetail: null,
      createdAt: now, acmeOrderUrl: placed.ref, csrPem: o.csrPem,
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

  /** Which CA (by source) serves an account's new orders; a renewal or reissue stays with the original's CA while it is configured. */
  private sourceFor(accountUin: string, old: CertificateRecord | null): string {
    return old && this.issuers.serves(old.source) ? old.source : this.issuers.defaultSource(accountUin);
  }

  /** InvalidParameter.RenewAlgorithmInvalid unless a CA of `source` signs `keyAlgo` keys. */
  private checkSigns(source: string, keyAlgo: KeyAlgo): void {
    if (!this.issuers.find(source, keyAlgo)) {
      throw new ServiceError('InvalidParameter.RenewAlgorithmInvalid', `The ${this.issuers.titleOf(source)} that issued this certificate cannot issue ${keyAlgo} certificates.`);
    }
  }

  async apply(caller: Caller, p: ApplyInput): Promise<string> {
    const { method, algo, keyParam, domain } = checkApply(p);
    const now = this.clock();
    const zone = this.zoneFor(domain, method);

    let old: CertificateRecord | null = null;
    if (p.oldCertificateId) {
      old = await this.store.getCertificate(caller.accountUin, p.oldCertificateId);
      if (!old) throw certificateNotFound(p.oldCertificateId);
      const status = effectiveStatus(old, now);
      if (status !== CertStatus.issued) {
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
      domain, zone, method, source: this.sourceFor(caller.accountUin, old),
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
    const id = newCertificateId();
    const issuer = this.issuers.find(o.source, o.keyAlgo);
    if (!issuer) throw new Error(`no CA of source ${o.source} signs ${o.keyAlgo} keys`);
    let auths: DvAuth[] = [];
    let acmeOrderUrl: string | null = null;
    let refused: string | null = null;
    // The CA decides what must be published: ask it now, so DvAuthDetail is there at once.
    try {
      const placed = await issuer.place({ domains: [domain], method: method === 'FILE' ? 'FILE' : 'DNS', previous: o.previousAuths });
      acmeOrderUrl = placed.ref;
      auths = placed.auths.map((a) => withZone(a, zone));
    } catch (e) {
      if (e instanceof CaUnreachable) {
        throw new ServiceError('FailedOperation.NetworkError', `The CA system is busy or unreachable; try again later (${e.message}).`);
      }
      if (!(e instanceof CaRefused)) throw e;
      // A CA refusal (rejected identifier, rate limit) ends the order: status 2, its reason.
      refused = e.message;
    }
    await this.certificates.project(caller.accountUin, o.projectId);
    const cert: CertificateRecord = {
      id,
      accountUin: caller.accountUin,
      projectId: o.projectId,
      alias: o.alias,
      certificateType: 'SVR',
      source: o.source,
      status: refused === null ? CertStatus.reviewing : CertStatus.failed,
      statusMsg: refused ?? STATUS_MSG.pending,
      domain,
      sans: [domain],
      certPem: '',
      privateKeySealed: o.privateKeyPem ? this.sealer.seal(o.privateKeyPem, aad.certKey(id)) : null,
      keyPasswordSealed: o.keyPassword && o.privateKeyPem ? this.sealer.seal(o.keyPassword, aad.keyPassword(id)) : null,
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
      encryptKeySealed: o.encryptKeyPem ? this.sealer.seal(o.encryptKeyPem, aad.encryptKey(id)) : null,
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

  /** Refuses a key reported compromised (set by main.ts from the revocation service); absent, nothing is refused. */
  keyCheck: ((spki: Buffer | string, what: string) => Promise<void>) | null = null;

  /** ReplaceCertificate: a new certificate for the same name, validated and issued again. */
  async reissue(caller: Caller, p: ReissueInput): Promise<string> {
    const original = await this.certificates.get(caller, p.certificateId);
    const { method, domain, csrType } = checkReissue(p, original, this.clock());
    const zone = this.zoneFor(domain, method);
    const source = this.sourceFor(caller.accountUin, original);

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
      privateKeyPem = this.sealer.openString(original.privateKeySealed, aad.certKey(original.id));
      await this.keyCheck?.(createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' }) as Buffer, 'The certificate\'s key (CsrType Original)');
      if (original.encryptKeySealed) encryptKeyPem = this.sealer.openString(original.encryptKeySealed, aad.encryptKey(original.id));
      keyAlgo = order.keyAlgo;
      keyParam = order.keyParam;
    } else if (csrType === 'Online') {
      ({ keyAlgo, keyParam } = onlineKey(p));
      this.checkSigns(source, keyAlgo);
      privateKeyPem = (await generateKeyPairAsync(keyAlgo, keyParam)).privateKeyPem;
      // GM/T double certificates: one key signs, the other encrypts.
      if (keyAlgo === 'SM2') encryptKeyPem = (await generateKeyPairAsync(keyAlgo)).privateKeyPem;
    } else {
      if (!p.csrContent) throw new ServiceError('MissingParameter', 'CsrContent is required when CsrType is Upload.');
      const names = csrNames(p.csrContent);
      if (!names.domains.includes(domain)) {
        throw badParam(`The uploaded CSR is for ${names.domains.join(', ') || 'no name'}, not for ${domain}, the certificate being reissued.`);
      }
      await this.keyCheck?.(csrSpki(p.csrContent), 'The CSR');
      csrPem = p.csrContent;
      keyAlgo = names.keyAlgo;
      keyParam = names.keyParam;
      this.checkSigns(source, keyAlgo);
    }
    const orderOf = await this.store.getDvOrder(original.id);
    return this.placeOrder(caller, {
      domain, zone, method, source, privateKeyPem, encryptKeyPem, csrPem, keyAlgo, keyParam,
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
    // Free DV orders, and paid (OV/EV) orders once approved: both validate through a DV order.
    const order = await this.store.getDvOrder(id);
    if (!order || !isAwaitingIssue(c.status)) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode',
        `The certificate ${id} is not an order awaiting validation (status ${effectiveStatus(c, this.clock())}); only those can be cancelled.`);
    }
    const now = this.clock();
    const cleanup = cleanupJobs(order, now);
    const ok = await this.store.transitionCertificate(id, { fromStatuses: [...AWAITING_ISSUE], set: { status: CertStatus.cancelled, statusMsg: null } },
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
    const ended: number[] = [CertStatus.failed, CertStatus.expired, CertStatus.cancelled];
    if (r && !ended.includes(effectiveStatus(r, this.clock()))) return false;
    await this.store.releaseRenewal(old.id, old.renewOrderId, this.clock());
    return true;
  }

  /**
   * Hosting: renews `old` now, with its validation method and key type. The DV values already
   * published go to the CA, which may accept them again (certport's own CAs do, so a record or
   * file still in place validates again; an ACME CA asks for new ones). The scheduler decides when, so the 30-day window of
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
    const source = this.sourceFor(old.accountUin, old);
    this.checkSigns(source, keyAlgo);
    const privateKeyPem = (await generateKeyPairAsync(keyAlgo, order.keyParam)).privateKeyPem;
    // GM/T double certificates: a new encryption key too.
    const encryptKeyPem = old.encryptKeySealed ? (await generateKeyPairAsync(keyAlgo)).privateKeyPem : null;
    return this.placeOrder({ accountUin: old.accountUin, userUin: old.accountUin }, {
      domain, zone, method: order.method, source, privateKeyPem, encryptKeyPem, csrPem: null, keyAlgo, keyParam: order.keyParam,
      keyPassword: null, projectId: old.projectId, alias: old.alias, tags: old.tags,
      contactEmail: order.contactEmail, contactPhone: order.contactPhone, deleteDnsAutoRecord: order.deleteDnsAutoRecord,
      // DNS_AUTO writes new records itself.
      renewing: old, replacing: null, ...(order.method !== 'DNS_AUTO' ? { previousAuths: order.auths } : {}),
      logType: 'apply', logExtra: ` for [${domain}], renewing [id: ${old.id}] (hosting)`,
    });
  }

  /** Runs the checks now (CheckCertificateDomainVerification) and, if they pass, issues at once. */
  async checkNow(caller: Caller, id: string): Promise<{ cert: CertificateRecord; checks: AuthCheck[]; auths: DvAuth[] }> {
    const c = await this.certificates.get(caller, id);
    const order = c.isDv ? await this.store.getDvOrder(id) : null;
    if (!order) throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${id} has no domain validation (it was not applied for here).`);
    if (!isAwaitingIssue(c.status)) return { cert: c, checks: [], auths: order.auths };
    const checks = await this.validation.runChecks(order);
    if (checks.every((x) => x.result.ok)) {
      await this.store.enqueueJob({ kind: DV_VALIDATE, subject: id, runAt: this.clock() }, this.clock());
      this.kick();
    }
    return { cert: c, checks, auths: order.auths };
  }

  /**
   * One step of the `dv-validate` job for a certificate (./dv-validation.ts). Returns when to
   * run again, or null when the order is settled (issued, failed, cancelled or gone).
   */
  validateStep(certId: string, attempt: number): Promise<number | null> {
    return this.validation.step(certId, attempt);
  }

  /** The `dns-cleanup` job: removes a TXT record certport wrote. */
  cleanupStep(payload: string | null): Promise<void> {
    return this.validation.cleanupStep(payload);
  }

  /** RenewAble: an issued free certificate in its last 30 days without a renewal order. */
  static renewable(c: CertificateRecord, now: number): boolean {
    return c.isDv && c.source !== 'upload' && effectiveStatus(c, now) === CertStatus.issued && c.notAfter - now <= EXPIRING_WINDOW && !c.renewOrderId;
  }
}

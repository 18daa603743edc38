// Paid (OV/EV) certificates: an order that a person approves before it is issued, the
// approval workflow enterprise CAs give internal PKIs. The spec's statuses:
//
//   CreateCertificate ─► 5 pending submission ──Submit…/Commit…──► 0 under review
//                              ▲                    └─(product needs a letter)─► 8 ─UploadConfirmLetter─► 0
//        ModifyCertificateResubmit (from 2 or 7)                                     │
//                                                  approve: domain validation (DV machinery) ─► 1 issued
//                                                  reject ─► 2 with the reason
//   CancelAuditCertificate (0/4/8) and CancelCertificateOrder (not issued) ─► 7
import { randomInt } from 'node:crypto';
import { ServiceError, certificateNotFound } from '../domain/errors.js';
import type { IssueProfile } from '../ca/issuer.js';
import { generateKeyPairAsync } from '../pki/keys.js';
import { parseCsr } from '../pki/csr-parse.js';
import type { NewJob } from '../domain/job.js';
import { cleanupJobs } from './dv-validation.js';
import type { Sealer } from '../secrets/sealer.js';
import type { CertificateStore, DvOrderStore, PaidOrderStore } from '../domain/stores.js';
import { RenewalConflict } from '../domain/stores.js';
import { CertStatus, type CertificateRecord, type OperationLogRecord, type Tag } from '../domain/certificate.js';
import type { PaidOrderRecord } from '../domain/paid-order.js';
import { NameError, normalizeDomain } from '../validation/names.js';
import { logEntry, type CertificateService } from './certificates.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { DvOrderService } from './dv-orders.js';
import { newCertificateId } from './ids.js';
import type { OrganizationService } from './organizations.js';
import { PRODUCTS, type Product } from './products.js';
import { aad } from '../secrets/aad.js';

/** Under review: awaiting the reviewer (0), validating by DNS_AUTO (4) or awaiting the confirmation letter (8). */
const UNDER_REVIEW: readonly number[] = [CertStatus.reviewing, CertStatus.dnsAdded, CertStatus.pendingLetter];
/** What CancelCertificateOrder cancels here: not yet issued, and not yet validating. */
const CANCELLABLE: readonly number[] = [CertStatus.pendingSubmission, CertStatus.reviewing, CertStatus.pendingLetter];

export interface PaidSettings {
  /** Offered ProductIds ('*' = the whole catalogue). */
  products: '*' | number[];
  /** Longest validity, in days (CA/B BR: 398; an operator of a private root may allow more). */
  maxDays: number;
  maxDomains: number;
  /** Orders an account may hold. */
  orderLimit: number;
  /** Levels whose orders wait for a signed confirmation letter (8) before review; absent: the products' own rule (EV). */
  letterLevels?: readonly ('OV' | 'EV')[];
  /** The source (ca/issuer.ts) of the CA that signs what a reviewer vetted: main.ts gives certport's own. */
  source: string;
}

export interface SubmitInput {
  CsrType?: string;
  CsrContent?: string;
  CertificateDomain?: string;
  DomainList?: string[];
  KeyPassword?: string;
  OrganizationName?: string;
  OrganizationDivision?: string;
  OrganizationAddress?: string;
  OrganizationCountry?: string;
  OrganizationCity?: string;
  OrganizationRegion?: string;
  PostalCode?: string;
  PhoneAreaCode?: string;
  PhoneNumber?: string;
  VerifyType?: string;
  AdminFirstName?: string;
  AdminLastName?: string;
  AdminPhoneNum?: string;
  AdminEmail?: string;
  AdminPosition?: string;
  ContactFirstName?: string;
  ContactLastName?: string;
  ContactEmail?: string;
  ContactNumber?: string;
  ContactPosition?: string;
  IsDV?: boolean;
}

const ORG_FIELDS = ['OrganizationName', 'OrganizationDivision', 'OrganizationAddress', 'OrganizationCountry', 'OrganizationCity',
  'OrganizationRegion', 'PhoneAreaCode', 'PhoneNumber'] as const;
const PEOPLE_FIELDS = ['AdminFirstName', 'AdminLastName', 'AdminPhoneNum', 'AdminEmail', 'AdminPosition',
  'ContactFirstName', 'ContactLastName', 'ContactEmail', 'ContactNumber', 'ContactPosition'] as const;

/** UploadConfirmLetter's limits (the spec: "cannot exceed 1.4 MB", "cannot be smaller than 1 KB"). */
const MAX_LETTER = 1.4 * 1024 * 1024;
const MAX_LETTER_BASE64 = Math.ceil(MAX_LETTER / 3) * 4;
const MIN_LETTER = 1024;
const letterTooLarge = (size: string) =>
  new ServiceError('FailedOperation.ConfirmLetterTooLarge', `The confirmation letter must be 1 KB to 1.4 MB; it is ${size}.`);

const badParam = (m: string) => new ServiceError('FailedOperation.InvalidParam', m);
const badStatus = (id: string, status: number, what: string) =>
  new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${id} is in status ${status}; ${what}.`);

/** The letter's type by its content, never by what the client says. */
export function letterType(b: Buffer): 'pdf' | 'png' | 'jpg' | null {
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpg';
  return null;
}

/**
 * A letter as UploadConfirmLetter and UploadRevokeLetter take it: Base64 of a PDF, JPG or PNG
 * (told by its content) of 1 KB to 1.4 MB, with the spec's codes for each fault.
 */
export function readLetter(base64: string, param: string): { body: Buffer; type: 'pdf' | 'png' | 'jpg' } {
  // Refused by its length before anything reads it (twice the Base64 of the largest letter: line breaks and spaces are allowed).
  if ((base64 ?? '').length > 2 * MAX_LETTER_BASE64) throw letterTooLarge(`${base64.length} characters of Base64`);
  const clean = (base64 ?? '').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0 || clean.length === 0) throw badParam(`${param} must be Base64.`);
  if (clean.length > MAX_LETTER_BASE64) throw letterTooLarge(`${clean.length} characters of Base64`);
  const body = Buffer.from(clean, 'base64');
  if (body.length > MAX_LETTER) throw letterTooLarge(`${body.length} bytes`);
  if (body.length < MIN_LETTER) {
    throw new ServiceError('FailedOperation.ConfirmLetterTooSmall', `The letter must be 1 KB to 1.4 MB; it is ${body.length} bytes.`);
  }
  const type = letterType(body);
  if (!type) throw new ServiceError('FailedOperation.InvalidConfirmLetterFormat', 'The letter must be a PDF, JPG or PNG file.');
  return { body, type };
}

/** What CreateCertificate (and CreateCertificateByPackage) orders. */
export interface NewOrder { productId: number; domainNum: number; timeSpan: number; tags?: Tag[]; projectId?: number }

export type PreparedOrder = { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord };

export class PaidOrderService {
  constructor(
    private readonly store: CertificateStore & PaidOrderStore & DvOrderStore,
    private readonly certificates: CertificateService,
    private readonly orders: DvOrderService,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: PaidSettings,
    private readonly orgs: OrganizationService | null = null,
  ) {}

  /** Refuses a key reported compromised (set by main.ts from the revocation service); absent, nothing is refused. */
  keyCheck: ((spki: Buffer | string, what: string) => Promise<void>) | null = null;

  product(id: number): Product | null {
    const p = PRODUCTS.get(id);
    if (!p) return null;
    return this.settings.products === '*' || this.settings.products.includes(id) ? p : null;
  }

  async create(caller: Caller, p: NewOrder): Promise<{ certificateIds: string[]; dealIds: string[] }> {
    const made = await this.prepare(caller, p, 1);
    await this.store.insertPaidOrders(made);
    return { certificateIds: made.map((m) => m.cert.id), dealIds: made.map((m) => m.order.dealId) };
  }

  /**
   * `count` new orders (status 5) checked and built but not stored: CreateCertificate stores
   * them as they are, CreateCertificateByPackage together with what it takes from packages.
   */
  async prepare(caller: Caller, p: NewOrder, count: number, logExtra = ''): Promise<PreparedOrder[]> {
    const product = this.product(p.productId);
    if (!product) throw badParam(`ProductId ${p.productId} is not offered here.`);
    if (!Number.isInteger(p.domainNum) || p.domainNum < 1) throw badParam('DomainNum must be a whole number of at least 1.');
    const multi = product.coverage === 'multi' || product.coverage === 'wildcard-multi';
    if (!multi && p.domainNum !== 1) throw badParam(`${product.name} covers one domain; DomainNum must be 1.`);
    if (p.domainNum > this.settings.maxDomains) throw badParam(`DomainNum can be at most ${this.settings.maxDomains}.`);
    if (!Number.isInteger(p.timeSpan) || p.timeSpan < 1 || p.timeSpan > 10) throw badParam('TimeSpan must be a whole number of years from 1 to 10.');
    if ((await this.store.countPaidOrders(caller.accountUin)) + count > this.settings.orderLimit) {
      throw badParam(`This account may hold ${this.settings.orderLimit} paid orders; ${count} more would pass the limit.`);
    }
    const projectId = p.projectId ?? 0;
    if (projectId !== 0) await this.certificates.project(caller.accountUin, projectId);
    const now = this.clock();
    // Multi-year orders issue the longest certificate the rules allow (the spec's "multi-year
    // certificate and automatic review": later years are reissues).
    const validityDays = Math.min(p.timeSpan * 365, this.settings.maxDays);
    const out: PreparedOrder[] = [];
    for (let i = 0; i < count; i++) {
      const id = newCertificateId();
      const dealId = new Date(now).toISOString().replace(/\D/g, '').slice(0, 14) + String(randomInt(0, 1e9)).padStart(9, '0');
      const cert: CertificateRecord = {
        id, accountUin: caller.accountUin, projectId, alias: '', certificateType: 'SVR', source: this.settings.source, status: CertStatus.pendingSubmission, statusMsg: null,
        domain: '', sans: [], certPem: '', privateKeySealed: null, keyPasswordSealed: null, fingerprintSha1: '', fingerprintSha256: '',
        serialHex: '', issuerCn: '', encryptAlgorithm: product.sm2 ? 'SM2' : 'RSA 2048', isSm: product.sm2, isWildcard: product.coverage.startsWith('wildcard'),
        isDv: product.level === 'DV', notBefore: 0, notAfter: 0, certificateUse: '', packageType: String(product.id), productZhName: product.name,
        verifyType: null, validityPeriod: String(p.timeSpan * 12), caInfo: null, createdAt: now, updatedAt: now, tags: p.tags ?? [],
        dvDeadline: null, validatedAt: null, originCertId: null, renewOrderId: null, replacedBy: null, replacedFor: null,
        encryptCertPem: null, encryptKeySealed: null,
      };
      const order: PaidOrderRecord = {
        certId: id, accountUin: caller.accountUin, productId: product.id, domainNum: p.domainNum, timeSpan: p.timeSpan, validityDays, dealId,
        submitted: null, csrPem: null, letterSealed: null, letterType: null, reviewNote: null, reviewedBy: null, reviewedAt: null, createdAt: now,
      };
      out.push({ cert, order, log: logEntry(caller, 'create', id, now, ` (${product.name}, ${p.domainNum} domain(s), ${p.timeSpan} year(s))${logExtra}`) });
    }
    return out;
  }

  private async paid(caller: Caller, id: string): Promise<{ cert: CertificateRecord; order: PaidOrderRecord; product: Product }> {
    const cert = await this.certificates.get(caller, id);
    const order = await this.store.getPaidOrder(id);
    if (!order) throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${id} is not a paid certificate order.`);
    return { cert, order, product: PRODUCTS.get(order.productId)! };
  }

  getOrder(certId: string): Promise<PaidOrderRecord | null> {
    return this.store.getPaidOrder(certId);
  }

  /** `key.privateKeyPem`: a key to reuse (a renewal's `original` CSR method) instead of making one. */
  async submit(caller: Caller, id: string, p: SubmitInput, key: { algo?: string; param?: string; privateKeyPem?: string } = {}): Promise<void> {
    const { cert, order, product } = await this.paid(caller, id);
    if (cert.status !== CertStatus.pendingSubmission) throw badStatus(id, cert.status, 'information can only be submitted while it is pending submission (5)');
    const csrType = (p.CsrType ?? '').toLowerCase();
    if (csrType !== 'online' && csrType !== 'parse') throw badParam('CsrType must be online or parse.');
    const verifyType = p.VerifyType ?? 'DNS';
    if (!['DNS_AUTO', 'DNS', 'FILE'].includes(verifyType)) throw badParam('VerifyType must be DNS_AUTO, DNS or FILE.');
    const wildcardOk = product.coverage.startsWith('wildcard');
    const norm = (d: string, what: string) => {
      try {
        return normalizeDomain(d, { allowWildcard: wildcardOk && verifyType !== 'FILE' });
      } catch (e) {
        if (e instanceof NameError) throw badParam(`${what}: ${e.message}.`);
        throw e;
      }
    };
    if (!p.CertificateDomain) throw badParam('CertificateDomain is required.');
    const domain = norm(p.CertificateDomain, 'CertificateDomain');
    if (product.coverage === 'wildcard' && !domain.startsWith('*.')) throw badParam(`${product.name} is a wildcard product; CertificateDomain must be *.<domain>.`);
    const others = (p.DomainList ?? []).map((d, i) => norm(d, `DomainList.${i}`)).filter((d) => d !== domain);
    const domains = [domain, ...new Set(others)];
    if (domains.length > order.domainNum) throw badParam(`The order covers ${order.domainNum} domain(s); ${domains.length} were given.`);
    if (product.level !== 'DV' && !p.IsDV) {
      const missing = [...ORG_FIELDS, ...PEOPLE_FIELDS].filter((f) => !p[f] || !String(p[f]).trim());
      if (missing.length) throw badParam(`${product.level} certificates need the organization and its people: ${missing.join(', ')} missing.`);
      if (!/^[A-Za-z]{2}$/.test(p.OrganizationCountry!)) throw badParam('OrganizationCountry must be a two-letter ISO 3166 code such as CN.');
      for (const f of ['AdminEmail', 'ContactEmail'] as const) {
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p[f]!)) throw badParam(`${f} is not an email address.`);
      }
    }
    let privateKeySealed: string | null = null;
    let csrPem: string | null = null;
    if (csrType === 'parse') {
      if (!p.CsrContent) throw badParam('CsrContent is required when CsrType is parse.');
      let cn: string | undefined;
      let spki: Buffer;
      try {
        const parsed = parseCsr(p.CsrContent);
        cn = parsed.subject.CN?.toLowerCase();
        spki = parsed.spki;
      } catch (e) {
        throw badParam(`CsrContent is not a valid CSR: ${(e as Error).message}`);
      }
      await this.keyCheck?.(spki, 'The CSR');
      if (cn !== domain) throw badParam(`The CSR's common name (${cn ?? 'none'}) must be CertificateDomain (${domain}).`);
      csrPem = p.CsrContent;
    } else if (key.privateKeyPem) {
      privateKeySealed = this.sealer.seal(key.privateKeyPem, aad.certKey(id));
    } else {
      const algo = (key.algo || 'RSA').toUpperCase();
      const param = key.param || (algo === 'ECC' ? 'prime256v1' : '2048');
      if (!product.sm2 && !((algo === 'RSA' && ['2048', '4096'].includes(param)) || (algo === 'ECC' && ['prime256v1', 'secp384r1'].includes(param)))) {
        throw badParam(`CsrEncryptAlgo ${algo} with CsrKeyParameter ${param} is not supported (RSA 2048/4096, ECC prime256v1/secp384r1).`);
      }
      const pair = await generateKeyPairAsync(product.sm2 ? 'SM2' : algo as 'RSA' | 'ECC', param);
      privateKeySealed = this.sealer.seal(pair.privateKeyPem, aad.certKey(id));
    }
    const keyPasswordSealed = p.KeyPassword && privateKeySealed ? this.sealer.seal(p.KeyPassword, aad.keyPassword(id)) : null;
    const submitted: Record<string, unknown> = { ...p, CsrType: csrType, CertificateDomain: domain, DomainList: domains, VerifyType: verifyType };
    delete submitted.KeyPassword;
    delete submitted.IsDV;
    if (product.level !== 'DV' && !p.IsDV && this.orgs) {
      // Entered once: the organization and its manager are kept for later orders.
      const { company, manager } = await this.orgs.fromSubmission(cert.accountUin, p as Record<string, string | undefined>);
      submitted._companyId = company.id;
      submitted._managerId = manager.id;
    }
    const now = this.clock();
    const ok = await this.store.submitPaidOrder(id, { domain, sans: domains, isWildcard: domains.some((d) => d.startsWith('*.')), privateKeySealed, keyPasswordSealed },
      submitted, csrPem, logEntry(caller, 'submit', id, now, ` for [${domains.join(', ')}]`));
    if (!ok) throw badStatus(id, cert.status, 'it changed while the information was being submitted');
  }

  /** The submitted data as SubmittedData, with the key password for its owner. */
  submittedData(order: PaidOrderRecord | null, cert: CertificateRecord, withPassword: boolean): Record<string, unknown> | null {
    if (!order?.submitted) return null;
    const pw = withPassword && cert.keyPasswordSealed ? this.sealer.openString(cert.keyPasswordSealed, aad.keyPassword(cert.id)) : null;
    const echoed = Object.fromEntries(Object.entries(order.submitted).filter(([k]) => !k.startsWith('_')));
    return { ...echoed, KeyPassword: pw };
  }

  async commit(caller: Caller, id: string, verifyType?: string): Promise<{ orderId: string; status: number; audited: boolean }> {
    const { cert, order, product } = await this.paid(caller, id);
    if (cert.status !== CertStatus.pendingSubmission) throw badStatus(id, cert.status, 'only an order pending submission (5) can be committed');
    if (!order.submitted) throw badParam(`Submit the certificate information first (SubmitCertificateInformation ${id}).`);
    if (verifyType && !['DNS_AUTO', 'DNS', 'FILE'].includes(verifyType)) throw badParam('VerifyType must be DNS_AUTO, DNS or FILE.');
    const now = this.clock();
    const needsLetter = this.settings.letterLevels ? product.level !== 'DV' && this.settings.letterLevels.includes(product.level) : product.needsLetter;
    const next = needsLetter && !order.letterSealed ? 8 : 0;
    const ok = await this.store.transitionCertificate(id, {
      fromStatuses: [CertStatus.pendingSubmission],
      set: { status: next, statusMsg: next === 8 ? 'pending-letter' : 'pre-reviewing' },
    }, logEntry(caller, 'commit', id, now, next === 8 ? ': waiting for the confirmation letter' : ': submitted for review'));
    if (!ok) throw badStatus(id, cert.status, 'it changed while it was being committed');
    // A VerifyType given at commit replaces the one submitted.
    if (verifyType) await this.store.updatePaidOrder(id, { submitted: { ...order.submitted, VerifyType: verifyType } });
    const audited = next === 0 && (await this.autoApprove(id, order));
    return { orderId: order.dealId, status: next, audited };
  }

  /** An order whose manager was verified within the reuse period needs no second review. */
  private async autoApprove(id: string, order: PaidOrderRecord): Promise<boolean> {
    const managerId = Number(order.submitted?._managerId);
    if (!this.orgs || !managerId || !(await this.orgs.verified(order.accountUin, managerId))) return false;
    await this.approve('auto (organization verified)', id);
    return true;
  }

  async uploadLetter(caller: Caller, id: string, base64: string): Promise<void> {
    if ((await this.certificates.get(caller, id)).source === 'upload') {
      throw new ServiceError('FailedOperation.InvalidCertificateSource', `The certificate ${id} was uploaded; a confirmation letter is for a paid order made here.`);
    }
    const { cert } = await this.paid(caller, id);
    if (cert.status !== CertStatus.pendingLetter) throw badStatus(id, cert.status, 'a confirmation letter is only taken while one is awaited (8)');
    const { body, type } = readLetter(base64, 'ConfirmLetter');
    const now = this.clock();
    await this.store.updatePaidOrder(id, { letterSealed: this.sealer.seal(body, aad.letter(id)), letterType: type });
    const ok = await this.store.transitionCertificate(id, { fromStatuses: [CertStatus.pendingLetter], set: { status: CertStatus.reviewing, statusMsg: 'pre-reviewing' } },
      logEntry(caller, 'uploadConfirmLetter', id, now, ` (${type}, ${body.length} bytes)`));
    if (!ok) throw badStatus(id, cert.status, 'it changed while the letter was being stored');
    const order = await this.store.getPaidOrder(id);
    if (order) await this.autoApprove(id, order);
  }

  /** The stored letter, for reviewers. */
  letter(order: PaidOrderRecord): { type: string; body: Buffer } | null {
    return order.letterSealed ? { type: order.letterType ?? 'bin', body: this.sealer.open(order.letterSealed, aad.letter(order.certId)) } : null;
  }

  async cancelAudit(caller: Caller, id: string): Promise<void> {
    const { cert } = await this.paid(caller, id);
    if (!UNDER_REVIEW.includes(cert.status)) throw badStatus(id, cert.status, 'only an order under review (0, 4 or 8) can have its review cancelled');
    const now = this.clock();
    const ok = await this.store.transitionCertificate(id, { fromStatuses: [...UNDER_REVIEW], set: { status: CertStatus.cancelled, statusMsg: null } },
      logEntry(caller, 'cancelAudit', id, now), await this.dnsCleanup(id, now));
    if (!ok) throw badStatus(id, cert.status, 'it changed while the review was being cancelled');
  }

  /** An approved order validating by DNS_AUTO that ends here leaves no TXT record behind (as a cancelled DV order does not). */
  private async dnsCleanup(id: string, now: number): Promise<NewJob[]> {
    const order = await this.store.getDvOrder(id);
    return order ? cleanupJobs(order, now) : [];
  }

  async resubmit(caller: Caller, id: string): Promise<void> {
    const { cert } = await this.paid(caller, id);
    if (cert.status !== CertStatus.failed && cert.status !== CertStatus.cancelled) throw badStatus(id, cert.status, 'only a rejected (2) or cancelled (7) order can be resubmitted');
    const ok = await this.store.transitionCertificate(id, { fromStatuses: [CertStatus.failed, CertStatus.cancelled], set: { status: CertStatus.pendingSubmission, statusMsg: null } },
      logEntry(caller, 'resubmit', id, this.clock()));
    if (!ok) throw badStatus(id, cert.status, 'it changed while it was being reopened');
    await this.store.updatePaidOrder(id, { reviewNote: null });
  }

  /** CancelCertificateOrder for a paid order that validation has not started on. */
  async cancelIfPaid(caller: Caller, id: string): Promise<boolean> {
    const order = await this.store.getPaidOrder(id);
    if (!order) return false;
    const cert = await this.certificates.get(caller, id);
    if (cert.status === CertStatus.reviewing && cert.dvDeadline !== null) return false; // approved and validating: the DV path cancels it
    if (!CANCELLABLE.includes(cert.status)) throw badStatus(id, cert.status, 'only an order that is not issued can be cancelled');
    const ok = await this.store.transitionCertificate(id, { fromStatuses: [...CANCELLABLE], set: { status: CertStatus.cancelled, statusMsg: null } },
      logEntry(caller, 'cancel', id, this.clock()));
    if (!ok) throw new ServiceError('FailedOperation.CancelOrderFailed', `The order ${id} changed while it was being cancelled.`);
    return true;
  }

  // Review, by operators (CLI and admin endpoint).

  list(q: { accountUin?: string; statuses?: number[]; limit?: number }) {
    return this.store.listPaidOrders({ ...q, limit: q.limit ?? 50 });
  }

  async find(id: string): Promise<{ cert: CertificateRecord; order: PaidOrderRecord }> {
    const order = await this.store.getPaidOrder(id);
    const cert = order ? await this.store.getCertificate(order.accountUin, id) : null;
    if (!order || !cert) throw certificateNotFound(id);
    return { cert, order };
  }

  /** Approval starts domain validation for every name; issuance follows when it passes. */
  /**
   * Hosting: orders the renewal of an issued paid certificate with what was submitted for it
   * (the same product, names and organization, a new key of the same type) and commits it. An
   * organization verified within the reuse period is approved without a reviewer; otherwise
   * the order waits for one like any other. A renewal that cannot be committed is cancelled.
   */
  async renewHosted(old: CertificateRecord): Promise<string> {
    const order = await this.store.getPaidOrder(old.id);
    if (!order?.submitted) throw badParam(`The certificate ${old.id} has no paid order here to renew from.`);
    const caller = { accountUin: old.accountUin, userUin: old.accountUin };
    const id = (await this.create(caller, { productId: order.productId, domainNum: order.domainNum, timeSpan: order.timeSpan, tags: old.tags })).certificateIds[0]!;
    const now = this.clock();
    try {
      await this.store.linkRenewal(old.id, id, now);
    } catch (e) {
      await this.store.transitionCertificate(id, { fromStatuses: [CertStatus.pendingSubmission], set: { status: CertStatus.cancelled, statusMsg: 'superseded: the certificate already has a renewal' } });
      if (e instanceof RenewalConflict) throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${old.id} already has a renewal order.`);
      throw e;
    }
    await this.submitRenewal(caller, old, order, id, { method: 'online' });
    return id;
  }

  /** The key type of an issued certificate, as `submit` takes it (a renewal's new key of the same type). */
  static sameKeyType(old: CertificateRecord): { algo?: string; param?: string } {
    const [algo, size] = old.encryptAlgorithm.split(' ');
    return algo === 'ECC' ? { algo, param: size === '384' ? 'secp384r1' : 'prime256v1' } : algo === 'RSA' ? { algo, param: size ?? '2048' } : {};
  }

  /**
   * Submits and commits renewal order `id` (status 5) of `old` with what was submitted for `old`
   * and the key chosen: `online` a new key (`algo`/`param`, else the old one's type), `upload`
   * the CSR given, `original` the old key. A renewal that cannot be committed is cancelled and
   * the error thrown.
   */
  async submitRenewal(caller: Caller, old: CertificateRecord, order: PaidOrderRecord, id: string,
    key: { method: 'online' | 'upload' | 'original'; algo?: string; param?: string; csr?: string; keyPassword?: string }): Promise<void> {
    try {
      const submitted = Object.fromEntries(Object.entries(order.submitted ?? {}).filter(([k]) => !k.startsWith('_'))) as SubmitInput;
      const base = { ...submitted, KeyPassword: key.keyPassword };
      if (key.method === 'upload') {
        await this.submit(caller, id, { ...base, CsrType: 'parse', CsrContent: key.csr } as SubmitInput);
      } else if (key.method === 'original') {
        await this.submit(caller, id, { ...base, CsrType: 'online', CsrContent: undefined } as SubmitInput,
          { privateKeyPem: this.sealer.openString(old.privateKeySealed!, aad.certKey(old.id)) });
      } else {
        const k = key.algo ? { algo: key.algo, ...(key.param ? { param: key.param } : {}) } : PaidOrderService.sameKeyType(old);
        await this.submit(caller, id, { ...base, CsrType: 'online', CsrContent: undefined } as SubmitInput, k);
      }
      await this.commit(caller, id);
    } catch (e) {
      const reason = `the renewal could not be submitted: ${(e as Error).message}`;
      await this.store.transitionCertificate(id, { fromStatuses: [CertStatus.pendingSubmission], set: { status: CertStatus.cancelled, statusMsg: reason.slice(0, 500) } });
      throw e;
    }
  }

  async approve(reviewer: string, id: string): Promise<void> {
    const { cert, order } = await this.find(id);
    if (cert.status !== CertStatus.reviewing || cert.dvDeadline !== null) throw badStatus(id, cert.status, 'only an order awaiting review (0) can be approved');
    const now = this.clock();
    await this.store.updatePaidOrder(id, { reviewedBy: reviewer, reviewedAt: now, reviewNote: null });
    const managerId = Number(order.submitted?._managerId);
    if (this.orgs && managerId) await this.orgs.reviewed(cert.accountUin, managerId, true);
    await this.orders.beginValidation(cert, {
      method: String(order.submitted?.VerifyType ?? 'DNS'),
      csrPem: order.csrPem,
      keyAlgo: PRODUCTS.get(order.productId)?.sm2 ? 'SM2' : null,
      reviewer,
    });
  }

  async reject(reviewer: string, id: string, reason: string): Promise<void> {
    const { cert, order } = await this.find(id);
    const managerId = Number(order.submitted?._managerId);
    if (this.orgs && managerId && UNDER_REVIEW.includes(cert.status)) await this.orgs.reviewed(cert.accountUin, managerId, false);
    if (!UNDER_REVIEW.includes(cert.status)) throw badStatus(id, cert.status, 'only an order under review can be rejected');
    const now = this.clock();
    const why = reason.trim() || 'The order review failed.';
    await this.store.updatePaidOrder(id, { reviewedBy: reviewer, reviewedAt: now, reviewNote: why });
    const ok = await this.store.transitionCertificate(id, { fromStatuses: [...UNDER_REVIEW], set: { status: CertStatus.failed, statusMsg: why } },
      { accountUin: cert.accountUin, userUin: '--', certId: id, type: 'reject', createdAt: now, action: `Reviewer [${reviewer}] rejects certificate [id: ${id}]: ${why}` },
      await this.dnsCleanup(id, now));
    if (!ok) throw badStatus(id, cert.status, 'it changed while it was being rejected');
  }

  /** What the issuer puts in the certificate: the vetted organization, and the validity bought. */

}

// Domain validation of an order, whichever CA it was placed with (ca/issuer.ts): one step of
// the durable `dv-validate` job. DNS_AUTO records are written once; the CA is polled (certport's
// own CAs look with certport's validator, an upstream ACME CA looks for itself); a ready order is
// finalized with the order's CSR or public key, after CAA allows it for every name when the CA
// does not ask CAA itself (certport's own); the certificate goes in as issued exactly once
// (a conditional update), so a restart or a second node repeats no step that counted.
import { createPublicKey } from 'node:crypto';
import { CaRefused, CaUnreachable, checkAll, type AuthCheckResult, type Issuer, type IssueProfile, type IssueRequest, type Order } from '../ca/issuer.js';
import type { Issuers } from '../ca/issuers.js';
import { AWAITING_ISSUE, CertStatus, isAwaitingIssue, type CertificateRecord } from '../domain/certificate.js';
import type { Clock } from '../domain/clock.js';
import { quietLog, type Log } from '../domain/log.js';
import type { DvAuth, DvOrderRecord } from '../domain/dv-order.js';
import type { NewJob } from '../domain/job.js';
import type { CertificateStore, DvOrderStore, JobStore, PaidOrderStore } from '../domain/stores.js';
import { chainFactsOf, parseCertificateChain, selfSignedTop } from '../pki/certificate.js';
import { domainCsr } from '../pki/csr.js';
import type { Sealer } from '../secrets/sealer.js';
import type { Validator } from '../validation/validator.js';
import { DnsUpdateError } from '../validation/rfc2136.js';
import type { Notifier } from '../notify/types.js';
import { systemLogEntry } from './certificates.js';
import { issueProfileOf } from './products.js';
import { aad } from '../secrets/aad.js';

export const DV_VALIDATE = 'dv-validate';
export const DNS_CLEANUP = 'dns-cleanup';
/** The spec's free certificate: "3 months". */
export const DV_VALIDITY_DAYS = 90;

export const STATUS_MSG = {
  pending: 'pending-dcv',
  validated: 'wait-issue',
  timedOut: 'Domain verification timed out, and the order was automatically closed. please reapply for the certificate.',
} as const;

const AWAITING = [...AWAITING_ISSUE];

/** What a DNS server's refusal of an update means, for the certificate's owner. */
const DNS_UPDATE_WHY: Record<string, string> = {
  REFUSED: 'the server does not allow certport to update this zone',
  NOTAUTH: 'the server is not authoritative for the zone or did not accept the signature',
  NOTIMP: 'the server does not support dynamic updates',
  SERVFAIL: 'the server failed to apply the update',
  BADSIG: 'the TSIG signature did not verify (key secret or algorithm)',
  BADKEY: 'the server does not know the TSIG key',
  BADTIME: "the TSIG time is outside the server's window: a clock is off",
  TIMEOUT: 'the server did not answer in time',
  NETWORK: 'the server could not be reached',
};

/** One name's result for CheckCertificateDomainVerification. */
export interface AuthCheck { auth: DvAuth; result: AuthCheckResult }

/** TXT auths: the zone (DvAuthDomain) and the record name relative to it (DvAuthKeySubDomain). */
export function withZone(a: DvAuth, zone: string): DvAuth {
  if (a.verifyType !== 'TXT') return a;
  const inZone = a.key === zone || a.key.endsWith('.' + zone);
  const z = inZone ? zone : a.key.split('.').slice(-2).join('.');
  return { ...a, zone: z, subDomain: a.key === z ? '@' : a.key.slice(0, -z.length - 1) };
}

/** The `dns-cleanup` jobs that remove the TXT records certport wrote for an order (DNS_AUTO). */
export function cleanupJobs(order: DvOrderRecord, now: number): NewJob[] {
  if (order.method !== 'DNS_AUTO' || order.recordState !== 'added') return [];
  return order.auths.filter((a) => a.verifyType === 'TXT').map((a) => ({
    kind: DNS_CLEANUP, subject: `${order.certId}:${a.key}`, runAt: now, payload: JSON.stringify({ zone: a.zone, name: a.key, value: a.value }),
  }));
}

/** Jobs to run when a certificate is deleted: removing the DNS_AUTO record certport wrote for its order, if any. */
export async function jobsOnDelete(store: Pick<DvOrderStore, 'getDvOrder'>, c: CertificateRecord, now: number): Promise<NewJob[]> {
  if (!c.isDv) return [];
  const order = await store.getDvOrder(c.id);
  return order ? cleanupJobs(order, now) : [];
}

/** The order as its CA knows it. */
export const orderAtCa = (order: DvOrderRecord): Order => ({ ref: order.acmeOrderUrl, auths: order.auths });

const publicKeyOf = (privateKeyPem: string) => createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();

/** What validation needs of the validator (validation/validator.ts): a port, so tests can stand in for DNS and HTTP. */
export type DvValidator = Pick<Validator, 'check' | 'checkCaa' | 'addTxt' | 'removeTxt' | 'providerFor'>;

/** Called when an order settles (issued, failed or cancelled), e.g. to wake its hosting. */
export type OnSettled = (c: CertificateRecord) => Promise<void>;

export class DvValidation {
  constructor(
    private readonly store: CertificateStore & DvOrderStore & JobStore & Pick<PaidOrderStore, 'getPaidOrder'>,
    private readonly issuers: Issuers,
    private readonly validator: DvValidator,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: { validationIntervalMs: number },
    private readonly onSettled: OnSettled,
    private readonly log: Log = quietLog,
    /** Tells the owner when the DNS server refuses certport's DNS_AUTO update (once per reason). */
    private readonly notifier: Notifier | null = null,
  ) {}

  /** Checks every name now with certport's validator and records the result. */
  async runChecks(order: DvOrderRecord): Promise<AuthCheck[]> {
    const { checks, detail } = await checkAll(order.auths, (a) => this.validator.check(a));
    await this.store.recordDvCheck(order.certId, this.clock(), detail);
    return checks;
  }

  /**
   * One step of the `dv-validate` job for a certificate. Returns when to run again, or null
   * when the order is settled (issued, failed, cancelled or gone).
   */
  async step(certId: string, attempt: number): Promise<number | null> {
    const order = await this.store.getDvOrder(certId);
    if (!order) return null;
    const c = await this.store.getCertificate(order.accountUin, certId);
    if (!c || !isAwaitingIssue(c.status)) return null;
    if (c.dvDeadline !== null && this.clock() >= c.dvDeadline) return this.fail(c, order, STATUS_MSG.timedOut);
    const issuer = this.issuers.find(c.source, order.keyAlgo);
    if (!issuer) return this.fail(c, order, `The ${this.issuers.titleOf(c.source)} this order was placed with is no longer configured.`);
    const later = async (detail: string | null, soon = false) => {
      if (detail !== null) await this.store.recordDvCheck(c.id, this.clock(), detail);
      return this.clock() + (soon ? 1000 : this.backoff(attempt));
    };
    try {
      if (!(await this.addDnsAutoRecords(c, order))) return later(null);
      let p = await issuer.poll(orderAtCa(order), (a) => this.validator.check(a));
      if (p.state === 'ready') {
        if (p.detail) await this.store.recordDvCheck(c.id, this.clock(), p.detail);
        const validated = await this.store.transitionCertificate(c.id, { fromStatuses: AWAITING, set: { statusMsg: STATUS_MSG.validated, validatedAt: c.validatedAt ?? this.clock() } });
        if (!validated) return null;
        const caaRefusal = await this.caaRefusal(issuer, c);
        if (caaRefusal !== null) return this.fail(c, order, caaRefusal);
        p = await issuer.finalize(orderAtCa(order), await this.issueRequest(issuer, c, order));
      }
      switch (p.state) {
        case 'ready':
        case 'pending':
          return later(p.state === 'pending' ? p.detail : null, p.state === 'pending' && p.soon);
        case 'issued':
          await this.storeIssued(issuer, c, order, p.chainPem, await this.encryptionCertificate(issuer, c, order));
          return null;
        case 'invalid':
          return this.fail(c, order, p.reason);
        case 'gone':
          await this.placeAgain(issuer, c, order);
          return later('the CA no longer knows the order; placing it again', true);
      }
    } catch (e) {
      if (e instanceof CaUnreachable) return later(e.message);
      if (e instanceof CaRefused) return this.fail(c, order, e.message);
      throw e;
    }
  }

  /**
   * CAA (RFC 8659) for every name, unless the CA asks it itself: why the names may not be
   * issued (the order then fails with it), or null.
   */
  private async caaRefusal(issuer: Issuer, c: CertificateRecord): Promise<string | null> {
    if (issuer.checksCaa) return null;
    const r = await this.validator.checkCaa(c.sans);
    if (!r) return null;
    if (r.ok) {
      this.log.info({ certId: c.id, names: c.sans, caa: r.detail }, 'CAA allows issuance');
      return null;
    }
    this.log.warn({ certId: c.id, accountUin: c.accountUin, names: c.sans, reason: r.detail }, 'CAA forbids issuance; the order fails');
    return r.detail;
  }

  /** Pauses between checks grow 2 s, 4 s, 8 s … up to the configured interval. */
  private backoff(attempt: number): number {
    return Math.min(this.settings.validationIntervalMs, 2000 * 2 ** Math.min(attempt, 16));
  }

  /** DNS_AUTO: writes the TXT records once (status 4). False if the provider failed. */
  private async addDnsAutoRecords(c: CertificateRecord, order: DvOrderRecord): Promise<boolean> {
    if (order.method !== 'DNS_AUTO' || order.recordState !== 'none') return true;
    const now = this.clock();
    let current: DvAuth | null = null;
    try {
      for (const a of order.auths) {
        current = a;
        await this.validator.addTxt(a.zone, a.key, a.value);
      }
    } catch (e) {
      await this.store.recordDvCheck(c.id, now, `could not add the TXT record: ${(e as Error).message}`);
      await this.dnsAutoRefused(c, current, e as Error);
      return false;
    }
    await this.store.recordDvCheck(c.id, now, 'TXT record added', 'added');
    order.recordState = 'added';
    await this.store.transitionCertificate(c.id, { fromStatuses: [CertStatus.reviewing], set: { status: CertStatus.dnsAdded, statusMsg: STATUS_MSG.pending } },
      systemLogEntry(c.accountUin, 'dnsAutoAdded', c.id, now));
    return true;
  }

  /**
   * The DNS server did not take the record (issue 22: a TSIG BADTIME from a skewed clock, a
   * zone refusing updates): the reason goes to StatusMsg (DescribeCertificateDetail), the log,
   * and one notice per certificate and reason; the step is retried as before. StatusMsg names
   * the record, zone and the server's answer, not the server's address; the log has it all
   * (never the TSIG secret: the errors do not carry it).
   */
  private async dnsAutoRefused(c: CertificateRecord, auth: DvAuth | null, e: Error): Promise<void> {
    const rcode = e instanceof DnsUpdateError ? e.rcode : 'ERROR';
    const why = e instanceof DnsUpdateError ? (DNS_UPDATE_WHY[rcode] ?? e.message.replace(/^.*?: /, '')) : 'the update failed';
    const record = auth ? `${auth.key} in zone ${auth.zone}` : 'the validation TXT record';
    const msg = `DNS_AUTO: the DNS server did not accept adding ${record} (${rcode}: ${why}); certport retries, and the operator must fix the DNS provider settings (CERTPORT_DNS_PROVIDERS) or clock.`;
    if (c.statusMsg !== msg) {
      this.log.warn({ certId: c.id, accountUin: c.accountUin, zone: auth?.zone, rcode, err: e.message }, 'DNS_AUTO: the DNS server refused the TXT record update; retrying');
      await this.store.transitionCertificate(c.id, { fromStatuses: [CertStatus.reviewing], set: { statusMsg: msg } });
    }
    // Timeouts and unreachable servers are often passing; a server's answer is a refusal.
    if (!this.notifier || rcode === 'TIMEOUT' || rcode === 'NETWORK') return;
    await this.notifier.raise({
      accountUin: c.accountUin, certId: c.id, kind: 'validation-needed', key: `dns-auto-refused:${c.id}:${rcode}`,
      subject: `Validating ${c.domain} (${c.id}) is stuck: the DNS server refused the DNS_AUTO record (${rcode})`,
      text: [msg, '', `Until the record is in place the order stays pending and fails at its validation deadline. You may publish the TXT record yourself (DescribeCertificate's DvAuthDetail) to validate it now.`].join('\n'),
      data: { certId: c.id, domain: c.domain, zone: auth?.zone ?? null, record: auth?.key ?? null, rcode, reason: why },
    }).catch((err: unknown) => this.log.warn({ err, certId: c.id }, 'the DNS_AUTO refusal notice could not be raised'));
  }

  /** The CA forgot the order (it was reset): the records certport wrote go, and a new order takes its place; the owner publishes anew. */
  private async placeAgain(issuer: Issuer, c: CertificateRecord, order: DvOrderRecord): Promise<void> {
    const now = this.clock();
    for (const j of cleanupJobs(order, now)) await this.store.enqueueJob(j, now);
    const recordState = order.recordState === 'added' ? 'removed' : order.recordState;
    await this.store.replaceAcmeOrder(c.id, null, order.auths, recordState);
    const placed = await issuer.place({ domains: [c.domain], method: order.method === 'FILE' ? 'FILE' : 'DNS' });
    await this.store.replaceAcmeOrder(c.id, placed.ref, placed.auths.map((a) => withZone(a, order.mainDomain)), order.method === 'DNS_AUTO' ? 'none' : recordState);
  }

  async fail(c: CertificateRecord, order: DvOrderRecord, reason: string): Promise<null> {
    const now = this.clock();
    const failed = await this.store.transitionCertificate(c.id, { fromStatuses: AWAITING, set: { status: CertStatus.failed, statusMsg: reason } },
      systemLogEntry(c.accountUin, 'failed', c.id, now, `: ${reason}`), cleanupJobs(order, now));
    // A failed reissue gives the original back, reissuable again.
    if (failed && c.replacedFor) await this.store.settleReplacement(c.replacedFor, false, now);
    if (failed) await this.onSettled(c);
    return null;
  }

  /** What the CA signs: the owner's CSR, or the key certport keeps (a CSR of it for a CA that needs one), with the paid order's profile. */
  private async issueRequest(issuer: Issuer, c: CertificateRecord, order: DvOrderRecord): Promise<IssueRequest> {
    // A reissue of a paid certificate keeps the vetted organization of the original.
    const paidOrder = (await this.store.getPaidOrder(c.id)) ?? (c.replacedFor ? await this.store.getPaidOrder(c.replacedFor) : null);
    const paid = paidOrder ? issueProfileOf(paidOrder) : null;
    const base = { domains: c.sans, validityDays: paid?.validityDays ?? DV_VALIDITY_DAYS, ...(paid ? { profile: paid.profile } : {}) };
    if (order.csrPem) return { ...base, csrPem: order.csrPem };
    const privateKeyPem = this.sealer.openString(c.privateKeySealed!, aad.certKey(c.id));
    return issuer.signsPublicKeys ? { ...base, publicKeyPem: publicKeyOf(privateKeyPem) } : { ...base, csrPem: domainCsr(privateKeyPem, c.sans) };
  }

  /** SM2 double certificates: the encryption certificate for the pair's second key, from the same CA. */
  private async encryptionCertificate(issuer: Issuer, c: CertificateRecord, order: DvOrderRecord): Promise<string | null> {
    if (!c.encryptKeySealed) return null;
    const enc = await issuer.finalize(orderAtCa(order), {
      publicKeyPem: publicKeyOf(this.sealer.openString(c.encryptKeySealed, aad.encryptKey(c.id))),
      domains: c.sans, validityDays: DV_VALIDITY_DAYS, usage: 'encrypt',
    });
    if (enc.state !== 'issued') throw new Error(`${issuer.label} did not sign the encryption certificate at once (${enc.state})`);
    return enc.chainPem;
  }

  /** Issued: the chain goes in, status 1, exactly once (a conditional update). */
  private async storeIssued(issuer: Issuer, c: CertificateRecord, order: DvOrderRecord, certPem: string, encryptCertPem: string | null): Promise<void> {
    const parsed = parseCertificateChain(certPem);
    const { leaf } = parsed;
    const done = this.clock();
    const cleanup = order.deleteDnsAutoRecord ? cleanupJobs(order, done) : [];
    // Conditional: of two steps racing on one order, only the one that stores it settles it.
    const stored = await this.store.transitionCertificate(c.id, {
      fromStatuses: AWAITING,
      set: {
        status: CertStatus.issued, statusMsg: null, certPem, fingerprintSha1: leaf.sha1, fingerprintSha256: leaf.sha256, serialHex: leaf.serialHex,
        issuerCn: leaf.issuerCn, encryptAlgorithm: leaf.encryptAlgorithm, notBefore: leaf.notBefore, notAfter: leaf.notAfter,
        validatedAt: c.validatedAt ?? done,
        ...(encryptCertPem ? { encryptCertPem } : {}),
        // Parsed here once, kept for reads (issue 27).
        chainRootPem: selfSignedTop(parsed) ?? '', chainFacts: chainFactsOf(certPem, encryptCertPem ?? c.encryptCertPem, parsed),
        validityPeriod: String(Math.max(1, Math.round((leaf.notAfter - leaf.notBefore) / (30.44 * 86_400_000)))),
      },
    }, systemLogEntry(c.accountUin, 'issued', c.id, done, ` by ${issuer.label} (serial ${leaf.serialHex})`), cleanup);
    if (!stored) return;
    if (c.replacedFor) await this.store.settleReplacement(c.replacedFor, true, done);
    await this.onSettled(c);
  }

  /** The `dns-cleanup` job: removes a TXT record certport wrote. */
  async cleanupStep(payload: string | null): Promise<void> {
    const { zone, name, value } = JSON.parse(payload ?? '{}') as { zone: string; name: string; value: string };
    await this.validator.removeTxt(zone, name, value);
  }
}

// Revocation (issue 24): RevokeCertificate and UploadRevokeLetter, the operators' revocation
// and confirmation, keyCompromise, and the blocked-key check. The statuses:
//
//   1 issued ─RevokeCertificate─┬─ DV, proof not needed ─────────────────────────────► 10 revoked
//                               ├─ DV, proof needed: 9 ── the values are published ─────► 10
//                               ├─ OV/EV: 12 ─UploadRevokeLetter─► 9 ─operator confirms─► 10
//                               └─ upstream ACME CA: revoked there (RFC 8555 7.6) ──────► 10
//
// DV proof of control is asked only when the account's say-so is not enough: the certificate is
// older than CERTPORT_REVOKE_PROOF_DAYS and its key is not held here (it was issued for the
// owner's CSR). Holding the account that holds the key is Let's Encrypt's "key" proof; a young
// certificate's names were proven a short while ago. Once revoked, the CRL of the issuing
// intermediate is made again at once and its OCSP answers change.
import { CaRefused, CaUnreachable } from '../ca/issuer.js';
import { keyAlgorithmOf, type Issuers } from '../ca/issuers.js';
import { CertStatus, type CertificateRecord } from '../domain/certificate.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { DvAuth } from '../domain/dv-order.js';
import { ServiceError, invalidParameterValue } from '../domain/errors.js';
import type { NewJob } from '../domain/job.js';
import { quietLog, type Log } from '../domain/log.js';
import { REVOCATION_REASONS, parseReason, reasonName, type CrlIssuer, type RevocationRecord } from '../domain/revocation.js';
import type { CertificateStore, DvOrderStore, JobStore, PaidOrderStore, RevocationStore } from '../domain/stores.js';
import { spkiSha256, spkiSha256OfPem } from '../pki/revocation.js';
import { pemDer } from '../pki/pem.js';
import { aad } from '../secrets/aad.js';
import type { Sealer } from '../secrets/sealer.js';
import { effectiveStatus, logEntry, systemLogEntry, type CertificateService } from './certificates.js';
import { withZone, type DvValidator } from './dv-validation.js';
import { readLetter } from './paid-orders.js';
import { parseCertificateChain } from '../pki/certificate.js';

export const REVOKE_CHECK = 'revoke-check';
const DAY = 86_400_000;

export interface RevocationSettings {
  /** DV certificates older than this, whose key certport does not hold, need fresh proof of control. */
  proofAfterDays: number;
  /** How long the owner has to publish the values before the revocation is given up (the certificate is 1 again). */
  proofHours: number;
  validationIntervalMs: number;
}

/** Told when a CA's revocations changed: its CRL is made again and its OCSP answers dropped. */
export type OnRevoked = (issuer: CrlIssuer) => Promise<void>;

const badStatus = (id: string, status: number, what: string) =>
  new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${id} is in status ${status}; ${what}.`);

/** Who asked: a user of the account, or an operator (CLI, admin endpoint) by name. */
type Actor = { caller: Caller } | { operator: string };

export class RevocationService {
  constructor(
    private readonly store: CertificateStore & DvOrderStore & PaidOrderStore & RevocationStore & JobStore,
    private readonly certificates: CertificateService,
    private readonly issuers: Issuers,
    private readonly validator: DvValidator,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly settings: RevocationSettings,
    private readonly kick: () => void = () => {},
    private readonly onRevoked: OnRevoked = async () => {},
    private readonly log: Log = quietLog,
  ) {}

  /** RevokeCertificate: what the owner must publish when proof of control is needed (else []). */
  async revoke(caller: Caller, id: string, reason: string | undefined): Promise<DvAuth[]> {
    const cert = await this.certificates.get(caller, id);
    return this.start(cert, reason, { caller });
  }

  /** `certport certificates revoke` and the admin endpoint: no proof and no letter asked (the operator vouches). */
  async revokeAsOperator(operator: string, id: string, reason: string | undefined): Promise<RevocationRecord> {
    const cert = await this.store.getCertificateById(id);
    if (!cert) throw new ServiceError('FailedOperation.CertificateNotFound', `The certificate ${JSON.stringify(id)} does not exist.`);
    await this.start(cert, reason, { operator });
    return (await this.store.getRevocation(id))!;
  }

  /**
   * The certport certificate whose leaf is exactly `der` (ACME revokeCert names certificates by
   * their DER): found through its key, then compared byte for byte.
   */
  async findByLeafDer(der: Buffer): Promise<CertificateRecord | null> {
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
    const spki = spkiSha256OfPem(pem);
    if (!spki) return null;
    for (const c of await this.store.certificatesWithKey(spki)) {
      const rec = await this.store.getCertificateById(c.id);
      if (!rec) continue;
      const leaf = rec.certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
      if (leaf && pemDer(leaf, 'CERTIFICATE').equals(der)) return rec;
    }
    return null;
  }

  /**
   * ACME revokeCert (RFC 8555 7.6): the ACME account or the certificate's own key has already
   * been checked by the caller, which is the proof; no letter or DNS proof is asked, as for operators.
   */
  async revokeByAcme(who: string, cert: CertificateRecord, reason: number): Promise<void> {
    await this.start(cert, String(reason), { operator: who });
  }

  get(certId: string): Promise<RevocationRecord | null> {
    return this.store.getRevocation(certId);
  }

  getMany(certIds: string[]): Promise<Map<string, RevocationRecord>> {
    return this.store.getRevocations(certIds);
  }

  list(q: { states?: RevocationRecord['state'][]; accountUin?: string; limit: number }): Promise<RevocationRecord[]> {
    return this.store.listRevocations(q);
  }

  private async start(cert: CertificateRecord, reasonInput: string | undefined, actor: Actor): Promise<DvAuth[]> {
    const reason = parseReason(reasonInput);
    if (reason === null) {
      throw invalidParameterValue(`Reason must be one of ${Object.entries(REVOCATION_REASONS).map(([k, v]) => `${k} (${v})`).join(', ')}.`);
    }
    if (cert.source === 'upload') {
      throw new ServiceError('FailedOperation.InvalidCertificateSource', `The certificate ${cert.id} was uploaded; only certificates certport issued can be revoked here.`);
    }
    const now = this.clock();
    const status = effectiveStatus(cert, now);
    if (status === CertStatus.revoked || status === CertStatus.revoking || status === CertStatus.pendingRevocationLetter) {
      throw badStatus(cert.id, status, 'it is revoked or being revoked already');
    }
    if (status !== CertStatus.issued) throw badStatus(cert.id, status, 'only an issued, unexpired certificate can be revoked');
    const issuer = this.issuers.find(cert.source, keyAlgorithmOf(cert));
    if (!issuer) throw new ServiceError('FailedOperation.CertificateCaError', `The ${this.issuers.titleOf(cert.source)} that issued ${cert.id} is not configured here.`);
    const spki = spkiSha256OfPem(cert.certPem) ?? '';
    const crlIssuer: CrlIssuer | null = issuer.signingCas ? (cert.isSm ? 'sm2' : keyAlgorithmOf(cert) === 'ECC' ? 'ecc' : 'rsa') : null;
    const byOperator = 'operator' in actor;
    const base: RevocationRecord & { encryptSerialHex: string | null } = {
      certId: cert.id, accountUin: cert.accountUin, serialHex: cert.serialHex, encryptSerialHex: encryptSerial(cert), crlIssuer, reason,
      state: 'revoked', requestedAt: now, requestedBy: byOperator ? `operator:${actor.operator}` : actor.caller.userUin, revokedAt: null,
      auths: null, lastCheckDetail: null, letterSealed: null, letterType: null, confirmedBy: null, spkiSha256: spki,
    };
    const entry = (extra: string) => byOperator
      ? systemLogEntry(cert.accountUin, 'revoke', cert.id, now, ` by the operator ${actor.operator}${extra}`)
      : logEntry(actor.caller, 'revoke', cert.id, now, extra);
    const why = ` (reason: ${reasonName(reason)})`;

    const paid = await this.store.getPaidOrder(cert.id);
    if (!byOperator && paid && !cert.isDv) {
      const ok = await this.store.startRevocation({ ...base, state: 'pending-letter' }, { from: [CertStatus.issued], to: CertStatus.pendingRevocationLetter },
        entry(`${why}: waiting for the revocation letter`));
      if (!ok) throw badStatus(cert.id, status, 'it changed meanwhile');
      return [];
    }
    const proofNeeded = !byOperator && issuer.signingCas !== undefined && cert.privateKeySealed === null
      && now - cert.notBefore > this.settings.proofAfterDays * DAY;
    if (proofNeeded) {
      const order = await this.store.getDvOrder(cert.id);
      const method = cert.isWildcard || order?.method !== 'FILE' ? 'DNS' : 'FILE';
      const placed = await issuer.place({ domains: cert.sans, method });
      const auths = placed.auths.map((a) => (order ? withZone(a, order.mainDomain) : a));
      const job: NewJob = { kind: REVOKE_CHECK, subject: cert.id, runAt: now + 1000 };
      const ok = await this.store.startRevocation({ ...base, state: 'pending-proof', auths }, { from: [CertStatus.issued], to: CertStatus.revoking },
        entry(`${why}: waiting for proof of control of ${cert.sans.join(', ')}`), [job]);
      if (!ok) throw badStatus(cert.id, status, 'it changed meanwhile');
      this.kick();
      return auths;
    }
    // Revoked now: an upstream CA first (nothing is recorded if it refuses), then here.
    if (!issuer.signingCas) await this.atUpstream(issuer.revoke.bind(issuer), cert, reason);
    else await issuer.revoke(cert.certPem, reason).catch((e: unknown) => { throw e instanceof CaRefused ? new ServiceError('FailedOperation.CertificateCaError', e.message) : e; });
    const ok = await this.store.startRevocation({ ...base, state: 'revoked', revokedAt: now, confirmedBy: byOperator ? actor.operator : null },
      { from: [CertStatus.issued], to: CertStatus.revoked }, entry(why));
    if (!ok) throw badStatus(cert.id, status, 'it changed meanwhile');
    await this.revoked(base, now);
    return [];
  }

  private async atUpstream(revoke: (pem: string, reason: number) => Promise<void>, cert: CertificateRecord, reason: number): Promise<void> {
    try {
      await revoke(cert.certPem, reason);
    } catch (e) {
      if (e instanceof CaUnreachable) throw new ServiceError('FailedOperation.NetworkError', `The CA could not be reached: ${e.message}`);
      // Already revoked there (by another client with the key): it is revoked, which is what was asked.
      if (e instanceof CaRefused && /alreadyRevoked/.test(e.type + e.message)) return;
      if (e instanceof CaRefused) throw new ServiceError('FailedOperation.CertificateCaError', `The CA refused the revocation: ${e.message}`);
      throw e;
    }
  }

  /** After a revocation is final: its CA's CRL and OCSP, and for keyCompromise every other certificate of the key, and the key blocked. */
  private async revoked(r: Pick<RevocationRecord, 'certId' | 'crlIssuer' | 'reason' | 'spkiSha256'>, now: number): Promise<void> {
    if (r.crlIssuer) await this.onRevoked(r.crlIssuer).catch((e: unknown) => this.log.warn({ err: e, issuer: r.crlIssuer }, 'making the CRL again failed; the refresh job retries'));
    if (r.reason !== REVOCATION_REASONS.keyCompromise || !r.spkiSha256) return;
    await this.store.blockKey(r.spkiSha256, r.certId, now);
    for (const other of await this.store.certificatesWithKey(r.spkiSha256)) {
      if (other.id === r.certId || other.source === 'upload') continue;
      const c = await this.store.getCertificateById(other.id);
      if (!c || effectiveStatus(c, now) !== CertStatus.issued) continue;
      try {
        await this.start(c, 'keyCompromise', { operator: `keyCompromise of ${r.certId}` });
      } catch (e) {
        this.log.warn({ err: e, certId: c.id, compromised: r.certId }, 'a certificate of a compromised key could not be revoked');
      }
    }
  }

  /** UploadRevokeLetter: the OV/EV revocation letter (the confirmation letter's rules); an operator confirms next. */
  async uploadLetter(caller: Caller, id: string, base64: string): Promise<void> {
    const cert = await this.certificates.get(caller, id);
    if (cert.source === 'upload') throw new ServiceError('FailedOperation.InvalidCertificateSource', `The certificate ${id} was uploaded; it has no revocation.`);
    if (cert.status !== CertStatus.pendingRevocationLetter) throw badStatus(id, cert.status, 'a revocation letter is only taken while one is awaited (12)');
    const { body, type } = readLetter(base64, 'RevokeLetter');
    const now = this.clock();
    const ok = await this.store.stepRevocation(id, ['pending-letter'], {
      patch: { state: 'pending-confirmation', letterSealed: this.sealer.seal(body, aad.revokeLetter(id)), letterType: type },
      status: { from: [CertStatus.pendingRevocationLetter], to: CertStatus.revoking },
      log: logEntry(caller, 'editRevokeLetter', id, now, ` (${type}, ${body.length} bytes): waiting for confirmation`),
    });
    if (!ok) throw badStatus(id, cert.status, 'it changed while the letter was being stored');
  }

  /** The stored revocation letter, for operators. */
  letter(r: RevocationRecord): { type: string; body: Buffer } | null {
    return r.letterSealed ? { type: r.letterType ?? 'bin', body: this.sealer.open(r.letterSealed, aad.revokeLetter(r.certId)) } : null;
  }

  /** An operator confirms an OV/EV revocation whose letter is in (`certport orders confirm-revoke`): 10. */
  async confirm(operator: string, id: string): Promise<RevocationRecord> {
    const r = await this.store.getRevocation(id);
    if (!r || r.state !== 'pending-confirmation') {
      throw badStatus(id, r ? stateStatus(r.state) : CertStatus.issued, 'only a revocation whose letter is in can be confirmed');
    }
    await this.finish(r, `confirmed by ${operator}`, operator);
    return (await this.store.getRevocation(id))!;
  }

  /** An operator turns down a pending revocation: the certificate is issued (1) again. */
  async cancel(operator: string, id: string, reason: string): Promise<void> {
    const r = await this.store.getRevocation(id);
    if (!r || r.state === 'revoked' || r.state === 'cancelled') throw badStatus(id, r?.state === 'revoked' ? CertStatus.revoked : CertStatus.issued, 'only a pending revocation can be cancelled');
    const now = this.clock();
    const ok = await this.store.stepRevocation(id, [r.state], {
      patch: { state: 'cancelled', lastCheckDetail: `cancelled by ${operator}: ${reason}` },
      status: { from: [CertStatus.revoking, CertStatus.pendingRevocationLetter], to: CertStatus.issued },
      log: systemLogEntry(r.accountUin, 'cancelRevoke', id, now, ` by the operator ${operator}: ${reason}`),
    });
    if (!ok) throw badStatus(id, stateStatus(r.state), 'it changed meanwhile');
  }

  private async finish(r: RevocationRecord, how: string, confirmedBy: string | null): Promise<boolean> {
    const now = this.clock();
    const ok = await this.store.stepRevocation(r.certId, [r.state], {
      patch: { state: 'revoked', revokedAt: now, confirmedBy },
      status: { from: [CertStatus.revoking, CertStatus.pendingRevocationLetter], to: CertStatus.revoked },
      log: systemLogEntry(r.accountUin, 'revoked', r.certId, now, ` (${how}; reason: ${reasonName(r.reason)})`),
    });
    if (ok) await this.revoked(r, now);
    return ok;
  }

  /** The `revoke-check` job: are the DV values published? Then 10; past the deadline, the certificate is 1 again. */
  async checkStep(certId: string, attempt: number): Promise<number | null> {
    const r = await this.store.getRevocation(certId);
    if (!r || r.state !== 'pending-proof' || !r.auths) return null;
    const now = this.clock();
    if (now > r.requestedAt + this.settings.proofHours * 3_600_000) {
      await this.store.stepRevocation(certId, ['pending-proof'], {
        patch: { state: 'cancelled', lastCheckDetail: 'proof of control was not published in time' },
        status: { from: [CertStatus.revoking], to: CertStatus.issued },
        log: systemLogEntry(r.accountUin, 'cancelRevoke', certId, now, ': proof of control was not published in time'),
      });
      return null;
    }
    const checks = await Promise.all(r.auths.map(async (a) => ({ a, result: await this.validator.check(a) })));
    const detail = checks.map((x) => `${x.a.domain}: ${x.result.ok ? 'passed' : x.result.detail}`).join('; ');
    if (checks.every((x) => x.result.ok)) {
      await this.finish({ ...r, lastCheckDetail: detail }, `proof of control: ${detail}`, null);
      return null;
    }
    await this.store.stepRevocation(certId, ['pending-proof'], { patch: { lastCheckDetail: detail } });
    return now + Math.min(this.settings.validationIntervalMs, 2000 * 2 ** Math.min(attempt, 16));
  }

  /**
   * Refuses a key that keyCompromise blocked (Boulder's blocked keys): a CSR's, an uploaded
   * certificate's for issuance, or the key an `Original` reissue reuses. `spki`: DER or a PEM holding it.
   */
  async assertKeyAllowed(spki: Buffer | string, what: string): Promise<void> {
    const der = typeof spki === 'string' ? pemDer(spki, 'PUBLIC KEY') : spki;
    if (await this.store.isKeyBlocked(spkiSha256(der))) {
      throw invalidParameterValue(`${what} uses a key that was reported compromised (keyCompromise); make a new key.`);
    }
  }

  async isKeyBlocked(spkiSha256Hex: string): Promise<boolean> {
    return this.store.isKeyBlocked(spkiSha256Hex);
  }
}

/** The status a certificate shows while its revocation is in this state. */
export const stateStatus = (s: RevocationRecord['state']): number =>
  s === 'revoked' ? CertStatus.revoked : s === 'pending-letter' ? CertStatus.pendingRevocationLetter : s === 'cancelled' ? CertStatus.issued : CertStatus.revoking;

/** The serial of an SM2 pair's encryption certificate, revoked with its signing certificate. */
function encryptSerial(c: CertificateRecord): string | null {
  if (!c.encryptCertPem) return null;
  try {
    return parseCertificateChain(c.encryptCertPem).leaf.serialHex;
  } catch {
    return null;
  }
}

// The certificate lifecycle: the only writer of certificates. Every state change writes an
// operation-log entry in the same transaction.
import { ServiceError, certificateNotFound } from '../domain/errors.js';
import type { DownloadBundle } from '../pki/download-zip.js';
import { DOWNLOAD_SERVICE_TYPES, fileDomain, type DownloadServiceType } from '../pki/download-names.js';
import { chainFactsOf, parseCertificateChain, selfSignedTop, type CertificateFacts } from '../pki/certificate.js';
import { inlineCpu, type CpuRunner } from '../pki/cpu-pool.js';
import { UPLOAD_LIMITS, countCertificateBlocks } from '../pki/limits.js';
import type { Sealer } from '../secrets/sealer.js';
import type { CertificateStore, KeptDownload, OperationLogStore, ProjectStore } from '../domain/stores.js';
import type { NewJob } from '../domain/job.js';
import { CertStatus, isIssued, type CertificateQuery, type CertificateRecord, type OperationLogRecord, type Tag } from '../domain/certificate.js';
import type { ProjectRecord } from '../domain/account.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { newCertificateId } from './ids.js';
import { aad } from '../secrets/aad.js';
import { createHash } from 'node:crypto';

export const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The spec: "a certificate is about to expire if it will expire within 30 days". */
export const EXPIRING_WINDOW = 30 * DAY;

/** An issued certificate past its end date reads as expired (3). */
export function effectiveStatus(c: Pick<CertificateRecord, 'status' | 'notAfter'>, now: number): number {
  return c.status === CertStatus.issued && c.notAfter < now ? CertStatus.expired : c.status;
}

/**
 * The first instant after `now` at which something derived from the clock for `c` changes:
 * effectiveStatus (issued → expired after notAfter) and the expiring window (IsExpiring,
 * RenewAble) that opens EXPIRING_WINDOW before notAfter. Infinity when nothing will.
 */
export function nextTimeChange(c: Pick<CertificateRecord, 'status' | 'notAfter'>, now: number): number {
  if (c.status !== CertStatus.issued) return Infinity;
  let next = Infinity;
  for (const t of [c.notAfter - EXPIRING_WINDOW, c.notAfter + 1]) if (t > now && t < next) next = t;
  return next;
}

export interface UploadInput {
  publicKey: string;
  privateKey?: string;
  type?: string;
  alias?: string;
  projectId?: number;
  certificateUse?: string;
  tags?: Tag[];
  repeatable?: boolean;
  keyPassword?: string;
}

/** Log types and sentences follow the spec's OperationLog examples. */
const VERB: Record<string, string> = {
  upload: 'uploads', uploadFromYunAPI: 'uploads', delete: 'deletes', updateAlias: 'renames', changeProject: 'moves',
  download: 'downloads', apply: 'applies for', issued: 'issues', cancel: 'cancels',
};
/** Entries the service writes itself, not on a user's behalf. */
const SYSTEM_SENTENCE: Record<string, string> = {
  issued: 'Certificate [id: %] was issued',
  failed: 'Certificate [id: %] failed',
  dnsAutoAdded: 'The DNS validation record for certificate [id: %] was added automatically',
  expired: 'Certificate [id: %] expired',
};
export function logEntry(caller: Caller, type: string, certId: string, now: number, extra = ''): OperationLogRecord {
  const who = caller.userUin === '--' ? '--' : caller.userUin;
  return {
    accountUin: caller.accountUin, userUin: caller.userUin, certId, type, createdAt: now,
    action: `User [uin: ${who}] ${VERB[type] ?? type} certificate [id: ${certId}]${extra}`,
  };
}

/** A log entry for something the service did by itself (validation, issuance, expiry). */
export function systemLogEntry(accountUin: string, type: string, certId: string, now: number, extra = ''): OperationLogRecord {
  const sentence = (SYSTEM_SENTENCE[type] ?? `Certificate [id: %] ${type}`).replace('%', certId);
  return { accountUin, userUin: '--', certId, type, createdAt: now, action: sentence + extra };
}

const months = (from: number, to: number) => String(Math.max(1, Math.round((to - from) / (30.44 * DAY))));

export interface CertificateLinks {
  /** The root of the CA that issued a certificate here (null for uploads and upstream CAs). */
  rootOf(c: CertificateRecord): string | null;
  /** Base URL certport is reached at (CERTPORT_PUBLIC_URL), for signed download links. */
  publicUrl: string;
  /** Work to schedule when a certificate is deleted (e.g. removing a DNS_AUTO record). */
  jobsOnDelete(c: CertificateRecord): Promise<NewJob[]>;
}

export class CertificateService {
  constructor(
    private readonly store: CertificateStore & ProjectStore & OperationLogStore,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly links: CertificateLinks = { rootOf: () => null, publicUrl: '', jobsOnDelete: async () => [] },
    /** Where parsing and packaging run: the worker pool in a server (off the request thread). */
    private readonly cpu: CpuRunner = inlineCpu,
  ) {}

  /** Project 0 is the default project; other ids are created on first use. */
  async project(accountUin: string, projectId: number): Promise<ProjectRecord> {
    const name = projectId === 0 ? 'Default Project' : `Project ${projectId}`;
    return (await this.store.getProject(accountUin, projectId))
      ?? this.store.ensureProject({ accountUin, projectId, name, createdAt: this.clock() });
  }

  /** The projects of a page of certificates, in one read (absent ids map to null); reads never create one. */
  async findProjects(accountUin: string, projectIds: number[]): Promise<Map<number, ProjectRecord | null>> {
    const ids = [...new Set(projectIds)];
    const found = new Map((await this.store.getProjects(accountUin, ids)).map((p) => [p.projectId, p] as const));
    return new Map(ids.map((id) => [id, found.get(id) ?? null]));
  }

  /** CheckCertificateExist: the id of the account's certificate with this leaf (SHA-1 fingerprint, as uploads match), or ''. */
  async repeatOf(caller: Caller, publicKey: string): Promise<string> {
    const { leaf } = await this.cpu.run('readUpload', { publicKey }, caller.accountUin);
    for (const type of ['SVR', 'CA']) {
      const hit = await this.store.findByFingerprint(caller.accountUin, leaf.sha1, type);
      if (hit) return hit.id;
    }
    return '';
  }

  async upload(caller: Caller, input: UploadInput): Promise<{ certificateId: string; repeatCertId: string }> {
    const type = input.type ?? 'SVR';
    if (type !== 'SVR' && type !== 'CA') {
      throw new ServiceError('InvalidParameterValue', `CertificateType must be SVR or CA, got ${JSON.stringify(type)}.`);
    }
    const now = this.clock();
    // Parsed once, on a worker, within the cost limits (pki/limits.ts); the key only for SVR.
    const { leaf, chain, rootPem, key, chainFacts } = await this.cpu.run('readUpload', {
      publicKey: input.publicKey,
      ...(type === 'SVR' ? { privateKey: input.privateKey, keyPassword: input.keyPassword } : {}),
    }, caller.accountUin);
    let sealedKey: string | null = null;
    const id = newCertificateId();
    if (type === 'CA') {
      const notCa = [leaf, ...chain].find((c) => !c.isCa);
      if (notCa) {
        throw new ServiceError('FailedOperation.CertificateCaError',
          `The certificate "${notCa.subjectCn || notCa.subject}" is not a CA certificate; upload it with CertificateType SVR.`);
      }
    } else {
      if (!key || !input.privateKey) {
        throw new ServiceError('MissingParameter', 'CertificatePrivateKey is required when CertificateType is SVR.');
      }
      if (leaf.isSm !== key.isSm2) {
        throw new ServiceError('FailedOperation.CertificateEncryptInvalid', leaf.isSm
          ? 'The certificate is an SM2 (GM/T) certificate but the private key is not an SM2 key.'
          : `The private key is an SM2 key but the certificate's key is ${leaf.encryptAlgorithm}.`);
      }
      if (!key.matches) {
        throw new ServiceError('FailedOperation.CertificateMismatch', 'The private key does not match the certificate.');
      }
      // Kept as uploaded (clients compare it); an encrypted key is kept decrypted.
      const plain = input.keyPassword && /ENCRYPTED/.test(input.privateKey) ? key.pkcs8Pem : input.privateKey;
      sealedKey = this.sealer.seal(plain, aad.certKey(id));
    }
    if (leaf.notAfter < now) {
      throw new ServiceError('FailedOperation.CertificateInvalid',
        `The certificate expired on ${new Date(leaf.notAfter).toISOString()}.`);
    }
    if (input.repeatable === false) {
      const existing = await this.store.findByFingerprint(caller.accountUin, leaf.sha1, type);
      // FACTS: tools read CertificateId only, so a refused duplicate hands back the existing id.
      if (existing) return { certificateId: existing.id, repeatCertId: existing.id };
    }
    const projectId = input.projectId ?? 0;
    await this.project(caller.accountUin, projectId);
    const sans = sanList(leaf);
    const record: CertificateRecord = {
      id,
      accountUin: caller.accountUin,
      projectId,
      alias: input.alias ?? '',
      certificateType: type,
      source: 'upload',
      status: CertStatus.issued,
      statusMsg: null,
      domain: leaf.subjectCn || sans[0] || '',
      sans,
      certPem: input.publicKey,
      privateKeySealed: sealedKey,
      keyPasswordSealed: sealedKey && input.keyPassword ? this.sealer.seal(input.keyPassword, aad.keyPassword(id)) : null,
      fingerprintSha1: leaf.sha1,
      fingerprintSha256: leaf.sha256,
      serialHex: leaf.serialHex,
      issuerCn: leaf.issuerCn,
      encryptAlgorithm: leaf.encryptAlgorithm,
      isSm: leaf.isSm,
      isWildcard: sans.some((s) => s.startsWith('*.')),
      isDv: false,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      certificateUse: input.certificateUse ?? '',
      packageType: null,
      productZhName: leaf.issuerCn || 'Uploaded certificate',
      verifyType: null,
      validityPeriod: months(leaf.notBefore, leaf.notAfter),
      caInfo: type === 'CA'
        ? [leaf, ...chain].map((c) => ({ commonName: c.subjectCn, encryptAlgorithm: c.encryptAlgorithm, notAfter: c.notAfter }))
        : null,
      createdAt: now,
      updatedAt: now,
      tags: dedupeTags(input.tags ?? []),
      dvDeadline: null,
      validatedAt: null,
      originCertId: null,
      renewOrderId: null,
      replacedBy: null,
      replacedFor: null,
      encryptCertPem: null,
      encryptKeySealed: null,
      chainRootPem: rootPem,
      chainFacts,
    };
    await this.store.insertCertificate(record, logEntry(caller, 'upload', id, now));
    return { certificateId: id, repeatCertId: '' };
  }

  /**
   * A certificate certport's CA has just signed for a client that keeps its own key (the ACME
   * server): stored as issued, a DV certificate of `accountUin` like any other, with `source`
   * (the API's From) and an operation-log entry saying how it came.
   */
  async recordIssued(accountUin: string, chainPem: string, o: { source: string; productName: string; verifyType: string; logAction: (id: string) => string }): Promise<CertificateRecord> {
    const now = this.clock();
    const parsed = parseCertificateChain(chainPem);
    const { leaf } = parsed;
    const id = newCertificateId();
    const sans = sanList(leaf);
    const record: CertificateRecord = {
      id, accountUin, projectId: 0, alias: '', certificateType: 'SVR', source: o.source, status: CertStatus.issued, statusMsg: null,
      domain: leaf.subjectCn || sans[0] || '', sans, certPem: chainPem, privateKeySealed: null, keyPasswordSealed: null,
      fingerprintSha1: leaf.sha1, fingerprintSha256: leaf.sha256, serialHex: leaf.serialHex, issuerCn: leaf.issuerCn,
      encryptAlgorithm: leaf.encryptAlgorithm, isSm: leaf.isSm, isWildcard: sans.some((n) => n.startsWith('*.')), isDv: true,
      notBefore: leaf.notBefore, notAfter: leaf.notAfter, certificateUse: '', packageType: null, productZhName: o.productName,
      verifyType: o.verifyType, validityPeriod: months(leaf.notBefore, leaf.notAfter), caInfo: null, createdAt: now, updatedAt: now,
      tags: [], dvDeadline: null, validatedAt: now, originCertId: null, renewOrderId: null, replacedBy: null, replacedFor: null,
      encryptCertPem: null, encryptKeySealed: null, chainRootPem: selfSignedTop(parsed) ?? '', chainFacts: chainFactsOf(chainPem, null, parsed),
    };
    await this.store.insertCertificate(record, { accountUin, userUin: '--', certId: id, type: 'issued', createdAt: now, action: o.logAction(id) });
    return record;
  }

  async get(caller: Caller, id: string): Promise<CertificateRecord> {
    const c = await this.store.getCertificate(caller.accountUin, id);
    if (!c) throw certificateNotFound(id);
    return c;
  }

  /** The certificate and its hosting status (null when not hosted), in one read (DescribeCertificateDetail). */
  async getDetail(caller: Caller, id: string): Promise<{ certificate: CertificateRecord; hostingStatus: number | null }> {
    const d = await this.store.getCertificateDetail(caller.accountUin, id);
    if (!d) throw certificateNotFound(id);
    return d;
  }

  /** Any account's certificates with this serial (lowercase hex): ACME renewal information. */
  findBySerial(serialHex: string): Promise<CertificateRecord[]> {
    return this.store.findBySerial(serialHex);
  }

  /** Any account's certificate by id: for operators (CLI, /admin) and background work only. */
  findAnywhere(id: string): Promise<CertificateRecord | null> {
    return this.store.getCertificateById(id);
  }

  /** The caller's certificates, whatever account `q` names. */
  list(q: Omit<CertificateQuery, 'accountUin'> & { accountUin?: string }, caller: Caller) {
    // A query naming the caller's account already goes as it is: a spread of DescribeCertificates'
    // query (its members added case by case) cost ~3 µs a request (issue 27).
    return this.store.listCertificates(q.accountUin === caller.accountUin ? q as CertificateQuery : { ...q, accountUin: caller.accountUin });
  }

  /** Equal tokens at two moments mean nothing was committed in between (store.changeToken). */
  changeToken(): Promise<string> {
    return this.store.changeToken();
  }

  /** The stored private key in PEM, for its owner only. */
  privateKeyPem(c: CertificateRecord): string | null {
    return c.privateKeySealed ? this.sealer.openString(c.privateKeySealed, aad.certKey(c.id)) : null;
  }

  async modifyAlias(caller: Caller, id: string, alias: string): Promise<void> {
    const now = this.clock();
    if (!(await this.store.updateAlias(caller.accountUin, id, alias, now, logEntry(caller, 'updateAlias', id, now, ` to [${alias}]`)))) {
      throw certificateNotFound(id);
    }
  }

  async modifyProject(caller: Caller, ids: string[], projectId: number): Promise<{ success: string[]; fail: string[] }> {
    const now = this.clock();
    await this.project(caller.accountUin, projectId);
    const unique = [...new Set(ids)];
    const moved = await this.store.updateProject(caller.accountUin, unique, projectId, now,
      (id) => logEntry(caller, 'changeProject', id, now, ` to project [${projectId}]`));
    return { success: moved, fail: unique.filter((id) => !moved.includes(id)) };
  }

  /** SM2 double certificates: the encryption key, for its owner only. */
  encryptKeyPem(c: CertificateRecord): string | null {
    return c.encryptKeySealed ? this.sealer.openString(c.encryptKeySealed, aad.encryptKey(c.id)) : null;
  }

  issuerRoot(c: CertificateRecord): string | null {
    return c.source === 'upload' ? null : this.links.rootOf(c);
  }

  /**
   * What DescribeCertificateDetail shows beyond the record: RootCert.Standard (the issuing CA's
   * root, else the top of the stored chain when self-signed) and the encryption certificate's
   * fingerprint. Both are kept when the chain is stored; for a certificate stored without them,
   * they are found once, on a worker, and kept (issue 27: reads never parse).
   */
  async detailFacts(c: CertificateRecord): Promise<{ standardRoot: string | null; encryptFingerprint: string | null }> {
    let encryptFingerprint: string | null = null;
    if (c.encryptCertPem) {
      let facts = c.chainFacts ?? null;
      if (!facts && this.#withinLimits(c)) {
        facts = await this.cpu.run('chainFacts', { certPem: c.certPem, encryptCertPem: c.encryptCertPem }, c.accountUin).catch(() => null);
        if (facts) await this.store.recordChainFacts(c.id, c.certPem, facts);
      }
      encryptFingerprint = facts?.encryptSha1 ?? null;
    }
    return { standardRoot: this.issuerRoot(c) ?? (await this.#chainRoot(c)), encryptFingerprint };
  }

  /** A stored chain within the upload limits (one stored before them may not be). */
  #withinLimits(c: CertificateRecord): boolean {
    return c.certPem.length <= UPLOAD_LIMITS.certificatePem && countCertificateBlocks(c.certPem) <= UPLOAD_LIMITS.chainCertificates;
  }

  async #chainRoot(c: CertificateRecord): Promise<string | null> {
    if (!c.certPem) return null;
    if (c.chainRootPem != null) return c.chainRootPem || null;
    // Stored before the limits (pki/limits.ts) and beyond them: not read at all.
    if (!this.#withinLimits(c)) return null;
    const root = await this.cpu.run('chainRoot', c.certPem, c.accountUin).catch(() => '');
    await this.store.recordChainRoot(c.id, root);
    return root || null;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const now = this.clock();
    const c = await this.get(caller, id);
    // The spec: a free certificate cannot be deleted in the first hour after it was applied
    // for, unless its order failed or was cancelled.
    if (c.isDv && c.source !== 'upload' && c.status !== CertStatus.failed && c.status !== CertStatus.cancelled && now - c.createdAt < HOUR) {
      throw new ServiceError('FailedOperation.CannotBeDeletedWithinHour',
        `Free certificates cannot be deleted within 1 hour after being applied for: ${id} can be deleted from ${new Date(c.createdAt + HOUR).toISOString()}, or cancel its order first.`);
    }
    const jobs = await this.links.jobsOnDelete(c);
    if (!(await this.store.deleteCertificate(caller.accountUin, id, logEntry(caller, 'delete', id, now), jobs))) {
      throw certificateNotFound(id);
    }
  }

  /**
   * DescribeDownloadCertificateUrl: a link anyone holding it can use for an hour, signed with
   * a key derived from the master key, to one server type's files.
   */
  async downloadUrl(caller: Caller, id: string, type: DownloadServiceType, ttlMs = 3_600_000): Promise<{ url: string; filename: string }> {
    const c = await this.get(caller, id);
    const status = effectiveStatus(c, this.clock());
    if (!isIssued(status)) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${id} cannot be downloaded in status ${status}; only issued certificates can.`);
    }
    const expires = Math.floor((Date.now() + ttlMs) / 1000);
    const sig = this.sealer.mac(`${caller.accountUin}|${id}|${type}|${expires}`);
    const q = new URLSearchParams({ a: caller.accountUin, type, expires: String(expires), sig });
    return { url: `${this.links.publicUrl}/download/${encodeURIComponent(id)}?${q}`, filename: `${fileDomain(c.domain || id)}_${type}.zip` };
  }

  /** A signed link's ZIP, or null when the link is forged, altered or expired. */
  async downloadBySignedUrl(id: string, q: { a?: string; type?: string; expires?: string; sig?: string }): Promise<{ zip: Buffer; filename: string } | null> {
    const type = q.type as DownloadServiceType;
    if (!q.a || !q.sig || !q.expires || !DOWNLOAD_SERVICE_TYPES.includes(type) || !/^\d+$/.test(q.expires)) return null;
    if (Number(q.expires) * 1000 < Date.now()) return null;
    if (!this.sealer.verifyMac(`${q.a}|${id}|${type}|${q.expires}`, q.sig)) return null;
    const caller = { accountUin: q.a, userUin: '--' };
    const bundle = await this.download(caller, id, type);
    const c = await this.get(caller, id);
    return { zip: bundle.zip, filename: `${fileDomain(c.domain || id)}_${type}.zip` };
  }

  /** The download ZIP (both Tencent layouts) for an issued certificate; logged. */
  async download(caller: Caller, id: string, only?: DownloadServiceType): Promise<DownloadBundle> {
    const c = await this.get(caller, id);
    const now = this.clock();
    const status = effectiveStatus(c, now);
    if (!isIssued(status)) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode',
        `The certificate ${id} cannot be downloaded in status ${status}; only issued certificates can.`);
    }
    if (!this.#withinLimits(c)) {
      throw new ServiceError('FailedOperation.CertificateInvalid',
        `The certificate ${id} was stored with ${countCertificateBlocks(c.certPem)} certificates in its chain (${c.certPem.length} characters); downloads take at most ${UPLOAD_LIMITS.chainCertificates} (${UPLOAD_LIMITS.certificatePem} characters). Upload it again with a shorter chain.`);
    }
    const issuerRootPem = this.issuerRoot(c);
    const digest = downloadDigest(c, issuerRootPem);
    if (only) {
      // A one-type archive (a signed link) is built each time and not kept.
      const bundle = await this.#build(caller, c, issuerRootPem, await this.store.getDownload(c.id), now, only);
      await this.store.appendLog(logEntry(caller, 'download', id, now));
      return bundle;
    }
    // An archive of this certificate being kept (below) is read once it is.
    await this.#keeping.get(c.id);
    const kept = await this.store.getDownload(c.id);
    // The whole archive, once built, is kept sealed and served while its inputs are unchanged:
    // the same bytes every time (the keystore password is fixed per certificate).
    if (kept && kept.digest === digest) {
      let bundle: DownloadBundle | null = null;
      try {
        bundle = {
          zip: this.sealer.open(kept.zipSealed, aad.downloadZip(c.id)),
          password: kept.passwordSealed ? this.sealer.openString(kept.passwordSealed, aad.downloadPassword(c.id)) : null,
          files: kept.files,
        };
      } catch {
        bundle = null; // sealed under a key this node no longer holds: built again below
      }
      if (bundle) {
        await this.store.appendLog(logEntry(caller, 'download', id, now));
        return bundle;
      }
    }
    // Downloads that find the archive being built wait for that build (single-flight on this
    // node; another node may build it too, and the one kept last serves from then on).
    const key = `${c.id}\n${digest}`;
    const building = this.#building.get(key);
    if (building) {
      const bundle = await building;
      await this.store.appendLog(logEntry(caller, 'download', id, now));
      return bundle;
    }
    const flight = this.#build(caller, c, issuerRootPem, kept, now);
    this.#building.set(key, flight);
    let bundle: DownloadBundle;
    try {
      bundle = await flight;
    } finally {
      this.#building.delete(key);
    }
    // Kept after the answer is sent (a write of the ~70 KB sealed archive, a synchronous commit
    // on SQLite): the log entry, like every download's, is written before answering. Until it
    // is kept, this certificate's downloads on this node wait for it (the same password for
    // all). A failed write is not an error of this download: the next one builds again.
    const keeping = new Promise((ok) => setImmediate(ok))
      .then(() => this.store.putDownload({
        certId: c.id, digest, builtAt: now, files: bundle.files,
        zipSealed: this.sealer.seal(bundle.zip, aad.downloadZip(c.id)),
        // Only a generated password is kept; a user's own is the certificate's already.
        passwordSealed: !c.keyPasswordSealed && bundle.password !== null ? this.sealer.seal(bundle.password, aad.downloadPassword(c.id)) : null,
      }))
      .catch(() => {})
      .finally(() => { if (this.#keeping.get(c.id) === keeping) this.#keeping.delete(c.id); });
    this.#keeping.set(c.id, keeping);
    await this.store.appendLog(logEntry(caller, 'download', id, now));
    return bundle;
  }

  /** Full archives being built, by certificate and inputs (download's single-flight). */
  readonly #building = new Map<string, Promise<DownloadBundle>>();
  /** Archives being kept after their download was answered, by certificate. */
  readonly #keeping = new Map<string, Promise<void>>();

  /** Resolves once every archive built so far is kept (tests; a node before it closes its database). */
  async settled(): Promise<void> {
    while (this.#keeping.size) await Promise.all(this.#keeping.values());
  }

  /** Packages the archive (PFX, JKS, ZIP) on a worker, from the chain's kept facts: the costliest read there is. */
  async #build(caller: Caller, c: CertificateRecord, issuerRootPem: string | null, kept: KeptDownload | null, now: number, only?: DownloadServiceType): Promise<DownloadBundle> {
    const own = c.keyPasswordSealed ? this.sealer.openString(c.keyPasswordSealed, aad.keyPassword(c.id)) : null;
    // A generated keystore password stays the certificate's: an archive built again (its chain
    // or key changed, a one-type link) keeps the password its users already have. A new one is
    // made up on the worker, whose key derivations for it are done ahead of time (pki/pfx.ts).
    let generated: string | null = null;
    if (!own && kept?.passwordSealed) {
      try { generated = this.sealer.openString(kept.passwordSealed, aad.downloadPassword(c.id)); } catch { generated = null; }
    }
    const built = await this.cpu.run('downloadZip', {
      certPem: c.certPem,
      issuerRootPem,
      domain: c.domain,
      fallbackName: c.id,
      keyPem: c.certificateType === 'SVR' ? this.privateKeyPem(c) : null,
      csrPem: null,
      password: own ?? generated,
      encryptCertPem: c.encryptCertPem,
      encryptKeyPem: c.certificateType === 'SVR' ? this.encryptKeyPem(c) : null,
      facts: c.chainFacts ?? null,
      mtime: now,
      ...(only ? { only } : {}),
    }, caller.accountUin);
    // A chain stored before its facts were kept: kept now (the first read parsed it).
    if (!c.chainFacts) await this.store.recordChainFacts(c.id, c.certPem, built.facts);
    return { zip: built.zip, password: built.password, files: built.files };
  }

  logs(caller: Caller, from: number, to: number, offset: number, limit: number) {
    return this.store.listLogs(caller.accountUin, from, to, offset, limit);
  }
}

/** What a download is built from: a kept archive is served only while this is unchanged. */
const DOWNLOAD_FORMAT = 'certport download v1';
function downloadDigest(c: CertificateRecord, issuerRootPem: string | null): string {
  return createHash('sha256').update(JSON.stringify([DOWNLOAD_FORMAT, c.certificateType, c.domain, c.certPem, c.privateKeySealed, c.keyPasswordSealed,
    c.encryptCertPem, c.encryptKeySealed, issuerRootPem])).digest('hex');
}

function sanList(leaf: CertificateFacts): string[] {
  const names = [...leaf.dnsNames, ...leaf.ipAddresses];
  if (names.length === 0 && leaf.subjectCn) names.push(leaf.subjectCn.toLowerCase());
  return [...new Set(names)];
}

/** A certificate carries each tag key once; the last value given wins. */
function dedupeTags(tags: Tag[]): Tag[] {
  const m = new Map<string, string>();
  for (const t of tags) m.set(t.key, t.value);
  return [...m].map(([key, value]) => ({ key, value }));
}

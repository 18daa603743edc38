// The storage ports: what the services (and the CA's setup, the job runner, the notices) need
import type { AccountRecord, ApiKeyRecord, ProjectRecord, UserRecord } from './account.js';
import type { CertificateQuery, CertificateRecord, CertificateTransition, OperationLogRecord } from './certificate.js';
import type { CsrQuery, CsrRecord, CsrSummary } from './csr.js';
import type { DvOrderRecord } from './dv-order.js';
import type { JobRecord, NewJob } from './job.js';
import type { PaidOrderRecord } from './paid-order.js';

// from storage, per aggregate, in the domain's terms. store/ implements them on SQLite and
// PostgreSQL; row types never leave store/.
/** The certificate being reissued was reissued already (or is no longer issued). */
export class ReplaceConflict extends Error {
  constructor(readonly certId: string) {
    super(`certificate ${certId} has already been replaced`);
  }
}

/** The certificate named by OldCertificateId already has a renewal order. */
export class RenewalConflict extends Error {
  constructor(readonly certId: string) {
    super(`certificate ${certId} already has a renewal order`);
  }
}

export interface AccountStore {
  createAccount(a: AccountRecord): Promise<void>;
  getAccount(uin: string): Promise<AccountRecord | null>;
  listAccounts(): Promise<AccountRecord[]>;
  createUser(u: UserRecord): Promise<void>;
  getUser(uin: string): Promise<UserRecord | null>;
  listUsers(accountUin: string): Promise<UserRecord[]>;
  createKey(k: ApiKeyRecord): Promise<void>;
  findKey(secretId: string): Promise<ApiKeyRecord | null>;
  listKeys(accountUin: string): Promise<ApiKeyRecord[]>;
  setKeyStatus(secretId: string, status: 'active' | 'disabled'): Promise<boolean>;
  deleteKey(secretId: string): Promise<boolean>;
}

export interface ProjectStore {
  getProject(accountUin: string, projectId: number): Promise<ProjectRecord | null>;
  getProjects(accountUin: string, projectIds: number[]): Promise<ProjectRecord[]>;
  ensureProject(p: ProjectRecord): Promise<ProjectRecord>;
  listProjects(accountUin: string): Promise<ProjectRecord[]>;
}

export interface CertificateStore {
  insertCertificate(c: CertificateRecord, log: OperationLogRecord): Promise<void>;
  getCertificate(accountUin: string, id: string): Promise<CertificateRecord | null>;
  /** By id alone, for operators and background work that start from an id (hosting). */
  getCertificateById(id: string): Promise<CertificateRecord | null>;
  /** Links a renewal made apart from ApplyCertificate (a hosted paid order); RenewalConflict if one is linked already. */
  linkRenewal(certId: string, renewCertId: string, now: number): Promise<void>;
  /** Clears `certId`'s renewal link, only if it still names `renewCertId`. */
  releaseRenewal(certId: string, renewCertId: string, now: number): Promise<void>;
  findByFingerprint(accountUin: string, sha1: string, type: string): Promise<CertificateRecord | null>;
  listCertificates(q: CertificateQuery): Promise<{ total: number; items: CertificateRecord[] }>;
  /** Equal tokens, read at two moments, mean nothing was committed in between (SqlStore.changeToken). */
  changeToken(): Promise<string>;
  updateAlias(accountUin: string, id: string, alias: string, now: number, log: OperationLogRecord): Promise<boolean>;
  /** Moves the certificates that exist; returns the ids that moved. */
  updateProject(accountUin: string, ids: string[], projectId: number, now: number, log: (id: string) => OperationLogRecord): Promise<string[]>;
  /** Deletes the certificate (and its order); `jobs` are enqueued in the same transaction. */
  deleteCertificate(accountUin: string, id: string, log: OperationLogRecord, jobs?: NewJob[]): Promise<boolean>;
}


export interface DvOrderStore {
  /** The certificate, its order, the apply log entry and the first validation job, at once. */
  insertDvOrder(c: CertificateRecord, order: DvOrderRecord, log: OperationLogRecord, job: NewJob, renewing?: string, replacing?: string): Promise<void>;
  /** A reissue ended: the original returns to issued (1); on failure it may be reissued again. */
  settleReplacement(originalId: string, reissued: boolean, now: number): Promise<void>;
  getDvOrder(certId: string): Promise<DvOrderRecord | null>;
  getDvOrders(certIds: string[]): Promise<Map<string, DvOrderRecord>>;
  recordDvCheck(certId: string, at: number, detail: string, recordState?: DvOrderRecord['recordState']): Promise<void>;
  /** A new ACME order (after the CA forgot the old one): new auths, the record to be written again. */
  replaceAcmeOrder(certId: string, orderUrl: string | null, auths: DvOrderRecord['auths'], recordState: DvOrderRecord['recordState']): Promise<void>;
  /** Applies `t` only while the status is one of t.fromStatuses; false if it was not. */
  transitionCertificate(id: string, t: CertificateTransition, log?: OperationLogRecord, jobs?: NewJob[]): Promise<boolean>;
  /** Free (DV) certificates the account holds that count against its quotas. */
  countFreeCertificates(accountUin: string, now: number, mainDomain?: string): Promise<number>;
}

export interface JobStore {
  /** Creates the job, or makes an existing one (kind, subject) pending again at runAt. */
  enqueueJob(j: NewJob, now: number): Promise<void>;
  /**
   * A periodic job (one per kind and subject for the whole cluster): created if missing, made
   * pending again if it ended; left alone while it is pending, so nodes starting do not reset it.
   */
  ensureJob(j: NewJob, now: number): Promise<void>;
  /** Pending jobs due at `now` whose lease is free. */
  dueJobs(now: number, limit: number): Promise<JobRecord[]>;
  /** Takes the lease; false if another node holds it. */
  claimJob(kind: string, subject: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /** Releases the lease: done, failed, or pending again at runAt. Only the lease holder can. */
  settleJob(kind: string, subject: string, owner: string, now: number,
    outcome: { state: 'done' | 'failed' } | { state: 'pending'; runAt: number; error?: string }): Promise<boolean>;
  getJob(kind: string, subject: string): Promise<JobRecord | null>;
}

export interface AcmeAccountStore {
  getAcmeAccount(directoryUrl: string): Promise<{ keySealed: string } | null>;
  /** Stores the key unless another node already did; returns what is stored. */
  putAcmeAccountOnce(directoryUrl: string, keySealed: string, now: number): Promise<{ keySealed: string }>;
}

export interface PaidOrderStore {
  insertPaidOrders(items: { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord }[]): Promise<void>;
  getPaidOrder(certId: string): Promise<PaidOrderRecord | null>;
  /** Writes what was submitted while the order is still 5 (pending submission); false otherwise. */
  submitPaidOrder(certId: string, cert: { domain: string; sans: string[]; isWildcard: boolean; privateKeySealed: string | null; keyPasswordSealed: string | null },
    submitted: Record<string, unknown>, csrPem: string | null, log: OperationLogRecord): Promise<boolean>;
  updatePaidOrder(certId: string, patch: Partial<Pick<PaidOrderRecord, 'letterSealed' | 'letterType' | 'reviewNote' | 'reviewedBy' | 'reviewedAt' | 'submitted'>>): Promise<void>;
  listPaidOrders(q: { accountUin?: string; statuses?: number[]; limit: number }): Promise<{ cert: CertificateRecord; order: PaidOrderRecord }[]>;
  countPaidOrders(accountUin: string): Promise<number>;
  /** Approval: the certificate (status 0) gets its DV order and first validation job. */
  startDvValidation(order: DvOrderRecord, dvDeadline: number, log: OperationLogRecord, job: NewJob): Promise<boolean>;
}

export interface CaStore {
  getCaMaterial(name: string): Promise<{ rootPem: string; materialSealed: string; createdAt: number } | null>;
  /** Stores the CA unless another node already did; returns what is stored. */
  putCaMaterialOnce(name: string, rootPem: string, materialSealed: string, now: number): Promise<{ rootPem: string; materialSealed: string }>;
}

export interface OperationLogStore {
  appendLog(l: OperationLogRecord): Promise<void>;
  listLogs(accountUin: string, from: number, to: number, offset: number, limit: number): Promise<{ total: number; items: OperationLogRecord[] }>;
}

export interface CsrStore {
  /** False when the id is already taken (ids are random); nothing is written then. */
  insertCsr(r: CsrRecord): Promise<boolean>;
  getCsr(accountUin: string, id: number): Promise<CsrRecord | null>;
  /** Newest first. */
  listCsrs(q: CsrQuery): Promise<{ total: number; items: CsrSummary[] }>;
  /**
   * Writes `r` over the stored record only while it is still a draft at `expectedRevision`;
   * the stored revision becomes expectedRevision + 1. False if it was not.
   */
  updateDraft(r: CsrRecord, expectedRevision: number): Promise<boolean>;
  /** Deletes those of `ids` the account owns; returns them in the order given. */
  deleteCsrs(accountUin: string, ids: number[]): Promise<number[]>;
}

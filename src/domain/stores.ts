// The storage ports: what the services (and the CA's setup, the job runner, the notices) need
// from storage, per aggregate, in the domain's terms. store/ implements them on SQLite and
// PostgreSQL (row types never leave store/), testing/fakes/ in memory for unit tests.
import type { AccountRecord, ApiKeyRecord, ProjectRecord, UserRecord } from './account.js';
import type { ChainFacts, CertificateQuery, CertificateRecord, CertificateTransition, OperationLogRecord, Tag } from './certificate.js';
import type { CsrQuery, CsrRecord, CsrSummary } from './csr.js';
import type { BindTask, BoundResource, DeleteTask, DeployDetail, DeployRecord, NewDetail, RecordFamily, RecordQuery, ResourceRecord } from './deployment.js';
import type { DvOrderRecord } from './dv-order.js';
import type { HostingConfigInput, HostingRecord, HostingState } from './hosting.js';
import type { JobRecord, NewJob } from './job.js';
import type { MetricsSnapshot } from './metrics.js';
import type { Channel, ChannelState, ChannelsRecord, ExpiryCandidate, NewNotice, NoticeRecord, NoticeState } from './notice.js';
import type { Company, Manager, ManagerStatus } from './organization.js';
import type { PackageQuery, PackageRecord } from './package.js';
import type { PaidOrderRecord } from './paid-order.js';
import type { CrlIssuer, RevocationRecord, RevokedSerial } from './revocation.js';

/** What DescribeCertificates shows of a listed certificate besides its record, read with its page. */
export interface ListedSides {
  /** The account's resources that may serve its fingerprint (the caller checks which do), oldest first. */
  resources: ResourceRecord[];
  ignoredExpiry: boolean;
  hosting: HostingRecord | null;
  project: ProjectRecord | null;
  /** Its DV order while a DV certificate awaits issue (else null), and its revocation when revoked. */
  order: DvOrderRecord | null;
  revocation: RevocationRecord | null;
}

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
  /** 'active' or 'disabled'; false when there is no such account. */
  setAccountStatus(uin: string, status: 'active' | 'disabled'): Promise<boolean>;
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
  /** The certificate with its hosting status (null: not hosted), in one read: DescribeCertificateDetail. */
  getCertificateDetail(accountUin: string, id: string): Promise<{ certificate: CertificateRecord; hostingStatus: number | null } | null>;
  /** By id alone, for operators and background work that start from an id (hosting). */
  getCertificateById(id: string): Promise<CertificateRecord | null>;
  /** Links a renewal made apart from ApplyCertificate (a hosted paid order); RenewalConflict if one is linked already. */
  linkRenewal(certId: string, renewCertId: string, now: number): Promise<void>;
  /** Clears `certId`'s renewal link, only if it still names `renewCertId`. */
  releaseRenewal(certId: string, renewCertId: string, now: number): Promise<void>;
  findByFingerprint(accountUin: string, sha1: string, type: string): Promise<CertificateRecord | null>;
  /** Every account's certificates with this serial (lowercase hex), for ACME renewal information. */
  findBySerial(serialHex: string): Promise<CertificateRecord[]>;
  /** With `q.sides`, a store may also answer each item's side facts (`sides[i]` for `items[i]`); callers read them apart when absent. */
  listCertificates(q: CertificateQuery): Promise<{ total: number; items: CertificateRecord[]; sides?: ListedSides[] }>;
  /** Equal tokens, read at two moments, mean nothing was committed in between anywhere in the database. */
  changeToken(): Promise<string>;
  updateAlias(accountUin: string, id: string, alias: string, now: number, log: OperationLogRecord): Promise<boolean>;
  /** Moves the certificates that exist; returns the ids that moved. */
  updateProject(accountUin: string, ids: string[], projectId: number, now: number, log: (id: string) => OperationLogRecord): Promise<string[]>;
  /** Deletes the certificate (and its order); `jobs` are enqueued in the same transaction. */
  deleteCertificate(accountUin: string, id: string, log: OperationLogRecord, jobs?: NewJob[]): Promise<boolean>;
  /** Keeps a fact derived from the stored chain (CertificateRecord.chainRootPem); not an operation, so not logged. */
  recordChainRoot(id: string, rootPem: string): Promise<void>;
  /** Keeps the chain's facts found on first read (CertificateRecord.chainFacts), only while the chain is still `certPem`. */
  recordChainFacts(id: string, certPem: string, facts: ChainFacts): Promise<void>;
  /** The certificate's kept DownloadCertificate archive, or null. */
  getDownload(id: string): Promise<KeptDownload | null>;
  /** Keeps (or replaces) the certificate's archive, only while the certificate exists; with a log entry when given (one commit). */
  putDownload(d: KeptDownload, log?: OperationLogRecord | null): Promise<void>;
}

/** A DownloadCertificate archive once built, sealed (CertificateService.download). */
export interface KeptDownload {
  certId: string;
  /** What it was built from (a hash): served only while the certificate's inputs hash the same. */
  digest: string;
  passwordSealed: string | null;
  zipSealed: string;
  files: string[];
  builtAt: number;
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
  /**
   * Releases the lease: done, failed, or pending again at runAt. Only the lease holder can. A job
   * enqueued again while it ran stays pending at that enqueue's runAt, whatever the outcome.
   */
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

/** Packages (domain/package.ts) and the paid orders made from them. */
export interface PackageStore {
  insertPackage(p: PackageRecord): Promise<void>;
  getPackage(id: string): Promise<PackageRecord | null>;
  listPackages(q: PackageQuery): Promise<{ items: PackageRecord[]; total: number; totalBalance: number }>;
  /** Withdraws a package (balance to 0); false if it was already withdrawn or does not exist. */
  revokePackage(id: string, now: number): Promise<boolean>;
  /**
   * Takes `units` from the account's `packageIds` (in that order, each while it is neither
   * expired nor withdrawn) and inserts the orders, in one transaction; each package's balance
   * is taken by one conditional UPDATE, so it never goes below 0. `renewal`: the certificate
   * the first order renews, linked in the same transaction. Answers 'insufficient' (nothing
   * taken or inserted) when the packages do not hold enough, 'renewed' when the certificate
   * already has a renewal order.
   */
  spendPackages(accountUin: string, packageIds: string[], units: number, now: number,
    items: { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord }[], renewal: string | null): Promise<'ok' | 'insufficient' | 'renewed'>;
  /** Returns what `certId`'s order took (an order that could not be completed). */
  refundPackages(certId: string, now: number): Promise<void>;
}

/**
 * How a CA's keys are kept: 'master', sealed under the master key (databases before
 * 0019_ca_custody, re-sealed at start); 'ca-key', sealed under the CA key; 'pkcs11', in a
 * PKCS#11 token (the row holds the certificates and the token objects' ids, no key).
 */
export type CaCustody = 'master' | 'ca-key' | 'pkcs11';

export interface StoredCa { rootPem: string; materialSealed: string; custody: CaCustody; createdAt: number }

export interface CaStore {
  getCaMaterial(name: string): Promise<StoredCa | null>;
  /** Stores the CA unless another node already did; returns what is stored. */
  putCaMaterialOnce(name: string, rootPem: string, materialSealed: string, custody: CaCustody, now: number): Promise<StoredCa>;
  /** Replaces the stored material unless another node changed it meanwhile (false then). */
  replaceCaMaterial(name: string, from: string, to: string, custody: CaCustody): Promise<boolean>;
  /** The names of the CAs whose keys are kept `custody`. */
  listCaNames(custody: CaCustody): Promise<string[]>;
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

/** The account's resources (servers and services certificates are deployed to) and what each serves. */
export interface ResourceStore {
  accountExists(uin: string): Promise<boolean>;
  insertResource(r: ResourceRecord): Promise<void>;
  /** Writes the settings an operator may change (name, region, domains, probe, deployer). */
  updateResourceSettings(r: ResourceRecord): Promise<void>;
  /** By id; scoped to the account when one is given. */
  getResource(id: string, accountUin?: string): Promise<ResourceRecord | null>;
  getResources(accountUin: string, ids: string[]): Promise<ResourceRecord[]>;
  /** Oldest first; `types` empty matches none. */
  listResources(q?: { accountUin?: string; types?: string[] }): Promise<ResourceRecord[]>;
  deleteResource(id: string): Promise<boolean>;
  setProbe(id: string, sha256: string | null, error: string | null, at: number): Promise<void>;
  /** Resources whose last deployment or last probe shows one of these fingerprints. */
  resourcesServing(accountUin: string, certIds: string[], sha256s: string[]): Promise<ResourceRecord[]>;
}

/** Deployment records and their details (one per resource). */
export interface DeployRecordStore {
  /** The record, its details, log entries (#RECORD# becomes its id) and its job, at once; returns the record id. */
  createRecord(r: Omit<DeployRecord, 'id'>, details: NewDetail[], logs: OperationLogRecord[], job: ((id: number) => NewJob) | null): Promise<number>;
  getRecord(id: number, accountUin?: string): Promise<DeployRecord | null>;
  /** A pending or running update record of this family, if any. */
  activeRecord(accountUin: string, family: RecordFamily, by: { oldCertId: string } | { certId: string }): Promise<DeployRecord | null>;
  /** Rollback records made from this record, oldest first. */
  rollbacksOf(recordId: number): Promise<DeployRecord[]>;
  /** Newest first. */
  listRecords(q: RecordQuery): Promise<{ total: number; items: DeployRecord[] }>;
  setRecordStatus(id: number, status: number, now: number, logs?: OperationLogRecord[]): Promise<void>;

  listDetails(recordId: number, opts?: { offset?: number; limit?: number; statuses?: number[] }): Promise<DeployDetail[]>;
  getDetail(id: number, accountUin: string): Promise<DeployDetail | null>;
  /** The record's details counted by status. */
  countDetails(recordId: number): Promise<Map<number, number>>;
  /** Details that still need work (pending, or running when a node died), due at `now`. */
  dueDetails(recordId: number, now: number, limit: number): Promise<DeployDetail[]>;
  /** When the next detail still to do is due; null when none is. */
  nextDue(recordId: number): Promise<number | null>;
  startDetail(id: number, now: number): Promise<void>;
  /** Pending again at `nextAt` (a transient failure). */
  deferDetail(id: number, nextAt: number, error: string, now: number): Promise<void>;
  /** A final outcome; on success the resource now carries the detail's certificate. */
  finishDetail(d: DeployDetail, status: number, error: string | null, now: number, installed: { sha256: string } | null, log: OperationLogRecord | null): Promise<void>;
  /**
   * Makes failed details (all of the record's, or the one) pending again and the record
   * running, with its job; returns how many were reset. Throws if the record is running.
   */
  resetFailed(recordId: number, detailId: number | null, failed: number[], now: number, job: NewJob, log: OperationLogRecord): Promise<number>;
  /** Resources with details of any record still pending or running. */
  busyResources(resourceIds: string[]): Promise<Set<string>>;
}

/** Bind-resource tasks (CreateCertificateBindResourceSyncTask). */
export interface BindTaskStore {
  latestBindTask(accountUin: string, certId: string): Promise<BindTask | null>;
  /** By id alone (the job that runs it). */
  getBindTaskAny(id: string): Promise<BindTask | null>;
  latestFinishedBindTask(accountUin: string, certId: string): Promise<BindTask | null>;
  getBindTask(id: string, accountUin: string): Promise<BindTask | null>;
  /** The task and its job, at once. */
  insertBindTask(t: BindTask, job: NewJob): Promise<void>;
  finishBindTask(id: string, status: number, result: BoundResource[] | null, error: string | null, now: number): Promise<void>;
}

/** The expiry-notice switch per certificate (ModifyCertificatesExpiringNotificationSwitch). */
export interface ExpirySwitchStore {
  setIgnoreExpiry(accountUin: string, certIds: string[], ignore: boolean, now: number): Promise<void>;
  /** Those of `certIds` whose expiry notices are switched off. */
  ignoredExpiry(accountUin: string, certIds: string[]): Promise<Set<string>>;
}

/** Bulk-delete tasks (DeleteCertificates with IsSync). */
export interface DeleteTaskStore {
  /** The tasks and their jobs, at once. */
  insertDeleteTasks(tasks: DeleteTask[], jobs: NewJob[]): Promise<void>;
  getDeleteTask(id: string): Promise<DeleteTask | null>;
  getDeleteTasks(accountUin: string, ids: string[]): Promise<DeleteTask[]>;
  finishDeleteTask(id: string, status: number, error: string | null, now: number): Promise<void>;
}

/**
 * Resources, deployment records and their details, bind-resource and bulk-delete tasks, the
 * expiry-notice switch: one store (they share tables and transactions), whose parts each
 * service takes as it needs them.
 */
export interface DeployStore extends ResourceStore, DeployRecordStore, BindTaskStore, ExpirySwitchStore, DeleteTaskStore {}

/** Per-certificate hosting (automatic renewal and replacement). */
export interface HostingStore {
  get(certId: string): Promise<HostingRecord | null>;
  getMany(accountUin: string, certIds: string[]): Promise<Map<string, HostingRecord>>;
  /** Oldest first; every account's without one. */
  list(accountUin?: string): Promise<HostingRecord[]>;
  /** Hosting on (or its settings changed): the state of a hosting under way is kept. */
  put(certId: string, accountUin: string, cfg: HostingConfigInput, now: number): Promise<void>;
  update(certId: string, set: HostingState, now: number): Promise<void>;
  remove(certId: string): Promise<boolean>;
  /** The hosting whose renewal is `renewCertId`. */
  byRenewal(renewCertId: string): Promise<HostingRecord | null>;
}

/** Notices to certificate owners, the channels they go out on, and what the expiry sweep finds. */
export interface NoticeStore {
  /**
   * Records the notice and its delivery job at once; false (and nothing written) when a
   * notice with the same key exists, whichever node wrote it.
   */
  insertNotice(n: NewNotice, job: NewJob): Promise<boolean>;
  getNotice(id: string): Promise<NoticeRecord | null>;
  getNoticeByKey(key: string): Promise<NoticeRecord | null>;
  /** The account's notices, newest first (optionally one certificate's). */
  listNotices(q: { accountUin: string; certId?: string; limit: number }): Promise<NoticeRecord[]>;
  /** One channel's outcome, written as soon as it is known so a retry never sends it again. */
  setChannelState(id: string, channel: Channel, state: ChannelState, now: number): Promise<void>;
  /** After a delivery attempt: the count, the error (null when all went through), and the end state if it ended. */
  recordAttempt(id: string, now: number, error: string | null, end: { state: Exclude<NoticeState, 'pending'>; failChannels: boolean } | null): Promise<void>;
  getChannels(accountUin: string): Promise<ChannelsRecord | null>;
  putChannels(c: ChannelsRecord): Promise<void>;
  /**
   * Issued certificates of accounts with a channel, not expired at `now`, within the largest
   * of `days`, still lacking the notice for the nearest threshold crossed; not those switched
   * off, renewed by an issued certificate, or hosted (until hosting fails).
   */
  /** `everyAccount`: also accounts without a channel row (an operator's default channel hears for them). */
  expiryCandidates(now: number, days: number[], limit: number, everyAccount?: boolean): Promise<ExpiryCandidate[]>;
}

/** Organizations (companies) and their managers; every call is scoped to the account. */
export interface OrgStore {
  /** The account's company with this name and place, created if new (address and phone refreshed if not). */
  upsertCompany(c: Omit<Company, 'id'>): Promise<Company>;
  /** The company's manager with this email, created (status none) if new, details refreshed otherwise. */
  upsertManager(m: Omit<Manager, 'id' | 'status' | 'submitAuditAt' | 'verifyAt' | 'expireAt'>): Promise<Manager>;
  listCompanies(accountUin: string, q: { companyId?: number; offset: number; limit: number }): Promise<{ total: number; items: Company[] }>;
  getCompany(accountUin: string, id: number): Promise<Company | null>;
  listManagers(accountUin: string, q: { companyId: number; offset: number; limit: number; name?: string; mail?: string; status?: string; search?: string }): Promise<{ total: number; items: Manager[] }>;
  getManager(accountUin: string, id: number): Promise<Manager | null>;
  /** Changes the status only while it is one of `from`; false otherwise. */
  setManagerStatus(accountUin: string, id: number, from: ManagerStatus[], to: ManagerStatus, times?: { submitAuditAt?: number; verifyAt?: number; expireAt?: number }): Promise<boolean>;
  deleteManager(accountUin: string, id: number): Promise<boolean>;
}

/** Cluster-wide figures for /metrics. */
export interface MetricsStore {
  /** Everything /metrics shows from the database, as of `now` (epoch ms). */
  snapshot(now: number): Promise<MetricsSnapshot>;
}

/** A master key in the key ring: sealed under the key that was the sealing key before it. */
export interface MasterKeyEntry { kid: string; keySealed: string; sealedBy: string; createdAt: number }

/** The key ring: how a rotation hands its new key to every node without a restart. */
export interface MasterKeyStore {
  /** Oldest first; `purpose` 'master' (customer data) or 'ca' (the CA's keys): two rings. */
  listMasterKeys(purpose?: KeyRingPurpose): Promise<MasterKeyEntry[]>;
  addMasterKey(e: MasterKeyEntry, purpose?: KeyRingPurpose): Promise<void>;
  /** Forgets every entry of one ring (once the newest key is the configured one everywhere). */
  clearMasterKeys(purpose?: KeyRingPurpose): Promise<number>;
  /** A value sealed under the master key, kept to tell a wrong key at start. */
  getKeyCheck(purpose: KeyRingPurpose): Promise<string | null>;
  putKeyCheckOnce(purpose: KeyRingPurpose, sealed: string): Promise<void>;
}

export type KeyRingPurpose = 'master' | 'ca';

/** One sealed value, named by its column ('table.column') and its row's key, with what it is bound to. */
export interface SealedValue { column: string; key: string; sealed: string; aad: string }

/** Every value sealed under the master key, for a rotation to open and seal again. */
export interface SealedValueStore {
  /** The columns sealed under the master key ('master') or under the CA key ('ca'). */
  sealedColumns(purpose?: KeyRingPurpose): readonly string[];
  /** Up to `limit` sealed values of `column` whose row key follows `after`, in key order. */
  sealedValues(column: string, after: string | null, limit: number): Promise<SealedValue[]>;
  /** Replaces the value unless its row changed meanwhile (false then): one statement, one transaction. */
  replaceSealed(v: SealedValue, next: string): Promise<boolean>;
}

/** The HTTPS listener's own certificate from certport's CA (issue 23): one row per name, shared by every node. */
export interface TlsServingRecord {
  name: string;
  /** The leaf then its intermediates (PEM). */
  certPem: string;
  keySealed: string;
  serialHex: string;
  hostnames: string[];
  notBefore: number;
  notAfter: number;
  createdAt: number;
}

export interface TlsServingStore {
  getServing(name: string): Promise<TlsServingRecord | null>;
  /** The stored serial alone: what each node polls to see a renewal made elsewhere. */
  servingSerial(name: string): Promise<string | null>;
  /**
   * Stores `r` if the stored serial is still `expectedSerial` (null: no row yet); false when
   * another node (or `certport tls renew`) got there first.
   */
  replaceServing(r: TlsServingRecord, expectedSerial: string | null): Promise<boolean>;
}

/** A certificate's tags as the Tag API sees them (issue 23): the same rows DescribeCertificates reads. */
export interface TagStore {
  /** The tags of those of `ids` the account holds; ids it does not hold are absent from the map. */
  tagsOf(accountUin: string, ids: string[]): Promise<Map<string, Tag[]>>;
  /** Sets and removes keys on one certificate at once; false when the account holds no such certificate. */
  modifyTags(accountUin: string, id: string, set: Tag[], removeKeys: string[], now: number): Promise<boolean>;
  /** (certificate, key, value) rows of the account, by certificate then key; `id` narrows to one. */
  listTagRows(accountUin: string, id: string | null, offset: number, limit: number): Promise<{ total: number; rows: (Tag & { certId: string })[] }>;
  listTagKeys(accountUin: string, offset: number, limit: number): Promise<{ total: number; keys: string[] }>;
  listTagValues(accountUin: string, keys: string[], offset: number, limit: number): Promise<{ total: number; tags: Tag[] }>;
  /**
   * Certificates of the account, ids ascending after `afterId`, carrying every filter's key
   * (with one of its values when values are given); `ids` narrows to those; with
   * neither filters nor ids, every certificate carrying a tag.
   */
  findTagged(accountUin: string, filters: { key: string; values: string[] }[], ids: string[] | null, afterId: string, limit: number): Promise<string[]>;
}

/** A certificate's revocation moving on: the revocation's new fields and, at once, the certificate's status and a log entry. */
export interface RevocationStep {
  patch: Partial<Pick<RevocationRecord, 'state' | 'auths' | 'lastCheckDetail' | 'letterSealed' | 'letterType' | 'confirmedBy' | 'revokedAt'>>;
  /** The certificate's move, made only while its status is one of `from`; the step is refused (false) otherwise. */
  status?: { from: number[]; to: number };
  log?: OperationLogRecord;
  jobs?: NewJob[];
}

/** Revocations, blocked keys and each issuing CA's current CRL. */
export interface RevocationStore {
  /** The revocation and the certificate's move from `from` to `to`, at once; false (nothing written) if the status was not one of `from`. */
  startRevocation(r: RevocationRecord, status: { from: number[]; to: number }, log: OperationLogRecord, jobs?: NewJob[]): Promise<boolean>;
  getRevocation(certId: string): Promise<RevocationRecord | null>;
  getRevocations(certIds: string[]): Promise<Map<string, RevocationRecord>>;
  /** Applies the step only while the revocation is in one of `fromStates`; false otherwise. */
  stepRevocation(certId: string, fromStates: RevocationRecord['state'][], step: RevocationStep): Promise<boolean>;
  /** Revocations in a state, oldest first (operators' queue). */
  listRevocations(q: { states?: RevocationRecord['state'][]; accountUin?: string; limit: number }): Promise<RevocationRecord[]>;
  /** Every serial the CA has revoked (the CRL's entries), oldest first. */
  revokedSerials(issuer: CrlIssuer): Promise<RevokedSerial[]>;
  /** One serial's revocation (OCSP), if it is revoked. */
  revokedSerial(issuer: CrlIssuer, serialHex: string): Promise<RevokedSerial | null>;
  /** Whether a certificate with this serial was issued here by the embedded CAs (OCSP: good vs unknown). */
  serialIssued(serialHex: string): Promise<boolean>;
  /** Certificates (any account) whose leaf has this key, with what revoking them needs. */
  certificatesWithKey(spkiSha256: string): Promise<{ id: string; accountUin: string; status: number; source: string }[]>;
  blockKey(spkiSha256: string, certId: string, now: number): Promise<void>;
  isKeyBlocked(spkiSha256: string): Promise<boolean>;
  getCrl(issuer: CrlIssuer): Promise<{ crlNumber: number; thisUpdate: number; nextUpdate: number; der: Buffer } | null>;
  /** Stores a CRL numbered `crlNumber` unless one with that number or higher is stored (another node's); false then. */
  putCrl(issuer: CrlIssuer, crl: { crlNumber: number; thisUpdate: number; nextUpdate: number; der: Buffer }): Promise<boolean>;
}

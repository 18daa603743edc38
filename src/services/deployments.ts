// Deployment records: UpdateCertificateInstance (and the upload variant) and
// DeployCertificateInstance make a record with one detail per resource; retry and rollback;
// and the durable job that works a record.
//
// A record's job deploys its pending details a few at a time, retries transient failures
// with backoff, and settles the record when no detail is left to do. The job runs under the
// runner's lease (60 s), so one run starts new details for at most runBudgetMs and then hands
// over to the next run.
import { ServiceError, isForeseen } from '../domain/errors.js';
import { parseCertificateChain } from '../pki/certificate.js';
import { DeployConfigError, DeployError, type CertificateMaterial } from '../deploy/types.js';
import type { DeployDetail, DeployRecord, NewDetail, RecordFamily, ResourceRecord } from '../domain/deployment.js';
import type { DeployRecordStore } from '../domain/stores.js';
import { CertStatus, type CertificateRecord, type OperationLogRecord } from '../domain/certificate.js';
import { accountCaller, type Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { DETAIL, RECORD } from '../domain/deployment.js';
import { effectiveStatus, type CertificateService, type UploadInput } from './certificates.js';
import { checkResourceTypes, deployContext, inRegions, type ResourceService } from './resources.js';

export const DEPLOY_RECORD = 'deploy-record';

const FAILED = [DETAIL.failed, DETAIL.rollbackFailed];
const SUCCEEDED = [DETAIL.ok, DETAIL.rolledBack];

export interface DeploymentOptions {
  /** Details of one record deployed at once; default 8. */
  concurrency?: number;
  /** Tries for a detail whose failures are transient; default 5. */
  maxAttempts?: number;
  /** Pause before try n+1 after a transient failure; default 5 s doubling, at most 5 min. */
  retryDelay?: (attempt: number) => number;
  /** A run stops starting new details after this long (the runner's lease is 60 s); default 20 s. */
  runBudgetMs?: number;
}

export interface UpdateInput {
  oldCertId: string;
  certId?: string;
  upload?: UploadInput;
  types: string[];
  /** Per type, the regions to limit it to (ResourceTypesRegions); absent = every region. */
  regions: Map<string, string[]>;
}

export interface SyncProgress { type: string; regions: { region: string; total: number }[] }
export interface UpdateOutcome { recordId: number; created: boolean; progress: SyncProgress[] }

export class DeploymentService {
  readonly #o: Required<DeploymentOptions>;

  constructor(
    private readonly store: DeployRecordStore,
    private readonly resources: Pick<ResourceService, 'deployerOf' | 'probe' | 'probeUnknown' | 'boundTo' | 'listResourcesOf' | 'resourcesById' | 'resourceById'>,
    private readonly certificates: Pick<CertificateService, 'get' | 'upload' | 'privateKeyPem' | 'issuerRoot'>,
    private readonly clock: Clock,
    opts: DeploymentOptions = {},
    private readonly kick: () => void = () => {},
  ) {
    this.#o = {
      concurrency: opts.concurrency ?? 8,
      maxAttempts: opts.maxAttempts ?? 5,
      retryDelay: opts.retryDelay ?? ((n) => Math.min(300_000, 5000 * 2 ** Math.max(0, n - 1))),
      runBudgetMs: opts.runBudgetMs ?? 20_000,
    };
  }

  // ---- Certificate material ----

  async #material(accountUin: string, certId: string, withKey: boolean): Promise<CertificateMaterial> {
    const c = await this.certificates.get(accountCaller(accountUin), certId);
    if (c.certificateType !== 'SVR' || !c.certPem) throw new DeployError(`certificate ${certId} is not an issued server certificate`);
    const { leaf, chain } = parseCertificateChain(c.certPem);
    const selfSignedTop = chain.find((x) => x.selfSigned);
    const keyPem = withKey ? this.certificates.privateKeyPem(c) : null;
    if (withKey && !keyPem) throw new DeployError(`certificate ${certId} has no private key in certport`);
    return {
      certId: c.id, domain: c.domain || leaf.subjectCn || c.id, leafPem: leaf.pem,
      chainPems: chain.filter((x) => !x.selfSigned).map((x) => x.pem),
      rootPem: this.certificates.issuerRoot(c) ?? selfSignedTop?.pem ?? null,
      keyPem, sha256: leaf.sha256, notAfter: leaf.notAfter,
    };
  }

  #deployable(c: CertificateRecord): boolean {
    return c.certificateType === 'SVR' && c.privateKeySealed !== null && effectiveStatus(c, this.clock()) === CertStatus.issued;
  }

  // ---- UpdateCertificateInstance (and the upload variant) ----

  async updateInstance(caller: Caller, input: UpdateInput, family: RecordFamily = 'update'): Promise<UpdateOutcome> {
    const types = checkResourceTypes(input.types);
    const old = await this.certificates.get(caller, input.oldCertId);
    const active = await this.store.activeRecord(caller.accountUin, family, { oldCertId: old.id });
    if (active) return { recordId: active.id, created: false, progress: await this.#progress(active) };
    let next: CertificateRecord;
    if (input.certId) {
      next = await this.certificates.get(caller, input.certId);
    } else if (input.upload) {
      const up = await this.certificates.upload(caller, input.upload);
      if (input.upload.repeatable === false && up.repeatCertId) {
        throw new ServiceError('FailedOperation.CertificateExists', `The certificate was uploaded already as ${up.repeatCertId}; Repeatable is false.`);
      }
      next = await this.certificates.get(caller, up.certificateId);
    } else {
      throw new ServiceError('InvalidParameter.WithDetailReason', 'Give CertificateId, or both CertificatePublicKey and CertificatePrivateKey.');
    }
    if (next.id === old.id) throw new ServiceError('InvalidParameter.WithDetailReason', 'CertificateId and OldCertificateId name the same certificate.');
    if (!this.#deployable(next)) {
      throw new ServiceError('FailedOperation.CertificateNotAvailable',
        `The certificate ${next.id} cannot be deployed: only issued, unexpired server certificates with their private key can.`);
    }
    await this.resources.probeUnknown(caller.accountUin, types, input.regions);
    const bound = (await this.resources.boundTo(old)).filter((r) => types.includes(r.type) && inRegions(r, input.regions));
    const now = this.clock();
    const details = bound.map((r) => this.#detail(r, next.id, old.id, now));
    const rec: Omit<DeployRecord, 'id'> = {
      accountUin: caller.accountUin, userUin: caller.userUin, family, kind: 'update', certId: next.id, oldCertId: old.id,
      resourceTypes: types, regions: [...new Set([...input.regions.values()].flat())],
      status: details.length ? RECORD.pending : RECORD.ok, rollbackOf: null, createdAt: now, updatedAt: now,
    };
    const log = userLog(caller, 'deployUpdate', next.id, now,
      `updates the resources of certificate [id: ${old.id}] to certificate [id: ${next.id}]: ${details.length} resource(s) of ${types.join(', ')} (record #RECORD#)`);
    const id = await this.store.createRecord(rec, details, [log], details.length ? (rid) => this.#job(rid, now) : null);
    if (details.length) this.kick();
    return { recordId: id, created: true, progress: progressOf(types, bound, input.regions) };
  }

  #detail(r: ResourceRecord, certId: string, oldCertId: string | null, now: number): NewDetail {
    return {
      accountUin: r.accountUin, resourceId: r.id, resourceType: r.type, region: r.region, instanceName: r.name, domains: r.domains,
      certId, oldCertId, status: DETAIL.pending, errorMsg: null, attempts: 0, nextAt: now, startedAt: null, finishedAt: null,
      createdAt: now, updatedAt: now,
    };
  }

  #job = (recordId: number, now: number) => ({ kind: DEPLOY_RECORD, subject: String(recordId), runAt: now });

  async #progress(rec: DeployRecord): Promise<SyncProgress[]> {
    const details = await this.store.listDetails(rec.id);
    return rec.resourceTypes.map((type) => {
      const regions = new Map<string, number>();
      for (const d of details.filter((x) => x.resourceType === type)) regions.set(d.region, (regions.get(d.region) ?? 0) + 1);
      return { type, regions: [...regions].map(([region, total]) => ({ region, total })) };
    });
  }

  // ---- DeployCertificateInstance: one certificate to named resources ----

  /**
   * Each InstanceIdList entry (`id|…`, `domain|on`, `region|bucket|domain`…) names the
   * resources of the type whose id, or else one of whose domains, is one of its segments.
   */
  async deployInstance(caller: Caller, certId: string, type: string, instanceIds: string[]): Promise<{ recordId: number; created: boolean }> {
    const [t] = checkResourceTypes([type]);
    const c = await this.certificates.get(caller, certId);
    if (!this.#deployable(c)) {
      throw new ServiceError('FailedOperation.CertificateNotAvailable',
        `The certificate ${c.id} cannot be deployed: only issued, unexpired server certificates with their private key can.`);
    }
    const entries = [...new Set(instanceIds.map((i) => i.trim()).filter(Boolean))];
    if (entries.length === 0) throw new ServiceError('FailedOperation.CertificateDeployInstanceEmpty', 'InstanceIdList names no instance.');
    const active = await this.store.activeRecord(caller.accountUin, 'deploy', { certId: c.id });
    if (active) return { recordId: active.id, created: false };
    const all = await this.resources.listResourcesOf(caller.accountUin, [t!]);
    const chosen = new Map<string, ResourceRecord>();
    const missing: string[] = [];
    for (const entry of entries) {
      const segs = entry.split('|').map((s) => s.trim().toLowerCase()).filter(Boolean);
      let hit = all.filter((r) => segs.includes(r.id));
      if (hit.length === 0) hit = all.filter((r) => r.domains.some((d) => segs.includes(d)));
      if (hit.length === 0) missing.push(entry);
      for (const r of hit) chosen.set(r.id, r);
    }
    if (missing.length) {
      throw new ServiceError('FailedOperation.CertificateNotDeployInstance',
        `No ${t} resource ${missing.map((m) => JSON.stringify(m)).join(', ')} in this account.`);
    }
    const found = [...chosen.values()];
    const ids = found.map((r) => r.id);
    const now = this.clock();
    const details = found.map((r) => this.#detail(r, c.id, r.certId, now));
    const rec: Omit<DeployRecord, 'id'> = {
      accountUin: caller.accountUin, userUin: caller.userUin, family: 'deploy', kind: 'update', certId: c.id, oldCertId: null,
      resourceTypes: [t!], regions: [...new Set(found.map((r) => r.region).filter(Boolean))], status: RECORD.pending,
      rollbackOf: null, createdAt: now, updatedAt: now,
    };
    const log = userLog(caller, 'deploy', c.id, now, `deploys certificate [id: ${c.id}] to ${t} ${ids.join(', ')} (record #RECORD#)`);
    const id = await this.store.createRecord(rec, details, [log], (rid) => this.#job(rid, now));
    this.kick();
    return { recordId: id, created: true };
  }

  // ---- Records ----

  async record(caller: Caller, id: number, family: RecordFamily): Promise<DeployRecord> {
    const r = Number.isSafeInteger(id) && id > 0 ? await this.store.getRecord(id, caller.accountUin) : null;
    if (!r || r.family !== family) throw new ServiceError('FailedOperation.CertificateDeployNotExist', `The deployment record ${id} does not exist.`);
    return r;
  }

  /** The rollback records made from a record (UploadUpdateCertificateRecordRollback lists them under it). */
  async rollbacksOf(caller: Caller, id: number, family: RecordFamily): Promise<DeployRecord[]> {
    const rec = await this.record(caller, id, family);
    return this.store.rollbacksOf(rec.id);
  }

  listRecords(caller: Caller, family: RecordFamily, q: { certId?: string; oldCertId?: string; resourceType?: string; kind?: 'update' | 'rollback'; offset: number; limit: number }) {
    return this.store.listRecords({ accountUin: caller.accountUin, family, ...q });
  }

  async recordDetails(caller: Caller, id: number, family: RecordFamily, page?: { offset: number; limit: number }) {
    const rec = await this.record(caller, id, family);
    const counts = await this.store.countDetails(rec.id);
    const details = await this.store.listDetails(rec.id, page ?? {});
    const sum = (statuses: readonly number[]) => statuses.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    return {
      record: rec, details,
      total: [...counts.values()].reduce((a, b) => a + b, 0),
      succeeded: sum(SUCCEEDED), failed: sum(FAILED), running: sum([DETAIL.running]), pending: sum([DETAIL.pending]),
    };
  }

  /** Re-runs the failed details of a record, or one detail. */
  async retry(caller: Caller, family: RecordFamily, recordId: number | undefined, detailId: number | undefined): Promise<void> {
    if (recordId === undefined && detailId === undefined) {
      throw new ServiceError('FailedOperation.InvalidParam', 'Give DeployRecordId or DeployRecordDetailId.');
    }
    let rid = recordId;
    if (detailId !== undefined) {
      const d = await this.store.getDetail(detailId, caller.accountUin);
      if (!d) throw new ServiceError('FailedOperation.CertificateDeployNotExist', `The deployment record detail ${detailId} does not exist.`);
      if (rid !== undefined && rid !== d.recordId) throw new ServiceError('FailedOperation.InvalidParam', `Detail ${detailId} belongs to record ${d.recordId}, not ${rid}.`);
      rid = d.recordId;
    }
    const rec = await this.record(caller, rid!, family);
    if (rec.status === RECORD.pending || rec.status === RECORD.running) {
      throw new ServiceError('FailedOperation.CertificateDeployHasPendingRecord', `The record ${rec.id} is still running; retry once it is done.`);
    }
    const now = this.clock();
    const log = userLog(caller, 'deployRetry', rec.certId, now, `retries the failed deployments of record ${rec.id}${detailId !== undefined ? ` (detail ${detailId})` : ''}`);
    let n: number;
    try {
      n = await this.store.resetFailed(rec.id, detailId ?? null, FAILED, now, this.#job(rec.id, now), log);
    } catch {
      throw new ServiceError('FailedOperation.CertificateDeployHasPendingRecord', `The record ${rec.id} is still running; retry once it is done.`);
    }
    if (n === 0) throw new ServiceError('FailedOperation.CertificateDeployRetryStatusInvalid', `The record ${rec.id} has no failed deployment to retry.`);
    this.kick();
  }

  /** Deploys the previous certificate again to every resource the record touched, as a new record. */
  async rollback(caller: Caller, family: RecordFamily, recordId: number): Promise<number> {
    const rec = await this.record(caller, recordId, family);
    if (rec.status === RECORD.pending || rec.status === RECORD.running) {
      throw new ServiceError('FailedOperation.CertificateDeployDetailRollbackStatusInvalid', `The record ${rec.id} is still running; roll it back once it is done.`);
    }
    const touched = await this.store.listDetails(rec.id, { statuses: [...SUCCEEDED, ...FAILED] });
    if (!touched.some((d) => (SUCCEEDED as readonly number[]).includes(d.status))) {
      throw new ServiceError('FailedOperation.CertificateDeployRollbackStatusInvalid', `The record ${rec.id} deployed nothing that could be rolled back.`);
    }
    const now = this.clock();
    const resources = new Map((await this.resources.resourcesById(caller.accountUin, touched.map((d) => d.resourceId))).map((r) => [r.id, r]));
    const details: NewDetail[] = [];
    for (const d of touched) {
      const r = resources.get(d.resourceId);
      const base: NewDetail = r ? this.#detail(r, d.oldCertId ?? '', d.certId, now)
        : { ...d, certId: d.oldCertId ?? '', oldCertId: d.certId, attempts: 0, nextAt: now, startedAt: null, finishedAt: null, createdAt: now, updatedAt: now, errorMsg: null, status: DETAIL.pending };
      if (!r) details.push({ ...base, status: DETAIL.rollbackFailed, errorMsg: 'the resource was removed', finishedAt: now });
      else if (!d.oldCertId) details.push({ ...base, status: DETAIL.nothing, errorMsg: 'no previous certificate is known for this resource', finishedAt: now });
      else details.push(base);
    }
    const work = details.filter((d) => d.status === DETAIL.pending).length;
    const anyFailed = details.some((d) => d.status === DETAIL.rollbackFailed);
    const newRec: Omit<DeployRecord, 'id'> = {
      accountUin: caller.accountUin, userUin: caller.userUin, family, kind: 'rollback', certId: rec.oldCertId ?? '', oldCertId: rec.certId,
      resourceTypes: rec.resourceTypes, regions: rec.regions, status: work ? RECORD.pending : anyFailed ? RECORD.failed : RECORD.ok,
      rollbackOf: rec.id, createdAt: now, updatedAt: now,
    };
    const log = userLog(caller, 'deployRollback', rec.certId, now, `rolls back record ${rec.id}: ${work} resource(s) get their previous certificate again (record #RECORD#)`);
    const id = await this.store.createRecord(newRec, details, [log], work ? (rid) => this.#job(rid, now) : null);
    if (work) this.kick();
    return id;
  }

  // ---- The job ----

  /** Works a record: deploys its due details; null when the record is settled. */
  async runRecord(recordId: number): Promise<number | null> {
    const rec = await this.store.getRecord(recordId);
    if (!rec || rec.status === RECORD.ok || rec.status === RECORD.failed) return null;
    const start = this.clock();
    if (rec.status === RECORD.pending) await this.store.setRecordStatus(rec.id, RECORD.running, start);
    const due = await this.store.dueDetails(rec.id, start, 1000);
    let i = 0;
    const worker = async () => {
      while (i < due.length && this.clock() - start < this.#o.runBudgetMs) {
        const d = due[i++]!;
        await this.#runDetail(rec, d);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, due.length) }, worker));
    const next = await this.store.nextDue(rec.id);
    if (next !== null) return Math.max(next, this.clock());
    const counts = await this.store.countDetails(rec.id);
    const failed = FAILED.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    const ok = SUCCEEDED.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    const now = this.clock();
    await this.store.setRecordStatus(rec.id, failed ? RECORD.failed : RECORD.ok, now, [
      systemLog(rec.accountUin, 'deployRecord', rec.certId, now, `Deployment record ${rec.id} finished: ${ok} succeeded, ${failed} failed`),
    ]);
    return null;
  }

  async #runDetail(rec: DeployRecord, d: DeployDetail): Promise<void> {
    const rollback = rec.kind === 'rollback';
    await this.store.startDetail(d.id, this.clock());
    const attempt = d.attempts + 1;
    const r = await this.resources.resourceById(d.resourceId);
    try {
      if (!r) throw new DeployError('the resource was removed');
      const deployer = this.resources.deployerOf(r);
      const m = await this.#material(rec.accountUin, d.certId, deployer.needsKey);
      let out: { note?: string } | null = null;
      // Running when a node died: the deployment may have completed. Where a probe can tell,
      // do not deploy twice.
      if (d.status === DETAIL.running && r.probe) {
        const seen = await this.resources.probe(r);
        if (seen.ok && seen.sha256 === m.sha256) out = { note: 'already served (checked by the probe after an interruption)' };
      }
      out ??= await deployer.deploy(m, deployContext(r, `cp-${rec.id}-${d.id}`));
      const now = this.clock();
      await this.store.finishDetail(d, rollback ? DETAIL.rolledBack : DETAIL.ok, null, now, { sha256: m.sha256 },
        systemLog(rec.accountUin, rollback ? 'deployRollback' : 'deploy', d.certId, now,
          ` was deployed to ${r.type} resource [${r.id}] ${r.name}${rollback ? ' (rollback)' : ''}: ${out.note ?? 'ok'} (record ${rec.id})`));
    } catch (e) {
      const now = this.clock();
      const message = e instanceof DeployError || e instanceof DeployConfigError || isForeseen(e) ? e.message : `internal error: ${(e as Error)?.message ?? e}`;
      if (e instanceof DeployError && e.transient && attempt < this.#o.maxAttempts) {
        await this.store.deferDetail(d.id, now + this.#o.retryDelay(attempt), `try ${attempt} failed: ${message}`, now);
        return;
      }
      await this.store.finishDetail(d, rollback ? DETAIL.rollbackFailed : DETAIL.failed, message, now, null,
        systemLog(rec.accountUin, 'deployFailed', d.certId, now, ` could not be deployed to ${d.resourceType} resource [${d.resourceId}] ${d.instanceName}: ${message} (record ${rec.id})`));
    }
  }
}

function progressOf(types: string[], bound: ResourceRecord[], regions: Map<string, string[]>): SyncProgress[] {
  return types.map((type) => {
    const counts = new Map<string, number>((regions.get(type) ?? []).map((r) => [r, 0]));
    for (const r of bound.filter((x) => x.type === type)) counts.set(r.region, (counts.get(r.region) ?? 0) + 1);
    return { type, regions: [...counts].map(([region, total]) => ({ region, total })) };
  });
}

function userLog(caller: Caller, type: string, certId: string, now: number, what: string): OperationLogRecord {
  const who = caller.userUin === '--' ? '--' : caller.userUin;
  return { accountUin: caller.accountUin, userUin: caller.userUin, certId, type, createdAt: now, action: `User [uin: ${who}] ${what}` };
}

function systemLog(accountUin: string, type: string, certId: string, now: number, what: string): OperationLogRecord {
  return { accountUin, userUin: '--', certId, type, createdAt: now, action: what.startsWith(' ') ? `Certificate [id: ${certId}]${what}` : what };
}

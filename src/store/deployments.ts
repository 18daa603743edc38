// Resources, deployment records and details, bind-resource tasks: the only code that reads
// and writes the deploy_* tables. Every API-facing query is scoped to the account.
import type { Kysely } from 'kysely';
import type { Database, DeployDetailRow, DeployRecordRow, DeployResourceRow } from './schema.js';
import type { NewJob } from '../domain/job.js';
import type { OperationLogRecord } from '../domain/certificate.js';
import type { BindTask, BoundResource, DeleteTask, DeployDetail, DeployRecord, NewDetail, RecordFamily, RecordQuery, ResourceRecord } from '../domain/deployment.js';
import type { DeployStore } from '../domain/stores.js';
import { insertLog, logRow } from './operation-log.js';
import { upsertJob } from './jobs.js';
import { hotRead, listParam, type HotRead } from './db.js';

const json = <T>(s: string | null, d: T): T => (s ? (JSON.parse(s) as T) : d);
const num = (v: number | null): number | null => (v === null ? null : Number(v));

export const RESOURCES_SERVING: HotRead = {
  sqlite: `select * from deploy_resources where account_uin = ? and (cert_id in (select value from json_each(?))
    or probe_sha256 in (select value from json_each(?))) order by created_at, id`,
  postgres: 'select * from deploy_resources where account_uin = $1 and (cert_id = any($2::text[]) or probe_sha256 = any($3::text[])) order by created_at, id',
};
export const IGNORED_EXPIRY: HotRead = {
  sqlite: 'select cert_id from cert_notification_switch where account_uin = ? and cert_id in (select value from json_each(?)) and ignore_expiry = 1',
  postgres: 'select cert_id from cert_notification_switch where account_uin = $1 and cert_id = any($2::text[]) and ignore_expiry = 1',
};

export const toResource = (r: DeployResourceRow): ResourceRecord => ({
  id: r.id,
  accountUin: r.account_uin,
  name: r.name,
  type: r.resource_type,
  region: r.region,
  domains: json(r.domains, [] as string[]),
  probe: r.probe_address ? { address: r.probe_address, sni: r.probe_sni } : null,
  deployerType: r.deployer_type,
  deployerConfig: JSON.parse(r.deployer_config),
  deployerSecretSealed: r.deployer_secret_sealed,
  certId: r.cert_id,
  certSha256: r.cert_sha256,
  deployedAt: num(r.deployed_at),
  probeSha256: r.probe_sha256,
  probeAt: num(r.probe_at),
  probeError: r.probe_error,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

type RecordRow = Omit<DeployRecordRow, 'id'> & { id: number };
const toRecord = (r: RecordRow): DeployRecord => ({
  id: Number(r.id),
  accountUin: r.account_uin,
  userUin: r.user_uin,
  family: r.family as RecordFamily,
  kind: r.kind as DeployRecord['kind'],
  certId: r.cert_id,
  oldCertId: r.old_cert_id,
  resourceTypes: json(r.resource_types, [] as string[]),
  regions: json(r.regions, [] as string[]),
  status: Number(r.status),
  rollbackOf: num(r.rollback_of),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

type DetailRow = Omit<DeployDetailRow, 'id'> & { id: number };
const toDetail = (r: DetailRow): DeployDetail => ({
  id: Number(r.id),
  recordId: Number(r.record_id),
  accountUin: r.account_uin,
  resourceId: r.resource_id,
  resourceType: r.resource_type,
  region: r.region,
  instanceName: r.instance_name,
  domains: json(r.domains, [] as string[]),
  certId: r.cert_id,
  oldCertId: r.old_cert_id,
  status: Number(r.status),
  errorMsg: r.error_msg,
  attempts: Number(r.attempts),
  nextAt: Number(r.next_at),
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export class SqlDeployStore implements DeployStore {
  constructor(private readonly db: Kysely<Database>) {}

  async accountExists(uin: string): Promise<boolean> {
    return !!(await this.db.selectFrom('accounts').select('uin').where('uin', '=', uin).executeTakeFirst());
  }

  // Resources.
  async insertResource(r: ResourceRecord): Promise<void> {
    await this.db.insertInto('deploy_resources').values({
      id: r.id, account_uin: r.accountUin, name: r.name, resource_type: r.type, region: r.region,
      domains: JSON.stringify(r.domains), probe_address: r.probe?.address ?? null, probe_sni: r.probe?.sni ?? null,
      deployer_type: r.deployerType, deployer_config: JSON.stringify(r.deployerConfig), deployer_secret_sealed: r.deployerSecretSealed,
      cert_id: r.certId, cert_sha256: r.certSha256, deployed_at: r.deployedAt,
      probe_sha256: r.probeSha256, probe_at: r.probeAt, probe_error: r.probeError,
      created_at: r.createdAt, updated_at: r.updatedAt,
    }).execute();
  }

  async updateResourceSettings(r: ResourceRecord): Promise<void> {
    await this.db.updateTable('deploy_resources').set({
      name: r.name, region: r.region, domains: JSON.stringify(r.domains), probe_address: r.probe?.address ?? null, probe_sni: r.probe?.sni ?? null,
      deployer_config: JSON.stringify(r.deployerConfig), deployer_secret_sealed: r.deployerSecretSealed, updated_at: r.updatedAt,
    }).where('id', '=', r.id).execute();
  }

  async getResource(id: string, accountUin?: string): Promise<ResourceRecord | null> {
    let q = this.db.selectFrom('deploy_resources').selectAll().where('id', '=', id);
    if (accountUin !== undefined) q = q.where('account_uin', '=', accountUin);
    const r = await q.executeTakeFirst();
    return r ? toResource(r) : null;
  }

  async getResources(accountUin: string, ids: string[]): Promise<ResourceRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('deploy_resources').selectAll().where('account_uin', '=', accountUin).where('id', 'in', ids).execute();
    return rows.map(toResource);
  }

  async listResources(q: { accountUin?: string; types?: string[] } = {}): Promise<ResourceRecord[]> {
    let s = this.db.selectFrom('deploy_resources').selectAll();
    if (q.accountUin !== undefined) s = s.where('account_uin', '=', q.accountUin);
    if (q.types) {
      if (q.types.length === 0) return [];
      s = s.where('resource_type', 'in', q.types);
    }
    return (await s.orderBy('created_at').orderBy('id').execute()).map(toResource);
  }

  async deleteResource(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('deploy_resources').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async setProbe(id: string, sha256: string | null, error: string | null, at: number): Promise<void> {
    await this.db.updateTable('deploy_resources').set({ probe_sha256: sha256, probe_error: error, probe_at: at }).where('id', '=', id).execute();
  }

  /** Resources whose last deployment or last probe shows one of these fingerprints. */
  async resourcesServing(accountUin: string, certIds: string[], sha256s: string[]): Promise<ResourceRecord[]> {
    if (certIds.length === 0 && sha256s.length === 0) return [];
    // Every DescribeCertificates page asks: written out once (db.ts HotRead).
    const rows = await hotRead<DeployResourceRow>(this.db, RESOURCES_SERVING,
      (pg) => [accountUin, listParam(pg, certIds), listParam(pg, sha256s)]);
    return rows.map(toResource);
  }

  // Records.
  /** The record, its details, log entries and its job, in one transaction; returns the record id. */
  async createRecord(r: Omit<DeployRecord, 'id'>, details: NewDetail[], logs: OperationLogRecord[], job: ((id: number) => NewJob) | null): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.insertInto('deploy_records').values({
        account_uin: r.accountUin, user_uin: r.userUin, family: r.family, kind: r.kind, cert_id: r.certId, old_cert_id: r.oldCertId,
        resource_types: JSON.stringify(r.resourceTypes), regions: JSON.stringify(r.regions), status: r.status,
        rollback_of: r.rollbackOf, created_at: r.createdAt, updated_at: r.updatedAt,
      }).returning('id').executeTakeFirstOrThrow();
      const id = Number(row.id);
      for (let i = 0; i < details.length; i += 200) {
        await tx.insertInto('deploy_details').values(details.slice(i, i + 200).map((d) => ({
          record_id: id, account_uin: d.accountUin, resource_id: d.resourceId, resource_type: d.resourceType, region: d.region,
          instance_name: d.instanceName, domains: JSON.stringify(d.domains), cert_id: d.certId, old_cert_id: d.oldCertId,
          status: d.status, error_msg: d.errorMsg, attempts: d.attempts, next_at: d.nextAt, started_at: d.startedAt,
          finished_at: d.finishedAt, created_at: d.createdAt, updated_at: d.updatedAt,
        }))).execute();
      }
      if (logs.length) await tx.insertInto('operation_logs').values(logs.map((l) => logRow({ ...l, action: l.action.replace('#RECORD#', String(id)) }))).execute();
      if (job) await upsertJob(tx, job(id), r.createdAt);
      return id;
    });
  }

  async getRecord(id: number, accountUin?: string): Promise<DeployRecord | null> {
    let q = this.db.selectFrom('deploy_records').selectAll().where('id', '=', id);
    if (accountUin !== undefined) q = q.where('account_uin', '=', accountUin);
    const r = await q.executeTakeFirst();
    return r ? toRecord(r as RecordRow) : null;
  }

  /** A pending or running record of this family for the old certificate, if any. */
  async activeRecord(accountUin: string, family: RecordFamily, by: { oldCertId: string } | { certId: string }): Promise<DeployRecord | null> {
    let q = this.db.selectFrom('deploy_records').selectAll().where('account_uin', '=', accountUin)
      .where('family', '=', family).where('status', 'in', [0, 3]).where('kind', '=', 'update');
    q = 'oldCertId' in by ? q.where('old_cert_id', '=', by.oldCertId) : q.where('cert_id', '=', by.certId);
    const r = await q.orderBy('id', 'desc').executeTakeFirst();
    return r ? toRecord(r as RecordRow) : null;
  }

  /** Rollback records made from this record, oldest first. */
  async rollbacksOf(recordId: number): Promise<DeployRecord[]> {
    const rows = await this.db.selectFrom('deploy_records').selectAll().where('rollback_of', '=', recordId).orderBy('id').execute();
    return rows.map((r) => toRecord(r as RecordRow));
  }

  async listRecords(q: RecordQuery): Promise<{ total: number; items: DeployRecord[] }> {
    let base = this.db.selectFrom('deploy_records').where('account_uin', '=', q.accountUin).where('family', '=', q.family);
    if (q.kind) base = base.where('kind', '=', q.kind);
    if (q.certId) base = base.where('cert_id', '=', q.certId);
    if (q.oldCertId) base = base.where('old_cert_id', '=', q.oldCertId);
    if (q.resourceType) base = base.where('resource_types', 'like', `%${JSON.stringify(q.resourceType)}%`);
    const n = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute();
    return { total: Number(n.n), items: rows.map((r) => toRecord(r as RecordRow)) };
  }

  async setRecordStatus(id: number, status: number, now: number, logs: OperationLogRecord[] = []): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('deploy_records').set({ status, updated_at: now }).where('id', '=', id).execute();
      if (logs.length) await tx.insertInto('operation_logs').values(logs.map(logRow)).execute();
    });
  }

  // Details.
  async listDetails(recordId: number, opts: { offset?: number; limit?: number; statuses?: number[] } = {}): Promise<DeployDetail[]> {
    let q = this.db.selectFrom('deploy_details').selectAll().where('record_id', '=', recordId);
    if (opts.statuses) q = q.where('status', 'in', opts.statuses);
    q = q.orderBy('id');
    if (opts.limit !== undefined) q = q.limit(opts.limit).offset(opts.offset ?? 0);
    return (await q.execute()).map((r) => toDetail(r as DetailRow));
  }

  async getDetail(id: number, accountUin: string): Promise<DeployDetail | null> {
    const r = await this.db.selectFrom('deploy_details').selectAll().where('id', '=', id).where('account_uin', '=', accountUin).executeTakeFirst();
    return r ? toDetail(r as DetailRow) : null;
  }

  async countDetails(recordId: number): Promise<Map<number, number>> {
    const rows = await this.db.selectFrom('deploy_details').select(['status', (eb) => eb.fn.countAll().as('n')])
      .where('record_id', '=', recordId).groupBy('status').execute();
    return new Map(rows.map((r) => [Number(r.status), Number(r.n)]));
  }

  /** Details of a record that still need work (pending, or running when a node died), due now. */
  async dueDetails(recordId: number, now: number, limit: number): Promise<DeployDetail[]> {
    const rows = await this.db.selectFrom('deploy_details').selectAll().where('record_id', '=', recordId)
      .where('status', 'in', [0, 3]).where('next_at', '<=', now).orderBy('id').limit(limit).execute();
    return rows.map((r) => toDetail(r as DetailRow));
  }

  async nextDue(recordId: number): Promise<number | null> {
    const r = await this.db.selectFrom('deploy_details').select((eb) => eb.fn.min('next_at').as('t'))
      .where('record_id', '=', recordId).where('status', 'in', [0, 3]).executeTakeFirst();
    return r?.t === null || r?.t === undefined ? null : Number(r.t);
  }

  async startDetail(id: number, now: number): Promise<void> {
    await this.db.updateTable('deploy_details').set((eb) => ({ status: 3, attempts: eb('attempts', '+', 1), started_at: now, updated_at: now }))
      .where('id', '=', id).execute();
  }

  /** Pending again at `nextAt` (a transient failure). */
  async deferDetail(id: number, nextAt: number, error: string, now: number): Promise<void> {
    await this.db.updateTable('deploy_details').set({ status: 0, next_at: nextAt, error_msg: error, updated_at: now }).where('id', '=', id).execute();
  }

  /** A final outcome; on success the resource now carries the detail's certificate. */
  async finishDetail(d: DeployDetail, status: number, error: string | null, now: number, installed: { sha256: string } | null, log: OperationLogRecord | null): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('deploy_details').set({ status, error_msg: error, finished_at: now, updated_at: now }).where('id', '=', d.id).execute();
      if (installed) {
        await tx.updateTable('deploy_resources').set({ cert_id: d.certId, cert_sha256: installed.sha256, deployed_at: now, updated_at: now })
          .where('id', '=', d.resourceId).execute();
      }
      if (log) await insertLog(tx, log);
    });
  }

  /**
   * Makes failed details (all of the record's, or the one) pending again and the record
   * running, with its job; returns how many were reset.
   */
  async resetFailed(recordId: number, detailId: number | null, failed: number[], now: number, job: NewJob, log: OperationLogRecord): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      let q = tx.updateTable('deploy_details').set({ status: 0, attempts: 0, next_at: now, error_msg: null, finished_at: null, updated_at: now })
        .where('record_id', '=', recordId).where('status', 'in', failed);
      if (detailId !== null) q = q.where('id', '=', detailId);
      const n = Number((await q.executeTakeFirst()).numUpdatedRows);
      if (n === 0) return 0;
      // Only a record that is not running may be reset (checked again here: two retries race).
      const r = await tx.updateTable('deploy_records').set({ status: 3, updated_at: now }).where('id', '=', recordId)
        .where('status', 'in', [1, 2]).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new Error('record is running');
      await upsertJob(tx, job, now);
      await insertLog(tx, log);
      return n;
    });
  }

  /** Details of other records still pending or running on any of these resources. */
  async busyResources(resourceIds: string[]): Promise<Set<string>> {
    if (resourceIds.length === 0) return new Set();
    const rows = await this.db.selectFrom('deploy_details').select('resource_id').distinct()
      .where('resource_id', 'in', resourceIds).where('status', 'in', [0, 3]).execute();
    return new Set(rows.map((r) => r.resource_id));
  }

  // Bind-resource tasks.
  async latestBindTask(accountUin: string, certId: string): Promise<BindTask | null> {
    const r = await this.db.selectFrom('deploy_bind_tasks').selectAll().where('account_uin', '=', accountUin)
      .where('cert_id', '=', certId).orderBy('created_at', 'desc').executeTakeFirst();
    return r ? this.#bindTask(r) : null;
  }

  async getBindTaskAny(id: string): Promise<BindTask | null> {
    const r = await this.db.selectFrom('deploy_bind_tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.#bindTask(r) : null;
  }

  async latestFinishedBindTask(accountUin: string, certId: string): Promise<BindTask | null> {
    const r = await this.db.selectFrom('deploy_bind_tasks').selectAll().where('account_uin', '=', accountUin)
      .where('cert_id', '=', certId).where('status', '=', 1).orderBy('updated_at', 'desc').executeTakeFirst();
    return r ? this.#bindTask(r) : null;
  }

  async getBindTask(id: string, accountUin: string): Promise<BindTask | null> {
    const r = await this.db.selectFrom('deploy_bind_tasks').selectAll().where('id', '=', id).where('account_uin', '=', accountUin).executeTakeFirst();
    return r ? this.#bindTask(r) : null;
  }

  async insertBindTask(t: BindTask, job: NewJob): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('deploy_bind_tasks').values({
        id: t.id, account_uin: t.accountUin, cert_id: t.certId, status: t.status, result: t.result ? JSON.stringify(t.result) : null,
        error: t.error, created_at: t.createdAt, updated_at: t.updatedAt,
      }).execute();
      await upsertJob(tx, job, t.createdAt);
    });
  }

  async finishBindTask(id: string, status: number, result: BoundResource[] | null, error: string | null, now: number): Promise<void> {
    await this.db.updateTable('deploy_bind_tasks').set({ status, result: result ? JSON.stringify(result) : null, error, updated_at: now })
      .where('id', '=', id).execute();
  }

  #bindTask(r: Database['deploy_bind_tasks']): BindTask {
    return {
      id: r.id, accountUin: r.account_uin, certId: r.cert_id, status: Number(r.status), result: json(r.result, null as BoundResource[] | null),
      error: r.error, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
    };
  }

  // The expiry-notification switch.
  async setIgnoreExpiry(accountUin: string, certIds: string[], ignore: boolean, now: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const id of certIds) {
        await tx.insertInto('cert_notification_switch').values({ cert_id: id, account_uin: accountUin, ignore_expiry: ignore ? 1 : 0, updated_at: now })
          .onConflict((oc) => oc.column('cert_id').doUpdateSet({ ignore_expiry: ignore ? 1 : 0, updated_at: now })).execute();
      }
    });
  }

  async ignoredExpiry(accountUin: string, certIds: string[]): Promise<Set<string>> {
    if (certIds.length === 0) return new Set();
    const rows = await hotRead<{ cert_id: string }>(this.db, IGNORED_EXPIRY, (pg) => [accountUin, listParam(pg, certIds)]);
    return new Set(rows.map((r) => r.cert_id));
  }

  // Bulk-delete tasks.
  async insertDeleteTasks(tasks: DeleteTask[], jobs: NewJob[]): Promise<void> {
    if (tasks.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('cert_delete_tasks').values(tasks.map((t) => ({
        id: t.id, account_uin: t.accountUin, cert_id: t.certId, domains: JSON.stringify(t.domains), status: t.status, error: t.error,
        created_at: t.createdAt, updated_at: t.updatedAt,
      }))).execute();
      for (const j of jobs) await upsertJob(tx, j, tasks[0]!.createdAt);
    });
  }

  async getDeleteTask(id: string): Promise<DeleteTask | null> {
    return (await this.#deleteTasks(this.db.selectFrom('cert_delete_tasks').selectAll().where('id', '=', id).execute()))[0] ?? null;
  }

  async #deleteTasks(rows: Promise<Database['cert_delete_tasks'][]>): Promise<DeleteTask[]> {
    return (await rows).map((r) => ({
      id: r.id, accountUin: r.account_uin, certId: r.cert_id, domains: json(r.domains, [] as string[]), status: Number(r.status), error: r.error,
      createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
    }));
  }

  async getDeleteTasks(accountUin: string, ids: string[]): Promise<DeleteTask[]> {
    if (ids.length === 0) return [];
    return this.#deleteTasks(this.db.selectFrom('cert_delete_tasks').selectAll().where('account_uin', '=', accountUin).where('id', 'in', ids).execute());
  }

  async finishDeleteTask(id: string, status: number, error: string | null, now: number): Promise<void> {
    await this.db.updateTable('cert_delete_tasks').set({ status, error, updated_at: now }).where('id', '=', id).execute();
  }
}


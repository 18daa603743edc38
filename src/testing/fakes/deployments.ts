// DeployStore in memory.
import type { OperationLogRecord } from '../../domain/certificate.js';
import type { BindTask, BoundResource, DeleteTask, DeployDetail, DeployRecord, NewDetail, RecordFamily, RecordQuery, ResourceRecord } from '../../domain/deployment.js';
import type { NewJob } from '../../domain/job.js';
import type { DeployStore } from '../../domain/stores.js';
import { upsertJob } from './jobs.js';
import { copy, insertNew, type MemoryDb } from './memory.js';

/** Pending or running: still to be worked. */
const OPEN = [0, 3];
const oldestFirst = (a: ResourceRecord, b: ResourceRecord) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class FakeDeployStore implements DeployStore {
  constructor(private readonly db: MemoryDb) {}

  async accountExists(uin: string) {
    return this.db.accounts.has(uin);
  }

  // Resources.
  async insertResource(r: ResourceRecord) {
    this.db.write(() => insertNew(this.db.resources, r.id, r, 'resource'));
  }

  async updateResourceSettings(r: ResourceRecord) {
    const cur = this.db.resources.get(r.id);
    if (!cur) return;
    const { name, region, domains, probe, deployerConfig, deployerSecretSealed, updatedAt } = copy(r);
    this.db.write(() => Object.assign(cur, { name, region, domains, probe, deployerConfig, deployerSecretSealed, updatedAt }));
  }

  async getResource(id: string, accountUin?: string) {
    const r = this.db.resources.get(id);
    return r && (accountUin === undefined || r.accountUin === accountUin) ? copy(r) : null;
  }

  async getResources(accountUin: string, ids: string[]) {
    return [...this.db.resources.values()].filter((r) => r.accountUin === accountUin && ids.includes(r.id)).map(copy);
  }

  async listResources(q: { accountUin?: string; types?: string[] } = {}) {
    return [...this.db.resources.values()]
      .filter((r) => (q.accountUin === undefined || r.accountUin === q.accountUin) && (!q.types || q.types.includes(r.type)))
      .sort(oldestFirst).map(copy);
  }

  async deleteResource(id: string) {
    return this.db.write(() => this.db.resources.delete(id));
  }

  async setProbe(id: string, sha256: string | null, error: string | null, at: number) {
    const r = this.db.resources.get(id);
    if (r) this.db.write(() => Object.assign(r, { probeSha256: sha256, probeError: error, probeAt: at }));
  }

  async resourcesServing(accountUin: string, certIds: string[], sha256s: string[]) {
    return [...this.db.resources.values()]
      .filter((r) => r.accountUin === accountUin && ((r.certId !== null && certIds.includes(r.certId)) || (r.probeSha256 !== null && sha256s.includes(r.probeSha256))))
      .sort(oldestFirst).map(copy);
  }

  // Records.
  async createRecord(r: Omit<DeployRecord, 'id'>, details: NewDetail[], logs: OperationLogRecord[], job: ((id: number) => NewJob) | null) {
    return this.db.write(() => {
      const id = this.db.nextId();
      this.db.records.set(id, copy({ ...r, id }));
      for (const d of details) {
        const detailId = this.db.nextId();
        this.db.details.set(detailId, copy({ ...d, id: detailId, recordId: id }));
      }
      for (const l of logs) this.db.logs.push({ ...copy(l), action: l.action.replace('#RECORD#', String(id)) });
      if (job) upsertJob(this.db, job(id));
      return id;
    });
  }

  async getRecord(id: number, accountUin?: string) {
    const r = this.db.records.get(id);
    return r && (accountUin === undefined || r.accountUin === accountUin) ? copy(r) : null;
  }

  async activeRecord(accountUin: string, family: RecordFamily, by: { oldCertId: string } | { certId: string }) {
    const found = [...this.db.records.values()]
      .filter((r) => r.accountUin === accountUin && r.family === family && OPEN.includes(r.status) && r.kind === 'update'
        && ('oldCertId' in by ? r.oldCertId === by.oldCertId : r.certId === by.certId))
      .sort((a, b) => b.id - a.id)[0];
    return found ? copy(found) : null;
  }

  async rollbacksOf(recordId: number) {
    return [...this.db.records.values()].filter((r) => r.rollbackOf === recordId).sort((a, b) => a.id - b.id).map(copy);
  }

  async listRecords(q: RecordQuery) {
    const all = [...this.db.records.values()]
      .filter((r) => r.accountUin === q.accountUin && r.family === q.family && (!q.kind || r.kind === q.kind)
        && (!q.certId || r.certId === q.certId) && (!q.oldCertId || r.oldCertId === q.oldCertId)
        && (!q.resourceType || r.resourceTypes.includes(q.resourceType)))
      .sort((a, b) => b.id - a.id);
    return { total: all.length, items: all.slice(q.offset, q.offset + q.limit).map(copy) };
  }

  async setRecordStatus(id: number, status: number, now: number, logs: OperationLogRecord[] = []) {
    this.db.write(() => {
      const r = this.db.records.get(id);
      if (r) Object.assign(r, { status, updatedAt: now });
      this.db.logs.push(...copy(logs));
    });
  }

  // Details.
  #details(recordId: number): DeployDetail[] {
    return [...this.db.details.values()].filter((d) => d.recordId === recordId).sort((a, b) => a.id - b.id);
  }

  async listDetails(recordId: number, opts: { offset?: number; limit?: number; statuses?: number[] } = {}) {
    const all = this.#details(recordId).filter((d) => !opts.statuses || opts.statuses.includes(d.status));
    const offset = opts.offset ?? 0;
    return (opts.limit === undefined ? all : all.slice(offset, offset + opts.limit)).map(copy);
  }

  async getDetail(id: number, accountUin: string) {
    const d = this.db.details.get(id);
    return d && d.accountUin === accountUin ? copy(d) : null;
  }

  async countDetails(recordId: number) {
    const out = new Map<number, number>();
    for (const d of this.#details(recordId)) out.set(d.status, (out.get(d.status) ?? 0) + 1);
    return out;
  }

  async dueDetails(recordId: number, now: number, limit: number) {
    return this.#details(recordId).filter((d) => OPEN.includes(d.status) && d.nextAt <= now).slice(0, limit).map(copy);
  }

  async nextDue(recordId: number) {
    const open = this.#details(recordId).filter((d) => OPEN.includes(d.status));
    return open.length ? Math.min(...open.map((d) => d.nextAt)) : null;
  }

  async startDetail(id: number, now: number) {
    const d = this.db.details.get(id);
    if (d) this.db.write(() => Object.assign(d, { status: 3, attempts: d.attempts + 1, startedAt: now, updatedAt: now }));
  }

  async deferDetail(id: number, nextAt: number, error: string, now: number) {
    const d = this.db.details.get(id);
    if (d) this.db.write(() => Object.assign(d, { status: 0, nextAt, errorMsg: error, updatedAt: now }));
  }

  async finishDetail(d: DeployDetail, status: number, error: string | null, now: number, installed: { sha256: string } | null, log: OperationLogRecord | null) {
    this.db.write(() => {
      const cur = this.db.details.get(d.id);
      if (cur) Object.assign(cur, { status, errorMsg: error, finishedAt: now, updatedAt: now });
      const r = this.db.resources.get(d.resourceId);
      if (installed && r) Object.assign(r, { certId: d.certId, certSha256: installed.sha256, deployedAt: now, updatedAt: now });
      if (log) this.db.logs.push(copy(log));
    });
  }

  async resetFailed(recordId: number, detailId: number | null, failed: number[], now: number, job: NewJob, log: OperationLogRecord) {
    const reset = this.#details(recordId).filter((d) => failed.includes(d.status) && (detailId === null || d.id === detailId));
    if (reset.length === 0) return 0;
    // Only a record that is not running may be reset; otherwise nothing is written.
    const r = this.db.records.get(recordId);
    if (!r || (r.status !== 1 && r.status !== 2)) throw new Error('record is running');
    this.db.write(() => {
      for (const d of reset) Object.assign(d, { status: 0, attempts: 0, nextAt: now, errorMsg: null, finishedAt: null, updatedAt: now });
      Object.assign(r, { status: 3, updatedAt: now });
      upsertJob(this.db, job);
      this.db.logs.push(copy(log));
    });
    return reset.length;
  }

  async busyResources(resourceIds: string[]) {
    return new Set([...this.db.details.values()].filter((d) => resourceIds.includes(d.resourceId) && OPEN.includes(d.status)).map((d) => d.resourceId));
  }

  // Bind-resource tasks.
  #bindTasks(accountUin: string, certId: string): BindTask[] {
    return [...this.db.bindTasks.values()].filter((t) => t.accountUin === accountUin && t.certId === certId);
  }

  async latestBindTask(accountUin: string, certId: string) {
    const t = this.#bindTasks(accountUin, certId).sort((a, b) => b.createdAt - a.createdAt)[0];
    return t ? copy(t) : null;
  }

  async getBindTaskAny(id: string) {
    const t = this.db.bindTasks.get(id);
    return t ? copy(t) : null;
  }

  async latestFinishedBindTask(accountUin: string, certId: string) {
    const t = this.#bindTasks(accountUin, certId).filter((x) => x.status === 1).sort((a, b) => b.updatedAt - a.updatedAt)[0];
    return t ? copy(t) : null;
  }

  async getBindTask(id: string, accountUin: string) {
    const t = this.db.bindTasks.get(id);
    return t && t.accountUin === accountUin ? copy(t) : null;
  }

  async insertBindTask(t: BindTask, job: NewJob) {
    this.db.write(() => {
      insertNew(this.db.bindTasks, t.id, t, 'bind task');
      upsertJob(this.db, job);
    });
  }

  async finishBindTask(id: string, status: number, result: BoundResource[] | null, error: string | null, now: number) {
    const t = this.db.bindTasks.get(id);
    if (t) this.db.write(() => Object.assign(t, { status, result: copy(result), error, updatedAt: now }));
  }

  // The expiry-notification switch.
  async setIgnoreExpiry(accountUin: string, certIds: string[], ignore: boolean, now: number) {
    this.db.write(() => {
      for (const id of certIds) {
        const cur = this.db.expirySwitch.get(id);
        if (cur) Object.assign(cur, { ignore, updatedAt: now });
        else this.db.expirySwitch.set(id, { accountUin, ignore, updatedAt: now });
      }
    });
  }

  async ignoredExpiry(accountUin: string, certIds: string[]) {
    return new Set(certIds.filter((id) => {
      const s = this.db.expirySwitch.get(id);
      return s?.accountUin === accountUin && s.ignore;
    }));
  }

  // Bulk-delete tasks.
  async insertDeleteTasks(tasks: DeleteTask[], jobs: NewJob[]) {
    if (tasks.length === 0) return;
    for (const t of tasks) if (this.db.deleteTasks.has(t.id)) throw new Error(`duplicate delete task ${t.id}`);
    this.db.write(() => {
      for (const t of tasks) this.db.deleteTasks.set(t.id, copy(t));
      for (const j of jobs) upsertJob(this.db, j);
    });
  }

  async getDeleteTask(id: string) {
    const t = this.db.deleteTasks.get(id);
    return t ? copy(t) : null;
  }

  async getDeleteTasks(accountUin: string, ids: string[]) {
    return [...this.db.deleteTasks.values()].filter((t) => t.accountUin === accountUin && ids.includes(t.id)).map(copy);
  }

  async finishDeleteTask(id: string, status: number, error: string | null, now: number) {
    const t = this.db.deleteTasks.get(id);
    if (t) this.db.write(() => Object.assign(t, { status, error, updatedAt: now }));
  }
}

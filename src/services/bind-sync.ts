// CreateCertificateBindResourceSyncTask: which of the account's resources serve a certificate,
// found by a job that probes every resource with a probe address and adds what certport
// deployed; a recent result is served from cache (IsCache 1).
import { randomBytes } from 'node:crypto';
import { ServiceError } from '../domain/errors.js';
import { BIND_TASK, type BindTask, type BoundResource } from '../domain/deployment.js';
import type { BindTaskStore } from '../domain/stores.js';
import type { CertificateRecord } from '../domain/certificate.js';
import { accountCaller, type Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { CertificateService } from './certificates.js';
import { DEFAULT_BIND_CACHE_MS, type ResourceOptions, type ResourceService } from './resources.js';

export const BIND_SYNC = 'deploy-bind-sync';

export class BindSyncService {
  readonly #cacheMs: number;

  constructor(
    private readonly store: BindTaskStore,
    private readonly resources: Pick<ResourceService, 'listResourcesOf' | 'probeAll'>,
    private readonly certificates: Pick<CertificateService, 'get'>,
    private readonly clock: Clock,
    opts: Pick<ResourceOptions, 'bindCacheMs'> = {},
    private readonly kick: () => void = () => {},
  ) {
    this.#cacheMs = opts.bindCacheMs ?? DEFAULT_BIND_CACHE_MS;
  }

  /** The task for each certificate: a fresh one from cache (IsCache 1) or a new job. */
  async bindSync(caller: Caller, certIds: string[], useCache: boolean): Promise<{ certId: string; taskId: string }[]> {
    const out: { certId: string; taskId: string }[] = [];
    const now = this.clock();
    for (const certId of [...new Set(certIds)]) {
      await this.certificates.get(caller, certId);
      const last = await this.store.latestBindTask(caller.accountUin, certId);
      if (last && (last.status === BIND_TASK.running || (useCache && last.status === BIND_TASK.done && now - last.updatedAt < this.#cacheMs))) {
        out.push({ certId, taskId: last.id });
        continue;
      }
      const id = 'bind-' + randomBytes(8).toString('hex');
      await this.store.insertBindTask({ id, accountUin: caller.accountUin, certId, status: BIND_TASK.running, result: null, error: null, createdAt: now, updatedAt: now },
        { kind: BIND_SYNC, subject: id, runAt: now });
      out.push({ certId, taskId: id });
    }
    this.kick();
    return out;
  }

  async bindTask(caller: Caller, id: string): Promise<BindTask> {
    const t = await this.store.getBindTask(id, caller.accountUin);
    if (!t) throw new ServiceError('FailedOperation.CertificateSyncTaskIdInvalid', `The task ${id} does not exist.`);
    return t;
  }

  /** The job: probes every resource of the account with a probe address, then records what serves the certificate. */
  async runBindSync(taskId: string): Promise<number | null> {
    const t = await this.store.getBindTaskAny(taskId);
    if (!t || t.status !== BIND_TASK.running) return null;
    const now = this.clock();
    let c: CertificateRecord;
    try {
      c = await this.certificates.get(accountCaller(t.accountUin), t.certId);
    } catch {
      await this.store.finishBindTask(t.id, BIND_TASK.failed, null, `certificate ${t.certId} no longer exists`, now);
      return null;
    }
    const resources = await this.resources.listResourcesOf(t.accountUin);
    const probed = await this.resources.probeAll(resources);
    const found: BoundResource[] = [];
    for (const r of resources) {
      const p = probed.get(r.id);
      const how: BoundResource['how'] = [];
      if (p?.ok && p.sha256 === c.fingerprintSha256) how.push('probe');
      if (r.certSha256 === c.fingerprintSha256 && (!p || !p.ok || p.sha256 === c.fingerprintSha256)) how.push('deployed');
      if (how.length) found.push({ resourceId: r.id, type: r.type, region: r.region, name: r.name, domains: r.domains, how });
    }
    await this.store.finishBindTask(t.id, BIND_TASK.done, found, null, this.clock());
    return null;
  }
}

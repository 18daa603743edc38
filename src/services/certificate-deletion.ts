// DeleteCertificates (and DeleteCertificate with IsCheckResource): certificates no resource
// serves are deleted; with IsSync, one task per certificate, worked by a job, whose outcome
// DescribeDeleteCertificatesTaskResult reports.
import { randomBytes } from 'node:crypto';
import { ServiceError } from '../domain/errors.js';
import { DELETE_TASK, type DeleteTask } from '../domain/deployment.js';
import type { DeleteTaskStore } from '../domain/stores.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { CertStatus } from '../domain/certificate.js';
import type { CertificateRecord } from '../domain/certificate.js';
import type { CertificateService } from './certificates.js';
import type { DvOrderService } from './dv-orders.js';
import type { ResourceService } from './resources.js';

export const CERT_DELETE = 'cert-delete';

export interface DeleteOutcome { success: string[]; fail: { certId: string; msg: string }[]; tasks: { certId: string; taskId: string }[] }

export class CertificateDeletionService {
  constructor(
    private readonly store: DeleteTaskStore,
    private readonly certificates: Pick<CertificateService, 'get' | 'delete'>,
    private readonly resources: Pick<ResourceService, 'boundTo'>,
    private readonly clock: Clock,
    private readonly kick: () => void = () => {},
    /** Cancels an order that was never issued, so deleting it releases what the order holds. */
    private readonly orders?: Pick<DvOrderService, 'cancel'>,
  ) {}

  /** The resources a certificate of the caller's is still deployed on (`type id`). */
  async boundTo(caller: Caller, certId: string): Promise<string[]> {
    const c = await this.certificates.get(caller, certId);
    return (await this.resources.boundTo(c)).map((r) => `${r.type} ${r.id}`);
  }

  /**
   * DeleteCertificate without the resource check. A free order that was never issued (status 0
   * or 4) is cancelled first and then deleted at once: the one-hour rule guards issued
   * certificates, and Terraform's destroy of a pending free certificate calls exactly this.
   */
  async deleteOne(caller: Caller, certId: string): Promise<void> {
    const c = await this.certificates.get(caller, certId);
    if (this.orders && neverIssued(c)) await this.orders.cancel(caller, certId);
    await this.certificates.delete(caller, certId);
  }

  /**
   * Deletes certificates that no resource serves. `asTask`: one task per certificate, worked by
   * a job (DescribeDeleteCertificatesTaskResult: 1 deleted, 2 failed, 4 still bound); else at once.
   */
  async deleteCertificates(caller: Caller, ids: string[], asTask: boolean): Promise<DeleteOutcome> {
    const unique = [...new Set(ids)];
    const out: DeleteOutcome = { success: [], fail: [], tasks: [] };
    if (asTask) {
      const now = this.clock();
      const tasks: DeleteTask[] = [];
      for (const certId of unique) {
        let domains: string[] = [];
        try {
          const c = await this.certificates.get(caller, certId);
          domains = c.sans.length ? c.sans : [c.domain];
        } catch (e) {
          out.fail.push({ certId, msg: (e as Error).message });
          continue;
        }
        tasks.push({ id: 'del-' + randomBytes(8).toString('hex'), accountUin: caller.accountUin, certId, domains, status: DELETE_TASK.pending, error: null, createdAt: now, updatedAt: now });
      }
      await this.store.insertDeleteTasks(tasks, tasks.map((t) => ({ kind: CERT_DELETE, subject: t.id, runAt: now, payload: JSON.stringify({ userUin: caller.userUin }) })));
      out.tasks = tasks.map((t) => ({ certId: t.certId, taskId: t.id }));
      if (tasks.length) this.kick();
      return out;
    }
    for (const certId of unique) {
      try {
        await this.#deleteUnbound(caller, certId);
        out.success.push(certId);
      } catch (e) {
        out.fail.push({ certId, msg: (e as Error).message });
      }
    }
    return out;
  }

  async #deleteUnbound(caller: Caller, certId: string): Promise<void> {
    const c = await this.certificates.get(caller, certId);
    const bound = await this.resources.boundTo(c);
    if (bound.length) {
      throw new ServiceError('FailedOperation.DeleteResourceFailed',
        `The certificate ${certId} is still deployed on ${bound.map((r) => `${r.type} ${r.id}`).join(', ')}; update or unbind those first.`);
    }
    await this.deleteOne(caller, certId);
  }

  /** The job of one delete task. */
  async runDeleteTask(taskId: string, payload: string | null): Promise<null> {
    const t = await this.store.getDeleteTask(taskId);
    if (!t || t.status !== DELETE_TASK.pending) return null;
    const userUin = payload ? (JSON.parse(payload) as { userUin?: string }).userUin ?? t.accountUin : t.accountUin;
    let status: number = DELETE_TASK.deleted;
    let error: string | null = null;
    try {
      await this.#deleteUnbound({ accountUin: t.accountUin, userUin }, t.certId);
    } catch (e) {
      error = (e as Error).message;
      status = e instanceof ServiceError && e.code === 'FailedOperation.DeleteResourceFailed' ? DELETE_TASK.stillBound : DELETE_TASK.failed;
    }
    await this.store.finishDeleteTask(t.id, status, error, this.clock());
    return null;
  }

  deleteTasks(caller: Caller, ids: string[]): Promise<DeleteTask[]> {
    return this.store.getDeleteTasks(caller.accountUin, ids);
  }
}

/** A free order still awaiting validation: status 0 (pending) or 4 (DNS record added). */
function neverIssued(c: CertificateRecord): boolean {
  return c.isDv && c.source !== 'upload' && (c.status === CertStatus.reviewing || c.status === CertStatus.dnsAdded) && !c.notAfter;
}

// PaidOrderStore in memory.
import type { CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import type { DvOrderRecord } from '../../domain/dv-order.js';
import type { NewJob } from '../../domain/job.js';
import type { PaidOrderRecord } from '../../domain/paid-order.js';
import type { PaidOrderStore } from '../../domain/stores.js';
import { certificateOut, insertCertificate } from './certificates.js';
import { upsertJob } from './jobs.js';
import { copy, defined, insertNew, type MemoryDb } from './memory.js';

export class FakePaidOrderStore implements PaidOrderStore {
  constructor(private readonly db: MemoryDb) {}

  async insertPaidOrders(items: { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord }[]) {
    for (const { cert, order } of items) {
      if (this.db.certificates.has(cert.id)) throw new Error(`duplicate certificate ${cert.id}`);
      if (this.db.paidOrders.has(order.certId)) throw new Error(`duplicate paid order ${order.certId}`);
    }
    this.db.write(() => {
      for (const { cert, order, log } of items) {
        insertCertificate(this.db, cert);
        // What was submitted, the letter and the review come later.
        insertNew(this.db.paidOrders, order.certId, {
          ...order, submitted: null, csrPem: null, letterSealed: null, letterType: null, reviewNote: null, reviewedBy: null, reviewedAt: null,
        }, 'paid order');
        this.db.logs.push(copy(log));
      }
    });
  }

  async getPaidOrder(certId: string) {
    const o = this.db.paidOrders.get(certId);
    return o ? copy(o) : null;
  }

  async submitPaidOrder(certId: string, cert: { domain: string; sans: string[]; isWildcard: boolean; privateKeySealed: string | null; keyPasswordSealed: string | null },
    submitted: Record<string, unknown>, csrPem: string | null, log: OperationLogRecord) {
    const c = this.db.certificates.get(certId);
    const o = this.db.paidOrders.get(certId);
    if (c?.status !== 5) return false;
    this.db.write(() => {
      Object.assign(c, copy(cert), { updatedAt: log.createdAt });
      if (o) Object.assign(o, { submitted: copy(submitted), csrPem });
      this.db.logs.push(copy(log));
    });
    return true;
  }

  async updatePaidOrder(certId: string, patch: Partial<Pick<PaidOrderRecord, 'letterSealed' | 'letterType' | 'reviewNote' | 'reviewedBy' | 'reviewedAt' | 'submitted'>>) {
    const o = this.db.paidOrders.get(certId);
    if (o) this.db.write(() => Object.assign(o, copy(defined(patch))));
  }

  async listPaidOrders(q: { accountUin?: string; statuses?: number[]; limit: number }) {
    const orders = [...this.db.paidOrders.values()].filter((o) => !q.accountUin || o.accountUin === q.accountUin)
      .sort((a, b) => b.createdAt - a.createdAt).slice(0, Math.max(q.limit * 4, q.limit));
    const out: { cert: CertificateRecord; order: PaidOrderRecord }[] = [];
    for (const o of orders) {
      const c = this.db.certificates.get(o.certId);
      if (!c || c.accountUin !== o.accountUin || (q.statuses?.length && !q.statuses.includes(c.status))) continue;
      out.push({ cert: certificateOut(c), order: copy(o) });
      if (out.length >= q.limit) break;
    }
    return out;
  }

  async countPaidOrders(accountUin: string) {
    return [...this.db.paidOrders.values()].filter((o) => o.accountUin === accountUin).length;
  }

  async startDvValidation(order: DvOrderRecord, dvDeadline: number, log: OperationLogRecord, job: NewJob) {
    const c = this.db.certificates.get(order.certId);
    if (c?.status !== 0) return false;
    this.db.write(() => {
      Object.assign(c, { statusMsg: 'pending-dcv', dvDeadline, verifyType: order.method, updatedAt: log.createdAt });
      this.db.dvOrders.set(order.certId, copy(order));
      this.db.logs.push(copy(log));
      upsertJob(this.db, job);
    });
    return true;
  }
}

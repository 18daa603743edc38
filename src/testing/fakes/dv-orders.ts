// DvOrderStore in memory: conditional transitions and the reissue/renewal conflicts as the
// SQL store has them, each write all or nothing.
import type { CertificateRecord, CertificateTransition, OperationLogRecord } from '../../domain/certificate.js';
import type { DvOrderRecord } from '../../domain/dv-order.js';
import type { NewJob } from '../../domain/job.js';
import { type DvOrderStore, RenewalConflict, ReplaceConflict } from '../../domain/stores.js';
import { insertCertificate } from './certificates.js';
import { upsertJob } from './jobs.js';
import { copy, defined, insertNew, type MemoryDb } from './memory.js';

export class FakeDvOrderStore implements DvOrderStore {
  constructor(private readonly db: MemoryDb) {}

  async insertDvOrder(c: CertificateRecord, order: DvOrderRecord, log: OperationLogRecord, job: NewJob, renewing?: string, replacing?: string) {
    const mine = (id: string) => {
      const x = this.db.certificates.get(id);
      return x && x.accountUin === c.accountUin ? x : null;
    };
    // Checked before anything is written: a conflict leaves nothing behind, as a rolled-back transaction.
    if (this.db.certificates.has(c.id)) throw new Error(`duplicate certificate ${c.id}`);
    if (this.db.dvOrders.has(order.certId)) throw new Error(`duplicate DV order ${order.certId}`);
    const renewed = renewing ? mine(renewing) : null;
    if (renewing && (!renewed || renewed.renewOrderId !== null)) throw new RenewalConflict(renewing);
    const replaced = replacing ? mine(replacing) : null;
    if (replacing && (!replaced || replaced.status !== 1 || replaced.replacedBy !== null)) throw new ReplaceConflict(replacing);
    this.db.write(() => {
      insertCertificate(this.db, c);
      insertNew(this.db.dvOrders, order.certId, order, 'DV order');
      if (renewed) Object.assign(renewed, { renewOrderId: c.id, updatedAt: c.createdAt });
      if (replaced) Object.assign(replaced, { replacedBy: c.id, status: 11, updatedAt: c.createdAt });
      this.db.logs.push(copy(log));
      upsertJob(this.db, job);
    });
  }

  async settleReplacement(originalId: string, reissued: boolean, now: number) {
    const c = this.db.certificates.get(originalId);
    if (c?.status !== 11) return;
    this.db.write(() => Object.assign(c, { status: 1, updatedAt: now, ...(reissued ? {} : { replacedBy: null }) }));
  }

  async getDvOrder(certId: string) {
    const o = this.db.dvOrders.get(certId);
    return o ? copy(o) : null;
  }

  async getDvOrders(certIds: string[]) {
    const out = new Map<string, DvOrderRecord>();
    for (const id of certIds) {
      const o = this.db.dvOrders.get(id);
      if (o) out.set(id, copy(o));
    }
    return out;
  }

  async recordDvCheck(certId: string, at: number, detail: string, recordState?: DvOrderRecord['recordState']) {
    const o = this.db.dvOrders.get(certId);
    if (o) this.db.write(() => Object.assign(o, { lastCheckAt: at, lastCheckDetail: detail, ...(recordState ? { recordState } : {}) }));
  }

  async replaceAcmeOrder(certId: string, orderUrl: string | null, auths: DvOrderRecord['auths'], recordState: DvOrderRecord['recordState']) {
    const o = this.db.dvOrders.get(certId);
    if (o) this.db.write(() => Object.assign(o, { acmeOrderUrl: orderUrl, auths: copy(auths), recordState }));
  }

  async transitionCertificate(id: string, t: CertificateTransition, log?: OperationLogRecord, jobs: NewJob[] = []) {
    const c = this.db.certificates.get(id);
    if (!c || !t.fromStatuses.includes(c.status)) return false;
    this.db.write(() => {
      Object.assign(c, copy(defined(t.set)), { updatedAt: log?.createdAt ?? Date.now() });
      if (t.set.certPem !== undefined) delete c.chainRootPem; // a new chain: its root is found again
      if (log) this.db.logs.push(copy(log));
      for (const j of jobs) upsertJob(this.db, j);
    });
    return true;
  }

  async countFreeCertificates(accountUin: string, now: number, mainDomain?: string) {
    let n = 0;
    for (const o of this.db.dvOrders.values()) {
      const c = this.db.certificates.get(o.certId);
      if (!c || o.accountUin !== accountUin || (mainDomain !== undefined && o.mainDomain !== mainDomain)) continue;
      // Pending, or issued and unexpired; failed, cancelled and expired ones no longer count.
      if (c.status === 0 || c.status === 4 || (c.status === 1 && c.notAfter > now)) n++;
    }
    return n;
  }
}

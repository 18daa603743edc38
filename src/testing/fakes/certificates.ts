// CertificateStore in memory.
import type { ChainFacts, CertificateQuery, CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import type { NewJob } from '../../domain/job.js';
import { type CertificateStore, type KeptDownload, RenewalConflict } from '../../domain/stores.js';
import { listInMemory } from './listing.js';
import { upsertJob } from './jobs.js';
import { copy, insertNew, type MemoryDb } from './memory.js';

/** A stored certificate as the store gives it back: a copy, tags in key order. */
export const certificateOut = (c: CertificateRecord): CertificateRecord => {
  const out = copy(c);
  out.tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
};

/** The certificate, refusing an id already taken. */
export function insertCertificate(db: MemoryDb, c: CertificateRecord): void {
  insertNew(db.certificates, c.id, c, 'certificate');
}

export class FakeCertificateStore implements CertificateStore {
  constructor(private readonly db: MemoryDb) {}

  async insertCertificate(c: CertificateRecord, log: OperationLogRecord) {
    this.db.write(() => {
      insertCertificate(this.db, c);
      this.db.logs.push(copy(log));
    });
  }

  async findBySerial(serialHex: string) {
    return [...this.db.certificates.values()].filter((c) => c.serialHex === serialHex).map(certificateOut);
  }

  async getCertificate(accountUin: string, id: string) {
    const c = this.db.certificates.get(id);
    return c && c.accountUin === accountUin ? certificateOut(c) : null;
  }

  async getCertificateById(id: string) {
    const c = this.db.certificates.get(id);
    return c ? certificateOut(c) : null;
  }

  async linkRenewal(certId: string, renewCertId: string, now: number) {
    const c = this.db.certificates.get(certId);
    if (!c || c.renewOrderId !== null) throw new RenewalConflict(certId);
    this.db.write(() => {
      Object.assign(c, { renewOrderId: renewCertId, updatedAt: now });
      const renewal = this.db.certificates.get(renewCertId);
      if (renewal) Object.assign(renewal, { originCertId: certId, updatedAt: now });
    });
  }

  async releaseRenewal(certId: string, renewCertId: string, now: number) {
    const c = this.db.certificates.get(certId);
    if (c?.renewOrderId === renewCertId) this.db.write(() => Object.assign(c, { renewOrderId: null, updatedAt: now }));
  }

  async findByFingerprint(accountUin: string, sha1: string, type: string) {
    const found = [...this.db.certificates.values()]
      .filter((c) => c.accountUin === accountUin && c.fingerprintSha1 === sha1 && c.certificateType === type)
      .sort((a, b) => a.createdAt - b.createdAt)[0];
    return found ? certificateOut(found) : null;
  }

  async listCertificates(q: CertificateQuery) {
    const r = listInMemory(this.db.certificates.values(), q);
    return { total: r.total, items: r.items.map(certificateOut) };
  }

  async changeToken() {
    return String(this.db.version);
  }

  async updateAlias(accountUin: string, id: string, alias: string, now: number, log: OperationLogRecord) {
    const c = this.db.certificates.get(id);
    if (!c || c.accountUin !== accountUin) return false;
    this.db.write(() => {
      Object.assign(c, { alias, updatedAt: now });
      this.db.logs.push(copy(log));
    });
    return true;
  }

  async updateProject(accountUin: string, ids: string[], projectId: number, now: number, log: (id: string) => OperationLogRecord) {
    const moved = [...new Set(ids)].filter((id) => this.db.certificates.get(id)?.accountUin === accountUin);
    if (moved.length === 0) return [];
    this.db.write(() => {
      for (const id of moved) Object.assign(this.db.certificates.get(id)!, { projectId, updatedAt: now });
      for (const id of moved) this.db.logs.push(copy(log(id)));
    });
    return ids.filter((id) => moved.includes(id));
  }

  async recordChainRoot(id: string, rootPem: string) {
    const c = this.db.certificates.get(id);
    if (c) this.db.write(() => { c.chainRootPem = rootPem; });
  }

  async getCertificateDetail(accountUin: string, id: string) {
    const c = this.db.certificates.get(id);
    if (!c || c.accountUin !== accountUin) return null;
    const h = this.db.hosting.get(id);
    return { certificate: certificateOut(c), hostingStatus: h && h.accountUin === accountUin ? h.status : null };
  }

  async recordChainFacts(id: string, certPem: string, facts: ChainFacts) {
    const c = this.db.certificates.get(id);
    if (c && c.certPem === certPem) this.db.write(() => { c.chainFacts = copy(facts); });
  }

  async getDownload(id: string) {
    const d = this.db.downloads.get(id);
    return d ? copy(d) : null;
  }

  async putDownload(d: KeptDownload, log: OperationLogRecord | null = null) {
    this.db.write(() => {
      if (log) this.db.logs.push(copy(log));
      if (this.db.certificates.has(d.certId)) this.db.downloads.set(d.certId, copy(d));
    });
  }

  async deleteCertificate(accountUin: string, id: string, log: OperationLogRecord, jobs: NewJob[] = []) {
    const c = this.db.certificates.get(id);
    if (!c || c.accountUin !== accountUin) return false;
    this.db.write(() => {
      this.db.dvOrders.delete(id);
      this.db.paidOrders.delete(id);
      // A renewal that is deleted no longer blocks renewing the original (in this account).
      for (const other of this.db.certificates.values()) {
        if (other.renewOrderId === id && other.accountUin === accountUin) other.renewOrderId = null;
      }
      for (const j of jobs) upsertJob(this.db, j);
      this.db.certificates.delete(id);
      this.db.downloads.delete(id);
      this.db.logs.push(copy(log));
    });
    return true;
  }
}

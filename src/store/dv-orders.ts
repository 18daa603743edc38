// Free (DV) certificate orders: the `dv_orders` table, and the certificate transitions the
// issuance path makes (each with its log entry and next jobs, in one transaction).
import type { Kysely } from 'kysely';
import type { CertificateRow, Database, DvOrderRow } from './schema.js';
import type { CertificateRecord, CertificateTransition, OperationLogRecord } from '../domain/certificate.js';
import type { DvOrderRecord } from '../domain/dv-order.js';
import type { NewJob } from '../domain/job.js';
import { type DvOrderStore, RenewalConflict, ReplaceConflict } from '../domain/stores.js';
import { insertCertificateRows } from './certificate-rows.js';
import { insertLog } from './operation-log.js';
import { upsertJob } from './jobs.js';
import { spkiSha256OfPem } from '../pki/revocation.js';

export const dvOrderRow = (o: DvOrderRecord): DvOrderRow => ({
  cert_id: o.certId,
  account_uin: o.accountUin,
  method: o.method,
  main_domain: o.mainDomain,
  auths: JSON.stringify(o.auths),
  key_algo: o.keyAlgo,
  key_param: o.keyParam,
  contact_email: o.contactEmail,
  contact_phone: o.contactPhone,
  delete_dns_auto_record: o.deleteDnsAutoRecord ? 1 : 0,
  record_state: o.recordState,
  last_check_at: o.lastCheckAt,
  last_check_detail: o.lastCheckDetail,
  created_at: o.createdAt,
  acme_order_url: o.acmeOrderUrl,
  csr_pem: o.csrPem,
});

export const dvOrderRecord = (r: DvOrderRow): DvOrderRecord => ({
  certId: r.cert_id,
  accountUin: r.account_uin,
  method: r.method as DvOrderRecord['method'],
  mainDomain: r.main_domain,
  auths: JSON.parse(r.auths),
  keyAlgo: r.key_algo as DvOrderRecord['keyAlgo'],
  keyParam: r.key_param,
  contactEmail: r.contact_email,
  contactPhone: r.contact_phone,
  deleteDnsAutoRecord: !!r.delete_dns_auto_record,
  recordState: r.record_state as DvOrderRecord['recordState'],
  lastCheckAt: r.last_check_at === null ? null : Number(r.last_check_at),
  lastCheckDetail: r.last_check_detail,
  createdAt: Number(r.created_at),
  acmeOrderUrl: r.acme_order_url,
  csrPem: r.csr_pem,
});

export class SqlDvOrderStore implements DvOrderStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insertDvOrder(c: CertificateRecord, order: DvOrderRecord, log: OperationLogRecord, job: NewJob, renewing?: string, replacing?: string) {
    await this.db.transaction().execute(async (tx) => {
      await insertCertificateRows(tx, c);
      await tx.insertInto('dv_orders').values(dvOrderRow(order)).execute();
      if (renewing) {
        // Only one renewal at a time: the link is set only where none is.
        const r = await tx.updateTable('certificates').set({ renew_order_id: c.id, updated_at: c.createdAt })
          .where('id', '=', renewing).where('account_uin', '=', c.accountUin).where('renew_order_id', 'is', null).executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new RenewalConflict(renewing);
      }
      if (replacing) {
        // One reissue per certificate: 1 → 11 (reissuing) only where none was made.
        const r = await tx.updateTable('certificates').set({ replaced_by: c.id, status: 11, updated_at: c.createdAt })
          .where('id', '=', replacing).where('account_uin', '=', c.accountUin).where('status', '=', 1).where('replaced_by', 'is', null)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new ReplaceConflict(replacing);
      }
      await insertLog(tx, log);
      await upsertJob(tx, job, c.createdAt);
    });
  }

  async settleReplacement(originalId: string, reissued: boolean, now: number) {
    await this.db.updateTable('certificates')
      .set({ status: 1, updated_at: now, ...(reissued ? {} : { replaced_by: null }) })
      .where('id', '=', originalId).where('status', '=', 11).execute();
  }

  async getDvOrder(certId: string) {
    const r = await this.db.selectFrom('dv_orders').selectAll().where('cert_id', '=', certId).executeTakeFirst();
    return r ? dvOrderRecord(r) : null;
  }

  async getDvOrders(certIds: string[]) {
    const out = new Map<string, DvOrderRecord>();
    for (let i = 0; i < certIds.length; i += 500) {
      const rows = await this.db.selectFrom('dv_orders').selectAll().where('cert_id', 'in', certIds.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.cert_id, dvOrderRecord(r));
    }
    return out;
  }

  async recordDvCheck(certId: string, at: number, detail: string, recordState?: DvOrderRecord['recordState']) {
    await this.db.updateTable('dv_orders')
      .set({ last_check_at: at, last_check_detail: detail, ...(recordState ? { record_state: recordState } : {}) })
      .where('cert_id', '=', certId).execute();
  }

  async replaceAcmeOrder(certId: string, orderUrl: string | null, auths: DvOrderRecord['auths'], recordState: DvOrderRecord['recordState']) {
    await this.db.updateTable('dv_orders').set({ acme_order_url: orderUrl, auths: JSON.stringify(auths), record_state: recordState })
      .where('cert_id', '=', certId).execute();
  }

  async transitionCertificate(id: string, t: CertificateTransition, log?: OperationLogRecord, jobs: NewJob[] = []) {
    return this.db.transaction().execute(async (tx) => {
      const set: Partial<CertificateRow> = { updated_at: log?.createdAt ?? Date.now() };
      const v = t.set;
      if (v.status !== undefined) set.status = v.status;
      if (v.statusMsg !== undefined) set.status_msg = v.statusMsg;
      if (v.fingerprintSha1 !== undefined) set.fingerprint_sha1 = v.fingerprintSha1;
      if (v.fingerprintSha256 !== undefined) set.fingerprint_sha256 = v.fingerprintSha256;
      if (v.serialHex !== undefined) set.serial_hex = v.serialHex;
      if (v.issuerCn !== undefined) set.issuer_cn = v.issuerCn;
      if (v.encryptAlgorithm !== undefined) set.encrypt_algorithm = v.encryptAlgorithm;
      if (v.notBefore !== undefined) set.not_before = v.notBefore;
      if (v.notAfter !== undefined) set.not_after = v.notAfter;
      if (v.validatedAt !== undefined) set.validated_at = v.validatedAt;
      if (v.validityPeriod !== undefined) set.validity_period = v.validityPeriod;
      const r = await tx.updateTable('certificates').set(set).where('id', '=', id).where('status', 'in', t.fromStatuses).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      // A new chain: its root and facts as the caller parsed them, else found again when first read.
      if (v.certPem !== undefined) {
        await tx.updateTable('certificate_material').set({
          cert_pem: v.certPem, chain_root_pem: v.chainRootPem ?? null, chain_facts: v.chainFacts ? JSON.stringify(v.chainFacts) : null, spki_sha256: spkiSha256OfPem(v.certPem),
        }).where('cert_id', '=', id).execute();
      }
      if (v.encryptCertPem !== undefined) {
        await tx.updateTable('certificate_material').set({ encrypt_cert_pem: v.encryptCertPem, ...(v.certPem === undefined ? { chain_facts: null } : {}) }).where('cert_id', '=', id).execute();
      }
      // A kept download of the old material is dropped with it.
      if (v.certPem !== undefined || v.encryptCertPem !== undefined) await tx.deleteFrom('certificate_downloads').where('cert_id', '=', id).execute();
      if (log) await insertLog(tx, log);
      for (const j of jobs) await upsertJob(tx, j, log?.createdAt ?? Date.now());
      return true;
    });
  }

  async countFreeCertificates(accountUin: string, now: number, mainDomain?: string) {
    let q = this.db.selectFrom('dv_orders as o').innerJoin('certificates as c', 'c.id', 'o.cert_id')
      .where('o.account_uin', '=', accountUin)
      // Pending, or issued and unexpired; failed, cancelled and expired ones no longer count.
      .where((eb) => eb.or([eb('c.status', 'in', [0, 4]), eb.and([eb('c.status', '=', 1), eb('c.not_after', '>', now)])]));
    if (mainDomain !== undefined) q = q.where('o.main_domain', '=', mainDomain);
    const r = await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

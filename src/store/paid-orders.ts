// Paid (OV/EV) orders: the `paid_orders` table, with the certificate each order is for.
import type { Kysely } from 'kysely';
import type { Database, PaidOrderRow } from './schema.js';
import type { Q } from './db.js';
import type { CertificateRecord, OperationLogRecord } from '../domain/certificate.js';
import type { DvOrderRecord } from '../domain/dv-order.js';
import type { NewJob } from '../domain/job.js';
import type { PaidOrderRecord } from '../domain/paid-order.js';
import type { PaidOrderStore } from '../domain/stores.js';
import { insertCertificateRows, readCertificate } from './certificate-rows.js';
import { dvOrderRow } from './dv-orders.js';
import { insertLog } from './operation-log.js';
import { upsertJob } from './jobs.js';

const paidRecord = (r: PaidOrderRow): PaidOrderRecord => ({
  certId: r.cert_id,
  accountUin: r.account_uin,
  productId: Number(r.product_id),
  domainNum: Number(r.domain_num),
  timeSpan: Number(r.time_span),
  validityDays: Number(r.validity_days),
  dealId: r.deal_id,
  submitted: r.submitted ? JSON.parse(r.submitted) : null,
  csrPem: r.csr_pem,
  letterSealed: r.letter_sealed,
  letterType: r.letter_type,
  reviewNote: r.review_note,
  reviewedBy: r.reviewed_by,
  reviewedAt: r.reviewed_at === null ? null : Number(r.reviewed_at),
  createdAt: Number(r.created_at),
});

/** New orders with their certificates and log lines (also the packages store's, inside its transaction). */
export async function insertPaidOrderRows(tx: Q, items: { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord }[]): Promise<void> {
  for (const { cert: c, order: o, log } of items) {
    await insertCertificateRows(tx, c);
    await tx.insertInto('paid_orders').values({
      cert_id: o.certId, account_uin: o.accountUin, product_id: o.productId, domain_num: o.domainNum, time_span: o.timeSpan,
      validity_days: o.validityDays, deal_id: o.dealId, submitted: null, csr_pem: null, letter_sealed: null, letter_type: null,
      review_note: null, reviewed_by: null, reviewed_at: null, created_at: o.createdAt,
    }).execute();
    await insertLog(tx, log);
  }
}

export class SqlPaidOrderStore implements PaidOrderStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insertPaidOrders(items: { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord }[]) {
    await this.db.transaction().execute((tx) => insertPaidOrderRows(tx, items));
  }

  async getPaidOrder(certId: string) {
    const r = await this.db.selectFrom('paid_orders').selectAll().where('cert_id', '=', certId).executeTakeFirst();
    return r ? paidRecord(r) : null;
  }

  async submitPaidOrder(certId: string, cert: { domain: string; sans: string[]; isWildcard: boolean; privateKeySealed: string | null; keyPasswordSealed: string | null },
    submitted: Record<string, unknown>, csrPem: string | null, log: OperationLogRecord) {
    return this.db.transaction().execute(async (tx) => {
      const cur = await tx.selectFrom('certificates').select(['alias']).where('id', '=', certId).where('status', '=', 5).executeTakeFirst();
      if (!cur) return false;
      await tx.updateTable('certificates').set({
        domain: cert.domain, sans: JSON.stringify(cert.sans), is_wildcard: cert.isWildcard ? 1 : 0, has_key: cert.privateKeySealed ? 1 : 0,
        search_text: [certId, cur.alias, cert.domain, ...cert.sans].join('\n').toLowerCase(), updated_at: log.createdAt,
      }).where('id', '=', certId).execute();
      await tx.updateTable('certificate_material').set({ private_key_sealed: cert.privateKeySealed, key_password_sealed: cert.keyPasswordSealed })
        .where('cert_id', '=', certId).execute();
      await tx.updateTable('paid_orders').set({ submitted: JSON.stringify(submitted), csr_pem: csrPem }).where('cert_id', '=', certId).execute();
      await insertLog(tx, log);
      return true;
    });
  }

  async updatePaidOrder(certId: string, patch: Partial<Pick<PaidOrderRecord, 'letterSealed' | 'letterType' | 'reviewNote' | 'reviewedBy' | 'reviewedAt' | 'submitted'>>) {
    const set: Partial<PaidOrderRow> = {};
    if (patch.submitted !== undefined) set.submitted = patch.submitted === null ? null : JSON.stringify(patch.submitted);
    if (patch.letterSealed !== undefined) set.letter_sealed = patch.letterSealed;
    if (patch.letterType !== undefined) set.letter_type = patch.letterType;
    if (patch.reviewNote !== undefined) set.review_note = patch.reviewNote;
    if (patch.reviewedBy !== undefined) set.reviewed_by = patch.reviewedBy;
    if (patch.reviewedAt !== undefined) set.reviewed_at = patch.reviewedAt;
    if (Object.keys(set).length) await this.db.updateTable('paid_orders').set(set).where('cert_id', '=', certId).execute();
  }

  async listPaidOrders(q: { accountUin?: string; statuses?: number[]; limit: number }) {
    let base = this.db.selectFrom('paid_orders').selectAll();
    if (q.accountUin) base = base.where('account_uin', '=', q.accountUin);
    const rows = await base.orderBy('created_at', 'desc').limit(Math.max(q.limit * 4, q.limit)).execute();
    const out: { cert: CertificateRecord; order: PaidOrderRecord }[] = [];
    for (const r of rows) {
      const cert = await readCertificate(this.db, r.account_uin, r.cert_id);
      if (!cert || (q.statuses?.length && !q.statuses.includes(cert.status))) continue;
      out.push({ cert, order: paidRecord(r) });
      if (out.length >= q.limit) break;
    }
    return out;
  }

  async countPaidOrders(accountUin: string) {
    const r = await this.db.selectFrom('paid_orders').select((eb) => eb.fn.countAll().as('n')).where('account_uin', '=', accountUin).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async startDvValidation(order: DvOrderRecord, dvDeadline: number, log: OperationLogRecord, job: NewJob) {
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('certificates').set({ status_msg: 'pending-dcv', dv_deadline: dvDeadline, verify_type: order.method, updated_at: log.createdAt })
        .where('id', '=', order.certId).where('status', '=', 0).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await tx.deleteFrom('dv_orders').where('cert_id', '=', order.certId).execute();
      await tx.insertInto('dv_orders').values(dvOrderRow(order)).execute();
      await insertLog(tx, log);
      await upsertJob(tx, job, log.createdAt);
      return true;
    });
  }
}

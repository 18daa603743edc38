// Hosting: the only code that reads and writes `cert_hosting` (and the renewal link it frees).
import type { Kysely } from 'kysely';
import type { CertHostingRow, Database } from './schema.js';
import { HOSTING, type HostingConfigInput, type HostingRecord, type HostingState } from '../domain/hosting.js';
import type { HostingStore } from '../domain/stores.js';
import { hotRead, listParam, type HotRead } from './db.js';

/** Every DescribeCertificates page asks (db.ts HotRead). */
export const HOSTING_OF: HotRead = {
  sqlite: 'select * from cert_hosting where account_uin = ? and cert_id in (select value from json_each(?))',
  postgres: 'select * from cert_hosting where account_uin = $1 and cert_id = any($2::text[])',
};


export const hostingRecord = (r: CertHostingRow): HostingRecord => ({
  certId: r.cert_id, accountUin: r.account_uin, resourceTypes: JSON.parse(r.resource_types), replaceDays: r.replace_days,
  messageTypes: JSON.parse(r.message_types), windowStart: r.window_start, windowEnd: r.window_end, status: Number(r.status),
  renewCertId: r.renew_cert_id, recordId: r.record_id === null ? null : Number(r.record_id),
  completeAt: r.complete_at === null ? null : Number(r.complete_at), failures: Number(r.failures), nextAt: Number(r.next_at),
  lastError: r.last_error, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});


export class SqlHostingStore implements HostingStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(certId: string): Promise<HostingRecord | null> {
    const r = await this.db.selectFrom('cert_hosting').selectAll().where('cert_id', '=', certId).executeTakeFirst();
    return r ? hostingRecord(r) : null;
  }

  async getMany(accountUin: string, certIds: string[]): Promise<Map<string, HostingRecord>> {
    const out = new Map<string, HostingRecord>();
    for (let i = 0; i < certIds.length; i += 500) {
      const rows = await hotRead<CertHostingRow>(this.db, HOSTING_OF, (pg) => [accountUin, listParam(pg, certIds.slice(i, i + 500))]);
      for (const r of rows) out.set(r.cert_id, hostingRecord(r));
    }
    return out;
  }

  async list(accountUin?: string): Promise<HostingRecord[]> {
    let q = this.db.selectFrom('cert_hosting').selectAll().orderBy('created_at');
    if (accountUin) q = q.where('account_uin', '=', accountUin);
    return (await q.execute()).map(hostingRecord);
  }

  /** Hosting on (or its settings changed): the state of a hosting under way is kept. */
  async put(certId: string, accountUin: string, cfg: HostingConfigInput, now: number): Promise<void> {
    const settings = {
      resource_types: JSON.stringify(cfg.resourceTypes), replace_days: cfg.replaceDays, message_types: JSON.stringify(cfg.messageTypes),
      window_start: cfg.windowStart, window_end: cfg.windowEnd,
    };
    await this.db.insertInto('cert_hosting').values({
      cert_id: certId, account_uin: accountUin, ...settings, status: HOSTING.hosting, renew_cert_id: null, record_id: null,
      complete_at: null, failures: 0, next_at: now, last_error: null, created_at: now, updated_at: now,
    }).onConflict((oc) => oc.column('cert_id').doUpdateSet({ ...settings, next_at: now, updated_at: now })).execute();
  }

  async update(certId: string, set: HostingState, now: number): Promise<void> {
    await this.db.updateTable('cert_hosting').set({
      ...(set.status !== undefined ? { status: set.status } : {}),
      ...(set.renewCertId !== undefined ? { renew_cert_id: set.renewCertId } : {}),
      ...(set.recordId !== undefined ? { record_id: set.recordId } : {}),
      ...(set.completeAt !== undefined ? { complete_at: set.completeAt } : {}),
      ...(set.failures !== undefined ? { failures: set.failures } : {}),
      ...(set.nextAt !== undefined ? { next_at: set.nextAt } : {}),
      ...(set.lastError !== undefined ? { last_error: set.lastError } : {}),
      updated_at: now,
    }).where('cert_id', '=', certId).execute();
  }

  async remove(certId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('cert_hosting').where('cert_id', '=', certId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** The hosting whose renewal is `renewCertId` (to wake it when the renewal settles). */
  async byRenewal(renewCertId: string): Promise<HostingRecord | null> {
    const r = await this.db.selectFrom('cert_hosting').selectAll().where('renew_cert_id', '=', renewCertId).executeTakeFirst();
    return r ? hostingRecord(r) : null;
  }
}

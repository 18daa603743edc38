// The operation log: the `operation_logs` table. Stores that change a certificate write its
// entry in the same transaction, through insertLog.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { OperationLogRecord } from '../domain/certificate.js';
import type { OperationLogStore } from '../domain/stores.js';
import type { Q } from './db.js';

export const logRow = (l: OperationLogRecord) => ({
  account_uin: l.accountUin,
  user_uin: l.userUin,
  cert_id: l.certId,
  type: l.type,
  action: l.action,
  created_at: l.createdAt,
});

/** One entry, inside the caller's transaction. */
export async function insertLog(q: Q, l: OperationLogRecord): Promise<void> {
  await q.insertInto('operation_logs').values(logRow(l)).execute();
}

export class SqlOperationLogStore implements OperationLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async appendLog(l: OperationLogRecord) {
    await insertLog(this.db, l);
  }

  /** Newest first. */
  async listLogs(accountUin: string, from: number, to: number, offset: number, limit: number) {
    const base = this.db.selectFrom('operation_logs').where('account_uin', '=', accountUin)
      .where('created_at', '>=', from).where('created_at', '<=', to);
    const n = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
    return {
      total: Number(n.n),
      items: rows.map((r) => ({
        accountUin: r.account_uin, userUin: r.user_uin, certId: r.cert_id, type: r.type, action: r.action, createdAt: Number(r.created_at),
      })),
    };
  }
}

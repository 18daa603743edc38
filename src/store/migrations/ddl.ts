// What several migrations build their DDL with.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/** Epoch milliseconds and counts: 64-bit on PostgreSQL (SQLite's integer already is). */
export const bigint = (dialect: Dialect) => (dialect === 'postgres' ? 'bigint' : 'integer');

/**
 * PostgreSQL: `fn` run once per `event` statement on certificates, seeing the statement's rows
 * as the transition tables new_rows (insert, update) and old_rows (update, delete).
 */
export async function statementTrigger(db: Kysely<any>, name: string, event: 'insert' | 'update' | 'delete', fn: string): Promise<void> {
  const tables = { insert: 'new table as new_rows', update: 'old table as old_rows new table as new_rows', delete: 'old table as old_rows' }[event];
  await sql`create trigger ${sql.raw(name)} after ${sql.raw(event)} on certificates
    referencing ${sql.raw(tables)} for each statement execute function ${sql.raw(fn)}()`.execute(db);
}

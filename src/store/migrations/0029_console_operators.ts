// Migration 0029_console_operators (issue 25): console users flagged as operators (the console's
// admin role: order review, accounts, the CA). A row per operator; no row, no role.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function consoleOperators(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('console_operators')
        .addColumn('user_uin', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('granted_at', big, (c) => c.notNull())
        .execute();
    },
  };
}

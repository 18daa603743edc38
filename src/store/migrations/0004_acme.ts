// Migration 0004_acme: ACME accounts, and the ACME order behind a DV order.
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function acme(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      // One ACME account per directory, its key sealed with the master key.
      await db.schema.createTable('acme_accounts')
        .addColumn('directory_url', 'text', (c) => c.primaryKey())
        .addColumn('key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.alterTable('dv_orders').addColumn('acme_order_url', 'text').execute();
    },
  };
}

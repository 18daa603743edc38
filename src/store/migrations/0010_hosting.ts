// Migration 0010_hosting: per-certificate hosting (automatic renewal and replacement on the
// bound resources).
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function hosting(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('cert_hosting')
        .addColumn('cert_id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('resource_types', 'text', (c) => c.notNull())
        // HostingConfig: days before expiry to replace (null: the renewal window), the
        // message types wanted, and a daily window (HH:MM, GMT+8) replacement may start in.
        .addColumn('replace_days', 'integer')
        .addColumn('message_types', 'text', (c) => c.notNull())
        .addColumn('window_start', 'text')
        .addColumn('window_end', 'text')
        // HostingStatus: 0 hosting, 5 replacing, 10 done.
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('renew_cert_id', 'text')
        .addColumn('record_id', big)
        .addColumn('complete_at', big)
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_at', big, (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      // The sweep reads hostings that are due.
      await db.schema.createIndex('cert_hosting_due').on('cert_hosting').columns(['status', 'next_at']).execute();
      await db.schema.createIndex('cert_hosting_renew').on('cert_hosting').column('renew_cert_id').execute();
    },
  };
}

// Migration 0024_acme_policy: per-account policy of certport's ACME server (allowed domain
// suffixes, wildcards, maximum validity), one row per certport account that has one.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function acmePolicy(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('acme_srv_policies')
        .addColumn('account_uin', 'text', (c) => c.primaryKey())
        /** JSON: string[]; empty: any name */
        .addColumn('suffixes', 'text', (c) => c.notNull())
        .addColumn('wildcard', 'integer', (c) => c.notNull())
        .addColumn('max_days', 'integer', (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('acme_srv_policies').execute();
    },
  };
}

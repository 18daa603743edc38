// Migration 0003_csrs: CSR records (CreateCSR).
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function csrs(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      // CSR records (CreateCSR): random integer ids (they fit PostgreSQL's integer), the
      // private key and its password sealed with the master key.
      await db.schema.createTable('csrs')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('organization', 'text', (c) => c.notNull())
        .addColumn('department', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('province', 'text', (c) => c.notNull())
        .addColumn('city', 'text', (c) => c.notNull())
        .addColumn('country', 'text', (c) => c.notNull())
        .addColumn('encrypt_algo', 'text', (c) => c.notNull())
        .addColumn('key_parameter', 'text', (c) => c.notNull())
        .addColumn('remark', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('csr_pem', 'text')
        .addColumn('private_key_sealed', 'text')
        .addColumn('key_password_sealed', 'text')
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      // Listing is per account, newest first.
      await db.schema.createIndex('csrs_account_created').on('csrs').columns(['account_uin', 'created_at', 'id']).execute();
    },
  };
}

// Migration 0023_acme_server: certport's own ACME server (issue 26). Nonces live here so that
// a nonce handed out by one node is accepted, once, by any other.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function acmeServer(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('acme_srv_nonces')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('acme_srv_nonces_expiry').on('acme_srv_nonces').column('expires_at').execute();
      await db.schema.createTable('acme_srv_eab')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('hmac_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('used_at', big)
        .addColumn('acme_account_id', 'text')
        .execute();
      await db.schema.createTable('acme_srv_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('thumbprint', 'text', (c) => c.notNull().unique())
        /** JSON: the account's public JWK */
        .addColumn('jwk', 'text', (c) => c.notNull())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        /** JSON: string[] */
        .addColumn('contact', 'text', (c) => c.notNull())
        .addColumn('eab_kid', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createTable('acme_srv_orders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('acme_account_id', 'text', (c) => c.notNull())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        /** JSON: AcmeIdentifier[] */
        .addColumn('identifiers', 'text', (c) => c.notNull())
        /** The identifiers sorted and joined, for reusing a pending order. */
        .addColumn('identifiers_key', 'text', (c) => c.notNull())
        /** JSON: string[] */
        .addColumn('authz_ids', 'text', (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        /** JSON: AcmeError */
        .addColumn('error', 'text')
        .addColumn('certificate_id', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('acme_srv_orders_reuse').on('acme_srv_orders').columns(['acme_account_id', 'identifiers_key']).execute();
      await db.schema.createIndex('acme_srv_orders_cert').on('acme_srv_orders').column('certificate_id').execute();
      await db.schema.createTable('acme_srv_authzs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('acme_account_id', 'text', (c) => c.notNull())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('wildcard', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        /** JSON: AcmeChallenge[] */
        .addColumn('challenges', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('acme_srv_authzs_reuse').on('acme_srv_authzs').columns(['acme_account_id', 'identifier', 'status']).execute();
    },
  };
}

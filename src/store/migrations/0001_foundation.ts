// Migration 0001_foundation: accounts, users, API keys, projects, certificates with their
// material and tags, the operation log.
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function foundation(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('accounts')
        .addColumn('uin', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createTable('users')
        .addColumn('uin', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createTable('api_keys')
        .addColumn('secret_id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('user_uin', 'text', (c) => c.notNull().references('users.uin'))
        .addColumn('secret_key_sealed', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('api_keys_user').on('api_keys').column('user_uin').execute();
      await db.schema.createTable('projects')
        .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('project_id', big, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('projects_pk', ['account_uin', 'project_id'])
        .execute();
      await db.schema.createTable('certificates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('project_id', big, (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('certificate_type', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('status_msg', 'text')
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('sans', 'text', (c) => c.notNull())
        .addColumn('search_text', 'text', (c) => c.notNull())
        .addColumn('has_key', 'integer', (c) => c.notNull())
        .addColumn('fingerprint_sha1', 'text', (c) => c.notNull())
        .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
        .addColumn('serial_hex', 'text', (c) => c.notNull())
        .addColumn('issuer_cn', 'text', (c) => c.notNull())
        .addColumn('encrypt_algorithm', 'text', (c) => c.notNull())
        .addColumn('is_sm', 'integer', (c) => c.notNull())
        .addColumn('is_wildcard', 'integer', (c) => c.notNull())
        .addColumn('is_dv', 'integer', (c) => c.notNull())
        .addColumn('not_before', big, (c) => c.notNull())
        .addColumn('not_after', big, (c) => c.notNull())
        .addColumn('certificate_use', 'text', (c) => c.notNull())
        .addColumn('package_type', 'text')
        .addColumn('product_zh_name', 'text', (c) => c.notNull())
        .addColumn('verify_type', 'text')
        .addColumn('validity_period', 'text', (c) => c.notNull())
        .addColumn('ca_info', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      // Listing is always per account: newest first, or by expiry.
      await db.schema.createIndex('certs_account_created').on('certificates').columns(['account_uin', 'created_at', 'id']).execute();
      await db.schema.createIndex('certs_account_expiry').on('certificates').columns(['account_uin', 'not_after']).execute();
      await db.schema.createIndex('certs_account_fp').on('certificates').columns(['account_uin', 'fingerprint_sha1']).execute();
      await db.schema.createIndex('certs_account_project').on('certificates').columns(['account_uin', 'project_id', 'created_at']).execute();
      await db.schema.createTable('certificate_material')
        .addColumn('cert_id', 'text', (c) => c.primaryKey().references('certificates.id').onDelete('cascade'))
        .addColumn('cert_pem', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', 'text')
        .addColumn('key_password_sealed', 'text')
        .execute();
      await db.schema.createTable('certificate_tags')
        .addColumn('cert_id', 'text', (c) => c.notNull().references('certificates.id').onDelete('cascade'))
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('tag_key', 'text', (c) => c.notNull())
        .addColumn('tag_value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('certificate_tags_pk', ['cert_id', 'tag_key'])
        .execute();
      await db.schema.createIndex('tags_account_kv').on('certificate_tags').columns(['account_uin', 'tag_key', 'tag_value']).execute();
      await db.schema.createTable('operation_logs')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('user_uin', 'text', (c) => c.notNull())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oplog_account_time').on('operation_logs').columns(['account_uin', 'created_at']).execute();
    },
  };
}

// Versioned migrations, run at start. Each is applied once, in order, inside Kysely's Migrator
// (which takes a lock, so several nodes starting together on PostgreSQL do not race).
import { Kysely, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './db.js';
import { deployMigration } from './deploy-migration.js';

function migrations(dialect: Dialect): Record<string, Migration> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_foundation': {
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
        void sql;
      },
    },
    '0002_dv_issuance': {
      async up(db: Kysely<any>) {
        // The embedded CA: certificates in the clear, private keys sealed with the master key.
        await db.schema.createTable('ca_material')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('root_pem', 'text', (c) => c.notNull())
          .addColumn('material_sealed', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        for (const [col, type] of [['dv_deadline', big], ['validated_at', big], ['origin_cert_id', 'text'], ['renew_order_id', 'text']] as const) {
          await db.schema.alterTable('certificates').addColumn(col, type).execute();
        }
        // A free DV certificate's order: what to publish, how, and where validation stands.
        await db.schema.createTable('dv_orders')
          .addColumn('cert_id', 'text', (c) => c.primaryKey().references('certificates.id').onDelete('cascade'))
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('main_domain', 'text', (c) => c.notNull())
          .addColumn('auths', 'text', (c) => c.notNull())
          .addColumn('key_algo', 'text', (c) => c.notNull())
          .addColumn('key_param', 'text', (c) => c.notNull())
          .addColumn('contact_email', 'text')
          .addColumn('contact_phone', 'text')
          .addColumn('delete_dns_auto_record', 'integer', (c) => c.notNull())
          .addColumn('record_state', 'text', (c) => c.notNull())
          .addColumn('last_check_at', big)
          .addColumn('last_check_detail', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('dv_orders_main_domain').on('dv_orders').columns(['account_uin', 'main_domain']).execute();
        // Durable background work. One row per (kind, subject); a node takes a job by
        // writing its lease with a compare-and-set, so two nodes never run one job at once.
        await db.schema.createTable('jobs')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('run_at', big, (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', big, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('payload', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('jobs_pk', ['kind', 'subject'])
          .execute();
        await db.schema.createIndex('jobs_due').on('jobs').columns(['state', 'run_at']).execute();
      },
    },
    '0004_acme': {
      async up(db: Kysely<any>) {
        // One ACME account per directory, its key sealed with the master key.
        await db.schema.createTable('acme_accounts')
          .addColumn('directory_url', 'text', (c) => c.primaryKey())
          .addColumn('key_sealed', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.alterTable('dv_orders').addColumn('acme_order_url', 'text').execute();
      },
    },
    '0005_reissue': {
      async up(db: Kysely<any>) {
        // ReplaceCertificate links the two certificates both ways.
        await db.schema.alterTable('certificates').addColumn('replaced_by', 'text').execute();
        await db.schema.alterTable('certificates').addColumn('replaced_for', 'text').execute();
        // A reissue with an uploaded CSR: certport never sees that key.
        await db.schema.alterTable('dv_orders').addColumn('csr_pem', 'text').execute();
        // SM2 double certificates: the encryption certificate and its key (sealed).
        await db.schema.alterTable('certificate_material').addColumn('encrypt_cert_pem', 'text').execute();
        await db.schema.alterTable('certificate_material').addColumn('encrypt_key_sealed', 'text').execute();
      },
    },
    '0008_paid': {
      async up(db: Kysely<any>) {
        // Paid (OV/EV) orders: the product, what was submitted, the letter (sealed), the review.
        await db.schema.createTable('paid_orders')
          .addColumn('cert_id', 'text', (c) => c.primaryKey().references('certificates.id').onDelete('cascade'))
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('product_id', 'integer', (c) => c.notNull())
          .addColumn('domain_num', 'integer', (c) => c.notNull())
          .addColumn('time_span', 'integer', (c) => c.notNull())
          .addColumn('validity_days', 'integer', (c) => c.notNull())
          .addColumn('deal_id', 'text', (c) => c.notNull())
          .addColumn('submitted', 'text')
          .addColumn('csr_pem', 'text')
          .addColumn('letter_sealed', 'text')
          .addColumn('letter_type', 'text')
          .addColumn('review_note', 'text')
          .addColumn('reviewed_by', 'text')
          .addColumn('reviewed_at', big)
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('paid_orders_account').on('paid_orders').columns(['account_uin', 'created_at']).execute();
      },
    },
    '0003_csrs': {
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
    },
    '0007_deploy': deployMigration(dialect),
  };
}

export async function migrate(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  // Kysely looks for its migration tables across every schema it can see; pin it to ours so
  // that several certport databases in one PostgreSQL (one schema each) never mix.
  const schema = dialect === 'postgres'
    ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
    : undefined;
  const { error, results } = await new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}

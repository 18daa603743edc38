// Migration 0002_dv_issuance: the embedded CA, free DV orders and the jobs that drive them.
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function dvIssuance(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
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
  };
}

// Migration 0007_deploy: resources, deployment records and their details, bind-resource tasks,
// the expiry-notification switch and bulk-delete tasks.
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function deploy(dialect: Dialect): Migration {
  const big = bigint(dialect);
  const serial = (db: Kysely<any>, table: string) => db.schema.createTable(table)
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()));
  return {
    async up(db: Kysely<any>) {
      // A resource: one of the account's servers or services, reached by a deployer. The
      // deployer's secrets are sealed with the master key, bound to the resource.
      await db.schema.createTable('deploy_resources')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('domains', 'text', (c) => c.notNull())
        .addColumn('probe_address', 'text')
        .addColumn('probe_sni', 'text')
        .addColumn('deployer_type', 'text', (c) => c.notNull())
        .addColumn('deployer_config', 'text', (c) => c.notNull())
        .addColumn('deployer_secret_sealed', 'text')
        // What the resource serves as far as certport knows: what it deployed last (or what
        // the operator declared), and what the last TLS probe saw.
        .addColumn('cert_id', 'text')
        .addColumn('cert_sha256', 'text')
        .addColumn('deployed_at', big)
        .addColumn('probe_sha256', 'text')
        .addColumn('probe_at', big)
        .addColumn('probe_error', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deploy_resources_account_type').on('deploy_resources').columns(['account_uin', 'resource_type']).execute();
      await db.schema.createIndex('deploy_resources_cert').on('deploy_resources').columns(['account_uin', 'cert_id']).execute();
      await db.schema.createIndex('deploy_resources_probe').on('deploy_resources').columns(['account_uin', 'probe_sha256']).execute();

      // A deployment record (UpdateCertificateInstance, DeployCertificateInstance, a rollback…)
      // and one detail per resource it touches.
      await serial(db, 'deploy_records')
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('user_uin', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('old_cert_id', 'text')
        .addColumn('resource_types', 'text', (c) => c.notNull())
        .addColumn('regions', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('rollback_of', big)
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deploy_records_account').on('deploy_records').columns(['account_uin', 'family', 'created_at']).execute();
      await serial(db, 'deploy_details')
        .addColumn('record_id', big, (c) => c.notNull())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('instance_name', 'text', (c) => c.notNull())
        .addColumn('domains', 'text', (c) => c.notNull())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('old_cert_id', 'text')
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('error_msg', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_at', big, (c) => c.notNull())
        .addColumn('started_at', big)
        .addColumn('finished_at', big)
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deploy_details_record').on('deploy_details').columns(['record_id', 'status']).execute();
      await db.schema.createIndex('deploy_details_resource').on('deploy_details').columns(['resource_id', 'status']).execute();

      // CreateCertificateBindResourceSyncTask: one task per (account, certificate) at a time.
      await db.schema.createTable('deploy_bind_tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('deploy_bind_tasks_cert').on('deploy_bind_tasks').columns(['account_uin', 'cert_id', 'created_at']).execute();

      // ModifyCertificatesExpiringNotificationSwitch.
      await db.schema.createTable('cert_notification_switch')
        .addColumn('cert_id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('ignore_expiry', 'integer', (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();

      // DeleteCertificates: one task per certificate.
      await db.schema.createTable('cert_delete_tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('domains', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('cert_delete_tasks_account').on('cert_delete_tasks').columns(['account_uin', 'created_at']).execute();
    },
  };
}

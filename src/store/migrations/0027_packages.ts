// Migration 0027_packages (issue 24): packages, the operator's grants of paid-certificate
// entitlement to an account (DescribePackages), and what each order made from one took
// (CreateCertificateByPackage). The balance has a CHECK so that no path can take it below 0.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function packages(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('packages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('balance', 'integer', (c) => c.notNull().check(sql`balance >= 0`))
        /** JSON: ProductPids it may pay for; [] = any */
        .addColumn('products', 'text', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .addColumn('expires_at', big, (c) => c.notNull())
        .addColumn('revoked_at', big)
        .execute();
      await db.schema.createIndex('packages_account').on('packages').columns(['account_uin', 'expires_at']).execute();
      await db.schema.createTable('package_usages')
        .addColumn('package_id', 'text', (c) => c.notNull())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('units', 'integer', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('package_usages_pk', ['package_id', 'cert_id'])
        .execute();
      await db.schema.createIndex('package_usages_cert').on('package_usages').columns(['cert_id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('package_usages').execute();
      await db.schema.dropTable('packages').execute();
    },
  };
}

// Migration 0009_organizations: organizations and their managers.
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function organizations(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      // Organizations and their managers, entered once with an OV/EV order and verified by
      // its review; DescribeCompanies / DescribeManagers read them.
      await db.schema.createTable('companies')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('country', 'text', (c) => c.notNull())
        .addColumn('province', 'text', (c) => c.notNull())
        .addColumn('city', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('companies_account').on('companies').columns(['account_uin', 'name']).execute();
      await db.schema.createTable('managers')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('company_id', 'integer', (c) => c.notNull())
        .addColumn('first_name', 'text', (c) => c.notNull())
        .addColumn('last_name', 'text', (c) => c.notNull())
        .addColumn('position', 'text', (c) => c.notNull())
        .addColumn('phone', 'text', (c) => c.notNull())
        .addColumn('mail', 'text', (c) => c.notNull())
        .addColumn('department', 'text', (c) => c.notNull())
        .addColumn('contact', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('submit_audit_at', big)
        .addColumn('verify_at', big)
        .addColumn('expire_at', big)
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('managers_company').on('managers').columns(['account_uin', 'company_id']).execute();
    },
  };
}

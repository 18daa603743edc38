// Migration 0028_acme_domain_limit: what the ACME server issued per registered domain, so its
// certificates-per-registered-domain limit (Let's Encrypt's model) holds across nodes and restarts.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function acmeDomainLimit(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('acme_srv_issuances')
        .addColumn('certificate_id', 'text', (c) => c.notNull())
        .addColumn('registered_domain', 'text', (c) => c.notNull())
        .addColumn('names_key', 'text', (c) => c.notNull())
        .addColumn('issued_at', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('acme_srv_issuances_pk', ['certificate_id', 'registered_domain'])
        .execute();
      await db.schema.createIndex('acme_srv_issuances_domain').on('acme_srv_issuances').columns(['registered_domain', 'issued_at']).execute();
      await db.schema.createIndex('acme_srv_issuances_names').on('acme_srv_issuances').column('names_key').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('acme_srv_issuances').execute();
    },
  };
}

// Migration 0030_ip_identifiers: IP address identifiers (RFC 8738) in certport's ACME server.
// An authorization says which kind its identifier is (rows before this are DNS names), and an
// account's policy may list the address prefixes its clients may ask for (null: see
// services/acme-server.ts, AcmeServerService.checkPolicy).
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';

export function ipIdentifiers(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('acme_srv_authzs').addColumn('identifier_type', 'text', (c) => c.notNull().defaultTo('dns')).execute();
      /** JSON: string[] of CIDR prefixes; null: not set */
      await db.schema.alterTable('acme_srv_policies').addColumn('ip_ranges', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('acme_srv_authzs').dropColumn('identifier_type').execute();
      await db.schema.alterTable('acme_srv_policies').dropColumn('ip_ranges').execute();
    },
  };
}

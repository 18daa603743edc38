// Migration 0021_tls: the HTTPS listener's own certificate (issue 23), kept in the database so
// that every node serves the same one and `certport tls renew` reaches running servers.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function tls(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('tls_serving')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('cert_pem', 'text', (c) => c.notNull())
        .addColumn('key_sealed', 'text', (c) => c.notNull())
        .addColumn('serial_hex', 'text', (c) => c.notNull())
        /** JSON: string[] */
        .addColumn('hostnames', 'text', (c) => c.notNull())
        .addColumn('not_before', big, (c) => c.notNull())
        .addColumn('not_after', big, (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
    },
  };
}

// Migration 0017_master_keys: the key ring a master-key rotation hands its new key over in.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function masterKeys(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    // Each entry is sealed under the key before it, so a node holding any earlier key learns
    // the newer ones; rotation empties it once the newest key is configured everywhere.
    async up(db: Kysely<any>) {
      await db.schema.createTable('master_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('key_sealed', 'text', (c) => c.notNull())
        .addColumn('sealed_by', 'text', (c) => c.notNull())
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
    },
  };
}

// Migration 0019_ca_custody: the CA's keys apart from customer data. Each CA row says how its
// keys are kept ('master': sealed under the master key, as every database before this one;
// 'ca-key': sealed under the CA key; 'pkcs11': in a PKCS#11 token, the row holding only the
// certificates and the token objects' ids). The key ring holds CA keys beside master keys.
// `key_checks` holds a value sealed under the master key, which tells at start whether the
// configured master key is the database's (the CA's material told that before; it no longer
// is under the master key). Rows are re-sealed under the CA key at start (src/ca/custody.ts),
// where the keys are: a migration has none.
import type { Kysely, Migration } from 'kysely';

export function caCustody(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('ca_material').addColumn('custody', 'text', (c) => c.notNull().defaultTo('master')).execute();
      await db.schema.alterTable('master_keys').addColumn('purpose', 'text', (c) => c.notNull().defaultTo('master')).execute();
      await db.schema.createTable('key_checks')
        .addColumn('purpose', 'text', (c) => c.primaryKey())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

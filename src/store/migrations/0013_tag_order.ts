// Migration 0013_tag_order: tag entries in creation order.
import { sql, type Kysely, type Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function tagOrder(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    // DescribeCertificates with one tag, newest first: the tag's entries in creation order
    // in an index, instead of reading every tagged certificate to sort them (2,857 of a
    // million took 10 ms warm and 330 ms cold on PostgreSQL).
    async up(db: Kysely<any>) {
      await db.schema.alterTable('certificate_tags').addColumn('cert_created_at', big, (c) => c.notNull().defaultTo(0)).execute();
      await sql`update certificate_tags set cert_created_at = (select c.created_at from certificates c where c.id = certificate_tags.cert_id)`.execute(db);
      await db.schema.createIndex('tags_account_kv_created').on('certificate_tags')
        .columns(['account_uin', 'tag_key', 'tag_value', 'cert_created_at', 'cert_id']).execute();
    },
  };
}

// Migration 0008_paid: paid (OV/EV) orders.
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function paid(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      // Paid (OV/EV) orders: the product, what was submitted, the letter (sealed), the review.
      await db.schema.createTable('paid_orders')
        .addColumn('cert_id', 'text', (c) => c.primaryKey().references('certificates.id').onDelete('cascade'))
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('product_id', 'integer', (c) => c.notNull())
        .addColumn('domain_num', 'integer', (c) => c.notNull())
        .addColumn('time_span', 'integer', (c) => c.notNull())
        .addColumn('validity_days', 'integer', (c) => c.notNull())
        .addColumn('deal_id', 'text', (c) => c.notNull())
        .addColumn('submitted', 'text')
        .addColumn('csr_pem', 'text')
        .addColumn('letter_sealed', 'text')
        .addColumn('letter_type', 'text')
        .addColumn('review_note', 'text')
        .addColumn('reviewed_by', 'text')
        .addColumn('reviewed_at', big)
        .addColumn('created_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('paid_orders_account').on('paid_orders').columns(['account_uin', 'created_at']).execute();
    },
  };
}

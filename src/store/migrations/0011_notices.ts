// Migration 0011_notices: notices to certificate owners (one row per event, its key unique, with
// each channel's delivery state) and the channels each account is told through.
import type { Kysely, Migration } from 'kysely';
import { bigint } from './ddl.js';
import type { Dialect } from '../db.js';

export function notices(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        // A second raise of the same event, on any node, conflicts here and is dropped.
        .addColumn('event_key', 'text', (c) => c.notNull().unique())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        // pending | sent | failed | none (no channel to send to)
        .addColumn('state', 'text', (c) => c.notNull())
        // Per channel: pending | sent | failed | none; a retry skips the channels already sent.
        .addColumn('email_state', 'text', (c) => c.notNull())
        .addColumn('webhook_state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', big, (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .addColumn('sent_at', big)
        .execute();
      await db.schema.createIndex('notices_account_created').on('notices').columns(['account_uin', 'created_at']).execute();
      await db.schema.createIndex('notices_cert').on('notices').columns(['cert_id', 'created_at']).execute();

      await db.schema.createTable('notification_channels')
        .addColumn('account_uin', 'text', (c) => c.primaryKey().references('accounts.uin'))
        // JSON: string[]
        .addColumn('emails', 'text', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret_sealed', 'text')
        // 1 when there is at least one channel: the expiry sweep looks at these accounts only.
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('updated_at', big, (c) => c.notNull())
        .execute();

      // The expiry sweep: issued certificates of every account whose notAfter falls in a window.
      await db.schema.createIndex('certs_status_expiry').on('certificates').columns(['status', 'not_after']).execute();
    },
  };
}

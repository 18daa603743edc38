// Migration 0012_metrics: indexes for /metrics.
import type { Kysely, Migration } from 'kysely';

export function metrics(): Migration {
  return {
    // /metrics (store/metrics.ts): certificates by status and source, and the expired
    // ones among the issued, read from an index instead of the table; pending validations
    // (status 0/4) found without a scan; issuance outcomes counted from the operation log's
    // 'issued'/'failed' entries without reading the rest of the log.
    async up(db: Kysely<any>) {
      await db.schema.createIndex('certs_status_source_expiry').on('certificates').columns(['status', 'source', 'not_after']).execute();
      await db.schema.createIndex('oplog_type').on('operation_logs').column('type').execute();
    },
  };
}

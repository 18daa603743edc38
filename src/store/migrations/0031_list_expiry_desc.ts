// Migration 0031_list_expiry_desc (issue 27): on SQLite, an index for ExpirationSort DESC, whose
// order is notAfter descending with ids ascending within one notAfter. The ascending index
// (account_uin, not_after, id) read backwards gives ids descending, so SQLite sorted every
// notAfter's rows in a temporary tree as it skipped them: a random Offset of 100,000 took up
// to 59 ms (bench/listing.ts). Read forwards this index gives the order itself, backwards
// (the nearer end) its reverse; it carries the filter columns like the other orders' indexes
// (migration 0025). PostgreSQL reads the ascending index backwards with an incremental sort
// of each notAfter's few rows: left as it is.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../db.js';

export function listExpiryDesc(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect === 'postgres') return;
      await sql`create index certs_account_expiry_desc_f on certificates
        (account_uin, not_after desc, id, status, certificate_type, source, is_sm, has_key, project_id, created_at)`.execute(db);
      // Statistics for it now (bounded by the connection's analysis_limit): without them the
      // planner took it for ExpirationSort ASC too, sorting each notAfter's ids again.
      await sql`analyze certs_account_expiry_desc_f`.execute(db);
    },
  };
}

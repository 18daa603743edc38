// Migration 0041_pp_pending_created: the default order of pending certificates (IsPendingIssue:
// status 0 or 4) on PostgreSQL (issue 27).
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../db.js';

export function pendingCreated(dialect: Dialect): Migration {
  return {
    // 0034's status index (account_uin, status, created_at, id) holds each status in the
    // default order, but two statuses at once only as two runs: a page of IsPendingIssue up to
    // two buckets deep (plan.ts nearerEndPage, Offset 1–2,048 of 40,000 at a million) walked
    // the whole default-order index from the top, skipping the 96% that are not pending
    // (~25,000 entries at Offset 1,000), and its backwards branch planned a parallel sort of
    // every pending row whose workers were started even when the branch did not run (~60 ms on
    // a busy machine). This index holds only the pending rows, in that order; the listing writes
    // its condition as `c.status in (0, 4)` with constants, so that generic plans prove it too.
    // SQLite reads what its indexes skip much faster (bench/listing.ts): it gets none.
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`create index certs_account_pending_created on certificates (account_uin, created_at, id) where status in (0, 4)`.execute(db);
    },
  };
}

// Migration 0034_pg_listing_indexes: PostgreSQL indexes for DescribeCertificates pages that
// walked a million index entries (issue 27, bench/listing.ts and bench/listing-explain.ts).
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../db.js';

export function listingIndexes(dialect: Dialect): Migration {
  return {
    // - ExpirationSort DESC orders by not_after descending, ids ascending within one
    //   notAfter: (account_uin, not_after, id) serves neither that nor its reverse, so a deep
    //   page sorted every row of the account (~440 ms at Offset 500,000 of a million). This
    //   index, read forward or backward, is both. The filter columns as INCLUDE, as in 0025.
    // - A page of a filter that few rows match (IsSM 1, CertificateType CA, a status other
    //   than issued, a project) walked the whole default-order index from the nearer end,
    //   skipping the rows that do not match (IsSM 1 at a random Offset: ~250 ms): these
    //   partial and leading-column indexes hold only (or first) the matching rows, in the
    //   default order, so OFFSET skips matches only. Written against the listing's own
    //   conditions (`is_sm = 1`, `certificate_type = 'CA'`, `status = s` / `status in (0, 4)`,
    //   `project_id = p`, each with `account_uin = a` and `order by created_at, id`).
    // SQLite reads what its indexes skip much faster (bench/listing.ts): it gets none.
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`create index certs_account_expiry_desc_f on certificates (account_uin, not_after desc, id)
          include (status, certificate_type, source, is_sm, has_key, project_id, created_at)`.execute(db);
      await sql`create index certs_account_sm_created on certificates (account_uin, created_at, id) where is_sm = 1`.execute(db);
      await sql`create index certs_account_ca_created on certificates (account_uin, created_at, id) where certificate_type = 'CA'`.execute(db);
      await sql`create index certs_account_status_created on certificates (account_uin, status, created_at, id) where status <> 1`.execute(db);
      // Replaces 0001's (account_uin, project_id, created_at): with id, the whole default order.
      await sql`create index certs_account_project_created on certificates (account_uin, project_id, created_at, id)`.execute(db);
      await db.schema.dropIndex('certs_account_project').execute();
    },
  };
}

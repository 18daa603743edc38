// Versioned migrations, run at start, one file each, applied once and in order of their ids
// (the ids are what existing databases have recorded: never rename one) inside Kysely's
// Migrator (which takes a lock, so several nodes starting together on PostgreSQL do not race).
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { SCHEMA_DDL_LOCK, type Dialect } from '../db.js';
import { foundation } from './0001_foundation.js';
import { dvIssuance } from './0002_dv_issuance.js';
import { csrs } from './0003_csrs.js';
import { acme } from './0004_acme.js';
import { reissue } from './0005_reissue.js';
import { listing } from './0006_listing.js';
import { deploy } from './0007_deploy.js';
import { paid } from './0008_paid.js';
import { organizations } from './0009_organizations.js';
import { hosting } from './0010_hosting.js';
import { notices } from './0011_notices.js';
import { metrics } from './0012_metrics.js';
import { tagOrder } from './0013_tag_order.js';
import { expiryDays } from './0014_expiry_days.js';
import { orderBuckets } from './0015_order_buckets.js';
import { renewalLink } from './0016_renewal_link.js';
import { masterKeys } from './0017_master_keys.js';
import { chainRoot } from './0018_chain_root.js';
import { caCustody } from './0019_ca_custody.js';
import { revocation } from './0020_revocation.js';
import { tls } from './0021_tls.js';
import { consoleTables } from './0022_console.js';
import { acmeServer } from './0023_acme_server.js';
import { acmePolicy } from './0024_acme_policy.js';
import { consoleOperators } from './0029_console_operators.js';
import { packages } from './0027_packages.js';
import { acmeDomainLimit } from './0028_acme_domain_limit.js';
import { readFacts } from './0026_read_facts.js';
import { listingFacets } from './0025_listing_facets.js';
import { listExpiryDesc } from './0031_list_expiry_desc.js';
import { ipIdentifiers } from './0030_ip_identifiers.js';
import { expiryFacets } from './0034_pg_expiry_facets.js';
import { listingIndexes } from './0034_pg_listing_indexes.js';
import { facetBuckets } from './0035_pgbroad_facet_buckets.js';
import { expiryLevels } from './0038_pg1m_expiry_levels.js';
import { listMarks } from './0039_sq_list_marks.js';
import { pendingCreated } from './0041_pp_pending_created.js';

const MIGRATIONS: [id: string, make: (dialect: Dialect) => Migration][] = [
  ['0001_foundation', foundation],
  ['0002_dv_issuance', dvIssuance],
  ['0003_csrs', csrs],
  ['0004_acme', acme],
  ['0005_reissue', reissue],
  ['0006_listing', listing],
  ['0007_deploy', deploy],
  ['0008_paid', paid],
  ['0009_organizations', organizations],
  ['0010_hosting', hosting],
  ['0011_notices', notices],
  ['0012_metrics', metrics],
  ['0013_tag_order', tagOrder],
  ['0014_expiry_days', expiryDays],
  ['0015_order_buckets', orderBuckets],
  ['0016_renewal_link', renewalLink],
  ['0017_master_keys', masterKeys],
  ['0018_chain_root', chainRoot],
  ['0019_ca_custody', caCustody],
  ['0020_revocation', revocation],
  ['0021_tls', tls],
  ['0022_console', consoleTables],
  ['0023_acme_server', acmeServer],
  ['0024_acme_policy', acmePolicy],
  ['0029_console_operators', consoleOperators],
  ['0027_packages', packages],
  ['0028_acme_domain_limit', acmeDomainLimit],
  ['0026_read_facts', readFacts],
  ['0025_listing_facets', listingFacets],
  ['0031_list_expiry_desc', listExpiryDesc],
  ['0030_ip_identifiers', ipIdentifiers],
  ['0034_pg_expiry_facets', expiryFacets],
  ['0034_pg_listing_indexes', listingIndexes],
  ['0035_pgbroad_facet_buckets', facetBuckets],
  ['0038_pg1m_expiry_levels', expiryLevels],
  ['0039_sq_list_marks', listMarks],
  ['0041_pp_pending_created', pendingCreated],
];

export async function migrate(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return runMigrator(db, dialect, undefined);
  // One connection for the lock and the migration, so the lock covers the migrator's reads.
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock_shared(${SCHEMA_DDL_LOCK})`.execute(conn);
    try {
      // Kysely looks for its migration tables across every schema it can see; pin it to ours so
      // that several certport databases in one PostgreSQL (one schema each) never mix.
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(conn)).rows[0]?.s;
      await runMigrator(conn, dialect, schema);
    } finally {
      await sql`select pg_advisory_unlock_shared(${SCHEMA_DDL_LOCK})`.execute(conn);
    }
  });
}

async function runMigrator(db: Kysely<any>, dialect: Dialect, schema: string | undefined): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => Object.fromEntries(MIGRATIONS.map(([id, make]) => [id, make(dialect)])) };
  // Migrations are independent of each other's order of arrival: one made on a branch may land
  // after a higher id did, and a database that already ran the higher one must still take it.
  const { error, results } = await new Migrator({
    db, provider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}

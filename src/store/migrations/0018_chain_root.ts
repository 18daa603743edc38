// Migration 0018_chain_root: the top of a stored chain when it is a self-signed root, kept so
// that DescribeCertificateDetail never parses the chain (issue 22: a leaf + 999 CA certificates
// made every read of it take 7-13 s). NULL for rows stored before: found once when first read.
import type { Migration } from 'kysely';

export function chainRoot(): Migration {
  return {
    async up(db) {
      await db.schema.alterTable('certificate_material').addColumn('chain_root_pem', 'text').execute();
    },
  };
}

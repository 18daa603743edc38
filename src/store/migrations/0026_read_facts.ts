// Migration 0026_read_facts (issue 27): what reads need of a stored chain, parsed once
// (certificate_material.chain_facts, the domain's ChainFacts as JSON), and each certificate's
// DownloadCertificate archive once built (certificate_downloads), sealed under the master key
// like every private key, with the keystore password it was built with (so a rebuild after a
// change keeps the password) and a digest of what it was built from (a kept archive whose
// inputs changed is never served). Existing rows get their facts on first read, on a worker
// (CertificateService), not here: a large database must not wait at start for every chain.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';

export function readFacts(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('certificate_material').addColumn('chain_facts', 'text').execute();
      await db.schema.createTable('certificate_downloads')
        .addColumn('cert_id', 'text', (c) => c.primaryKey())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('password_sealed', 'text')
        .addColumn('zip_sealed', 'text', (c) => c.notNull())
        .addColumn('files', 'text', (c) => c.notNull())
        .addColumn('built_at', bigint(dialect), (c) => c.notNull())
        .execute();
    },
  };
}

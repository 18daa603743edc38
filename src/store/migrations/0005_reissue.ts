// Migration 0005_reissue: reissues (ReplaceCertificate), uploaded CSRs, SM2 double certificates.
import type { Kysely, Migration } from 'kysely';

export function reissue(): Migration {
  return {
    async up(db: Kysely<any>) {
      // ReplaceCertificate links the two certificates both ways.
      await db.schema.alterTable('certificates').addColumn('replaced_by', 'text').execute();
      await db.schema.alterTable('certificates').addColumn('replaced_for', 'text').execute();
      // A reissue with an uploaded CSR: certport never sees that key.
      await db.schema.alterTable('dv_orders').addColumn('csr_pem', 'text').execute();
      // SM2 double certificates: the encryption certificate and its key (sealed).
      await db.schema.alterTable('certificate_material').addColumn('encrypt_cert_pem', 'text').execute();
      await db.schema.alterTable('certificate_material').addColumn('encrypt_key_sealed', 'text').execute();
    },
  };
}

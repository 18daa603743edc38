// Migration 0020_revocation (issue 24): revocations (kept after the certificate is deleted, so
// the CRL and OCSP go on publishing them), blocked keys (keyCompromise), each issuing CA's
// current CRL, and the SHA-256 of each certificate's public key, so that a key's certificates
// are found by index (keyCompromise revokes them all). Existing rows get their key hash here.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../db.js';
import { bigint } from './ddl.js';
import { spkiSha256OfPem } from '../../pki/revocation.js';

export function revocation(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema.createTable('revocations')
        .addColumn('cert_id', 'text', (c) => c.primaryKey())
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('serial_hex', 'text', (c) => c.notNull())
        .addColumn('encrypt_serial_hex', 'text')
        .addColumn('crl_issuer', 'text')
        .addColumn('reason', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('requested_at', big, (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('revoked_at', big)
        .addColumn('auths', 'text')
        .addColumn('last_check_detail', 'text')
        .addColumn('letter_sealed', 'text')
        .addColumn('letter_type', 'text')
        .addColumn('confirmed_by', 'text')
        .addColumn('spki_sha256', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('revocations_crl').on('revocations').columns(['crl_issuer', 'revoked_at']).execute();
      await db.schema.createIndex('revocations_serial').on('revocations').columns(['serial_hex']).execute();
      await db.schema.createIndex('revocations_enc_serial').on('revocations').columns(['encrypt_serial_hex']).execute();
      await db.schema.createIndex('revocations_state').on('revocations').columns(['state', 'requested_at']).execute();
      await db.schema.createTable('blocked_keys')
        .addColumn('spki_sha256', 'text', (c) => c.primaryKey())
        .addColumn('cert_id', 'text', (c) => c.notNull())
        .addColumn('blocked_at', big, (c) => c.notNull())
        .execute();
      await db.schema.createTable('crls')
        .addColumn('issuer', 'text', (c) => c.primaryKey())
        .addColumn('crl_number', big, (c) => c.notNull())
        .addColumn('this_update', big, (c) => c.notNull())
        .addColumn('next_update', big, (c) => c.notNull())
        .addColumn('der_base64', 'text', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('certificate_material').addColumn('spki_sha256', 'text').execute();
      await db.schema.createIndex('certificate_material_spki').on('certificate_material').columns(['spki_sha256']).execute();
      // OCSP tells "good" from "unknown" by the serial.
      await db.schema.createIndex('certificates_serial').on('certificates').columns(['serial_hex']).execute();
      let after = '';
      for (;;) {
        const rows = (await sql<{ cert_id: string; cert_pem: string }>`select cert_id, cert_pem from certificate_material
          where cert_id > ${after} and cert_pem <> '' order by cert_id limit 500`.execute(db)).rows;
        if (rows.length === 0) break;
        for (const r of rows) {
          const h = spkiSha256OfPem(r.cert_pem);
          if (h) await sql`update certificate_material set spki_sha256 = ${h} where cert_id = ${r.cert_id}`.execute(db);
        }
        after = rows[rows.length - 1]!.cert_id;
      }
    },
  };
}

// Migration 0039_sq_list_marks (issue 27): on SQLite, which of a certificate's sealed key,
// key password, encryption certificate and encryption key are stored, kept on its certificates
// row as bits (material_flags: 1, 2, 4, 8) by triggers on certificate_material, so that a
// listing page (a list item shows only whether they are there, CertificateQuery.material) reads
// its rows without joining certificate_material: a 10-row page statement ~80 -> ~55 µs on the
// bench DB (10,000 certificates), the join being two B-tree seeks a row (its text key's index,
// then the row). The triggers keep it whatever writes the material (inserts, the paid-order
// key, master-key rotation, which changes no presence); a certificate without material reads 0,
// as the join's nulls did. And how many tags it has (tag_count, kept by triggers on
// certificate_tags), so that a page looks its tags up only where there are any: the per-row
// lookup (an index seek even for none) was ~13 of a page statement's ~60 µs with 2% of rows
// tagged. And the FTS5 vocabulary of the search index, to look a SearchKey up by its rarest
// trigrams. PostgreSQL reads pages through its own statements: left as it is.
import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../db.js';

/** The bits of a certificate_material row (`r`: `new` in a trigger, the table's alias otherwise). */
export const materialFlags = (r: string) => `((${r}.private_key_sealed is not null) + 2 * (${r}.key_password_sealed is not null)`
  + ` + 4 * (${r}.encrypt_cert_pem is not null) + 8 * (${r}.encrypt_key_sealed is not null))`;

export function listMarks(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect === 'postgres') return;
      await sql`alter table certificates add column material_flags integer not null default 0`.execute(db);
      await sql.raw(`update certificates set material_flags = coalesce((select ${materialFlags('m')} from certificate_material m
        where m.cert_id = certificates.id), 0)`).execute(db);
      await sql.raw(`create trigger certificate_material_flags_insert after insert on certificate_material begin
        update certificates set material_flags = ${materialFlags('new')} where id = new.cert_id;
      end`).execute(db);
      await sql.raw(`create trigger certificate_material_flags_update
        after update of private_key_sealed, key_password_sealed, encrypt_cert_pem, encrypt_key_sealed on certificate_material begin
        update certificates set material_flags = ${materialFlags('new')} where id = new.cert_id and material_flags <> ${materialFlags('new')};
      end`).execute(db);
      // A material row deleted alone (never today: it goes with its certificate) leaves none stored.
      await sql.raw(`create trigger certificate_material_flags_delete after delete on certificate_material begin
        update certificates set material_flags = 0 where id = old.cert_id and material_flags <> 0;
      end`).execute(db);
      // Tags are inserted and deleted (never replaced: REPLACE fires no delete trigger here).
      await sql`alter table certificates add column tag_count integer not null default 0`.execute(db);
      await sql`update certificates set tag_count = (select count(*) from certificate_tags t where t.cert_id = certificates.id)
        where id in (select cert_id from certificate_tags)`.execute(db);
      await sql`create trigger certificate_tags_count_insert after insert on certificate_tags begin
        update certificates set tag_count = tag_count + 1 where id = new.cert_id;
      end`.execute(db);
      await sql`create trigger certificate_tags_count_delete after delete on certificate_tags begin
        update certificates set tag_count = tag_count - 1 where id = old.cert_id;
      end`.execute(db);
      // The trigram index's vocabulary (document count of each trigram), for SearchKey's query (listing/sqlite.ts Grams).
      await sql`create virtual table certificates_fts_vocab using fts5vocab(certificates_fts, row)`.execute(db);
      await sql`create trigger certificate_tags_count_update after update of cert_id on certificate_tags begin
        update certificates set tag_count = tag_count - 1 where id = old.cert_id;
        update certificates set tag_count = tag_count + 1 where id = new.cert_id;
      end`.execute(db);
    },
  };
}

// Migration 0006_listing: DescribeCertificates at a million certificates (kept counts, indexes,
// trigram search).
import { sql, type Kysely, type Migration } from 'kysely';
import { bigint, statementTrigger } from './ddl.js';
import type { Dialect } from '../db.js';

export function listing(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    // DescribeCertificates with a million certificates in one account (bench/listing.ts):
    //  - certificate_counts: each account's number of certificates, kept by triggers, so an
    //    unfiltered TotalCount reads one row instead of counting the account's index;
    //  - indexes for the expiry sort (with its id tie-break), status + expiry filters, and
    //    tags (covering the certificate id);
    //  - SearchKey (a substring of id, alias and names) through a trigram index: pg_trgm's
    //    GIN, plus statistics of the trigrams so a query can leave out the ones most rows
    //    have; on SQLite an FTS5 trigram table keyed through certificate_search (rowids of
    //    a table without an INTEGER PRIMARY KEY may change on VACUUM, these do not).
    // The rows are only ever inserted and deleted per account (account_uin never changes).
    async up(db: Kysely<any>) {
      await db.schema.dropIndex('certs_account_expiry').execute();
      await db.schema.createIndex('certs_account_expiry_id').on('certificates').columns(['account_uin', 'not_after', 'id']).execute();
      await db.schema.createIndex('certs_account_status_expiry').on('certificates').columns(['account_uin', 'status', 'not_after']).execute();
      await db.schema.dropIndex('tags_account_kv').execute();
      await db.schema.createIndex('tags_account_kv_cert').on('certificate_tags').columns(['account_uin', 'tag_key', 'tag_value', 'cert_id']).execute();
      await db.schema.createTable('certificate_counts')
        .addColumn('account_uin', 'text', (c) => c.primaryKey())
        .addColumn('n', big, (c) => c.notNull())
        .execute();
      if (dialect === 'postgres') {
        // Statement-level triggers see every row a statement inserted or deleted at once (a
        // bulk insert updates the count once). The table is named through tg_table_schema so
        // the count follows the certificates whatever the session's search_path.
        await sql`create function certificate_counts_apply() returns trigger language plpgsql as $$
            begin
              if tg_op = 'INSERT' then
                execute format('insert into %I.certificate_counts as cc (account_uin, n)
                  select account_uin, count(*) from new_rows group by account_uin order by account_uin
                  on conflict (account_uin) do update set n = cc.n + excluded.n', tg_table_schema);
              else
                execute format('update %I.certificate_counts cc set n = cc.n - d.n
                  from (select account_uin, count(*) as n from old_rows group by account_uin) d
                  where cc.account_uin = d.account_uin', tg_table_schema);
              end if;
              return null;
            end $$`.execute(db);
        await statementTrigger(db, 'certificates_count_insert', 'insert', 'certificate_counts_apply');
        await statementTrigger(db, 'certificates_count_delete', 'delete', 'certificate_counts_apply');
        // After the triggers: creating them locked out writers, so nothing is counted twice or missed.
        await sql`insert into certificate_counts (account_uin, n) select account_uin, count(*) from certificates group by account_uin`.execute(db);

        // pg_trgm: use it wherever it is installed, else install it in public (a schema
        // certport's tests never drop; installing it into a certport schema would take the
        // other schemas' indexes with it on DROP SCHEMA … CASCADE). Without it (not
        // available, no right to create it) searching still works, by scanning.
        const installedIn = async () => (await sql<{ s: string }>`select n.nspname as s from pg_extension e
            join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db)).rows[0]?.s;
        let trgm = await installedIn();
        if (!trgm) {
          for (const target of ['public', null]) {
            await sql`savepoint certport_trgm`.execute(db);
            try {
              await sql`create extension if not exists pg_trgm ${target ? sql`with schema ${sql.id(target)}` : sql``}`.execute(db);
              await sql`release savepoint certport_trgm`.execute(db);
            } catch {
              // Not allowed here, not available, or another node created it a moment ago.
              await sql`rollback to savepoint certport_trgm`.execute(db);
            }
            trgm = await installedIn();
            if (trgm) break;
          }
        }
        if (trgm) await sql`create index certs_search_trgm on certificates using gin (search_text ${sql.id(trgm)}.gin_trgm_ops)`.execute(db);
        // Most-common-element statistics of each row's trigrams (PostgreSQL 14+): which
        // trigrams nearly every row has, and so which parts of a search key to look up.
        // certificate_trigram_freqs(trigrams) reads them: {"min": the least frequency listed,
        // "found": {trigram: frequency}}, or null. A function, because PL/pgSQL keeps its plan
        // for the session (planning the pg_stats_ext_exprs view takes ~10 ms).
        const version = Number((await sql<{ v: string }>`select current_setting('server_version_num') as v`.execute(db)).rows[0]?.v ?? 0);
        const statistics = trgm !== undefined && version >= 140000;
        if (statistics) {
          await sql`create statistics certs_search_trgm_stats on (${sql.id(trgm!)}.show_trgm(search_text)) from certificates`.execute(db);
          await sql`analyze certificates`.execute(db);
        }
        await sql`create function certificate_trigram_freqs(trigrams text[]) returns json language plpgsql stable
            set plan_cache_mode = force_generic_plan as $$
            declare r json;
            begin
              ${sql.raw(statistics ? `select json_build_object('min', s.most_common_elem_freqs[cardinality(s.most_common_elem_freqs) - 2],
                'found', (select json_object_agg(u.e, u.f) from unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) as u(e, f)
                  where u.e = any(trigrams)))
              into r from pg_stats_ext_exprs s
              where s.statistics_name = 'certs_search_trgm_stats' and s.statistics_schemaname = current_schema();` : 'r := null;')}
              return r;
            end $$`.execute(db);
      } else {
        await sql`create trigger certificates_count_insert after insert on certificates begin
            insert into certificate_counts (account_uin, n) values (new.account_uin, 1)
              on conflict (account_uin) do update set n = n + 1;
          end`.execute(db);
        await sql`create trigger certificates_count_delete after delete on certificates begin
            update certificate_counts set n = n - 1 where account_uin = old.account_uin;
          end`.execute(db);
        await sql`insert into certificate_counts (account_uin, n) select account_uin, count(*) from certificates group by account_uin`.execute(db);

        await sql`create table certificate_search (rid integer primary key, cert_id text not null unique)`.execute(db);
        // Contentless: the text stays in certificates.search_text, which a query checks again.
        await sql`create virtual table certificates_fts using fts5(search_text, content='', contentless_delete=1, tokenize='trigram')`.execute(db);
        await sql`create trigger certificates_search_insert after insert on certificates begin
            insert into certificate_search (cert_id) values (new.id);
            insert into certificates_fts (rowid, search_text) values (last_insert_rowid(), new.search_text);
          end`.execute(db);
        await sql`create trigger certificates_search_update after update of search_text on certificates begin
            delete from certificates_fts where rowid = (select rid from certificate_search where cert_id = old.id);
            insert into certificates_fts (rowid, search_text) select rid, new.search_text from certificate_search where cert_id = new.id;
          end`.execute(db);
        await sql`create trigger certificates_search_delete after delete on certificates begin
            delete from certificates_fts where rowid = (select rid from certificate_search where cert_id = old.id);
            delete from certificate_search where cert_id = old.id;
          end`.execute(db);
        await sql`insert into certificate_search (cert_id) select id from certificates`.execute(db);
        await sql`insert into certificates_fts (rowid, search_text)
            select s.rid, c.search_text from certificate_search s join certificates c on c.id = s.cert_id`.execute(db);
      }
    },
  };
}

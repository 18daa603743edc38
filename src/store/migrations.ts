// Versioned migrations, run at start. Each is applied once, in order, inside Kysely's Migrator
// (which takes a lock, so several nodes starting together on PostgreSQL do not race).
import { Kysely, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './db.js';
import { deployMigration } from './deploy-migration.js';
import { noticeMigration } from './notice-migration.js';
import { hostingMigration } from './hosting-migration.js';

function migrations(dialect: Dialect): Record<string, Migration> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_foundation': {
      async up(db: Kysely<any>) {
        await db.schema.createTable('accounts')
          .addColumn('uin', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createTable('users')
          .addColumn('uin', 'text', (c) => c.primaryKey())
          .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createTable('api_keys')
          .addColumn('secret_id', 'text', (c) => c.primaryKey())
          .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
          .addColumn('user_uin', 'text', (c) => c.notNull().references('users.uin'))
          .addColumn('secret_key_sealed', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('api_keys_user').on('api_keys').column('user_uin').execute();
        await db.schema.createTable('projects')
          .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
          .addColumn('project_id', big, (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('projects_pk', ['account_uin', 'project_id'])
          .execute();
        await db.schema.createTable('certificates')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
          .addColumn('project_id', big, (c) => c.notNull())
          .addColumn('alias', 'text', (c) => c.notNull())
          .addColumn('certificate_type', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('status', 'integer', (c) => c.notNull())
          .addColumn('status_msg', 'text')
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('sans', 'text', (c) => c.notNull())
          .addColumn('search_text', 'text', (c) => c.notNull())
          .addColumn('has_key', 'integer', (c) => c.notNull())
          .addColumn('fingerprint_sha1', 'text', (c) => c.notNull())
          .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
          .addColumn('serial_hex', 'text', (c) => c.notNull())
          .addColumn('issuer_cn', 'text', (c) => c.notNull())
          .addColumn('encrypt_algorithm', 'text', (c) => c.notNull())
          .addColumn('is_sm', 'integer', (c) => c.notNull())
          .addColumn('is_wildcard', 'integer', (c) => c.notNull())
          .addColumn('is_dv', 'integer', (c) => c.notNull())
          .addColumn('not_before', big, (c) => c.notNull())
          .addColumn('not_after', big, (c) => c.notNull())
          .addColumn('certificate_use', 'text', (c) => c.notNull())
          .addColumn('package_type', 'text')
          .addColumn('product_zh_name', 'text', (c) => c.notNull())
          .addColumn('verify_type', 'text')
          .addColumn('validity_period', 'text', (c) => c.notNull())
          .addColumn('ca_info', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .execute();
        // Listing is always per account: newest first, or by expiry.
        await db.schema.createIndex('certs_account_created').on('certificates').columns(['account_uin', 'created_at', 'id']).execute();
        await db.schema.createIndex('certs_account_expiry').on('certificates').columns(['account_uin', 'not_after']).execute();
        await db.schema.createIndex('certs_account_fp').on('certificates').columns(['account_uin', 'fingerprint_sha1']).execute();
        await db.schema.createIndex('certs_account_project').on('certificates').columns(['account_uin', 'project_id', 'created_at']).execute();
        await db.schema.createTable('certificate_material')
          .addColumn('cert_id', 'text', (c) => c.primaryKey().references('certificates.id').onDelete('cascade'))
          .addColumn('cert_pem', 'text', (c) => c.notNull())
          .addColumn('private_key_sealed', 'text')
          .addColumn('key_password_sealed', 'text')
          .execute();
        await db.schema.createTable('certificate_tags')
          .addColumn('cert_id', 'text', (c) => c.notNull().references('certificates.id').onDelete('cascade'))
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('tag_key', 'text', (c) => c.notNull())
          .addColumn('tag_value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('certificate_tags_pk', ['cert_id', 'tag_key'])
          .execute();
        await db.schema.createIndex('tags_account_kv').on('certificate_tags').columns(['account_uin', 'tag_key', 'tag_value']).execute();
        await db.schema.createTable('operation_logs')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('user_uin', 'text', (c) => c.notNull())
          .addColumn('cert_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('oplog_account_time').on('operation_logs').columns(['account_uin', 'created_at']).execute();
        void sql;
      },
    },
    '0002_dv_issuance': {
      async up(db: Kysely<any>) {
        // The embedded CA: certificates in the clear, private keys sealed with the master key.
        await db.schema.createTable('ca_material')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('root_pem', 'text', (c) => c.notNull())
          .addColumn('material_sealed', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        for (const [col, type] of [['dv_deadline', big], ['validated_at', big], ['origin_cert_id', 'text'], ['renew_order_id', 'text']] as const) {
          await db.schema.alterTable('certificates').addColumn(col, type).execute();
        }
        // A free DV certificate's order: what to publish, how, and where validation stands.
        await db.schema.createTable('dv_orders')
          .addColumn('cert_id', 'text', (c) => c.primaryKey().references('certificates.id').onDelete('cascade'))
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('main_domain', 'text', (c) => c.notNull())
          .addColumn('auths', 'text', (c) => c.notNull())
          .addColumn('key_algo', 'text', (c) => c.notNull())
          .addColumn('key_param', 'text', (c) => c.notNull())
          .addColumn('contact_email', 'text')
          .addColumn('contact_phone', 'text')
          .addColumn('delete_dns_auto_record', 'integer', (c) => c.notNull())
          .addColumn('record_state', 'text', (c) => c.notNull())
          .addColumn('last_check_at', big)
          .addColumn('last_check_detail', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('dv_orders_main_domain').on('dv_orders').columns(['account_uin', 'main_domain']).execute();
        // Durable background work. One row per (kind, subject); a node takes a job by
        // writing its lease with a compare-and-set, so two nodes never run one job at once.
        await db.schema.createTable('jobs')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('run_at', big, (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', big, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('payload', 'text')
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('jobs_pk', ['kind', 'subject'])
          .execute();
        await db.schema.createIndex('jobs_due').on('jobs').columns(['state', 'run_at']).execute();
      },
    },
    '0004_acme': {
      async up(db: Kysely<any>) {
        // One ACME account per directory, its key sealed with the master key.
        await db.schema.createTable('acme_accounts')
          .addColumn('directory_url', 'text', (c) => c.primaryKey())
          .addColumn('key_sealed', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.alterTable('dv_orders').addColumn('acme_order_url', 'text').execute();
      },
    },
    '0005_reissue': {
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
    },
    '0008_paid': {
      async up(db: Kysely<any>) {
        // Paid (OV/EV) orders: the product, what was submitted, the letter (sealed), the review.
        await db.schema.createTable('paid_orders')
          .addColumn('cert_id', 'text', (c) => c.primaryKey().references('certificates.id').onDelete('cascade'))
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('product_id', 'integer', (c) => c.notNull())
          .addColumn('domain_num', 'integer', (c) => c.notNull())
          .addColumn('time_span', 'integer', (c) => c.notNull())
          .addColumn('validity_days', 'integer', (c) => c.notNull())
          .addColumn('deal_id', 'text', (c) => c.notNull())
          .addColumn('submitted', 'text')
          .addColumn('csr_pem', 'text')
          .addColumn('letter_sealed', 'text')
          .addColumn('letter_type', 'text')
          .addColumn('review_note', 'text')
          .addColumn('reviewed_by', 'text')
          .addColumn('reviewed_at', big)
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('paid_orders_account').on('paid_orders').columns(['account_uin', 'created_at']).execute();
      },
    },
    '0009_organizations': {
      async up(db: Kysely<any>) {
        // Organizations and their managers, entered once with an OV/EV order and verified by
        // its review; DescribeCompanies / DescribeManagers read them.
        await db.schema.createTable('companies')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('country', 'text', (c) => c.notNull())
          .addColumn('province', 'text', (c) => c.notNull())
          .addColumn('city', 'text', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('phone', 'text', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('companies_account').on('companies').columns(['account_uin', 'name']).execute();
        await db.schema.createTable('managers')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('company_id', 'integer', (c) => c.notNull())
          .addColumn('first_name', 'text', (c) => c.notNull())
          .addColumn('last_name', 'text', (c) => c.notNull())
          .addColumn('position', 'text', (c) => c.notNull())
          .addColumn('phone', 'text', (c) => c.notNull())
          .addColumn('mail', 'text', (c) => c.notNull())
          .addColumn('department', 'text', (c) => c.notNull())
          .addColumn('contact', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('submit_audit_at', big)
          .addColumn('verify_at', big)
          .addColumn('expire_at', big)
          .addColumn('created_at', big, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('managers_company').on('managers').columns(['account_uin', 'company_id']).execute();
      },
    },
    '0003_csrs': {
      async up(db: Kysely<any>) {
        // CSR records (CreateCSR): random integer ids (they fit PostgreSQL's integer), the
        // private key and its password sealed with the master key.
        await db.schema.createTable('csrs')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('account_uin', 'text', (c) => c.notNull().references('accounts.uin'))
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('organization', 'text', (c) => c.notNull())
          .addColumn('department', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('province', 'text', (c) => c.notNull())
          .addColumn('city', 'text', (c) => c.notNull())
          .addColumn('country', 'text', (c) => c.notNull())
          .addColumn('encrypt_algo', 'text', (c) => c.notNull())
          .addColumn('key_parameter', 'text', (c) => c.notNull())
          .addColumn('remark', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('status', 'integer', (c) => c.notNull())
          .addColumn('csr_pem', 'text')
          .addColumn('private_key_sealed', 'text')
          .addColumn('key_password_sealed', 'text')
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('created_at', big, (c) => c.notNull())
          .addColumn('updated_at', big, (c) => c.notNull())
          .execute();
        // Listing is per account, newest first.
        await db.schema.createIndex('csrs_account_created').on('csrs').columns(['account_uin', 'created_at', 'id']).execute();
      },
    },
    '0007_deploy': deployMigration(dialect),
    '0011_notices': noticeMigration(dialect),
    '0010_hosting': hostingMigration(dialect),
    '0006_listing': {
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
    },
    '0012_metrics': {
      // /metrics (store/metrics-store.ts): certificates by status and source, and the expired
      // ones among the issued, read from an index instead of the table; pending validations
      // (status 0/4) found without a scan; issuance outcomes counted from the operation log's
      // 'issued'/'failed' entries without reading the rest of the log.
      async up(db: Kysely<any>) {
        await db.schema.createIndex('certs_status_source_expiry').on('certificates').columns(['status', 'source', 'not_after']).execute();
        await db.schema.createIndex('oplog_type').on('operation_logs').column('type').execute();
      },
    },

    '0013_tag_order': {
      // DescribeCertificates with one tag, newest first: the tag's entries in creation order
      // in an index, instead of reading every tagged certificate to sort them (2,857 of a
      // million took 10 ms warm and 330 ms cold on PostgreSQL).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('certificate_tags').addColumn('cert_created_at', big, (c) => c.notNull().defaultTo(0)).execute();
        await sql`update certificate_tags set cert_created_at = (select c.created_at from certificates c where c.id = certificate_tags.cert_id)`.execute(db);
        await db.schema.createIndex('tags_account_kv_created').on('certificate_tags')
          .columns(['account_uin', 'tag_key', 'tag_value', 'cert_created_at', 'cert_id']).execute();
      },
    },

    '0014_expiry_days': {
      // How many issued certificates (status 1) of an account expire on each UTC day
      // (not_after / 86,400,000), kept by triggers like certificate_counts: FilterExpiring's
      // TotalCount adds up the whole days of its window and counts only the two partial days
      // row by row (75,000 expiring of a million took ~12 ms to count, now ~1 ms).
      async up(db: Kysely<any>) {
        await db.schema.createTable('certificate_expiry_days')
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('day', big, (c) => c.notNull())
          .addColumn('n', big, (c) => c.notNull())
          .addPrimaryKeyConstraint('certificate_expiry_days_pk', ['account_uin', 'day'])
          .execute();
        if (dialect === 'postgres') {
          // Statement-level, as certificate_counts: a bulk insert touches each day row once, in
          // key order (so concurrent writers lock rows in the same order).
          await sql`create function certificate_expiry_days_apply() returns trigger language plpgsql as $$
            begin
              if tg_op in ('DELETE', 'UPDATE') then
                execute format('update %I.certificate_expiry_days d set n = d.n - o.n
                  from (select account_uin, not_after / 86400000 as day, count(*) as n from old_rows where status = 1 group by 1, 2) o
                  where d.account_uin = o.account_uin and d.day = o.day', tg_table_schema);
              end if;
              if tg_op in ('INSERT', 'UPDATE') then
                execute format('insert into %I.certificate_expiry_days as d (account_uin, day, n)
                  select account_uin, not_after / 86400000, count(*) from new_rows where status = 1 group by 1, 2 order by 1, 2
                  on conflict (account_uin, day) do update set n = d.n + excluded.n', tg_table_schema);
              end if;
              return null;
            end $$`.execute(db);
          await statementTrigger(db, 'certificates_days_insert', 'insert', 'certificate_expiry_days_apply');
          await statementTrigger(db, 'certificates_days_update', 'update', 'certificate_expiry_days_apply');
          await statementTrigger(db, 'certificates_days_delete', 'delete', 'certificate_expiry_days_apply');
        } else {
          await sql`create trigger certificates_days_insert after insert on certificates when new.status = 1 begin
            insert into certificate_expiry_days (account_uin, day, n) values (new.account_uin, new.not_after / 86400000, 1)
              on conflict (account_uin, day) do update set n = n + 1;
          end`.execute(db);
          await sql`create trigger certificates_days_delete after delete on certificates when old.status = 1 begin
            update certificate_expiry_days set n = n - 1 where account_uin = old.account_uin and day = old.not_after / 86400000;
          end`.execute(db);
          await sql`create trigger certificates_days_update after update of status, not_after, account_uin on certificates begin
            update certificate_expiry_days set n = n - 1
              where old.status = 1 and account_uin = old.account_uin and day = old.not_after / 86400000;
            insert into certificate_expiry_days (account_uin, day, n) select new.account_uin, new.not_after / 86400000, 1 where new.status = 1
              on conflict (account_uin, day) do update set n = n + 1;
          end`.execute(db);
        }
        // After the triggers (on PostgreSQL creating them locked out writers): nothing counted twice or missed.
        await sql`insert into certificate_expiry_days (account_uin, day, n)
          select account_uin, not_after / 86400000, count(*) from certificates where status = 1 group by 1, 2`.execute(db);
      },
    },

    '0015_order_buckets': {
      // DescribeCertificates deep in the default order (newest first) on PostgreSQL: OFFSET
      // walks every skipped index entry, ~17 ms for the 100,000 that Offset 900,000 of a
      // million skips from the nearer end. The account's order is cut into buckets of about
      // ORDER_BUCKET rows, each starting at a (created_at, id) key and counting the rows from
      // there to the next bucket's start, kept by triggers; a deep page adds up the bucket
      // counts (a few hundred rows) and walks at most one bucket. Each account has a lowest
      // bucket starting below every key, so every row has its bucket. created_at, id and
      // account_uin of a certificate never change, so only inserts and deletes move counts.
      // SQLite skips 90,000 of 100,000 in a few ms (bench/listing.ts): it keeps no buckets.
      async up(db: Kysely<any>) {
        if (dialect !== 'postgres') return;
        await db.schema.createTable('certificate_order_buckets')
          .addColumn('account_uin', 'text', (c) => c.notNull())
          .addColumn('lo_created_at', 'bigint', (c) => c.notNull())
          .addColumn('lo_id', 'text', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('certificate_order_buckets_pk', ['account_uin', 'lo_created_at', 'lo_id'])
          .execute();
        const B = ORDER_BUCKET;
        // Row rn (from 0) of t starts a piece when t is cut into ceil(t / B) pieces of equal
        // size (give or take one): 2,049 rows make three buckets of 683, not 1,024 + 1,024 + 1.
        const PIECE_START = sql.raw(`(rn = 0 or (rn * ((t + ${B - 1}) / ${B})) / t <> ((rn - 1) * ((t + ${B - 1}) / ${B})) / t)`);
        // Cuts one bucket into buckets of B rows (the first keeps the old start, so the keys
        // below its first row stay covered). Called with the account's lock held.
        await sql`create function certificate_order_split(s text, a text, lc bigint, li text) returns void language plpgsql as $$
          declare hc bigint; hi text;
          begin
            execute format('select lo_created_at, lo_id from %I.certificate_order_buckets where account_uin = $1 and (lo_created_at, lo_id) > ($2, $3)
              order by lo_created_at, lo_id limit 1', s) into hc, hi using a, lc, li;
            execute format('delete from %I.certificate_order_buckets where account_uin = $1 and lo_created_at = $2 and lo_id = $3', s) using a, lc, li;
            execute format('insert into %I.certificate_order_buckets (account_uin, lo_created_at, lo_id, n)
              select $1, case when rn = 0 then $2 else created_at end, case when rn = 0 then $3 else id end, coalesce(lead(rn) over (order by rn), t) - rn
              from (select created_at, id, row_number() over (order by created_at, id) - 1 as rn, count(*) over () as t
                    from %I.certificates where account_uin = $1 and (created_at, id) >= ($2, $3)'
              || case when hc is null then '' else ' and (created_at, id) < ($4, $5)' end
              || ') r where ${PIECE_START}', s, s) using a, lc, li, hc, hi;
          end $$`.execute(db);
        await sql`create function certificate_order_buckets_apply() returns trigger language plpgsql as $$
          declare a text; b record; cur bigint; pc bigint; pi text;
          begin
            -- One writer per account from here to commit (the account's certificate_counts row,
            -- updated by an earlier trigger, already orders them): every statement below, with
            -- its own snapshot, sees the buckets as the previous writer committed them.
            for a in execute format('select distinct account_uin from %I order by 1', case when tg_op = 'INSERT' then 'new_rows' else 'old_rows' end) loop
              perform pg_advisory_xact_lock(${sql.raw(String(ORDER_LOCK))}, hashtext(tg_table_schema || '.' || a));
            end loop;
            if tg_op = 'INSERT' then
              execute format('insert into %I.certificate_order_buckets (account_uin, lo_created_at, lo_id, n)
                select distinct account_uin, -9223372036854775808, '''', 0 from new_rows on conflict do nothing', tg_table_schema);
              for b in execute format('update %1$I.certificate_order_buckets o set n = o.n + d.n from (
                  select r.account_uin, k.lo_created_at, k.lo_id, count(*) as n from new_rows r cross join lateral (
                    select lo_created_at, lo_id from %1$I.certificate_order_buckets k where k.account_uin = r.account_uin
                      and (k.lo_created_at, k.lo_id) <= (r.created_at, r.id) order by k.lo_created_at desc, k.lo_id desc limit 1) k
                  group by 1, 2, 3) d
                where o.account_uin = d.account_uin and o.lo_created_at = d.lo_created_at and o.lo_id = d.lo_id
                returning o.account_uin, o.lo_created_at, o.lo_id, o.n', tg_table_schema) loop
                if b.n > ${sql.raw(String(2 * B))} then
                  perform certificate_order_split(tg_table_schema, b.account_uin, b.lo_created_at, b.lo_id);
                end if;
              end loop;
            else
              -- A bucket left with under a quarter of B rows joins the one before it (the
              -- lowest, which starts below every key, stays), highest first so that a bucket
              -- joined into by another is looked at with its new count.
              for b in execute format('with u as (update %1$I.certificate_order_buckets o set n = o.n - d.n from (
                  select r.account_uin, k.lo_created_at, k.lo_id, count(*) as n from old_rows r cross join lateral (
                    select lo_created_at, lo_id from %1$I.certificate_order_buckets k where k.account_uin = r.account_uin
                      and (k.lo_created_at, k.lo_id) <= (r.created_at, r.id) order by k.lo_created_at desc, k.lo_id desc limit 1) k
                  group by 1, 2, 3) d
                where o.account_uin = d.account_uin and o.lo_created_at = d.lo_created_at and o.lo_id = d.lo_id
                returning o.account_uin, o.lo_created_at, o.lo_id, o.n)
                select * from u where n < ${sql.raw(String(B / 4))} and lo_created_at > -9223372036854775808
                order by account_uin, lo_created_at desc, lo_id desc', tg_table_schema) loop
                execute format('select n from %I.certificate_order_buckets where account_uin = $1 and lo_created_at = $2 and lo_id = $3', tg_table_schema)
                  into cur using b.account_uin, b.lo_created_at, b.lo_id;
                continue when cur is null or cur >= ${sql.raw(String(B / 4))};
                execute format('delete from %I.certificate_order_buckets where account_uin = $1 and lo_created_at = $2 and lo_id = $3', tg_table_schema)
                  using b.account_uin, b.lo_created_at, b.lo_id;
                execute format('update %1$I.certificate_order_buckets o set n = o.n + $4 where (o.account_uin, o.lo_created_at, o.lo_id) = (
                    select account_uin, lo_created_at, lo_id from %1$I.certificate_order_buckets where account_uin = $1 and (lo_created_at, lo_id) < ($2, $3)
                    order by lo_created_at desc, lo_id desc limit 1)
                  returning o.lo_created_at, o.lo_id, o.n', tg_table_schema) into pc, pi, cur using b.account_uin, b.lo_created_at, b.lo_id, cur;
                if cur > ${sql.raw(String(2 * B))} then
                  perform certificate_order_split(tg_table_schema, b.account_uin, pc, pi);
                end if;
              end loop;
            end if;
            return null;
          end $$`.execute(db);
        await statementTrigger(db, 'certificates_order_insert', 'insert', 'certificate_order_buckets_apply');
        await statementTrigger(db, 'certificates_order_delete', 'delete', 'certificate_order_buckets_apply');
        // After the triggers (creating them locked out writers): the existing rows in buckets of B.
        await sql`insert into certificate_order_buckets (account_uin, lo_created_at, lo_id, n)
          select account_uin, case when rn = 0 then -9223372036854775808 else created_at end, case when rn = 0 then '' else id end,
            coalesce(lead(rn) over (partition by account_uin order by rn), t) - rn
          from (select account_uin, created_at, id, row_number() over (partition by account_uin order by created_at, id) - 1 as rn,
                  count(*) over (partition by account_uin) as t from certificates) r
          where ${PIECE_START}`.execute(db);
      },
    },
    '0016_renewal_link': {
      // Deleting a certificate clears the renewal link of the certificate it renewed: found here,
      // not by reading every certificate (~45 ms per delete at 100,000, growing with the table).
      async up(db) {
        await db.schema.createIndex('certs_renew_order').on('certificates').column('renew_order_id')
          .where(sql.ref('renew_order_id'), 'is not', null).execute();
      },
    },
  };
}

/** Rows per bucket of an account's default order (migration 0015); a bucket is cut past twice this. */
export const ORDER_BUCKET = 1024;
/** First key of the advisory lock that orders writers of one account's order buckets ('ordr'). */
const ORDER_LOCK = 0x6f726472;

/**
 * Held shared while a PostgreSQL database migrates and exclusively while a schema is dropped
 * (dropPgSchema): Kysely's migrator reads the catalog of every schema, and a schema dropped
 * in the middle of that read fails it with "schema … does not exist".
 */
export const SCHEMA_DDL_LOCK = 0x63657274; // 'cert'

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

/**
 * PostgreSQL: `fn` run once per `event` statement on certificates, seeing the statement's rows
 * as the transition tables new_rows (insert, update) and old_rows (update, delete).
 */
async function statementTrigger(db: Kysely<any>, name: string, event: 'insert' | 'update' | 'delete', fn: string): Promise<void> {
  const tables = { insert: 'new table as new_rows', update: 'old table as old_rows new table as new_rows', delete: 'old table as old_rows' }[event];
  await sql`create trigger ${sql.raw(name)} after ${sql.raw(event)} on certificates
    referencing ${sql.raw(tables)} for each statement execute function ${sql.raw(fn)}()`.execute(db);
}

async function runMigrator(db: Kysely<any>, dialect: Dialect, schema: string | undefined): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error, results } = await new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}

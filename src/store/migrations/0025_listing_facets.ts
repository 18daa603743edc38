// Migration 0025_listing_facets: kept counts and covering indexes for every filter of
// DescribeCertificates (issue 27).
import { sql, type Kysely, type Migration } from 'kysely';
import { bigint, statementTrigger } from './ddl.js';
import type { Dialect } from '../db.js';

/** The columns DescribeCertificates filters by without a search, in the covering indexes' order. */
const FILTER_COLUMNS = ['status', 'certificate_type', 'source', 'is_sm', 'has_key', 'project_id'];

export function listingFacets(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    // - certificate_facets: each account's certificates counted by every combination of
    //   project, type, bought (source other than upload), status, SM and key, kept by
    //   triggers like certificate_counts. A TotalCount for any mix of those filters adds up
    //   a few dozen rows instead of walking the account's rows (36–160 ms at 100k for a
    //   filter matching almost all or none, issue 27); a filter matching none is known empty
    //   before any page is read.
    // - The three orders' indexes carry the filter columns: a filtered page deep in either
    //   order skips index entries only (SQLite reads the index alone; PostgreSQL an
    //   index-only scan), never the rows.
    async up(db: Kysely<any>) {
      await db.schema.createTable('certificate_facets')
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('project_id', big, (c) => c.notNull())
        .addColumn('certificate_type', 'text', (c) => c.notNull())
        .addColumn('bought', 'integer', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('is_sm', 'integer', (c) => c.notNull())
        .addColumn('has_key', 'integer', (c) => c.notNull())
        .addColumn('n', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('certificate_facets_pk', ['account_uin', 'project_id', 'certificate_type', 'bought', 'status', 'is_sm', 'has_key'])
        .execute();
      // `q`: the quote ('' inside the PL/pgSQL format strings).
      const facet = (r: string, q = "'") => sql.raw(`${r}.account_uin, ${r}.project_id, ${r}.certificate_type, case when ${r}.source = ${q}upload${q} then 0 else 1 end, ${r}.status, ${r}.is_sm, ${r}.has_key`);
      const KEY = 'account_uin, project_id, certificate_type, bought, status, is_sm, has_key';
      if (dialect === 'postgres') {
        // Statement-level (a bulk insert touches each facet row once), rows in key order so
        // concurrent writers lock them in the same order.
        // An update moves only the rows whose facets changed (most change an alias or a time).
        const moved = (other: string) => sql.raw(`case when tg_op = 'UPDATE' then
          ' join ${other} x on x.id = r.id where (r.account_uin, r.project_id, r.certificate_type, r.source, r.status, r.is_sm, r.has_key)
            is distinct from (x.account_uin, x.project_id, x.certificate_type, x.source, x.status, x.is_sm, x.has_key)' else '' end`);
        await sql`create function certificate_facets_apply() returns trigger language plpgsql as $$
            begin
              if tg_op in ('DELETE', 'UPDATE') then
                execute format('update %I.certificate_facets f set n = f.n - o.n
                  from (select ${facet('r', "''")}, count(*) as n from old_rows r' || ${moved('new_rows')} || ' group by 1, 2, 3, 4, 5, 6, 7) o (${sql.raw(KEY)}, n)
                  where (f.account_uin, f.project_id, f.certificate_type, f.bought, f.status, f.is_sm, f.has_key)
                      = (o.account_uin, o.project_id, o.certificate_type, o.bought, o.status, o.is_sm, o.has_key)', tg_table_schema);
              end if;
              if tg_op in ('INSERT', 'UPDATE') then
                execute format('insert into %I.certificate_facets as f (${sql.raw(KEY)}, n)
                  select ${facet('r', "''")}, count(*) from new_rows r' || ${moved('old_rows')} || ' group by 1, 2, 3, 4, 5, 6, 7 order by 1, 2, 3, 4, 5, 6, 7
                  on conflict (${sql.raw(KEY)}) do update set n = f.n + excluded.n', tg_table_schema);
              end if;
              return null;
            end $$`.execute(db);
        await statementTrigger(db, 'certificates_facets_insert', 'insert', 'certificate_facets_apply');
        await statementTrigger(db, 'certificates_facets_update', 'update', 'certificate_facets_apply');
        await statementTrigger(db, 'certificates_facets_delete', 'delete', 'certificate_facets_apply');
      } else {
        await sql`create trigger certificates_facets_insert after insert on certificates begin
            insert into certificate_facets (${sql.raw(KEY)}, n) values (${facet('new')}, 1)
              on conflict (${sql.raw(KEY)}) do update set n = n + 1;
          end`.execute(db);
        await sql`create trigger certificates_facets_delete after delete on certificates begin
            update certificate_facets set n = n - 1 where (${sql.raw(KEY)}) = (${facet('old')});
          end`.execute(db);
        await sql`create trigger certificates_facets_update
            after update of account_uin, project_id, certificate_type, source, status, is_sm, has_key on certificates begin
            update certificate_facets set n = n - 1 where (${sql.raw(KEY)}) = (${facet('old')});
            insert into certificate_facets (${sql.raw(KEY)}, n) values (${facet('new')}, 1)
              on conflict (${sql.raw(KEY)}) do update set n = n + 1;
          end`.execute(db);
      }
      // After the triggers (on PostgreSQL creating them locked out writers): nothing counted twice or missed.
      await sql`insert into certificate_facets (${sql.raw(KEY)}, n)
          select ${facet('c')}, count(*) from certificates c group by 1, 2, 3, 4, 5, 6, 7`.execute(db);

      // The orders' indexes, wide enough to filter in (PostgreSQL: the filter columns as
      // INCLUDE, out of the tree's upper levels).
      const cover = async (name: string, old: string, keys: string[], extra: string[]) => {
        const include = dialect === 'postgres' ? ` include (${extra.join(', ')})` : '';
        const cols = dialect === 'postgres' ? keys : [...keys, ...extra];
        await sql`create index ${sql.raw(name)} on certificates (${sql.raw(cols.join(', '))})${sql.raw(include)}`.execute(db);
        await db.schema.dropIndex(old).execute();
      };
      await cover('certs_account_created_f', 'certs_account_created', ['account_uin', 'created_at', 'id'], [...FILTER_COLUMNS, 'not_after']);
      await cover('certs_account_expiry_f', 'certs_account_expiry_id', ['account_uin', 'not_after', 'id'], [...FILTER_COLUMNS, 'created_at']);
      await cover('certs_account_status_expiry_f', 'certs_account_status_expiry', ['account_uin', 'status', 'not_after'],
        [...FILTER_COLUMNS.slice(1), 'id', 'created_at']);
    },
  };
}

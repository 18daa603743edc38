// Migration 0034_pg_expiry_facets: certificates counted by expiry day, status and facet.
import { sql, type Kysely, type Migration } from 'kysely';
import { bigint, statementTrigger } from './ddl.js';
import type { Dialect } from '../db.js';

export function expiryFacets(dialect: Dialect): Migration {
  const big = bigint(dialect);
  return {
    // A TotalCount that judges status at the request's time (CertificateStatus 1 or 3,
    // Deployable) moves the issued certificates already past notAfter from issued to expired.
    // Those were counted row by row: 40,000 index entries of a million, ~18 ms, twice a first
    // page (its gate and its count; issue 27). Counted here by UTC day of notAfter, status and
    // the facets the filters fix (project, type, bought, SM, key), kept by triggers like
    // certificate_facets: the whole days before today are added up from a few rows, only
    // today's issued rows past notAfter are counted one by one. Every status is counted, so
    // that the days' counts also place a page deep in the expiry order (PostgreSQL's
    // listing: the day holding the page's first row, then at most that day's rows skipped).
    async up(db: Kysely<any>) {
      await db.schema.createTable('certificate_expiry_facets')
        .addColumn('account_uin', 'text', (c) => c.notNull())
        .addColumn('day', big, (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('project_id', big, (c) => c.notNull())
        .addColumn('certificate_type', 'text', (c) => c.notNull())
        .addColumn('bought', 'integer', (c) => c.notNull())
        .addColumn('is_sm', 'integer', (c) => c.notNull())
        .addColumn('has_key', 'integer', (c) => c.notNull())
        .addColumn('n', big, (c) => c.notNull())
        .addPrimaryKeyConstraint('certificate_expiry_facets_pk', ['account_uin', 'day', 'status', 'project_id', 'certificate_type', 'bought', 'is_sm', 'has_key'])
        .execute();
      const KEY = 'account_uin, day, status, project_id, certificate_type, bought, is_sm, has_key';
      // `q`: the quote ('' inside the PL/pgSQL format strings).
      const facet = (r: string, q = "'") => sql.raw(`${r}.account_uin, ${r}.not_after / 86400000, ${r}.status, ${r}.project_id, ${r}.certificate_type, case when ${r}.source = ${q}upload${q} then 0 else 1 end, ${r}.is_sm, ${r}.has_key`);
      if (dialect === 'postgres') {
        // Statement-level, rows in key order (concurrent writers lock them in the same order);
        // an update moves only the rows whose day, status or facets changed.
        const only = (other: string) => sql.raw(`case when tg_op = 'UPDATE' then
          ' join ${other} x on x.id = r.id where (r.account_uin, r.not_after / 86400000, r.project_id, r.certificate_type, r.source, r.status, r.is_sm, r.has_key)
            is distinct from (x.account_uin, x.not_after / 86400000, x.project_id, x.certificate_type, x.source, x.status, x.is_sm, x.has_key)' else '' end`);
        await sql`create function certificate_expiry_facets_apply() returns trigger language plpgsql as $$
            begin
              if tg_op in ('DELETE', 'UPDATE') then
                execute format('update %I.certificate_expiry_facets f set n = f.n - o.n
                  from (select ${facet('r', "''")}, count(*) as n from old_rows r' || ${only('new_rows')} || ' group by 1, 2, 3, 4, 5, 6, 7, 8) o (${sql.raw(KEY)}, n)
                  where (f.account_uin, f.day, f.status, f.project_id, f.certificate_type, f.bought, f.is_sm, f.has_key)
                      = (o.account_uin, o.day, o.status, o.project_id, o.certificate_type, o.bought, o.is_sm, o.has_key)', tg_table_schema);
              end if;
              if tg_op in ('INSERT', 'UPDATE') then
                execute format('insert into %I.certificate_expiry_facets as f (${sql.raw(KEY)}, n)
                  select ${facet('r', "''")}, count(*) from new_rows r' || ${only('old_rows')} || ' group by 1, 2, 3, 4, 5, 6, 7, 8 order by 1, 2, 3, 4, 5, 6, 7, 8
                  on conflict (${sql.raw(KEY)}) do update set n = f.n + excluded.n', tg_table_schema);
              end if;
              return null;
            end $$`.execute(db);
        await statementTrigger(db, 'certificates_expiry_facets_insert', 'insert', 'certificate_expiry_facets_apply');
        await statementTrigger(db, 'certificates_expiry_facets_update', 'update', 'certificate_expiry_facets_apply');
        await statementTrigger(db, 'certificates_expiry_facets_delete', 'delete', 'certificate_expiry_facets_apply');
      } else {
        await sql`create trigger certificates_expiry_facets_insert after insert on certificates begin
            insert into certificate_expiry_facets (${sql.raw(KEY)}, n) values (${facet('new')}, 1)
              on conflict (${sql.raw(KEY)}) do update set n = n + 1;
          end`.execute(db);
        await sql`create trigger certificates_expiry_facets_delete after delete on certificates begin
            update certificate_expiry_facets set n = n - 1 where (${sql.raw(KEY)}) = (${facet('old')});
          end`.execute(db);
        await sql`create trigger certificates_expiry_facets_update
            after update of account_uin, not_after, project_id, certificate_type, source, status, is_sm, has_key on certificates begin
            update certificate_expiry_facets set n = n - 1 where (${sql.raw(KEY)}) = (${facet('old')});
            insert into certificate_expiry_facets (${sql.raw(KEY)}, n) values (${facet('new')}, 1)
              on conflict (${sql.raw(KEY)}) do update set n = n + 1;
          end`.execute(db);
      }
      // After the triggers (on PostgreSQL creating them locked out writers): nothing counted twice or missed.
      await sql`insert into certificate_expiry_facets (${sql.raw(KEY)}, n)
          select ${facet('c')}, count(*) from certificates c group by 1, 2, 3, 4, 5, 6, 7, 8`.execute(db);
    },
  };
}

// Migration 0035_pgbroad_facet_buckets: the default order's buckets (0015) counted per facet
// value (PostgreSQL).
import { sql, type Kysely, type Migration } from 'kysely';
import { statementTrigger } from './ddl.js';
import { ORDER_BUCKET } from './0015_order_buckets.js';
import type { Dialect } from '../db.js';

/** First key of the advisory lock of one account's order buckets (0015's ORDER_LOCK, 'ordr'). */
const ORDER_LOCK = 0x6f726472;

/**
 * A row's facet values as the facet column of certificate_facet_buckets, one per line (null
 * where it has none): its type, bought (source other than upload), SM and stored status;
 * issued ones (status 1) by UTC day of notAfter (`x:` and the day, 8 digits); deployable ones
 * as stored (SVR, issued, with a key: `d`) and by day (`dx:`). `r`: the row's alias; `q`: the
 * quote ('' inside PL/pgSQL format strings). listing/postgres.ts writes the same labels.
 */
export const facetValues = (r: string, q = "'") => {
  const day = `lpad((${r}.not_after / 86400000)::text, 8, ${q}0${q})`;
  const deployable = `${r}.certificate_type = ${q}SVR${q} and ${r}.status = 1 and ${r}.has_key = 1`;
  return `(values (${q}t:${q} || ${r}.certificate_type),
  (case when ${r}.source = ${q}upload${q} then ${q}b:0${q} else ${q}b:1${q} end), (${q}m:${q} || ${r}.is_sm), (${q}s:${q} || ${r}.status),
  (case when ${r}.status = 1 then ${q}x:${q} || ${day} end), (case when ${deployable} then ${q}d${q} end),
  (case when ${deployable} then ${q}dx:${q} || ${day} end)) f (facet)`;
};

export function facetBuckets(dialect: Dialect): Migration {
  return {
    // DescribeCertificates, a random page deep in a broad filter (CertificateType SVR,
    // FilterSource, IsSM 0, a status, Deployable, FilterExpiring), on PostgreSQL: OFFSET
    // walks every skipped index entry that matches, up to half a million at a million rows
    // (p50 40-170 ms, issue 27). Each of 0015's buckets is counted here per facet value
    // (type, bought, SM, stored status, deployable as stored: about a dozen rows a bucket;
    // issued and deployable ones also by day of notAfter, for what is judged at a time), kept
    // by triggers under 0015's per-account lock: a deep page of one such filter adds up its
    // values' rows and walks at most one bucket. Splits (0015's certificate_order_split,
    // replaced here) count the new buckets again from the rows; a bucket merged away on
    // delete has its rows folded into the bucket that now holds its keys (a trigger after
    // 0015's). SQLite reads what its indexes skip much faster and keeps positions
    // (listing/positions.ts): nothing there.
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      // n in the key's index: a deep page adds up thousands of per-day rows (a month of
      // FilterExpiring) in an index-only scan, not one heap fetch each (80 -> 35 ms at a million).
      await sql`create table certificate_facet_buckets (account_uin text not null, facet text not null,
          lo_created_at bigint not null, lo_id text not null, n bigint not null,
          constraint certificate_facet_buckets_pk primary key (account_uin, facet, lo_created_at, lo_id) include (n))`.execute(db);
      await facetFunctions(db, facetValues);
      // After 0015's delete trigger: the facet rows of buckets it merged away, into the bucket
      // now holding their keys (a split since has counted its range again: none are left there).
      await sql`create function certificate_facet_buckets_fold() returns trigger language plpgsql as $$
          declare a text; gone boolean;
          begin
            for a in execute 'select distinct account_uin from old_rows order by 1' loop
              -- Only the buckets that held the deleted rows can have been merged away: each
              -- found through the row's status label (every row has one, kept at 0 when emptied).
              -- Nearly always none was; a merge then moves its rows (a scan of the account's).
              execute format('select exists (select 1 from old_rows r cross join lateral (
                    select lo_created_at, lo_id from %1$I.certificate_facet_buckets f where f.account_uin = r.account_uin
                      and f.facet = ''s:'' || r.status and (f.lo_created_at, f.lo_id) <= (r.created_at, r.id)
                    order by f.lo_created_at desc, f.lo_id desc limit 1) h where r.account_uin = $1 and not exists (
                  select 1 from %1$I.certificate_order_buckets k where (k.account_uin, k.lo_created_at, k.lo_id) = ($1, h.lo_created_at, h.lo_id)))',
                tg_table_schema) into gone using a;
              continue when not gone;
              execute format('with gone as (delete from %1$I.certificate_facet_buckets f where f.account_uin = $1
                    and not exists (select 1 from %1$I.certificate_order_buckets k where (k.account_uin, k.lo_created_at, k.lo_id) = (f.account_uin, f.lo_created_at, f.lo_id))
                  returning f.facet, f.lo_created_at, f.lo_id, f.n)
                insert into %1$I.certificate_facet_buckets as o (account_uin, facet, lo_created_at, lo_id, n)
                select $1, g.facet, k.lo_created_at, k.lo_id, sum(g.n) from gone g cross join lateral (
                  select lo_created_at, lo_id from %1$I.certificate_order_buckets k where k.account_uin = $1
                    and (k.lo_created_at, k.lo_id) <= (g.lo_created_at, g.lo_id) order by k.lo_created_at desc, k.lo_id desc limit 1) k
                group by 2, 3, 4 order by 2, 3, 4
                on conflict (account_uin, facet, lo_created_at, lo_id) do update set n = o.n + excluded.n', tg_table_schema) using a;
            end loop;
            return null;
          end $$`.execute(db);
      // Trigger names: statement triggers of one event fire in name order; these run after
      // the counts (whose row orders one account's writers) and before 0015's, the fold after it.
      await statementTrigger(db, 'certificates_fbuckets_insert', 'insert', 'certificate_facet_buckets_apply');
      await statementTrigger(db, 'certificates_fbuckets_delete', 'delete', 'certificate_facet_buckets_apply');
      await statementTrigger(db, 'certificates_order_zfold_delete', 'delete', 'certificate_facet_buckets_fold');
      await statementTrigger(db, 'certificates_account_facet_buckets_update', 'update', 'certificate_facet_buckets_apply');
      // After the triggers (creating them locked out writers): the existing rows, each
      // bucket's range read from the default order's covering index.
      await sql`insert into certificate_facet_buckets (account_uin, facet, lo_created_at, lo_id, n)
          select b.account_uin, f.facet, b.lo_created_at, b.lo_id, count(*)
          from (select account_uin, lo_created_at, lo_id, lead(lo_created_at) over w as hc, lead(lo_id) over w as hi
                from certificate_order_buckets window w as (partition by account_uin order by lo_created_at, lo_id)) b
            join certificates r on r.account_uin = b.account_uin and (r.created_at, r.id) >= (b.lo_created_at, b.lo_id)
              and (b.hc is null or (r.created_at, r.id) < (b.hc, b.hi))
            cross join lateral ${sql.raw(facetValues('r'))}
          where f.facet is not null group by 1, 2, 3, 4`.execute(db);
    },
  };
}

/**
 * 0015's split and the insert/update/delete trigger function, (re)created with `values` as the
 * facet values of a row (facetValues; 0038_pg1m_expiry_levels adds coarser expiry levels).
 */
export async function facetFunctions(db: Kysely<any>, values: typeof facetValues): Promise<void> {
  // The rows of `src` (a transition table or certificates) counted per facet and the
  // bucket holding each (the greatest bucket start at or below its key).
  const counted = (src: string, where = '') => `select r.account_uin, f.facet, k.lo_created_at, k.lo_id, count(*) as n
    from ${src} r cross join lateral ${values('r', "''")} cross join lateral (
      select lo_created_at, lo_id from %1$I.certificate_order_buckets k where k.account_uin = r.account_uin
        and (k.lo_created_at, k.lo_id) <= (r.created_at, r.id) order by k.lo_created_at desc, k.lo_id desc limit 1) k
    where f.facet is not null ${where} group by 1, 2, 3, 4`;
  // An update touches only the rows it moved between facet values (most change an alias or a time).
  const MOVED = '(o.certificate_type, o.source, o.is_sm, o.status, o.has_key, o.not_after / 86400000) is distinct from (x.certificate_type, x.source, x.is_sm, x.status, x.has_key, x.not_after / 86400000)';
  const MOVED_FROM = (rows: string, other: string) => `(select o.* from ${rows} o join ${other} x on x.id = o.id where ${MOVED})`;
  // 0015's split, then the split range's facet rows counted again from the rows.
  const B = ORDER_BUCKET;
  const PIECE_START = sql.raw(`(rn = 0 or (rn * ((t + ${B - 1}) / ${B})) / t <> ((rn - 1) * ((t + ${B - 1}) / ${B})) / t)`);
  await sql`create or replace function certificate_order_split(s text, a text, lc bigint, li text) returns void language plpgsql as $$
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
        -- 0035: the range's facet rows (the old bucket's, and any left by a merge) counted again.
        execute format('delete from %I.certificate_facet_buckets where account_uin = $1 and (lo_created_at, lo_id) >= ($2, $3)
          and ($4::bigint is null or (lo_created_at, lo_id) < ($4, $5))', s) using a, lc, li, hc, hi;
        execute format('insert into %1$I.certificate_facet_buckets (account_uin, facet, lo_created_at, lo_id, n) ${sql.raw(counted('%1$I.certificates',
          'and r.account_uin = $1 and (r.created_at, r.id) >= ($2, $3) and ($4::bigint is null or (r.created_at, r.id) < ($4, $5))'))}', s)
          using a, lc, li, hc, hi;
      end $$`.execute(db);
  await sql`create or replace function certificate_facet_buckets_apply() returns trigger language plpgsql as $$
      declare a text; changed boolean; old_src text := 'old_rows'; new_src text := 'new_rows';
      begin
        if tg_op = 'UPDATE' then
          old_src := '${sql.raw(MOVED_FROM('old_rows', 'new_rows'))}';
          new_src := '${sql.raw(MOVED_FROM('new_rows', 'old_rows'))}';
          execute 'select exists (select 1 from old_rows o join new_rows x on x.id = o.id where ${sql.raw(MOVED)})' into changed;
          if not changed then return null; end if;
        end if;
        -- The order buckets' lock (0015): their keys stay put until commit.
        for a in execute format('select distinct account_uin from %I order by 1', case when tg_op = 'INSERT' then 'new_rows' else 'old_rows' end) loop
          -- An update comes first of its triggers (by name) and takes the account's count
          -- row as an insert's first trigger does, then the lock: writers of one account
          -- take both in the same order, before any facet row (a deadlock otherwise).
          if tg_op = 'UPDATE' then
            execute format('select 1 from %I.certificate_counts where account_uin = $1 for no key update', tg_table_schema) using a;
          end if;
          perform pg_advisory_xact_lock(${sql.raw(String(ORDER_LOCK))}, hashtext(tg_table_schema || '.' || a));
        end loop;
        if tg_op = 'INSERT' then
          -- An account's first rows: its lowest bucket (as 0015's trigger, which runs after this one).
          execute format('insert into %I.certificate_order_buckets (account_uin, lo_created_at, lo_id, n)
            select distinct account_uin, -9223372036854775808, '''', 0 from new_rows on conflict do nothing', tg_table_schema);
        end if;
        if tg_op in ('DELETE', 'UPDATE') then
          -- As an upsert of negative counts: one index probe a row (an UPDATE ... FROM hashed
          -- the whole table: a delete at 100,000 rows cost 50 ms more).
          execute format('insert into %1$I.certificate_facet_buckets as o (account_uin, facet, lo_created_at, lo_id, n)
            select account_uin, facet, lo_created_at, lo_id, -n from (${sql.raw(counted('%2$s'))}) d order by 1, 2, 3, 4
            on conflict (account_uin, facet, lo_created_at, lo_id) do update set n = o.n + excluded.n', tg_table_schema, old_src);
        end if;
        if tg_op in ('INSERT', 'UPDATE') then
          execute format('insert into %1$I.certificate_facet_buckets as o (account_uin, facet, lo_created_at, lo_id, n)
            select * from (${sql.raw(counted('%2$s'))}) d order by 1, 2, 3, 4
            on conflict (account_uin, facet, lo_created_at, lo_id) do update set n = o.n + excluded.n', tg_table_schema, new_src);
        end if;
        return null;
      end $$`.execute(db);
}

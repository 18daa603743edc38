// Migration 0015_order_buckets: bucket counts of the default order (PostgreSQL).
import { sql, type Kysely, type Migration } from 'kysely';
import { statementTrigger } from './ddl.js';
import type { Dialect } from '../db.js';

/** Rows per bucket of an account's default order; a bucket is cut past twice this. */
export const ORDER_BUCKET = 1024;
/** First key of the advisory lock that orders writers of one account's order buckets ('ordr'). */
const ORDER_LOCK = 0x6f726472;

export function orderBuckets(dialect: Dialect): Migration {
  return {
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
  };
}

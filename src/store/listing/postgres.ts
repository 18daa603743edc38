// DescribeCertificates on PostgreSQL: SearchKey through pg_trgm, looking up only the key's
// most selective part (migration 0006's trigram statistics); a tag's few ids hashed as a
// constant array; tags as json_agg; a deep page of the default order from the kept bucket
// counts (migration 0015), or of the expiry order from the per-day counts (0034_pg_expiry_facets),
// in one statement, else with its count in one repeatable-read snapshot.
import type { Q } from '../db.js';
import type { CertificateQuery } from '../../domain/certificate.js';
import { ORDER_BUCKET } from '../migrations/0015_order_buckets.js';
import { EXPIRY_LEVELS } from '../migrations/0038_pg1m_expiry_levels.js';
import { facetConditions, pageRowsOf, searchTextHolds, type ListingBackend } from './plan.js';
import { join, raw, rowsOf, sql, type Sql } from './text.js';
import { Positions } from './positions.js';

const DAY_MS = 86_400_000;
/** 0035_pgbroad_facet_buckets's label of a facet by UTC day of notAfter. */
const dayLabel = (prefix: string, day: number) => `${prefix}:${String(Math.max(0, day)).padStart(8, '0')}`;

// ---- 1M deep pages: day ranges by level (issue 27) ----
type DayPiece = { tag: string; from: number; to: number; sign: number };
/** 0038_pg1m_expiry_levels's levels, coarsest first, then 0035's days. */
const LEVELS = [...EXPIRY_LEVELS, { tag: '', days: 1 }];
const units = (ps: DayPiece[]) => ps.reduce((s, p) => s + p.to - p.from, 0);
const cheaper = (x: DayPiece[], y: DayPiece[]) => (units(y) < units(x) ? y : x);

/**
 * The days [a, b) as ranges of labels of 0035's days and 0038's 8- and 64-day blocks, each
 * with a sign: whole blocks of the coarsest level inside, then each edge either from the next
 * level down or as the enclosing block less the part outside it, whichever reads fewer labels
 * (each one a row per bucket at a million). [0, today): the 64-day blocks before, at most four
 * 8-day blocks and four days either way.
 */
export function dayRanges(a: number, b: number, level = 0, sign = 1): DayPiece[] {
  if (a >= b) return [];
  const { tag, days } = LEVELS[level]!;
  if (days === 1) return [{ tag, from: a, to: b, sign }];
  const lo = Math.ceil(a / days);
  const hi = Math.floor(b / days);
  const down = (x: number, y: number, s: number) => dayRanges(x, y, level + 1, s);
  /** Block k less [k * days, x) and [y, (k + 1) * days). */
  const around = (k: number, x: number, y: number) => [{ tag, from: k, to: k + 1, sign }, ...down(k * days, x, -sign), ...down(y, (k + 1) * days, -sign)];
  if (lo > hi) return cheaper(down(a, b, sign), around(hi, a, b));
  const left = a < lo * days ? cheaper(down(a, lo * days, sign), around(lo - 1, a, lo * days)) : [];
  const right = hi * days < b ? cheaper(down(hi * days, b, sign), around(hi, hi * days, b)) : [];
  // Adjacent ranges of one level and sign as one.
  const out: DayPiece[] = [];
  for (const p of [...left, ...(lo < hi ? [{ tag, from: lo, to: hi, sign }] : []), ...right]) {
    const m = out.find((o) => o.tag === p.tag && o.sign === p.sign && (o.to === p.from || o.from === p.to));
    if (m) Object.assign(m, { from: Math.min(m.from, p.from), to: Math.max(m.to, p.to) });
    else out.push({ ...p });
  }
  return out;
}
// ---- end 1M deep pages: day ranges by level ----

/**
 * The rows `q` matches counted per bucket of the default order (several rows per bucket, to
 * be added up), from the per-facet bucket counts of migration 0035_pgbroad_facet_buckets,
 * when `q` filters by exactly one of type, source, SM, statuses, pending issue, deployable
 * or expiring and nothing else; else null. What is judged at a time (issued or expired,
 * deployable, expiring) moves the issued rows of the whole days before today by their
 * per-day counts and today's (or the window's partial days') row by row.
 */
export function facetBucketCounts(q: CertificateQuery): Sql | null {
  if (q.searchKey || q.expirationSort || q.projectId !== undefined || q.tags?.length || q.certIds?.length) return null;
  const kinds = [q.certificateType, q.source, q.isSm, q.statuses?.length ? q.statuses : undefined, q.pendingIssue || undefined,
    q.deployable, q.expiring].filter((k) => k !== undefined).length;
  // FilterExpiring implies CertificateStatus [1] (judged at its time).
  const expiringIssued = q.expiring && q.statuses?.length === 1 && q.statuses[0] === 1 && kinds === 2;
  if (kinds !== 1 && !expiringIssued) return null;
  const a = q.accountUin;
  const labels = (facets: string[], sign = 1) => sql`select lo_created_at, lo_id, ${raw(sign < 0 ? '-n' : 'n')} as n
    from certificate_facet_buckets where account_uin = ${a} and facet = any(${facets}::text[])`;
  /** A bound as it is. */
  const bounded = (v: string | number, _type: string) => sql`${v}`;
  /**
   * FilterExpiring: a bound as a subquery, which the planner estimates the same with the value as
   * without: planned with the values its few labels and day rows looked cheaper than a generic
   * plan's guess, and the prepared deep page kept being planned per call (~7 ms at a million).
   */
  const opaque = (v: string | number, type: string) => sql`(select ${v}::${raw(type)})`;
  /** The labels of `prefix` counting the days in [from, to): per day and per block (dayRanges). */
  const days = (prefix: string, from: number, to: number, sign: number, bounds = bounded) => join(dayRanges(from, to, 0, sign).concat(from < to ? [] : [{ tag: '', from: 0, to: 0, sign }]).map((p) => sql`select lo_created_at,
    lo_id, ${raw(p.sign < 0 ? '-n' : 'n')} as n from certificate_facet_buckets where account_uin = ${a}
    and facet >= ${bounds(dayLabel(prefix + p.tag, p.from), 'text')} and facet < ${bounds(dayLabel(prefix + p.tag, p.to), 'text')}`), ' union all ');
  /**
   * Rows of the account meeting `cond` (on `e`), counted per bucket (each as `weight`, a
   * constant or a case on `e`): rows and bucket starts in one sorted run, each row in the
   * bucket of the starts counted before it (a bucket probe per row cost ~8 µs: 2,500 of a
   * day's rows, 20 ms).
   */
  const rows = (cond: Sql, weight: Sql | number, more: [Sql, Sql][] = [], any?: Sql) => sql`select b.lo_created_at, b.lo_id, v.n from (
      select g, sum(x) as n from (
        select is_b, x, sum(is_b) over (order by c, i, is_b desc rows unbounded preceding) as g from (
          select lo_created_at as c, lo_id as i, 1 as is_b, 0 as x from certificate_order_buckets where account_uin = ${a}${any ? sql` and ${any}` : raw('')}
          ${join([[cond, typeof weight === 'number' ? raw(String(weight)) : weight] as [Sql, Sql], ...more].map(([c, w]) => sql`union all
            select e.created_at, e.id, 0, ${w} from certificates e where e.account_uin = ${a} and ${c}`), ' ')}) u) w
      where is_b = 0 group by g) v
    join (select lo_created_at, lo_id, row_number() over (order by lo_created_at, lo_id) as g
      from certificate_order_buckets where account_uin = ${a}) b on b.g = v.g`;
  // One row per bucket (a single label's rows are). `gates`: spans' choices (partDays), once.
  const sum = (parts: Sql[], gates?: Sql) => sql`${gates ?? raw('')} select lo_created_at, lo_id, sum(n) as n
    from (${join(parts, ' union all ')}) u group by lo_created_at, lo_id`;
  // ---- 1M deep pages: partial days (issue 27) ----
  /**
   * Rows meeting `cond` with notAfter in [from, to) of UTC day d, for each span, per bucket:
   * those rows one by one, or the day's label of `prefix` (0035) less the rest of the day's rows
   * one by one, whichever side holds fewer (each side counted once, in `gates`): today's issued
   * rows lie all before now or all after it when certificates are issued at one time of day
   * (2,500 rows a day at a million, ~6 ms to place in buckets).
   */
  const partDays = (prefix: string, cond: Sql, spans: { d: number; from: number; to: number }[], sign: number, bounds = bounded) => {
    const inside = (p: { from: number; to: number }) => sql`(e.not_after >= ${p.from} and e.not_after < ${p.to})`;
    // Bounds as subqueries: estimated alike with the values and without (see `days`).
    const day = (d: number) => sql`(e.not_after >= ${bounds(d * DAY_MS, 'bigint')} and e.not_after < ${bounds((d + 1) * DAY_MS, 'bigint')})`;
    // k<i>: span i's own rows are the fewer; m<i>: how many the fewer side holds (none: the
    // buckets are not sorted with them at all).
    const gates = sql`with g as materialized (select ${join(spans.map((p, i) => sql`k${raw(String(i))}, m${raw(String(i))}`), ', ')}
      from ${join(spans.map((p, i) => sql`(select i <= o as k${raw(String(i))}, least(i, o) as m${raw(String(i))} from (select count(*) filter (where ${inside(p)}) as i,
        count(*) filter (where not ${inside(p)}) as o from certificates e where e.account_uin = ${a} and ${cond} and ${day(p.d)}) c) s${raw(String(i))}`), ', ')})`;
    const k = (i: number) => raw(`(select g.k${i} from g)`);
    // Either side as one range of the order's index, its bounds chosen once (an OR of both
    // sides sent PostgreSQL to the heap; a branch for each side tripled the planning time).
    const side = (p: { d: number; from: number; to: number }, i: number): [Sql, Sql] => [sql`${cond}
      and e.not_after >= case when ${k(i)} then ${p.from}::bigint else ${p.d * DAY_MS}::bigint end
      and e.not_after < case when ${k(i)} then ${p.to}::bigint else ${(p.d + 1) * DAY_MS}::bigint end
      and (${k(i)} or not ${inside(p)})`, sql`case when ${k(i)} then ${raw(String(sign))} else ${raw(String(-sign))} end`];
    const [first, ...others] = spans.map(side);
    const any = raw(`(select ${spans.map((_, i) => `g.m${i}`).join(' + ')} from g) > 0`);
    const parts = [rows(first![0], first![1], others, any), ...spans.map((p, i) => sql`select lo_created_at, lo_id, ${raw(sign < 0 ? '-n' : 'n')} as n
      from certificate_facet_buckets where account_uin = ${a} and facet = ${dayLabel(prefix, p.d)} and not ${k(i)}`)];
    return { parts, gates };
  };
  // ---- end 1M deep pages: partial days ----
  if (q.certificateType) return labels([`t:${q.certificateType}`]);
  if (q.source) return labels([q.source === 'upload' ? 'b:0' : 'b:1']);
  // IsSM 1 (1% at a million) reads its partial index faster than the facet counts (2.2 vs 3.4 ms).
  if (q.isSm !== undefined) return q.isSm ? null : labels(['m:0']);
  if (q.pendingIssue) return sum([labels(['s:0', 's:4'])]);
  if (q.expiring) {
    // Issued with now <= notAfter <= until: the whole days between by their counts, the first and last row by row.
    const { now, until } = q.expiring;
    const first = Math.floor(now / DAY_MS);
    const last = Math.floor(until / DAY_MS);
    const between = (from: number, to: number) => sql`e.status = 1 and e.not_after >= ${from} and e.not_after <= ${to}`;
    if (last - first < 2) return sum([rows(between(now, until), 1)]);
    const edges = partDays('x', sql`e.status = 1`, [{ d: first, from: now, to: (first + 1) * DAY_MS }, { d: last, from: last * DAY_MS, to: until + 1 }], 1, opaque);
    return sum([days('x', first + 1, last, 1, opaque), ...edges.parts], edges.gates);
  }
  const now = q.now;
  const today = now === undefined ? 0 : Math.floor(now / DAY_MS);
  /** Issued rows past notAfter at `now` (stored as issued): the days before today by their counts, today's row by row. */
  const pastDue = (prefix: string, cond: Sql, sign: number) => {
    const today = partDays(prefix, cond, [{ d: day0, from: day0 * DAY_MS, to: now! }], sign);
    return { parts: [days(prefix, 0, day0, sign), ...today.parts], gates: today.gates };
  };
  const day0 = today;
  if (q.statuses?.length) {
    const st = new Set(q.statuses);
    const parts = [labels([...st].map((s) => `s:${s}`))];
    // Issued and expired together are the stored ones; one without the other moves the past-due rows.
    if (now !== undefined && st.has(1) !== st.has(3)) {
      const due = pastDue('x', sql`e.status = 1`, st.has(1) ? -1 : 1);
      return sum([...parts, ...due.parts], due.gates);
    }
    return parts.length === 1 && st.size === 1 ? parts[0]! : sum(parts);
  }
  if (q.deployable !== undefined) {
    const due = now === undefined ? null : pastDue('dx', sql`e.certificate_type = 'SVR' and e.status = 1 and e.has_key = 1`, q.deployable ? -1 : 1);
    // Not deployable: every row of the bucket but the deployable ones.
    const parts = q.deployable ? [labels(['d'])]
      : [sql`select lo_created_at, lo_id, n from certificate_order_buckets where account_uin = ${a}`, labels(['d'], -1)];
    return sum([...parts, ...due?.parts ?? []], due?.gates);
  }
  return null;
}

// ---- 1M deep pages: filtered expiry order (issue 27) ----
/**
 * The rows `q` matches per UTC day of notAfter, from the per-day facet counts of migration
 * 0034_pg_expiry_facets (day, status, project, type, bought, SM, key), when every filter of
 * `q` is one of those or judged from them (statuses, pending issue, deployable, expiring);
 * else null. Judged at q.now: an issued row of a day before today's is expired, of a day
 * after it is not; today's rows (and FilterExpiring's first and last days) are counted row by
 * row. A deep page of such a filter in the expiry order (Deployable + ProjectId +
 * ExpirationSort walked ~500,000 index entries at a million) then skips at most a day's rows.
 */
export function expiryDayCounts(q: CertificateQuery): Sql | null {
  if (q.searchKey || q.tags?.length || q.certIds?.length) return null;
  const a = q.accountUin;
  const now = q.now;
  const today = now === undefined ? null : Math.floor(now / DAY_MS);
  const { fixed, judged } = facetConditions(q);
  const all = (conds: Sql[]) => (conds.length ? join(conds, ' and ') : raw('true'));
  // Days counted row by row: today's, and FilterExpiring's partial first and last days.
  const rowDays = new Set<number>();
  if (today !== null) rowDays.add(today);
  const exp = q.expiring;
  if (exp) {
    rowDays.add(Math.floor(exp.now / DAY_MS));
    rowDays.add(Math.floor(exp.until / DAY_MS));
  }
  const days = [...rowDays].sort((x, y) => x - y);
  const effF = today === null ? raw('f.status') : sql`(case when f.status = 1 and f.day < ${today} then 3 else f.status end)`;
  const effE = now === undefined ? raw('e.status') : sql`(case when e.status = 1 and e.not_after < ${now} then 3 else e.status end)`;
  const facetRows = sql`select f.day, f.n from certificate_expiry_facets f where f.account_uin = ${a}
    ${days.length ? sql`and f.day not in (${join(days.map((d) => sql`${d}`), ', ')})` : raw('')}
    ${exp ? sql`and f.status = 1 and f.day > ${Math.floor(exp.now / DAY_MS)} and f.day < ${Math.floor(exp.until / DAY_MS)}` : raw('')}
    and ${all([...fixed('f', true), ...judged(effF, 'f')])}`;
  if (!days.length) return sql`select day, sum(n) as n from (${facetRows}) u group by day`;
  const onDays = join(days.map((d) => sql`(e.not_after >= ${d * DAY_MS} and e.not_after < ${(d + 1) * DAY_MS})`), ' or ');
  const rows = sql`select e.not_after / ${DAY_MS} as day, count(*) as n from certificates e where e.account_uin = ${a} and (${onDays})
    ${exp ? sql`and e.status = 1 and e.not_after >= ${exp.now} and e.not_after <= ${exp.until}` : raw('')}
    and ${all([...fixed('e', false), ...judged(effE, 'e')])} group by 1`;
  return sql`select day, sum(n) as n from (${facetRows} union all ${rows}) u group by day`;
}
// ---- end 1M deep pages: filtered expiry order ----

/**
 * With kept sets (positions.ts): one per database, as its kept ids belong to it; `changeToken`:
 * the database's (db.ts), what pages asked for without a set are counted under.
 */
export const postgresListingKept = (kept = new Positions(), changeToken?: () => Promise<string>): ListingBackend =>
  ({ ...postgresListing, positions: { kept, token: [], ...(changeToken ? { changeToken } : {}) } });

export const postgresListing: ListingBackend = {
  pg: true,
  async search(db, key) {
    const part = await selectivePart(db, key);
    return part === key ? [searchTextHolds(part)] : [searchTextHolds(part), sql`strpos(c.search_text, ${key}) > 0`];
  },

  async fewTagged(db, tagged) {
    // PostgreSQL would probe the tag index once for every certificate it walks in sort
    // order (it never keeps a hash join's order): ~17 ms for a tag on 0.3% of a million.
    // Up to 20,000 ids as a constant array are hashed instead (~2 ms).
    const ids = (await rowsOf<{ cert_id: string }>(db, sql`${tagged} limit 20001`, true)).map((r) => r.cert_id);
    return ids.length <= 20_000 ? { where: sql`c.id = any(${ids}::text[])`, n: ids.length } : null;
  },

  tagsJson: raw('(select json_agg(json_build_array(t.tag_key, t.tag_value) order by t.tag_key) from certificate_tags t where t.cert_id = c.id)'),
  // Per row, the subquery above scanned the whole tag table where it is small (200 rows at
  // 10,000 certificates: the planner prefers that to the index) and set up its ordered
  // aggregate each time: ~0.1 ms of a 10-row page's ~0.29. The page's ids at once as an array
  // cost ~0.045 there and the same as per row with 2,000 tags (index probes). As a semi join
  // on `p` (`in (select ...)`) the planner hashed the ids and scanned 2,000 tags: ~0.15 ms more.
  pageTags: raw(`select t.cert_id, json_agg(json_build_array(t.tag_key, t.tag_value) order by t.tag_key) as tags_json
    from certificate_tags t where t.cert_id = any(array(select p.id from p)) group by t.cert_id`),

  async deepPage(db, { q, filtered, page, counted, record, expiringPage }) {
    if (q.offset <= 2 * ORDER_BUCKET) return null;
    if (filtered && q.expirationSort) {
      // A filter deep in the expiry order: the days holding the page's first and last rows from
      // the per-day counts (expiryDayCounts), only the rows between walked, and the count, in one statement.
      const counts = expiryDayCounts(q);
      if (!counts) return null;
      const dir = raw(q.expirationSort === 'ASC' ? 'asc' : 'desc');
      const at = sql`(with b as (select day, n, sum(n) over (order by day ${dir}) as cum from (${counts}) d)
        select f.day as d, (f.cum - f.n)::bigint as before, l.day as l
        from (select * from b where cum > ${q.offset} order by day ${dir} limit 1) f
        left join lateral (select day from b where cum >= ${q.offset + q.limit} order by day ${dir} limit 1) l on true)`;
      const between = q.expirationSort === 'ASC'
        ? raw('c.not_after >= (select at.d from at) * 86400000 and c.not_after < coalesce((select at.l from at) + 1, 106751991167) * 86400000')
        : raw('c.not_after < ((select at.d from at) + 1) * 86400000 and c.not_after >= coalesce((select at.l from at), -106751991167) * 86400000');
      const rows = await pageRowsOf<{ total: number | string }>(db, page(q.limit, sql`(select ${q.offset} - at.before from at)`, false,
        between, at, counted));
      return rows.length ? { total: Number(rows[0]!.total), items: rows.map(record) } : null;
    }
    if (filtered) {
      // One filter of type, source, SM, status, pending issue, deployable or expiring, deep in
      // the default order: the bucket holding the page's first match from the per-facet bucket
      // counts (migration 0035_pgbroad_facet_buckets), at most one bucket's rows walked, and
      // the count, in one statement. The first bucket with matches reads from the top.
      const counts = facetBucketCounts(q);
      if (!counts) return null;
      // Bounded below too, by the start of the bucket holding the page's last row: the walk
      // stays within the page's buckets whichever index the planner takes (with two statuses
      // it took the status index and sorted every match below the page: 28,000, 20 ms).
      const at = sql`(with b as (select lo_created_at, lo_id, n, sum(n) over w as cum, lag(lo_created_at) over w as hc, lag(lo_id) over w as hi
          from (${counts}) f window w as (order by lo_created_at desc, lo_id desc))
        select coalesce(f.hc, 9223372036854775807) as hc, coalesce(f.hi, '') as hi, (f.cum - f.n)::bigint as before,
          coalesce(l.lo_created_at, -9223372036854775808) as lc, coalesce(l.lo_id, '') as li
        from (select * from b where cum > ${q.offset} order by lo_created_at desc, lo_id desc limit 1) f
        left join lateral (select * from b where cum >= ${q.offset + q.limit} order by lo_created_at desc, lo_id desc limit 1) l on true)`;
      // FilterExpiring: its window compared opaquely, the statement prepared (DeepPage.expiringPage).
      const rows = await pageRowsOf<{ total: number | string }>(db, (expiringPage ?? page)(q.limit, sql`(select ${q.offset} - at.before from at)`, false,
        sql`(c.created_at, c.id) < (select at.hc, at.hi from at) and (c.created_at, c.id) >= (select at.lc, at.li from at)`, at, counted));
      return rows.length ? { total: Number(rows[0]!.total), items: rows.map(record) } : null;
    }
    if (q.expirationSort) {
      // Deep in the expiry order: the UTC day of notAfter holding the page's first row from
      // the kept per-day counts (migration 0034_pg_expiry_facets: a few rows a day), then at
      // most that day's rows skipped, and the count, in one statement (OFFSET 500,000 walked
      // half the expiry index, ~100 ms at a million).
      const asc = q.expirationSort === 'ASC';
      const dir = raw(asc ? 'asc' : 'desc');
      const at = sql`(select d, (cum - n)::bigint as before from (
          select day as d, sum(n) as n, sum(sum(n)) over (order by day ${dir}) as cum
          from certificate_expiry_facets where account_uin = ${q.accountUin} group by day) b
        where cum > ${q.offset} order by d ${dir} limit 1)`;
      const from = asc ? raw('c.not_after >= (select at.d from at) * 86400000')
        : raw('c.not_after < ((select at.d from at) + 1) * 86400000');
      const rows = await pageRowsOf<{ total: number | string }>(db, page(q.limit, sql`(select ${q.offset} - at.before from at)`, false,
        from, at, counted));
      return rows.length ? { total: Number(rows[0]!.total), items: rows.map(record) } : null;
    }
    // Deep in the default order: the bucket holding the page's first row from the kept
    // bucket counts (migration 0015), at most one bucket's rows skipped, and the count, in
    // one statement (a round trip each cost more than the statement). The newest bucket
    // (no key above it) holds at most 2 * ORDER_BUCKET rows, so it never holds the page.
    const at = sql`(select hc, hi, (cum - n)::bigint as before from (
        select lo_created_at, lo_id, n, sum(n) over w as cum, lag(lo_created_at) over w as hc, lag(lo_id) over w as hi
        from certificate_order_buckets where account_uin = ${q.accountUin}
        window w as (order by lo_created_at desc, lo_id desc)) b
      where cum > ${q.offset} order by lo_created_at desc, lo_id desc limit 1)`;
    const rows = await pageRowsOf<{ total: number | string }>(db, page(q.limit, sql`(select ${q.offset} - at.before from at)`, false,
      sql`(c.created_at, c.id) < (select at.hc, at.hi from at)`, at, counted));
    // Past the end (or no bucket): read as below, in a snapshot.
    return rows.length ? { total: Number(rows[0]!.total), items: rows.map(record) } : null;
  },

  onePageStatement: true,

  snapshot: (db) => db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only'),
};

/**
 * PostgreSQL: the part of the search key to look up in the trigram index. pg_trgm reads
 * the whole posting list of every trigram of a LIKE pattern, and one that most rows have
 * (`com`, the account's own domain) costs ~20 ms at a million rows; the trigram
 * statistics (migration 0006, read through certificate_trigram_freqs) say which. The cheapest
 * part wins: reading a trigram costs its frequency, each candidate row checked in the table ~250 times
 * that; adjacent trigrams are far from independent, so a part's selectivity is taken as
 * its rarest trigram's times the square roots of the others'. Any part finds every row
 * holding the whole key; the whole key is then checked with strpos.
 */
async function selectivePart(db: Q, key: string): Promise<string> {
  const chars = [...key];
  if (chars.length < 4 || chars.length > 64) return key;
  // The trigrams pg_trgm extracts from LIKE '%s%': runs of letters and digits, padded
  // with two blanks before and one after where they meet another character inside s
  // (not at its ends, where the wildcards are).
  const wordChar = /[\p{L}\p{N}]/u;
  const trigrams = (s: string[]): string[] => {
    const out = new Set<string>();
    for (let i = 0; i < s.length;) {
      if (!wordChar.test(s[i]!)) {
        i++;
        continue;
      }
      let j = i;
      while (j < s.length && wordChar.test(s[j]!)) j++;
      const padded = [...(i > 0 ? [' ', ' '] : []), ...s.slice(i, j), ...(j < s.length ? [' '] : [])];
      for (let k = 0; k + 3 <= padded.length; k++) out.add(padded.slice(k, k + 3).join(''));
      i = j;
    }
    return [...out];
  };
  // A part's trigrams are among the whole key's.
  const stats = (await rowsOf<{ f: { min: number | null; found: Record<string, number> | null } | null }>(db, sql`
    select certificate_trigram_freqs(${trigrams(chars)}::text[]) as f`, true))[0]?.f;
  if (!stats?.min) return key; // not analysed yet: look every trigram up
  const found = stats.found ?? {};
  let best = key;
  let bestCost = Infinity;
  for (let i = 0; i < chars.length; i++) {
    for (let j = i + 3; j <= chars.length; j++) {
      const f = trigrams(chars.slice(i, j)).map((t) => found[t] ?? stats.min! / 2).sort((a, b) => a - b);
      if (f.length === 0) continue;
      const cost = f.reduce((a, b) => a + b, 0) + 250 * f.slice(1).reduce((p, x) => p * Math.sqrt(x), f[0]!);
      if (cost < bestCost) {
        bestCost = cost;
        best = chars.slice(i, j).join('');
      }
    }
  }
  return best;
}

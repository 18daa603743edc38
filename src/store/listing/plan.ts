// DescribeCertificates' query, shared by both backends (sqlite.ts and postgres.ts hold what
// differs). Built to stay fast with a million certificates in one account (bench/listing.ts,
// with the counts, indexes and trigram search of migration 0006):
//  - TotalCount is the account's count kept by triggers when nothing filters, else COUNT(*);
//  - SearchKey goes through a trigram index first (FTS5 on SQLite, pg_trgm on PostgreSQL,
//    looking up only the key's selective part) and is then checked exactly;
//  - a page is one statement: its ids picked through the indexes, then only those rows
//    read with PEM, keys and tags; the first page carries the count too; a deeper page is
//    read from whichever end of the order is nearer (Offset 999,990 of 1,000,000 is the
//    first page read backwards); on PostgreSQL, deeper than two buckets from either end of
//    the default order, from the bucket counts of migration 0015, in one statement.
// A count and the page it goes with agree (one statement, or one snapshot).
import { sql, type Kysely, type QueryCreator, type RawBuilder, type SelectQueryBuilder, type TransactionBuilder } from 'kysely';
import type { Database } from '../schema.js';
import type { CertificateQuery, CertificateRecord } from '../../domain/certificate.js';
import { likeContaining, type Q } from '../db.js';
import { MATERIAL, toRecord, type FullRow } from '../certificate-rows.js';

export type Listed = { total: number; items: CertificateRecord[] };

/** What a backend brings to the listing. */
export interface ListingBackend {
  /** The conditions that find rows whose search text holds `key` (lowercased, not empty). */
  search(db: Q, key: string): Promise<RawBuilder<boolean>[]>;
  /** The ids of a tag's rows as one condition, when there are few enough to beat a subquery; else null. */
  fewTagged?(tagged: SelectQueryBuilder<any, any, { cert_id: string }>): Promise<{ where: RawBuilder<boolean>; n: number } | null>;
  /** A row's tags as a JSON array of [key, value] in key order (correlated with `c`). */
  tagsJson: RawBuilder<unknown>;
  /** A page deep in the default order read with its count in one statement; null to read it in a snapshot. */
  deepPage?(p: DeepPage): Promise<Listed | null>;
  /**
   * First pages with their count in one statement, gated by a kept count (PostgreSQL, where a
   * statement is a round trip); else the count is read first and the page cut to it, in the
   * snapshot (SQLite: a gate there is checked row by row). Also: SQLite keeps status and
   * expiry out of the Deployable filter's index choice.
   */
  onePageStatement?: boolean;
  /** The transaction a count and a deeper page are read in, so that they agree. */
  snapshot(db: Kysely<Database>): TransactionBuilder<Database>;
}

/** What deepPage gets of the query being planned (see `list`). */
export interface DeepPage {
  q: CertificateQuery;
  /** Anything beyond the account narrows the rows. */
  filtered: boolean;
  /** A page's rows; `below`: only rows before a (created_at, id) key; `at`: a statement the page reads as `at`. */
  page(limit: number, offset: number | RawBuilder<number>, backwards: boolean, below?: RawBuilder<boolean>, at?: RawBuilder<unknown>): SelectQueryBuilder<any, any, any>;
  /** The statement that counts the rows (TotalCount). */
  counted: SelectQueryBuilder<any, any, { n: number }>;
  record(r: any): CertificateRecord;
}

export async function listCertificates(db: Kysely<Database>, q: CertificateQuery, backend: ListingBackend): Promise<Listed> {
  const key = q.searchKey ? q.searchKey.toLowerCase() : '';
  // A deeper page reads the count, then the page from the nearer end: one snapshot keeps the
  // two in agreement. Everything else is a single statement (or needs no agreement).
  // SQLite has no round trips to save: its pages are read with their counts in a transaction
  // (cheap there), the count first so a page is cut to it.
  if (!key && (q.offset > 0 || !backend.onePageStatement)) {
    if (backend.onePageStatement) {
      const one = await list(db, q, key, backend, true);
      if (one) return one;
    }
    return backend.snapshot(db).execute(async (tx) => (await list(tx, q, key, backend))!); // only oneStatement reads return null
  }
  return (await list(db, q, key, backend))!;
}

/** `c.search_text` holds `s` (lowercased). */
export const searchTextHolds = (s: string) => sql<boolean>`c.search_text like ${likeContaining(s)} escape '\\'`;

const DAY_MS = 86_400_000;

/**
 * Issued certificates of an account with now <= notAfter <= until, as one scalar query: whole
 * days between from certificate_expiry_days, the first and last day counted row by row.
 */
function expiringCount(db: Q, accountUin: string, now: number, until: number) {
  const first = Math.floor(now / DAY_MS);
  const last = Math.floor(until / DAY_MS);
  const rows = (from: number, to: number) => sql<number>`(select count(*) from certificates c
    where c.account_uin = ${accountUin} and c.status = 1 and c.not_after >= ${from} and c.not_after <= ${to})`;
  if (last - first < 2) return db.selectNoFrom(rows(now, until).as('n'));
  return db.selectNoFrom(sql<number>`(select coalesce(sum(d.n), 0) from certificate_expiry_days d
    where d.account_uin = ${accountUin} and d.day > ${first} and d.day < ${last})
    + ${rows(now, (first + 1) * DAY_MS - 1)} + ${rows(last * DAY_MS, until)}`.as('n'));
}

/**
 * TotalCount from the kept facet counts (migration 0025) when every filter is one of project,
 * type, source, SM, status, pending issue and deployable; else null. Issued certificates
 * past notAfter count as expired (3) rather than issued (1) when the query has a time: the
 * facet rows count every issued one as issued, and the issued rows already past notAfter
 * (kept by expiry day and facet, today's from the status index) move from one to the other.
 */
function facetCount(q: CertificateQuery, key: string): RawBuilder<number> | null {
  if (key || q.tags?.length || q.certIds?.length || q.expiring) return null;
  const fixed = (t: string) => {
    const out: RawBuilder<boolean>[] = [];
    if (q.certificateType) out.push(sql<boolean>`${sql.ref(`${t}.certificate_type`)} = ${q.certificateType}`);
    if (q.projectId !== undefined) out.push(sql<boolean>`${sql.ref(`${t}.project_id`)} = ${q.projectId}`);
    if (q.isSm !== undefined) out.push(sql<boolean>`${sql.ref(`${t}.is_sm`)} = ${q.isSm ? 1 : 0}`);
    if (q.source) {
      out.push(t === 'f' ? sql<boolean>`f.bought = ${q.source === 'buy' ? 1 : 0}`
        : q.source === 'buy' ? sql<boolean>`${sql.ref(`${t}.source`)} <> 'upload'` : sql<boolean>`${sql.ref(`${t}.source`)} = 'upload'`);
    }
    return out;
  };
  // What depends on the status as judged at q.now: `eff` is the status, 3 for an expired issued one.
  const judged = (eff: RawBuilder<number>, t: string) => {
    const out: RawBuilder<boolean>[] = [];
    if (q.statuses?.length) out.push(sql<boolean>`${eff} in (${sql.join(q.statuses)})`);
    if (q.pendingIssue) out.push(sql<boolean>`${eff} in (0, 4)`);
    if (q.deployable !== undefined) {
      const cond = sql<boolean>`(${sql.ref(`${t}.certificate_type`)} = 'SVR' and ${eff} = 1 and ${sql.ref(`${t}.has_key`)} = 1)`;
      out.push(q.deployable ? cond : sql<boolean>`not ${cond}`);
    }
    return out;
  };
  const all = (conds: RawBuilder<boolean>[]) => (conds.length ? sql.join(conds, sql` and `) : sql`1 = 1`);
  const sum = sql<number>`(select coalesce(sum(f.n), 0) from certificate_facets f
    where f.account_uin = ${q.accountUin} and ${all([...fixed('f'), ...judged(sql`f.status`, 'f')])})`;
  const timed = q.now !== undefined && (q.deployable !== undefined || (q.statuses ?? []).some((s) => s === 1 || s === 3));
  if (!timed) return sum;
  // Issued ones past notAfter: those of the days before today from their kept counts
  // (migration 0034_pg_expiry_facets, same facet columns as `f`), today's row by row.
  const moved = (t: string, n: RawBuilder<unknown>) =>
    sql<number>`case when ${all(judged(sql`3`, t))} then ${n} else 0 end - case when ${all(judged(sql`1`, t))} then ${n} else 0 end`;
  const today = Math.floor(q.now! / DAY_MS);
  return sql<number>`(${sum} + (select coalesce(sum(${moved('f', sql`f.n`)}), 0) from certificate_expiry_facets f
      where f.account_uin = ${q.accountUin} and f.day < ${today} and f.status = 1 and ${all(fixed('f'))})
    + (select coalesce(sum(${moved('e', sql`1`)}), 0) from certificates e where e.account_uin = ${q.accountUin}
      and e.status = 1 and e.not_after >= ${today * DAY_MS} and e.not_after < ${q.now} and ${all(fixed('e'))}))`;
}

/**
 * `oneStatement`: only a page that one statement reads with its count (a deep page of the
 * default order on PostgreSQL); null, before any query, for anything else.
 */
async function list(db: Q, q: CertificateQuery, key: string, backend: ListingBackend, oneStatement = false): Promise<Listed | null> {
  let base = db.selectFrom('certificates as c').where('c.account_uin', '=', q.accountUin);
  let filters = 0;
  const filter = (f: (b: typeof base) => typeof base) => {
    base = f(base);
    filters++;
  };
  if (key) for (const cond of await backend.search(db, key)) filter((b) => b.where(cond));
  if (q.certificateType) filter((b) => b.where('c.certificate_type', '=', q.certificateType!));
  if (q.projectId !== undefined) filter((b) => b.where('c.project_id', '=', q.projectId!));
  if (q.statuses?.length) {
    const now = q.now;
    const wanted = q.statuses;
    // Expiry is not written back to the row: an issued certificate past notAfter is 3.
    filter((b) => b.where((eb) => eb.or(wanted.map((s) => {
      if (now === undefined) return eb('c.status', '=', s);
      if (s === 1) return eb.and([eb('c.status', '=', 1), eb('c.not_after', '>=', now)]);
      if (s === 3) return eb.or([eb('c.status', '=', 3), eb.and([eb('c.status', '=', 1), eb('c.not_after', '<', now)])]);
      return eb('c.status', '=', s);
    }))));
  }
  if (q.source === 'upload') filter((b) => b.where('c.source', '=', 'upload'));
  if (q.source === 'buy') filter((b) => b.where('c.source', '!=', 'upload'));
  if (q.isSm !== undefined) filter((b) => b.where('c.is_sm', '=', q.isSm ? 1 : 0));
  if (q.certIds?.length) filter((b) => b.where('c.id', 'in', q.certIds!));
  if (q.pendingIssue) filter((b) => b.where('c.status', 'in', [0, 4]));
  if (q.deployable !== undefined) {
    // SQLite: status and expiry kept out of the index choice (unary +). It picked the status
    // index and sorted every deployable row (13.5 ms at 40k in one account); the order's
    // covering index filters the same columns and stops at the page (0.4 ms).
    const st = sql.raw(backend.onePageStatement ? 'c.status' : '+c.status');
    const na = sql.raw(backend.onePageStatement ? 'c.not_after' : '+c.not_after');
    const cond = q.now === undefined
      ? sql<boolean>`(c.certificate_type = 'SVR' and ${st} = 1 and c.has_key = 1)`
      : sql<boolean>`(c.certificate_type = 'SVR' and ${st} = 1 and c.has_key = 1 and ${na} >= ${q.now})`;
    filter((b) => b.where(q.deployable ? cond : sql<boolean>`not ${cond}`));
  }
  if (q.expiring) {
    const { now, until } = q.expiring;
    filter((b) => b.where('c.status', '=', 1).where('c.not_after', '>=', now).where('c.not_after', '<=', until));
  }
  // Tags, through the account's tag index (tags are stored with their certificate's account,
  // one per certificate and key, deleted with it).
  const tagCounts: number[] = [];
  if (oneStatement && q.tags?.length) return null; // filtered, and read ahead below
  // One tag key=value and nothing else, newest first: the page comes straight from the
  // tag's index in creation order (tagPage below).
  const soleTag = filters === 0 && !key && !q.expirationSort && q.tags?.length === 1 && q.tags[0]!.value !== '' ? q.tags[0]! : null;
  for (const t of q.tags ?? []) {
    const tagged = db.selectFrom('certificate_tags as t').select('t.cert_id')
      .where('t.account_uin', '=', q.accountUin).where('t.tag_key', '=', t.key)
      .$if(t.value !== '', (qb) => qb.where('t.tag_value', '=', t.value));
    if (backend.fewTagged && !soleTag) {
      const few = await backend.fewTagged(tagged);
      if (few) {
        filter((b) => b.where(few.where));
        tagCounts.push(few.n);
        continue;
      }
    }
    filter((b) => b.where('c.id', 'in', tagged));
  }

  const filtered = filters > 0;
  // Newest first (id breaks ties), or by expiry with ids ascending within one notAfter.
  const ordering = (backwards: boolean): ['created_at' | 'not_after' | 'id', 'asc' | 'desc'][] => {
    const dir = (d: 'asc' | 'desc'): 'asc' | 'desc' => (backwards ? (d === 'asc' ? 'desc' : 'asc') : d);
    return q.expirationSort
      ? [['not_after', dir(q.expirationSort === 'ASC' ? 'asc' : 'desc')], ['id', dir('asc')]]
      : [['created_at', dir('desc')], ['id', dir('desc')]];
  };
  const tagsJson = backend.tagsJson;
  /**
   * One page in one statement: `p` picks the page's ids through the indexes (sorting only
   * ids), then only those rows are read with their PEM, sealed keys and tags, in the page's
   * order. `at`: a statement `p` reads as `at` (a CTE: evaluated once).
   */
  const rowsOf = (p: SelectQueryBuilder<any, any, { id: string }>, backwards: boolean, at?: RawBuilder<unknown>) => {
    const start = (at ? db.with('at', (w) => w.selectFrom(at.as('a')).selectAll()) : db) as QueryCreator<Database>;
    let rows = start.with('p', () => p).selectFrom('p').innerJoin('certificates as c', 'c.id', 'p.id')
      .leftJoin('certificate_material as m', 'm.cert_id', 'c.id')
      .selectAll('c').select(MATERIAL).select(tagsJson.as('tags_json'));
    for (const [col, d] of ordering(backwards)) rows = rows.orderBy(`c.${col}`, d);
    return rows;
  };
  /** `below`: only rows before a (created_at, id) key in the default order. */
  const page = (limit: number, offset: number | RawBuilder<number>, backwards: boolean, below?: RawBuilder<boolean>, at?: RawBuilder<unknown>) => {
    // Only the order's own columns: its index then holds all that OFFSET skips, and
    // PostgreSQL skips it in an index-only scan (a heap read per skipped row made
    // Offset 900,000 of 1,000,000 cost ~60 ms when the rows were not cached).
    let ids = (below ? base.where(below) : base)
      .select(q.expirationSort ? ['c.id', 'c.not_after'] : ['c.id', 'c.created_at']);
    for (const [col, d] of ordering(backwards)) ids = ids.orderBy(`c.${col}`, d);
    return rowsOf(ids.limit(limit).offset(offset), backwards, at);
  };
  type Row = Awaited<ReturnType<ReturnType<typeof page>['execute']>>[number];
  const record = (r: Row) => {
    const list = (typeof r.tags_json === 'string' ? JSON.parse(r.tags_json) : r.tags_json ?? []) as [string, string][];
    // The row as it is (copying a 40-column row with spreads costs V8 µs per column).
    if (r.cert_pem === null) r.cert_pem = '';
    return toRecord(r as FullRow, list.map(([k, v]) => ({ key: k, value: v })));
  };
  // TotalCount: a search counts its matches (below); with no filter, the kept count; for one
  // tag alone, its rows in the tag index (or the ids already read); else COUNT(*).
  const tags = q.tags ?? [];
  const known = filters === 1 && tagCounts.length === 1 ? tagCounts[0]! : null;
  // FilterExpiring alone (or with CertificateStatus [1], which it implies): the whole days
  // of the window from the kept per-day counts (migration 0014), the two partial days row by row.
  const onlyExpiring = q.expiring && !key && tags.length === 0 && (q.statuses === undefined || (q.statuses.length === 1 && q.statuses[0] === 1))
    && filters === (q.statuses ? 2 : 1) ? q.expiring : null;
  const facets = filtered ? facetCount(q, key) : null;
  // The count read from kept rows, not by walking the account's: then a page can be cut to it.
  const kept = !filtered || onlyExpiring !== null || facets !== null;
  const counted = onlyExpiring ? expiringCount(db, q.accountUin, onlyExpiring.now, onlyExpiring.until)
    : facets ? db.selectNoFrom(facets.as('n')) : !filtered
    ? db.selectFrom(sql<{ n: number }>`certificate_counts`.as('k')).select('k.n').where(sql.ref('k.account_uin'), '=', q.accountUin)
    : filters === 1 && tags.length === 1
      ? db.selectFrom('certificate_tags as t').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('t.account_uin', '=', q.accountUin).where('t.tag_key', '=', tags[0]!.key)
        .$if(tags[0]!.value !== '', (qb) => qb.where('t.tag_value', '=', tags[0]!.value))
      : base.select((eb) => eb.fn.countAll<number>().as('n'));
  const count = async () => known ?? Number((await counted.executeTakeFirst())?.n ?? 0);

  if (soleTag) {
    const tagPage = (limit: number, offset: number) => rowsOf(db.selectFrom('certificate_tags as t')
      .select(['t.cert_id as id', 't.cert_created_at'])
      .where('t.account_uin', '=', q.accountUin).where('t.tag_key', '=', soleTag.key).where('t.tag_value', '=', soleTag.value)
      .orderBy('t.cert_created_at', 'desc').orderBy('t.cert_id', 'desc').limit(limit).offset(offset), false);
    if (q.offset === 0) {
      const rows = await tagPage(q.limit, 0).select(counted.as('total')).execute();
      return { total: rows.length ? Number(rows[0]!.total) : await count(), items: rows.map(record) };
    }
    const total = await count();
    return { total, items: q.offset >= total ? [] : (await tagPage(q.limit, q.offset).execute()).map(record) };
  }

  if (key) {
    // A search: its matches once through the trigram index, counted and sorted, then the
    // page's rows, in one statement (the planner cannot know how few the matches are, and
    // might otherwise walk the whole sort index hoping to meet them early). The count
    // comes on every row, and alone on one row when the page is empty.
    let found = db.with((cte) => cte('hits').materialized(), () => base.select(['c.id', 'c.created_at', 'c.not_after']))
      .with('n', (w) => w.selectFrom('hits').select((eb) => eb.fn.countAll().as('n')))
      .with('p', (w) => {
        let ids = w.selectFrom('hits').select(['hits.id', 'hits.created_at', 'hits.not_after']);
        for (const [col, d] of ordering(false)) ids = ids.orderBy(`hits.${col}`, d);
        return ids.limit(q.limit).offset(q.offset);
      })
      .selectFrom('n').leftJoin('p', (join) => join.onTrue())
      .leftJoin('certificates as c', 'c.id', 'p.id').leftJoin('certificate_material as m', 'm.cert_id', 'c.id')
      .select('n.n').selectAll('c').select(MATERIAL).select(tagsJson.as('tags_json'));
    for (const [col, d] of ordering(false)) found = found.orderBy(`p.${col}`, d);
    const rows = await found.execute();
    return {
      total: Number(rows[0]?.n ?? 0),
      items: rows.flatMap((r) => (r.id === null ? [] : [record(r as unknown as Row)])),
    };
  }
  if (oneStatement) return backend.deepPage?.({ q, filtered, page, counted, record }) ?? null;
  if (q.offset === 0 && known === null && !(kept && filtered && !backend.onePageStatement)) {
    // The first page (nearly every call), and the count with it. A kept count gates the page
    // (PostgreSQL evaluates it once, as a one-time filter): nothing matching, nothing walked.
    // The limit stays a constant: with a computed one PostgreSQL planned a sort of every row.
    const gate = kept && filtered ? sql<boolean>`(${counted}) > 0` : undefined;
    const rows = await page(q.limit, 0, false, gate).select(counted.as('total')).execute();
    return { total: rows.length ? Number(rows[0]!.total) : await count(), items: rows.map(record) };
  }
  // Deeper pages: from the nearer end of the order (ids only, so the sort's index covers
  // what is skipped).
  const total = await count();
  const take = Math.max(0, Math.min(q.limit, total - q.offset));
  if (take === 0) return { total, items: [] };
  const fromEnd = total - q.offset - take;
  const backwards = fromEnd < q.offset;
  const items = (await page(take, backwards ? fromEnd : q.offset, backwards).execute()).map(record);
  return { total, items: backwards ? items.reverse() : items };
}

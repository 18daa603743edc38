// DescribeCertificates' query, shared by both backends (sqlite.ts and postgres.ts hold what
// differs). Built to stay fast with a million certificates in one account (bench/listing.ts,
// with the counts, indexes and trigram search of migration 0006):
//  - TotalCount is the account's count kept by triggers when nothing filters, else COUNT(*);
//  - SearchKey goes through a trigram index first (FTS5 on SQLite, pg_trgm on PostgreSQL,
//    looking up only the key's selective part) and is then checked exactly;
//  - a page is one statement: its ids picked through the indexes, then only those rows
//    read with PEM, keys and tags; the first page carries the count too; a deeper page is
//    read from whichever end of the order is nearer (Offset 999,990 of 1,000,000 is the
//    first page read backwards); on PostgreSQL in one statement with its count, deeper than
//    two buckets from either end of the default order from the bucket counts of migration 0015; on
//    SQLite, when the same filters were asked for before and nothing changed, by the kept
//    rowids of their matches, with the kept count (positions.ts).
// A count and the page it goes with agree (one statement, or one snapshot).
// Every statement is written out as text (text.ts): no query builder per request.
import type { Kysely, TransactionBuilder } from 'kysely';
import type { CertificateRow, Database } from '../schema.js';
import type { CertificateQuery, CertificateRecord } from '../../domain/certificate.js';
import { FIRST_VALUES, likeContaining, PREPARED, ROWS_AS_ARRAYS, type Q, type SqliteNow } from '../db.js';
import { toRecord, type FullRow } from '../certificate-rows.js';
import { join, raw, rowsOf, sql, sqliteText, type Sql } from './text.js';
import { ORDER_BUCKET } from '../migrations/0015_order_buckets.js';
import { EVERY, KeptIds, laterSnapshot, Positions, type KeptSet } from './positions.js';
import { pgSideFacts, sideColumns, sidesOf, sqliteSides } from './sides.js';
import type { ListedSides } from '../../domain/stores.js';

export type Listed = { total: number; items: CertificateRecord[]; sides?: ListedSides[] };

/**
 * What a listed row is read with, in this order: every column of the certificate but its
 * search text, what a CertificateRecord needs of certificate_material (joined as `m`), its
 * tags (as `tags_json`), then the count (as `total`) where a statement carries it. SQLite
 * answers these statements as arrays (db.ts ROWS_AS_ARRAYS), PostgreSQL as objects.
 */
export const CERT_COLUMNS = ['id', 'account_uin', 'project_id', 'alias', 'certificate_type', 'source', 'status', 'status_msg', 'domain', 'sans',
  'has_key', 'fingerprint_sha1', 'fingerprint_sha256', 'serial_hex', 'issuer_cn', 'encrypt_algorithm', 'is_sm', 'is_wildcard', 'is_dv',
  'not_before', 'not_after', 'certificate_use', 'package_type', 'product_zh_name', 'verify_type', 'validity_period', 'ca_info', 'created_at',
  'updated_at', 'dv_deadline', 'validated_at', 'origin_cert_id', 'renew_order_id', 'replaced_by', 'replaced_for'] as const;
// Every column of CertificateRow is read but the search text (a column added to the table and
// not here fails to compile).
const everyColumn: Exclude<keyof CertificateRow, (typeof CERT_COLUMNS)[number] | 'search_text'> extends never ? true : never = true;
void everyColumn;
const MATERIAL_COLUMNS = ['cert_pem', 'private_key_sealed', 'key_password_sealed', 'encrypt_cert_pem', 'encrypt_key_sealed', 'chain_root_pem', 'chain_facts'] as const;
const ROW_COLUMNS: readonly string[] = [...CERT_COLUMNS, ...MATERIAL_COLUMNS, 'tags_json', 'side_resources', 'side_ignored', 'side_hosting',
  'side_project', 'side_order', 'side_revocation', 'total'];
const WITH_MATERIAL = raw([...CERT_COLUMNS.map((c) => `c.${c}`), ...MATERIAL_COLUMNS.map((c) => `m.${c}`)].join(', '));
// Without material (CertificateQuery.material): only whether the sealed keys and the encryption
// certificate are there ('' or null), which list items show.
const MARKED = new Set(['private_key_sealed', 'key_password_sealed', 'encrypt_cert_pem', 'encrypt_key_sealed']);
/** The columns read without material, named (`as`) or as values only (a packed row's). */
const noMaterial = (named: boolean) => raw([...CERT_COLUMNS.map((c) => `c.${c}`), ...MATERIAL_COLUMNS.map((c) => (MARKED.has(c)
  ? `case when m.${c} is null then null else '' end` : 'null') + (named ? ` as ${c}` : ''))].join(', '));
const NO_MATERIAL = noMaterial(true);

// ---- PostgreSQL: a list row's cells packed in one JSON array (issue 27) ----
/**
 * Without material on PostgreSQL, a page row's cells but the count (ROW_COLUMNS' order) come as
 * one JSON array (`json_build_array`, as `r`), unpacked by pg's one JSON.parse of it: pg made a
 * parser per column of each statement's row description and a value per cell (49 a row), ~5% of
 * the node's CPU in a varied listing; PostgreSQL writes the same values either way.
 */
const NO_MATERIAL_VALUES = noMaterial(false);
const PACKED_COLUMNS = ROW_COLUMNS.filter((c) => c !== 'total');
/** A packed row as the object toRecord reads, made by one object literal (fast properties; see itemNamed). */
const pgUnpack = new Function('r', 'total', `return { search_text: '', ${PACKED_COLUMNS.map((c, i) => `${c}: r[${i}]`).join(', ')}, total };`) as
  (r: unknown[], total: unknown) => Row;
type PackedRow = { r: unknown[]; total?: unknown };
const isPacked = (r: object): r is PackedRow => Array.isArray((r as PackedRow).r);
// ---- end PostgreSQL: a list row's cells packed ----

/**
 * PostgreSQL: the most index entries a page is counted as walking without its kept set while
 * the change token is new (Positions.find). Deep pages start from bucket counts (migrations
 * 0015, 0035), two buckets from either end at most, so a page costs about that however deep;
 * counted as its distance from the nearer end, a 40,000-row set was read after four pages and,
 * under 10 commits a second, read again after every commit (100k: 0.81 of the varied rate of
 * the build without kept sets; 0.99 with this).
 */
const PG_FARTHEST = 2 * ORDER_BUCKET;

/** The clock bounds of a kept set (`list`'s clockEnds). */
type ClockEnds = { a: number | string | null; b: number | string | null };

type Row = FullRow & { tags_json: unknown; side_resources: unknown; side_ignored: unknown; side_hosting: unknown; side_project: unknown;
  side_order: unknown; side_revocation: unknown;
  total?: number | string };

/** The side facts of the records a listing read with them (CertificateQuery.sides). */
const SIDES = new WeakMap<CertificateRecord, ListedSides>();

/** A row as an object (SQLite's arrays named by ROW_COLUMNS; PostgreSQL's objects as they come). */
function named(r: Row | unknown[]): Row {
  if (!Array.isArray(r)) return r;
  const o: Record<string, unknown> = { search_text: '' };
  for (let i = 0; i < r.length; i++) o[ROW_COLUMNS[i]!] = r[i];
  return o as unknown as Row;
}

// ---- SQLite: a list item's columns only (issue 27) ----
/**
 * Without material on SQLite, a row is read with only what a list item shows (present.ts
 * presentListItem, DescribeCertificates): each cell costs SQLite and V8 ~0.2-0.3 µs, and the
 * columns left out here (the constant ones too: no PEM, no chain, no side facts) were a fifth
 * of a page statement's. The record carries the account asked for and these values for the
 * rest (CertificateQuery.material).
 */
const UNSHOWN = { fingerprint_sha1: '', serial_hex: '', issuer_cn: '', certificate_use: '', updated_at: 0 } as const;
const ITEM_CERT_COLUMNS = CERT_COLUMNS.filter((c) => c !== 'account_uin' && c !== 'has_key' && !(c in UNSHOWN));
const ITEM_ROW_COLUMNS: readonly string[] = [...ITEM_CERT_COLUMNS, 'material_flags', 'tags_json', 'total'];
/**
 * Whether each MARKED column is stored comes from the row's own material_flags (bits 1, 2, 4, 8
 * in MARKED's order, kept by triggers: migration 0039_sq_list_marks), not from joining
 * certificate_material (two B-tree seeks a row: ~20 of a 10-row page statement's ~80 µs).
 */
const ITEM_SELECTED = raw([...ITEM_CERT_COLUMNS.map((c) => `c.${c}`), 'c.material_flags'].join(', '));
const FLAGS_AT = ITEM_ROW_COLUMNS.indexOf('material_flags');

/**
 * A row's array as the object toRecord reads, made by one object literal (written out once from
 * ITEM_ROW_COLUMNS): V8 keeps it in fast properties. Set key by key, an object of ~45 columns
 * went to dictionary mode, ~5 µs a row in making and reading it (issue 27).
 */
const itemNamed = new Function('r', 'accountUin', `return { search_text: '', account_uin: accountUin,
  ${Object.entries(UNSHOWN).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}, has_key: 0, cert_pem: null, chain_root_pem: null, chain_facts: null,
  ${[...MARKED].map((c, bit) => `${c}: r[${FLAGS_AT}] & ${1 << bit} ? '' : null`).join(', ')},
  ${ITEM_ROW_COLUMNS.map((c, i) => (c === 'material_flags' ? '' : `${c}: r[${i}], `)).join('')} };`) as (r: unknown[], accountUin: string) => Row;

/**
 * A list item's columns and its tags packed into one JSON array cell (`json_array`), unpacked
 * by one JSON.parse: better-sqlite3 makes a JS value per cell through V8's API, and a page
 * statement of 10 rows × 34 cells cost 57 µs against 33 µs packed (bench DB, 10,000 rows;
 * ids alone: 14 µs). The count, where selected, stays a cell of its own after it.
 */
const itemPacked = (tagsJson: Sql) => sql`json_array(${ITEM_SELECTED}, ${tagsJson})`;
const itemUnpacked = (r: unknown[], accountUin: string): Row => {
  const a = JSON.parse(r[0] as string) as unknown[];
  if (r.length > 1) a.push(r[1]);
  return itemNamed(a, accountUin);
};
// ---- end SQLite: a list item's columns ----

/** `[a,b,…]` of rowids[from, to): a typed array's join took ~3 µs for a page's 10 (issue 27). */
function idList(rowids: Float64Array, from: number, to: number): string {
  let s = '[';
  for (let i = from; i < to; i++) s += (i === from ? '' : ',') + rowids[i]!;
  return s + ']';
}

/** What a backend brings to the listing. */
export interface ListingBackend {
  /** PostgreSQL (`$n` parameters) or SQLite (`?`). */
  pg: boolean;
  /** The conditions that find rows whose search text holds `key` (lowercased, not empty); SQLite's without reading (listCertificatesNow). */
  search(db: Q, key: string): Sql[] | Promise<Sql[]>;
  /** The ids of a tag's rows (`tagged` selects cert_id) as one condition, when there are few enough to beat a subquery; else null. */
  fewTagged?(db: Q, tagged: Sql): Promise<{ where: Sql; n: number } | null>;
  /** A row's tags as a JSON array of [key, value] in key order (correlated with `c`); null where it has none. */
  tagsJson: Sql;
  /**
   * The page's tags read at once instead of tagsJson row by row: a statement over the page's
   * ids (`p.id`) giving `cert_id` and `tags_json` for the rows that have tags, joined as `tg`.
   */
  pageTags?: Sql;
  /** A page deep in the default order read with its count in one statement; null to read it in a snapshot. */
  deepPage?(db: Q, p: DeepPage): Promise<Listed | null>;
  /**
   * First pages with their count in one statement, gated by a kept count (PostgreSQL, where a
   * statement is a round trip); else the count is read first and the page cut to it, in the
   * snapshot (SQLite: a gate there is checked row by row). Also: SQLite keeps status and
   * expiry out of the Deployable filter's index choice.
   */
  onePageStatement?: boolean;
  /** The transaction a count and a deeper page are read in, so that they agree. */
  snapshot(db: Kysely<Database>): TransactionBuilder<Database>;
  /**
   * The kept sets of filters asked for again (positions.ts). SQLite: with the statements reading
   * the change token inside the snapshot, they are kept under (each one row; their first values
   * joined). PostgreSQL reads the token with the set and with each page by it (`token` unused),
   * and counts the pages asked for without a set under `changeToken` (the store's).
   */
  positions?: { kept: Positions; token: Sql[]; changeToken?: () => Promise<string> };
}

/** What deepPage gets of the query being planned (see `list`). */
export interface DeepPage {
  q: CertificateQuery;
  /** Anything beyond the account narrows the rows. */
  filtered: boolean;
  /**
   * A page's rows; `below`: only rows before a (created_at, id) key; `at`: a statement the
   * page reads as `at` (a parenthesized statement); `total`: selected as `total` on every row.
   */
  page(limit: number, offset: number | Sql, backwards: boolean, below?: Sql, at?: Sql, total?: Sql): Sql;
  /** The statement that counts the rows (TotalCount) as `n`. */
  counted: Sql;
  /**
   * PostgreSQL, FilterExpiring in the default order: `page` with the window's clock comparisons
   * opaque (clockCompared) and the statement prepared with a generic plan, for a page whose
   * `below` bounds the walk to a few buckets of the creation order. Planned with the values the
   * deep page cost ~7 ms a call to plan; a generic plan of the plain comparisons walked the
   * window's 75,000 rows in the expiry index and sorted them (~11 ms more at a million).
   */
  expiringPage?(limit: number, offset: number | Sql, backwards: boolean, below?: Sql, at?: Sql, total?: Sql): Sql;
  record(r: any): CertificateRecord;
}

export async function listCertificates(db: Kysely<Database>, q: CertificateQuery, backend: ListingBackend): Promise<Listed> {
  const key = q.searchKey ? q.searchKey.toLowerCase() : '';
  const kept = backend.pg ? backend.positions?.kept : undefined;
  if (!kept) return listPlainly(db, q, key, backend);
  // PostgreSQL: from the kept set of its filters first (one statement), when there is one.
  const fromKept = await through(db, true, list(db, q, key, backend, 'kept'));
  if (fromKept) return withSides(q, backend, fromKept);
  const l = await listPlainly(db, q, key, backend);
  // The set's size from its page's count: the pages it takes before it is worth reading, and
  // whether it is too large to keep (then never read).
  const shape = key || q.offset > 0 ? Positions.shape(q) : null;
  if (shape) kept.sized(shape, l.total);
  return l;
}

/** listCertificates without PostgreSQL's kept sets. */
async function listPlainly(db: Kysely<Database>, q: CertificateQuery, key: string, backend: ListingBackend): Promise<Listed> {
  const { pg } = backend;
  // A deeper page reads the count, then the page from the nearer end: on PostgreSQL in one
  // statement (nearerEndPage, deepPage), else (tags, past the end; SQLite) in one snapshot that
  // keeps the two in agreement. Everything else is a single statement (or needs no agreement).
  // SQLite has no round trips to save: its pages are read with their counts in a transaction
  // (cheap there), the count first so a page is cut to it.
  if (pg && plannedPerCall(q, key)) {
    // Its page read in two statements (SplitPage), in one snapshot, as the rest of the listing.
    return withSides(q, backend, await backend.snapshot(db).execute(async (tx) => {
      const one = !key && q.offset > 0 ? await through(tx, pg, list(tx, q, key, backend, 'one')) : null;
      return one ?? (await through(tx, pg, list(tx, q, key, backend)))!;
    }));
  }
  // SQLite: always in a snapshot (kept positions are used only under the token read in it).
  if ((backend.positions && !pg) || (!key && (q.offset > 0 || !backend.onePageStatement))) {
    if (!key && backend.onePageStatement) {
      const one = await through(db, pg, list(db, q, key, backend, 'one'));
      if (one) return withSides(q, backend, one);
    }
    return withSides(q, backend, await backend.snapshot(db).execute(async (tx) => (await through(tx, pg, list(tx, q, key, backend)))!)); // only oneStatement reads return null
  }
  return withSides(q, backend, (await through(db, pg, list(db, q, key, backend)))!);
}

/** What `list` asks for as it goes: a statement's rows, or the value of a backend hook's promise (PostgreSQL's). */
type Steps<T> = Generator<Sql | Promise<unknown>, T, any>;

/** `list`'s statements run through Kysely (`db`: the database or the snapshot's transaction). */
async function through<T>(db: Q, pg: boolean, steps: Steps<T>): Promise<T> {
  let answer: unknown;
  for (;;) {
    const s = steps.next(answer);
    if (s.done) return s.value;
    answer = s.value instanceof Promise ? await s.value : pg ? await pageRowsOf(db, s.value) : await rowsOf(db, s.value, pg);
  }
}

// ---- PostgreSQL: pages planned per call, in two statements (issue 27) ----
/**
 * PostgreSQL: whether `q`'s page statement is planned with its values at each call: a search
 * (SearchKey), FilterExpiring, or a filter judged by the clock in the expiry order (`list`'s
 * `clocked`; see clockCompared). Such a page is a SplitPage, read in a snapshot.
 */
const plannedPerCall = (q: CertificateQuery, key: string) => key !== '' || q.expiring !== undefined
  || (q.expirationSort !== undefined && q.now !== undefined && (q.deployable !== undefined || (q.statuses ?? []).some((st) => st === 1 || st === 3)));

/**
 * PostgreSQL: a page statement planned per call sent as two. Planned with the values, the
 * whole page statement (its rows' columns, tags and side facts) cost ~3 ms of the server's CPU a
 * call against ~0.7 for the statement picking its ids and count alone (bench/throughput.ts's
 * varied listing at 10,000: FilterExpiring, Deployable or CertificateStatus [1] with
 * ExpirationSort). This statement (`t`, `p`) picks the page's ids in order, as `id`, with the
 * count as `total` where the page carries it (one row with a null id when a search's page is
 * empty), planned as before; `byIds` reads those rows in that order, prepared (a generic plan:
 * rows by primary key). Both run in one snapshot (listCertificates), so the count and the
 * page agree as in one statement.
 */
export interface SplitPage extends Sql { byIds(ids: string[]): Sql }
const isSplit = (s: Sql): s is SplitPage => 'byIds' in s;

/** A PostgreSQL statement's rows; a SplitPage's as its one statement would have answered them. */
export async function pageRowsOf<R>(db: Q, s: Sql): Promise<R[]> {
  if (!isSplit(s)) return rowsOf<R>(db, s, true);
  if (!db.isTransaction) throw new Error('listing: a page read in two statements outside a snapshot');
  const head = await rowsOf<{ id: string | null; total?: unknown }>(db, s, true);
  const ids = head.flatMap((r) => (r.id === null ? [] : [r.id]));
  if (!ids.length) return head as R[];
  const rows = await rowsOf<Record<string, unknown>>(db, s.byIds(ids), true);
  if ('total' in head[0]!) for (const r of rows) r.total = head[0]!.total;
  return rows as R[];
}
// ---- end PostgreSQL: pages planned per call ----

// ---- SQLite, synchronously (issue 27) ----
/**
 * SQLite: the listing read on the connection itself (db.ts SqliteNow), each statement run
 * synchronously, those of a count and its page in one read transaction, all in this turn;
 * the same statements as listCertificates without Kysely's executor per statement. Null
 * while a transaction holds the connection: then read it with listCertificates.
 */
export function listCertificatesNow(db: Kysely<Database>, now: SqliteNow, q: CertificateQuery, backend: ListingBackend): Listed | null {
  const key = q.searchKey ? q.searchKey.toLowerCase() : '';
  const steps = list(db, q, key, backend);
  // One read transaction for all: the change token and the kept positions it vouches for, a
  // count and its page, the side facts (q.sides, sqliteSides).
  const sides = q.sides === true && !backend.pg;
  const l = now.snapshot((all) => {
    const read = drain((s) => all(sqliteText(s), s.p), steps);
    if (read && sides) read.sides = sqliteSides(all, q.accountUin, read.items);
    return read;
  });
  return l && withSides(q, backend, l);
}

/** Runs `list` to its end, synchronously; null (before any statement) when `all` cannot read now. */
function drain<T>(all: (s: Sql) => unknown[] | null, steps: Steps<T>): T | null {
  let answer: unknown;
  for (let first = true; ; first = false) {
    const s = steps.next(answer);
    if (s.done) return s.value;
    if (s.value instanceof Promise) throw new Error('listCertificatesNow: a backend hook reads asynchronously');
    const rows = all(s.value);
    if (rows === null) {
      if (first) return null;
      throw new Error('listCertificatesNow: the connection was taken in the middle of a listing');
    }
    answer = rows;
  }
}
// ---- end SQLite, synchronously ----

/**
 * Side facts in the page statement only on PostgreSQL, where each separate read is a round
 * trip and a pool connection; on SQLite the four cached reads measured cheaper than the
 * per-row subqueries (varied listings 0.91 of the separate reads), so listCertificatesNow runs
 * those reads in the listing's snapshot (sides.ts sqliteSides) and the async path leaves them
 * to the caller.
 */
const sidesWanted = (q: CertificateQuery, backend: ListingBackend) => q.sides === true && backend.pg;

function withSides(q: CertificateQuery, backend: ListingBackend, l: Listed): Listed {
  if (sidesWanted(q, backend)) l.sides = l.items.map((c) => SIDES.get(c)!);
  return l;
}

/** `c.search_text` holds `s` (lowercased). */
export const searchTextHolds = (s: string) => sql`c.search_text like ${likeContaining(s)} escape '\\'`;

const DAY_MS = 86_400_000;

/**
 * A page's LIMIT written into the text on PostgreSQL (a handful of values: the texts stay few).
 * A prepared statement's generic plan (db.ts PREPARED) sized a LIMIT parameter at a tenth of
 * the rows, and hashed the whole table to join the page's ids (~35 ms instead of ~1 ms).
 */
const inlined = (n: number): Sql => (Number.isSafeInteger(n) && n >= 0 ? raw(String(n)) : sql`${n}`);

/**
 * PostgreSQL: notAfter compared with the clock in a form the planner estimates the same (at
 * 0.5) whatever the time, so that its statements can keep a generic plan (PREPARED). A
 * custom plan of the listing's page statement cost ~1–2 ms of the server's CPU a call to plan
 * (side facts, tags, the count), more than running it. Compared plainly, a generic plan took
 * `not_after >= $n` to pass a third of the rows, and sorted every issued one of the account
 * (status [1] at 100,000: 60 ms instead of 1 ms). Not with ExpirationSort or FilterExpiring,
 * whose range of notAfter bounds the index scan (planned with the values: a generic plan of
 * expiry order + status [1] at a million walked the expired rows, 100 ms instead of 7).
 */
const clockCompared = (lhs: string, now: number) => sql`coalesce(${raw(lhs)} ${now}, false)`;

/** A scalar subquery as a statement selecting it as `n`. */
const selectN = (scalar: Sql) => sql`select ${scalar} as n`;

/**
 * Issued certificates of an account with now <= notAfter <= until, as one scalar query: whole
 * days between from certificate_expiry_days, the first and last day counted row by row.
 */
function expiringCount(accountUin: string, now: number, until: number, pg: boolean): Sql {
  const first = Math.floor(now / DAY_MS);
  const last = Math.floor(until / DAY_MS);
  // PostgreSQL: bounds as subqueries, estimated alike planned with the values or not, so that a
  // deep page carrying this count keeps its generic plan (DeepPage.expiringPage).
  const bound = (v: number) => (pg ? sql`(select ${v}::bigint)` : sql`${v}`);
  const rows = (from: number, to: number) => sql`(select count(*) from certificates c
    where c.account_uin = ${accountUin} and c.status = 1 and c.not_after >= ${bound(from)} and c.not_after <= ${bound(to)})`;
  if (last - first < 2) return selectN(rows(now, until));
  return selectN(sql`(select coalesce(sum(d.n), 0) from certificate_expiry_days d
    where d.account_uin = ${accountUin} and d.day > ${first} and d.day < ${last})
    + ${rows(now, (first + 1) * DAY_MS - 1)} + ${rows(last * DAY_MS, until)}`);
}

/**
 * A query's filters as conditions on a table aliased `t`: `fixed`, those that do not depend on
 * the clock (`facets`: `t` is a facet-count table, which holds `bought` rather than `source`);
 * `judged`, those on the status as judged at q.now (`eff`: the status expression, 3 for an
 * expired issued one). Shared by the kept counts here and PostgreSQL's per-day counts.
 */
export function facetConditions(q: CertificateQuery) {
  const fixed = (t: string, facets: boolean): Sql[] => {
    const out: Sql[] = [];
    if (q.certificateType) out.push(sql`${raw(t)}.certificate_type = ${q.certificateType}`);
    if (q.projectId !== undefined) out.push(sql`${raw(t)}.project_id = ${q.projectId}`);
    if (q.isSm !== undefined) out.push(sql`${raw(t)}.is_sm = ${q.isSm ? 1 : 0}`);
    if (q.source) {
      out.push(facets ? sql`${raw(t)}.bought = ${q.source === 'buy' ? 1 : 0}`
        : q.source === 'buy' ? sql`${raw(t)}.source <> 'upload'` : sql`${raw(t)}.source = 'upload'`);
    }
    return out;
  };
  const judged = (eff: Sql, t: string): Sql[] => {
    const out: Sql[] = [];
    if (q.statuses?.length) out.push(sql`${eff} in (${join(q.statuses.map((st) => sql`${st}`), ', ')})`);
    if (q.pendingIssue) out.push(sql`${eff} in (0, 4)`);
    if (q.deployable !== undefined) {
      const cond = sql`(${raw(t)}.certificate_type = 'SVR' and ${eff} = 1 and ${raw(t)}.has_key = 1)`;
      out.push(q.deployable ? cond : sql`not ${cond}`);
    }
    return out;
  };
  return { fixed, judged };
}

/**
 * TotalCount from the kept facet counts (migration 0025) when every filter is one of project,
 * type, source, SM, status, pending issue and deployable; else null. Issued certificates
 * past notAfter count as expired (3) rather than issued (1) when the query has a time: the
 * facet rows count every issued one as issued, and the issued rows already past notAfter
 * (kept by expiry day and facet, today's from the status index) move from one to the other.
 */
function facetCount(q: CertificateQuery, key: string): Sql | null {
  if (key || q.tags?.length || q.certIds?.length || q.expiring) return null;
  const { fixed: fixedOf, judged } = facetConditions(q);
  const fixed = (t: string) => fixedOf(t, t === 'f');
  const all = (conds: Sql[]) => (conds.length ? join(conds, ' and ') : raw('1 = 1'));
  const sum = sql`(select coalesce(sum(f.n), 0) from certificate_facets f
    where f.account_uin = ${q.accountUin} and ${all([...fixed('f'), ...judged(raw('f.status'), 'f')])})`;
  const timed = q.now !== undefined && (q.deployable !== undefined || (q.statuses ?? []).some((st) => st === 1 || st === 3));
  if (!timed) return sum;
  // Issued ones past notAfter: those of the days before today from their kept counts
  // (migration 0034_pg_expiry_facets, same facet columns as `f`), today's row by row.
  const moved = (t: string, n: Sql) =>
    sql`case when ${all(judged(raw('3'), t))} then ${n} else 0 end - case when ${all(judged(raw('1'), t))} then ${n} else 0 end`;
  const today = Math.floor(q.now! / DAY_MS);
  return sql`(${sum} + (select coalesce(sum(${moved('f', raw('f.n'))}), 0) from certificate_expiry_facets f
      where f.account_uin = ${q.accountUin} and f.day < ${today} and f.status = 1 and ${all(fixed('f'))})
    + (select coalesce(sum(${moved('e', raw('1'))}), 0) from certificates e where e.account_uin = ${q.accountUin}
      and e.status = 1 and e.not_after >= ${today * DAY_MS} and e.not_after < ${q.now} and ${all(fixed('e'))}))`;
}

/**
 * A deeper page and its count in one statement, read from the nearer end of the order as in
 * `list` (PostgreSQL, where the snapshot a count and a page read apart need costs a round trip
 * for each of BEGIN, the count, the page and COMMIT: under load the requests waited on those,
 * not on the statements). The count is read once (`at`); each direction's branch runs only if
 * it is the nearer one (a one-time filter on the count). Backwards, the last `limit` rows are
 * read and the page is the last `take` of them (a computed LIMIT made PostgreSQL plan a sort).
 */
function* nearerEndPage(q: CertificateQuery, counted: Sql, pageIds: (limit: number, offset: number | Sql, backwards: boolean, below?: Sql) => Sql,
  pageRows: (p: Sql, backwards: boolean, at?: Sql, total?: Sql) => Sql, read: (s: Sql) => Steps<Row[]>, record: (r: Row) => CertificateRecord,
): Steps<Listed | null> {
  const n = raw('(select at.n from at)');
  const forwards = sql`${n} - ${q.offset} - ${q.limit} >= ${q.offset}`;
  const backwards = sql`${n} > ${q.offset} and ${n} - ${q.offset} - ${q.limit} < ${q.offset}`;
  const rows = yield* read(pageRows(sql`(${pageIds(q.limit, q.offset, false, forwards)})
    union all (${pageIds(q.limit, sql`greatest(0, ${n} - ${q.offset} - ${q.limit})`, true, backwards)})`, false, sql`(${counted})`, n));
  if (!rows.length) return null; // past the end: the count alone, below
  const total = Number(rows[0]!.total);
  const take = Math.max(0, Math.min(q.limit, total - q.offset));
  return { total, items: rows.slice(rows.length - take).map(record) };
}

/**
 * `mode` 'one': only a page that one statement reads with its count (a deep page of the
 * default order on PostgreSQL); null, before any query, for anything else. 'kept'
 * (PostgreSQL): only a page read by the kept ids of its filters (positions.ts), reading them
 * first where it is time to; else null.
 */
function* list(db: Q, q: CertificateQuery, key: string, backend: ListingBackend, mode?: 'one' | 'kept'): Steps<Listed | null> {
  const { pg } = backend;
  const oneStatement = mode === 'one';
  const conds: Sql[] = [sql`c.account_uin = ${q.accountUin}`];
  let filters = 0;
  const filter = (cond: Sql) => {
    conds.push(cond);
    filters++;
  };
  const opaqueClock = pg && !q.expirationSort && !q.expiring;
  // SQLite without material: a list item's columns only (ITEM_SELECTED), and no side facts in the page statement.
  const item = !pg && !q.material;
  // Newest first (id breaks ties), or by expiry with ids ascending within one notAfter.
  const ordering = (backwards: boolean): [string, string][] => {
    const dir = (d: 'asc' | 'desc') => (backwards ? (d === 'asc' ? 'desc' : 'asc') : d);
    return q.expirationSort
      ? [['not_after', dir(q.expirationSort === 'ASC' ? 'asc' : 'desc')], ['id', dir('asc')]]
      : [['created_at', dir('desc')], ['id', dir('desc')]];
  };
  const orderBy = (t: string, backwards: boolean) => raw(ordering(backwards).map(([col, d]) => `${t}.${col} ${d}`).join(', '));
  const pageTags = backend.pageTags;
  const tagsJson = pageTags ? raw('tg.tags_json') : backend.tagsJson;
  const tagsWith = pageTags ? sql`, tg as (${pageTags})` : raw('');
  // PostgreSQL: the side tables' rows of the page, once (sides.ts pgSideFacts), after the tags.
  const sidesWith = pg && !item && sidesWanted(q, backend) ? pgSideFacts(q.accountUin) : raw('');
  const tagsJoin = raw(pageTags ? ' left join tg on tg.cert_id = c.id' : '');
  const SELECTED = q.material ? WITH_MATERIAL : item ? ITEM_SELECTED : NO_MATERIAL;
  const sides = item ? raw('') : sql`, ${sideColumns(sidesWanted(q, backend))}`;
  // A row's cells before the count: SQLite's list items packed in one (itemPacked).
  const packedCells = pg && !q.material ? sql`json_build_array(${NO_MATERIAL_VALUES}, ${tagsJson}, ${sideColumns(sidesWanted(q, backend), false)})` : null;
  const cells = item ? itemPacked(tagsJson) : packedCells ? sql`${packedCells} as r` : sql`${SELECTED}, ${tagsJson} as tags_json${sides}`;
  const materialJoin = raw(item ? '' : ' left join certificate_material as m on m.cert_id = c.id');
  // PostgreSQL: the page's rows by their ids (SplitPage.byIds), in the order of `ids`. The ids
  // as a subquery, which the planner estimates alike with the value and without: planned with
  // the array (its length known) it looked cheaper than the generic plan, and PostgreSQL kept
  // planning it per call (~2 ms of its CPU against ~0.2 for the generic plan).
  // `token`: with the change token of the statement's snapshot on every row (a kept set's page).
  const byIds = (ids: string[], selected: Sql, tail: string) => sql`${raw(PREPARED)}with p as (select u.id, u.ord from unnest((select ${ids}::text[])) with ordinality as u(id, ord))${tagsWith}${sidesWith}
    select ${selected}
    from p inner join certificates as c on c.id = p.id left join certificate_material as m on m.cert_id = c.id${tagsJoin}${raw(tail)}`;
  const rowsByIds = (ids: string[], token = false) => byIds(ids, token ? sql`${cells}, pg_current_snapshot()::text as token` : cells, '\n    order by p.ord');
  /**
   * A kept set's page by its ids, with its snapshot's change token: packed rows as one JSON text
   * (one row, parsed once: ~15 µs less of the node's CPU than ten rows of a JSON cell each).
   */
  const keptPage = function* (ids: string[]): Steps<{ rows: (Row | PackedRow)[]; token: string | undefined }> {
    if (!packedCells) {
      const rows = yield* read(rowsByIds(ids, true));
      return { rows, token: (rows[0] as { token?: string } | undefined)?.token };
    }
    const [one] = (yield byIds(ids, sql`json_agg(${packedCells} order by p.ord)::text as rows, pg_current_snapshot()::text as token`, '')) as
      { rows: string | null; token: string }[];
    return { rows: one?.rows ? (JSON.parse(one.rows) as unknown[][]).map((r) => ({ r })) : [], token: one?.token };
  };
  const record = (row: Row | PackedRow) => {
    const r = isPacked(row) ? pgUnpack(row.r, row.total) : row;
    const list = (typeof r.tags_json === 'string' ? JSON.parse(r.tags_json) : r.tags_json ?? []) as [string, string][];
    // The row as it is (copying a 40-column row with spreads costs V8 µs per column).
    if ((r.cert_pem as string | null) === null) r.cert_pem = '';
    const c = toRecord(r, list.map(([k, v]) => ({ key: k, value: v })));
    if (sidesWanted(q, backend)) SIDES.set(c, sidesOf(r.side_resources, r.side_ignored, r.side_hosting, r.side_project, r.side_order, r.side_revocation));
    return c;
  };
  const read = function* (s: Sql): Steps<Row[]> {
    const rows = (yield isSplit(s) ? s : { t: ROWS_AS_ARRAYS + s.t, p: s.p }) as (Row | unknown[])[];
    return item ? rows.map((r) => itemUnpacked(r as unknown[], q.accountUin)) : rows.map(named);
  };
  /**
   * A kept set judged by the clock holds until the account's next issued certificate passes its
   * notAfter (`a`); FilterExpiring's window [now, now + w] also until the first issued one past
   * the window comes into it (`b`: at now = b - w).
   */
  const clockEnds = (now: number) => sql`(select min(c.not_after) from certificates as c
      where c.account_uin = ${q.accountUin} and c.status = 1 and c.not_after >= ${now}) as a,
    (select min(c.not_after) from certificates as c
      where c.account_uin = ${q.accountUin} and c.status = 1 and c.not_after > ${q.expiring?.until ?? null}) as b`;
  const untilOf = (ends: ClockEnds) => {
    const until = Number(ends.a ?? Infinity);
    return q.expiring ? Math.min(until, Number(ends.b ?? Infinity) - (q.expiring.until - q.expiring.now) - 1) : until;
  };
  /**
   * PostgreSQL: the page by the kept ids of `set`, in one statement that reads its snapshot's
   * change token too: the answer when that is the set's token; else null (read as if nothing
   * were kept), the set dropped when the statement saw a later snapshot than it was read in.
   */
  const fromKept = function* (kept: Positions, shape: string, set: KeptSet, token: string): Steps<Listed | null> {
    const take = Math.max(0, Math.min(q.limit, set.total - q.offset));
    if (!set.ids || take === 0) return null;
    const { rows, token: seen } = yield* keptPage(set.ids.slice(q.offset, q.offset + take));
    if (seen === token && rows.length === take) {
      kept.served++;
      return { total: set.total, items: rows.map(record) };
    }
    if (seen && seen !== token && laterSnapshot(seen, token)) {
      kept.latest = seen;
      kept.find(shape, seen, keptNow, key ? 'all' : q, PG_FARTHEST);
    }
    return null;
  };

  // PostgreSQL: a page from the kept set of its filters when there is one (before any other
  // statement, the search's too); else a set to read now goes on below, once the filters are built.
  const positions = backend.positions;
  const keptNow = q.expiring?.now ?? q.now ?? 0;
  let keptShape: string | null = null;
  if (mode === 'kept') {
    keptShape = positions && (key || q.offset > 0) ? Positions.shape(q) : null;
    if (!keptShape) return null;
    const { kept, changeToken } = positions!;
    // A kept set is tried under the newest token seen (its page statement checks it). Without
    // one, the pages asked for are counted under the database's token now (one read shared by
    // concurrent callers): under writes, pages counted under a token seen long ago added up
    // across commits, and sets were read to serve a page or two (10 commits a second, 10,000
    // stored: 0.70 of the build without kept sets).
    if (kept.tooLarge(keptShape)) return null;
    let token = kept.latest;
    if (changeToken && !kept.holds(keptShape, token)) {
      token = (yield changeToken()) as string;
      if (!kept.latest || laterSnapshot(token, kept.latest)) kept.latest = token;
    }
    const set = kept.find(keptShape, token, keptNow, key ? 'all' : q, PG_FARTHEST);
    if (set !== 'read') return set ? yield* fromKept(kept, keptShape, set, token) : null;
  }
  if (key) {
    const found = backend.search(db, key);
    for (const cond of Array.isArray(found) ? found : (yield found) as Sql[]) filter(cond);
  }
  if (q.certificateType) filter(sql`c.certificate_type = ${q.certificateType}`);
  if (q.projectId !== undefined) filter(sql`c.project_id = ${q.projectId}`);
  if (q.statuses?.length) {
    const now = q.now;
    // Expiry is not written back to the row: an issued certificate past notAfter is 3.
    filter(sql`(${join(q.statuses.map((st) => {
      if (now === undefined) return sql`c.status = ${st}`;
      if (opaqueClock) {
        if (st === 1) return sql`(c.status = 1 and ${clockCompared('c.not_after >=', now)})`;
        if (st === 3) return sql`(c.status = 3 or (c.status = 1 and ${clockCompared('c.not_after <', now)}))`;
      }
      if (st === 1) return sql`(c.status = ${1} and c.not_after >= ${now})`;
      if (st === 3) return sql`(c.status = ${3} or (c.status = ${1} and c.not_after < ${now}))`;
      return sql`c.status = ${st}`;
    }), ' or ')})`);
  }
  if (q.source === 'upload') filter(sql`c.source = ${'upload'}`);
  if (q.source === 'buy') filter(sql`c.source != ${'upload'}`);
  if (q.isSm !== undefined) filter(sql`c.is_sm = ${q.isSm ? 1 : 0}`);
  if (q.certIds?.length) filter(sql`c.id in (${join(q.certIds.map((id) => sql`${id}`), ', ')})`);
  // Written out, not as parameters: PostgreSQL's generic plan (PREPARED) can then read the
  // partial index of exactly these rows (migration 0041_pp_pending_created).
  if (q.pendingIssue) filter(raw('c.status in (0, 4)'));
  if (q.deployable !== undefined) {
    // SQLite: status and expiry kept out of the index choice (unary +). It picked the status
    // index and sorted every deployable row (13.5 ms at 40k in one account); the order's
    // covering index filters the same columns and stops at the page (0.4 ms).
    const st = raw(backend.onePageStatement ? 'c.status' : '+c.status');
    const na = raw(backend.onePageStatement ? 'c.not_after' : '+c.not_after');
    const cond = q.now === undefined
      ? sql`(c.certificate_type = 'SVR' and ${st} = 1 and c.has_key = 1)`
      : opaqueClock ? sql`(c.certificate_type = 'SVR' and ${st} = 1 and c.has_key = 1 and ${clockCompared('c.not_after >=', q.now)})`
      : sql`(c.certificate_type = 'SVR' and ${st} = 1 and c.has_key = 1 and ${na} >= ${q.now})`;
    filter(q.deployable ? cond : sql`not ${cond}`);
  }
  // Where FilterExpiring's condition stands in `conds` (expiringPage writes it opaque).
  let expiringAt = -1;
  if (q.expiring) {
    const { now, until } = q.expiring;
    expiringAt = conds.length;
    filter(sql`c.status = ${1} and c.not_after >= ${now} and c.not_after <= ${until}`);
  }
  // Tags, through the account's tag index (tags are stored with their certificate's account,
  // one per certificate and key, deleted with it).
  const tagCounts: number[] = [];
  if (oneStatement && q.tags?.length) return null; // filtered, and read ahead below
  // One tag key=value and nothing else, newest first: the page comes straight from the
  // tag's index in creation order (tagPage below).
  const soleTag = filters === 0 && !key && !q.expirationSort && q.tags?.length === 1 && q.tags[0]!.value !== '' ? q.tags[0]! : null;
  const tagRows = (t: { key: string; value: string }) => (t.value !== ''
    ? sql`t.account_uin = ${q.accountUin} and t.tag_key = ${t.key} and t.tag_value = ${t.value}`
    : sql`t.account_uin = ${q.accountUin} and t.tag_key = ${t.key}`);
  for (const t of q.tags ?? []) {
    const tagged = sql`select t.cert_id from certificate_tags as t where ${tagRows(t)}`;
    if (backend.fewTagged && !soleTag) {
      const few = (yield backend.fewTagged(db, tagged)) as { where: Sql; n: number } | null;
      if (few) {
        filter(few.where);
        tagCounts.push(few.n);
        continue;
      }
    }
    filter(sql`c.id in (${tagged})`);
  }
  const where = join(conds, ' and ');
  // Rows picked by comparing notAfter with the clock: a generic plan guesses a third of the
  // rows pass (nearly all do) and sorted 860,000 rows for status [1] at a million (0.7 s
  // against 0.13 s planned with the values), so these statements are planned for each call.
  const clockedBesides = !opaqueClock && q.now !== undefined && ((q.statuses ?? []).some((st) => st === 1 || st === 3) || q.deployable !== undefined);
  const clocked = clockedBesides || (!opaqueClock && !!q.expiring);

  const filtered = filters > 0;
  /**
   * One page in one statement: `p` picks the page's ids through the indexes (sorting only
   * ids), then only those rows are read with their PEM, sealed keys and tags, in the page's
   * order. `at`: a statement `p` reads as `at` (a CTE: evaluated once). `total`: selected on every row.
   * `byRowid`: `p` also picks SQLite's rowids (as `rid`), and the rows are read by them.
   */
  const pageRows = (p: Sql, backwards: boolean, at?: Sql, total?: Sql, byRowid = false, prepared = pg && !clocked): Sql => (pg && !prepared
    ? Object.assign(sql`with ${at ? sql`at as (select * from ${at} as a), ` : raw('')}p as materialized (${p})
      select p.id${total ? sql`, (${total}) as total` : raw('')} from p order by ${orderBy('p', backwards)}`, { byIds: rowsByIds }) satisfies SplitPage
    : sql`${raw(prepared ? PREPARED : '')}with ${at ? sql`at as (select * from ${at} as a), ` : raw('')}p as (${p})${tagsWith}${sidesWith}
    select ${cells}${total ? sql`, (${total}) as total` : raw('')}
    from p inner join certificates as c on ${raw(byRowid ? 'c.rowid = p.rid' : 'c.id = p.id')}${materialJoin}${tagsJoin}
    order by ${orderBy('c', backwards)}`);
  // Only the order's own columns: its index then holds all that OFFSET skips, and
  // PostgreSQL skips it in an index-only scan (a heap read per skipped row made
  // Offset 900,000 of 1,000,000 cost ~60 ms when the rows were not cached).
  const pageIds = (limit: number, offset: number | Sql, backwards: boolean, below?: Sql, w = where) => sql`select ${raw(pg ? '' : 'c.rowid as rid, ')}c.id, c.${raw(q.expirationSort ? 'not_after' : 'created_at')}
    from certificates as c where ${below ? sql`${w} and ${below}` : w} order by ${orderBy('c', backwards)} limit ${pg ? inlined(limit) : limit} offset ${offset}`;
  /** `below`: a condition on the order's key (only rows before or from a key). */
  // SQLite: the rowids too (every index holds them), so each row is read by its rowid rather
  // than looked up by id first (0.92 of a page statement's time, issue 27).
  // Not read straight from the order's index (no CTE) on SQLite: with the values bound (STAT4),
  // SQLite then took the status-and-expiry index for an issued-status filter and sorted every
  // matching row it read (2.7 ms against 0.06 ms for Offset 500, issue 27); `p` reads indexes only,
  // covering, and keeps the plans of every filter.
  const page = (limit: number, offset: number | Sql, backwards: boolean, below?: Sql, at?: Sql, total?: Sql) =>
    pageRows(pageIds(limit, offset, backwards, below), backwards, at, total, !pg);
  const expiringPage = pg && q.expiring && !q.expirationSort ? (limit: number, offset: number | Sql, backwards: boolean, below?: Sql, at?: Sql, total?: Sql) => {
    const { now, until } = q.expiring!;
    const opaque = join(conds.map((c, i) => (i === expiringAt
      ? sql`c.status = ${1} and ${clockCompared('c.not_after >=', now)} and ${clockCompared('c.not_after <=', until)}` : c)), ' and ');
    return pageRows(pageIds(limit, offset, backwards, below, opaque), backwards, at, total, false, !clockedBesides);
  } : undefined;
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
  const counted = onlyExpiring ? expiringCount(q.accountUin, onlyExpiring.now, onlyExpiring.until, pg)
    : facets ? selectN(facets) : !filtered
    ? sql`select k.n from certificate_counts as k where k.account_uin = ${q.accountUin}`
    : filters === 1 && tags.length === 1
      ? sql`select count(*) as n from certificate_tags as t where ${tagRows(tags[0]!)}`
      : sql`select count(*) as n from certificates as c where ${where}`;
  const count = function* (): Steps<number> {
    return known ?? Number(((yield counted) as { n: number | string }[])[0]?.n ?? 0);
  };

  // PostgreSQL, 'kept' mode, when `find` said it is time to read the set: the ids of every match
  // in order with the snapshot's change token and its clock bounds, in one statement; then its page.
  // Read up to one more than a set may keep (a million ids took ~0.5 s): a larger one keeps only
  // that it is too large, until the token moves, so that it is not read again meanwhile.
  if (mode === 'kept') {
    const { kept } = positions!;
    const clocked = Positions.timed(q) || q.expiring !== undefined;
    // Ids of one width of one-byte characters (certport's) come as one string, cut by width
    // (KeptIds): a 40,000-id set read as a JSON array cost ~7 ms of the node's CPU to parse and
    // pack, and PostgreSQL's ~9 ms against ~6.5 (string_agg takes the sorted rows in order: a
    // plain aggregate over a LIMIT, which is never parallel). Ids of other widths as a JSON array.
    const ends = clocked ? clockEnds(keptNow) : raw('null as a, null as b');
    const matches = sql`select c.id from certificates as c where ${where} order by ${orderBy('c', false)} limit ${kept.largest + 1}`;
    type SetRead = ClockEnds & { token: string; n: number | string; w: number | null; packed: string | null; ids?: string[] };
    let all = ((yield sql`select pg_current_snapshot()::text as token, count(*) as n, string_agg(s.id, '') as packed,
      case when min(octet_length(s.id)) = max(octet_length(s.id)) and min(length(s.id)) = max(octet_length(s.id)) then max(octet_length(s.id)) end as w,
      ${ends} from (${matches}) as s`) as SetRead[])[0]!;
    if (Number(all.n) > 0 && !all.w) {
      all = ((yield sql`select pg_current_snapshot()::text as token, null as w, null as packed, array_to_json(array(${matches})) as ids, ${ends}`) as SetRead[])[0]!;
    }
    // A snapshot older than one already seen (a statement sent before a commit another saw): not kept.
    if (kept.latest && all.token !== kept.latest && laterSnapshot(kept.latest, all.token)) return null;
    kept.latest = all.token;
    const ids = all.packed !== null && all.w ? KeptIds.packed(all.packed, all.w) : KeptIds.of(all.ids ?? []);
    const set: KeptSet = { total: ids.length, rowids: null, ids: kept.keepsRowids(ids.units, all.token) ? ids : null, keys: [] };
    kept.keep(keptShape!, all.token, clocked ? keptNow : -Infinity, clocked ? untilOf(all) : Infinity, set);
    return yield* fromKept(kept, keptShape!, set, all.token);
  }

  if (soleTag) {
    const tagPage = (limit: number, offset: number, total?: Sql) => pageRows(sql`select t.cert_id as id, t.cert_created_at from certificate_tags as t
      where t.account_uin = ${q.accountUin} and t.tag_key = ${soleTag.key} and t.tag_value = ${soleTag.value}
      order by t.cert_created_at desc, t.cert_id desc limit ${limit} offset ${offset}`, false, undefined, total);
    if (q.offset === 0) {
      const rows = yield* read(tagPage(q.limit, 0, counted));
      return { total: rows.length ? Number(rows[0]!.total) : yield* count(), items: rows.map(record) };
    }
    const total = yield* count();
    return { total, items: q.offset >= total ? [] : (yield* read(tagPage(q.limit, q.offset))).map(record) };
  }

  // SQLite: from the kept set of these filters (positions.ts) when it was read under the same
  // token; not for a first page that one statement reads with its kept count.
  const firstInOne = !key && q.offset === 0 && known === null && !(kept && filtered && !backend.onePageStatement);
  const shape = positions && !pg && !oneStatement && !firstInOne ? Positions.shape(q) : null;
  if (positions && shape) {
    let token = '';
    for (const t of positions.token) token += `${Object.values(((yield t) as object[])[0]!)[0]}:`;
    const now = q.expiring?.now ?? q.now ?? 0;
    let set = positions.kept.find(shape, token, now, key ? 'all' : q);
    if (set === 'read') {
      const col = q.expirationSort ? 'not_after' : 'created_at';
      // The rowids alone, as values (FIRST_VALUES): an array per row cost 4-5 times as much. The
      // keys, where the rowids are over the budget, in a second statement (same snapshot).
      const ids = (yield sql`${raw(FIRST_VALUES)}select c.rowid from certificates as c
        where ${where} order by ${orderBy('c', false)}`) as number[];
      const rowids = positions.kept.keepsRowids(ids.length, token) ? Float64Array.from(ids) : null;
      const keys: [number, string][] = [];
      if (!rowids) {
        const all = (yield sql`${raw(ROWS_AS_ARRAYS)}select c.${raw(col)}, c.id from certificates as c
          where ${where} order by ${orderBy('c', false)}`) as [number, string][];
        for (let i = 0; i < all.length; i += EVERY) keys.push(all[i]!);
      }
      const clocked = Positions.timed(q) || q.expiring !== undefined;
      const until = clocked ? untilOf(((yield sql`select ${clockEnds(now)}`) as ClockEnds[])[0]!) : Infinity;
      set = { total: ids.length, rowids, keys };
      positions.kept.keep(shape, token, clocked ? now : -Infinity, until, set);
    }
    if (set) {
      positions.kept.served++;
      const total = set.total;
      const take = Math.max(0, Math.min(q.limit, total - q.offset));
      if (take === 0) return { total, items: [] };
      // The page's rows by their rowids, in the kept order (json_each's key).
      if (set.rowids) {
        return { total, items: (yield* read(sql`select ${cells} from json_each(${idList(set.rowids, q.offset, q.offset + take)}) as j
          inner join certificates as c on c.rowid = j.value${materialJoin}${tagsJoin} order by j.key`)).map(record) };
      }
      // From the kept key at or before the page.
      const i = Math.min(Math.floor(q.offset / EVERY), set.keys.length - 1);
      const [k0, k1] = set.keys[i]!;
      const atOrAfter = q.expirationSort === 'ASC' ? sql`(c.not_after, c.id) >= (${k0}, ${k1})`
        : q.expirationSort === 'DESC' ? sql`c.not_after <= ${k0} and (c.not_after < ${k0} or c.id >= ${k1})`
          : sql`(c.created_at, c.id) <= (${k0}, ${k1})`;
      return { total, items: (yield* read(page(take, q.offset - i * EVERY, false, atOrAfter))).map(record) };
    }
  }

  if (key) {
    // A search: its matches once through the trigram index, counted and sorted, then the
    // page's rows, in one statement (the planner cannot know how few the matches are, and
    // might otherwise walk the whole sort index hoping to meet them early). The count
    // comes on every row, and alone on one row when the page is empty. PostgreSQL plans it
    // with the key: there the matches' ids and count, then their rows (SplitPage).
    const found = sql`with hits as materialized (select c.id, c.created_at, c.not_after from certificates as c where ${where}),
      n as (select count(*) as n from hits),
      p as (select hits.id, hits.created_at, hits.not_after from hits order by ${orderBy('hits', false)} limit ${q.limit} offset ${q.offset})`;
    const rows = yield* read(pg ? Object.assign(sql`${found}
      select p.id, n.n as total from n left join p on true order by ${orderBy('p', false)}`, { byIds: rowsByIds }) satisfies SplitPage : sql`${found}${tagsWith}
      select ${cells}, n.n as total
      from n left join p on true left join certificates as c on c.id = p.id${materialJoin}${tagsJoin}
      order by ${orderBy('p', false)}`);
    return {
      total: Number(rows[0]?.total ?? 0),
      items: rows.flatMap((r) => (r.id === null ? [] : [record(r)])),
    };
  }
  if (oneStatement) {
    const deep = backend.deepPage ? (yield backend.deepPage(db, { q, filtered, page, counted, record, expiringPage })) as Listed | null : null;
    return deep ?? (yield* nearerEndPage(q, counted, pageIds, pageRows, read, record));
  }
  if (q.offset === 0 && known === null && !(kept && filtered && !backend.onePageStatement)) {
    // The first page (nearly every call), and the count with it. A kept count gates the page
    // (PostgreSQL evaluates it once, as a one-time filter): nothing matching, nothing walked.
    // The limit stays a constant: with a computed one PostgreSQL planned a sort of every row.
    const gate = kept && filtered ? sql`(${counted}) > 0` : undefined;
    const rows = yield* read(page(q.limit, 0, false, gate, undefined, counted));
    return { total: rows.length ? Number(rows[0]!.total) : yield* count(), items: rows.map(record) };
  }
  // Deeper pages: from the nearer end of the order (ids only, so the sort's index covers
  // what is skipped).
  const total = yield* count();
  const take = Math.max(0, Math.min(q.limit, total - q.offset));
  if (take === 0) return { total, items: [] };
  const fromEnd = total - q.offset - take;
  const backwards = fromEnd < q.offset;
  const items = (yield* read(page(take, backwards ? fromEnd : q.offset, backwards))).map(record);
  return { total, items: backwards ? items.reverse() : items };
}

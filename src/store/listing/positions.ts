// Kept positions (SQLite, issue 27): for a filter set asked for again while nothing changes,
// its count and the rowids of every row it matches, in order, so that a page at Offset o is
// those rows by rowid (rows o to o + Limit) and TotalCount the list's length: no count
// statement and no index walk. Walking from a kept key skipped up to 63 matches and every
// entry between them that the filters leave out (CertificateType CA, 1 row in 20: up to
// ~1,300 index entries, ~120 µs of a ~160 µs page statement; by rowid ~25 µs). Where the
// rowids of a set would overrun the budget (MAX_ROWIDS), the sort key of every EVERY-th row is kept instead
// (and the count), so that a page starts at the key kept for floor(o / EVERY) and skips fewer
// than EVERY matches, instead of walking up to half the matches from the nearer end (a random
// Offset of 100,000 rows: 1–6 ms of index entries, more for a filter that matches few of them).
//
// Valid only while nothing was committed since they were read: each set is kept with the
// database's change token (this connection's changes and data_version, other connections'
// commits as of the transaction's snapshot) read in the transaction the set or the page are
// read in, and used only when the token is the same. Filters judged
// by the clock (issued/expired statuses, Deployable) also keep the instant until which no
// issued certificate of the account crosses its notAfter; FilterExpiring until then and until
// none comes into its window.
// A set is read only once the pages asked for under one token have walked as many index
// entries as reading it walks (each page counted as its walk from the nearer end of the
// order, a search as all its matches): a rent-or-buy rule, so that a database written between
// reads never pays much more for the sets than it would without them. Under 10 commits a
// second, reading on the second ask re-read a 40,000-row set after every commit (100,000
// stored: 4.4 ms of CPU a varied request against 0.5 with nothing written, issue 27). A
// filter set never read before is read on its second ask, as its size is not known yet.
import type { CertificateQuery } from '../../domain/certificate.js';

/** Rows between two kept keys (a set kept without its rowids). */
export const EVERY = 64;

/** How long a token must have held before pages count whole again (Positions.find's `farthest`). */
export const TOKEN_HELD_MS = 1000;

/** Rowids kept at most, over all sets (8 bytes each): 16 MiB. */
export const MAX_ROWIDS = 2_000_000;

/** What is kept of a filter set. */
export interface KeptSet {
  /** The rows it matches (TotalCount). */
  total: number;
  /** The rowid of each row it matches, in the order's order; null where over the budget. */
  rowids: Float64Array | null;
  /** PostgreSQL: the id of each row it matches, in order; null where over the budget (then nothing is kept but the count). */
  ids?: KeptIds | null;
  /** The sort key (sort column, id) of rows 0, EVERY, 2 × EVERY, … (empty where the rowids are kept). */
  keys: [number, string][];
}

interface Kept {
  token: string;
  /** Index entries the pages of this set walked under `token` without it. */
  walked: number;
  /** The clock instants [from, until] the set holds for. */
  from: number;
  until: number;
  /** null until read. */
  set: KeptSet | null;
}

/**
 * The ids of a PostgreSQL set: ids of one width of printable ASCII (certport's are 8 characters
 * of base62) as one string, a byte each (40,000 ids: 320 kB against ~1.3 MB as strings).
 */
export class KeptIds {
  private constructor(private readonly packed: string, private readonly width: number, private readonly list: string[] | null) {}

  static of(ids: string[]): KeptIds {
    const width = ids[0]?.length ?? 0;
    const packable = width > 0 && ids.every((id) => id.length === width && /^[\x21-\x7e]+$/.test(id));
    return packable ? new KeptIds(ids.join(''), width, null) : new KeptIds('', 0, ids);
  }

  /** `width` characters an id, one after another (as PostgreSQL's array_to_string(ids, '') of ids of one width). */
  static packed(packed: string, width: number): KeptIds {
    if (width <= 0 || packed.length % width !== 0) throw new Error(`kept ids: ${packed.length} characters are not ids of ${width}`);
    return new KeptIds(packed, width, null);
  }

  get length(): number {
    return this.list ? this.list.length : this.packed.length / this.width;
  }

  /** What it holds, in the budget's units (8 bytes). */
  get units(): number {
    return this.list ? this.list.length * 8 : Math.ceil(this.packed.length / 8);
  }

  slice(from: number, to: number): string[] {
    if (this.list) return this.list.slice(from, to);
    const out: string[] = [];
    for (let i = from; i < Math.min(to, this.length); i++) out.push(this.packed.slice(i * this.width, (i + 1) * this.width));
    return out;
  }
}

/** PostgreSQL: whether snapshot `a` (pg_current_snapshot, xmin:xmax:xip) was taken after `b` (a larger xmax, or as large with fewer in progress). */
export function laterSnapshot(a: string, b: string): boolean {
  const [, ax = '0', axip = ''] = a.split(':');
  const [, bx = '0', bxip = ''] = b.split(':');
  const d = BigInt(ax) - BigInt(bx);
  return d > 0n || (d === 0n && axip.split(',').length < bxip.split(',').length);
}

export class Positions {
  /** PostgreSQL: the newest change token a statement of the listing has seen. */
  latest = '';
  /** Pages answered from kept sets (what tests check they are used by). */
  served = 0;
  /** The token `find` was last asked under, and since when. */
  #token = '';
  #tokenAt = 0;
  readonly #kept = new Map<string, Kept>();
  /** Rowids held by the kept sets. */
  #rowids = 0;
  /** The rows each filter set matched when it was last read (what reading it again walks). */
  readonly #sizes = new Map<string, number>();

  constructor(private readonly maxSets = 512, private readonly maxRowids = MAX_ROWIDS) {}

  /** The filter set and order of `q` (what its matches and their order depend on), or null when it is not kept. */
  static shape(q: CertificateQuery): string | null {
    // FilterExpiring's window and the other filters judged at one instant (else the two would each need their own).
    if (q.expiring && q.now !== undefined && q.now !== q.expiring.now) return null;
    return `${q.accountUin}\n${JSON.stringify([q.certificateType, q.projectId, q.statuses, q.source, q.isSm, q.certIds, q.pendingIssue,
      q.deployable, q.tags, q.expirationSort, q.searchKey, q.expiring ? q.expiring.until - q.expiring.now : null, Positions.timed(q)])}`;
  }

  /** Whether the clock decides which rows `q` matches. */
  static timed(q: CertificateQuery): boolean {
    return q.now !== undefined && (q.deployable !== undefined || (q.statuses ?? []).some((s) => s === 1 || s === 3));
  }

  /**
   * Whether a set of `n` rows read under `token` keeps its rowids (else its keys): within a
   * quarter of the budget and what the sets kept under `token` leave of it. Sets kept under
   * another token are dropped first: the token only moves on, so they can never be used again.
   * Sets holding rowids are never dropped for another's (a working set larger than the budget
   * would read sets again and again, milliseconds each): the later ones keep keys.
   */
  /** The most rows a set may keep its rowids or ids for (a quarter of the budget). */
  get largest(): number {
    return this.maxRowids / 4;
  }

  keepsRowids(n: number, token: string): boolean {
    for (const [shape, k] of this.#kept) if (k.token !== token) this.#drop(shape);
    return n <= this.largest && this.#rowids + n <= this.maxRowids;
  }

  /** The rows a filter set matches, as a page of it counted them (PostgreSQL: before it is first read). */
  sized(shape: string, total: number): void {
    if (!this.#sizes.has(shape) && this.#sizes.size >= 4 * this.maxSets) this.#sizes.clear();
    this.#sizes.set(shape, total);
  }

  /** Whether the set of `shape` matched more rows than a set may keep when last counted. */
  tooLarge(shape: string): boolean {
    return (this.#sizes.get(shape) ?? 0) > this.largest;
  }

  /** Whether a set of `shape` is kept under `token` (read, not only asked for). */
  holds(shape: string, token: string): boolean {
    const k = this.#kept.get(shape);
    return !!k?.set && k.token === token;
  }

  /**
   * The kept set of `shape` under `token` at `now`, or 'read' when it should be read now (the
   * pages asked for under `token` would have walked as much as reading it), or null. `page`:
   * the page asked for, or 'all' for a search (read whole each time). `farthest`: the most
   * entries a page is counted as skipping without the set while the token is new (PostgreSQL's
   * deep pages start from bucket counts, so a page costs about that however deep).
   */
  find(shape: string, token: string, now: number, page: { offset: number; limit: number } | 'all', farthest = Infinity): KeptSet | 'read' | null {
    const k = this.#kept.get(shape);
    const size = this.#sizes.get(shape);
    // `farthest` only while tokens come and go (one seen less than a second ago): a set read
    // then is likely dropped before it pays; once the token holds, pages count whole again.
    const at = Date.now();
    if (token !== this.#token) {
      this.#token = token;
      this.#tokenAt = at;
    }
    const cap = at - this.#tokenAt < TOKEN_HELD_MS ? farthest : Infinity;
    const walk = size === undefined ? 0 : page === 'all' ? size
      : Math.min(cap, Math.min(page.offset, Math.max(0, size - page.offset - page.limit))) + page.limit;
    if (k && k.token === token) {
      if (!k.set) {
        k.walked += walk;
        return size === undefined || k.walked >= size ? 'read' : null;
      }
      if (now >= k.from && now <= k.until) {
        // Most recently used last: the first entries are the ones to drop.
        this.#kept.delete(shape);
        this.#kept.set(shape, k);
        return k.set;
      }
    }
    this.#drop(shape);
    this.#make(1);
    this.#kept.set(shape, { token, walked: walk, from: now, until: now, set: null });
    return null;
  }

  /** Keeps the set of `shape` read under `token`, valid for the clock in [from, until]. */
  keep(shape: string, token: string, from: number, until: number, set: KeptSet): void {
    this.#drop(shape);
    this.#make(1);
    this.#rowids += units(set);
    this.#kept.set(shape, { token, walked: 0, from, until, set });
    this.sized(shape, set.total);
  }

  #drop(shape: string): void {
    const k = this.#kept.get(shape);
    if (!k) return;
    this.#rowids -= k.set ? units(k.set) : 0;
    this.#kept.delete(shape);
  }

  /** Drops the least recently used sets until `sets` more fit. */
  #make(sets: number): void {
    while (this.#kept.size && this.#kept.size + sets > this.maxSets) {
      this.#drop(this.#kept.keys().next().value!);
    }
  }
}

const units = (set: KeptSet) => set.rowids?.length ?? set.ids?.units ?? 0;

// Kept positions (SQLite, issue 27): for a filter set asked for deep pages again while nothing
// changes, the sort key of every EVERY-th row it matches, so that a page at Offset o starts at
// the key kept for floor(o / EVERY) and skips fewer than EVERY rows, instead of walking up to
// half the matches from the nearer end (a random Offset of 100,000 rows: 1–6 ms of index
// entries, more for a filter that matches few of them).
//
// Valid only while nothing was committed since they were read: each set is kept with the
// database's change token (this connection's changes and data_version, other connections'
// commits as of the transaction's snapshot) read in the transaction the keys or the page are
// read in, and used only when the token is the same. Filters judged
// by the clock (issued/expired statuses, Deployable) also keep the instant until which no
// issued certificate of the account crosses its notAfter; FilterExpiring is never kept.
// A set is read only when asked for twice under one token, so that a database written
// between reads never pays for reading one.
import type { CertificateQuery } from '../../domain/certificate.js';

/** Rows between two kept positions. */
export const EVERY = 64;

interface Kept {
  token: string;
  /** The clock instants [from, until] the set holds for. */
  from: number;
  until: number;
  /** The sort key (sort column, id) of rows 0, EVERY, 2 × EVERY, …; null until read. */
  keys: [number, string][] | null;
}

export class Positions {
  readonly #kept = new Map<string, Kept>();

  constructor(private readonly maxSets = 512) {}

  /** The filter set and order of `q` (what its matches and their order depend on), or null when it is not kept. */
  static shape(q: CertificateQuery): string | null {
    if (q.expiring || q.searchKey) return null;
    return `${q.accountUin}\n${JSON.stringify([q.certificateType, q.projectId, q.statuses, q.source, q.isSm, q.certIds, q.pendingIssue,
      q.deployable, q.tags, q.expirationSort, Positions.timed(q)])}`;
  }

  /** Whether the clock decides which rows `q` matches. */
  static timed(q: CertificateQuery): boolean {
    return q.now !== undefined && (q.deployable !== undefined || (q.statuses ?? []).some((s) => s === 1 || s === 3));
  }

  /**
   * The kept keys of `shape` under `token` at `now`, or 'read' when they should be read now
   * (asked for a second time under one token), or null.
   */
  find(shape: string, token: string, now: number): [number, string][] | 'read' | null {
    const k = this.#kept.get(shape);
    if (k && k.token === token) {
      if (!k.keys) return 'read';
      if (now >= k.from && now <= k.until) {
        // Most recently used last: the first entries are the ones to drop.
        this.#kept.delete(shape);
        this.#kept.set(shape, k);
        return k.keys;
      }
    }
    this.#kept.delete(shape);
    if (this.#kept.size >= this.maxSets) this.#kept.delete(this.#kept.keys().next().value!);
    this.#kept.set(shape, { token, from: now, until: now, keys: null });
    return null;
  }

  /** Keeps the keys of `shape` read under `token`, valid for the clock in [from, until]. */
  keep(shape: string, token: string, from: number, until: number, keys: [number, string][]): void {
    this.#kept.delete(shape);
    if (this.#kept.size >= this.maxSets) this.#kept.delete(this.#kept.keys().next().value!);
    this.#kept.set(shape, { token, from, until, keys });
  }
}

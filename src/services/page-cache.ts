// Serialized answers kept for reuse while they provably still hold. An entry is good only
// while the store's change token is the one read before it was computed (nothing committed
// since, on any node sharing the database) and the clock is inside the span for which the
// answer's time-derived fields (expired, expiring, renewable) stay as they were.

/** An action result already in JSON, passed to the wire as is (api/server.ts `send`). */
export class SerializedResult {
  constructor(readonly json: string) {}
}

interface Entry {
  token: string;
  from: number;
  until: number;
  value: SerializedResult;
}

/** Longest any entry is kept, whatever its span: a bound on what a missed dependency could cost. */
export const PAGE_MAX_AGE_MS = 60_000;
/** How long a request asked for once is remembered, waiting for its second ask (`wanted`). */
export const PAGE_SEEN_MS = 60_000;

export class PageCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  /**
   * Keys asked for once lately (when), in first-asked order; at most a quarter of the byte
   * budget. A page is kept from its second ask on: a request no one repeats (a random page,
   * issue 27's varied load) then costs neither the change token (a round trip on PostgreSQL)
   * nor an entry that evicts pages which are asked for again.
   */
  readonly #seen = new Map<string, number>();
  #seenBytes = 0;
  /** Answers served from the cache, and looked up but not found current. */
  hits = 0;
  misses = 0;

  /** `capacityBytes` of JSON (counted as UTF-16 length) at most; 0 turns the cache off. */
  constructor(readonly capacityBytes: number) {}

  get enabled(): boolean {
    return this.capacityBytes > 0;
  }

  /**
   * Whether the answer to `key` is worth a change token, a lookup and keeping: true when it
   * is cached or was asked for within PAGE_SEEN_MS; else remembers this ask and says false
   * (the caller computes the answer without the cache: always correct, only not kept).
   */
  wanted(key: string, now: number): boolean {
    if (this.#entries.has(key)) return true;
    const at = this.#seen.get(key);
    if (at !== undefined) {
      this.#unsee(key);
      if (now - at < PAGE_SEEN_MS && now >= at) return true;
    }
    const budget = this.capacityBytes / 4;
    if (key.length > budget) return false;
    this.#seen.set(key, now);
    this.#seenBytes += key.length;
    while (this.#seenBytes > budget) this.#unsee(this.#seen.keys().next().value as string);
    return false;
  }

  #unsee(key: string) {
    if (this.#seen.delete(key)) this.#seenBytes -= key.length;
  }

  get(key: string, token: string, now: number): SerializedResult | null {
    const e = this.#entries.get(key);
    if (e) this.#drop(key, e);
    if (!e || e.token !== token || now < e.from || now >= e.until) {
      this.misses++;
      return null;
    }
    this.#entries.set(key, e); // most recently used last
    this.#bytes += e.value.json.length;
    this.hits++;
    return e.value;
  }

  /** Serializes `result` and keeps it for `[from, until)` (capped at PAGE_MAX_AGE_MS) under `token`. */
  put(key: string, token: string, from: number, until: number, result: object): SerializedResult {
    const value = new SerializedResult(JSON.stringify(result));
    const size = value.json.length;
    const old = this.#entries.get(key);
    if (old) this.#drop(key, old);
    if (size > this.capacityBytes / 4) return value; // one page never crowds out the rest
    while (this.#bytes + size > this.capacityBytes) {
      const [k, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#drop(k, oldest);
    }
    this.#entries.set(key, { token, from, until: Math.min(until, from + PAGE_MAX_AGE_MS), value });
    this.#bytes += size;
    return value;
  }

  #drop(key: string, e: Entry) {
    this.#entries.delete(key);
    this.#bytes -= e.value.json.length;
  }
}

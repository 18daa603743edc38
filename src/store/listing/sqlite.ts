// DescribeCertificates on SQLite: SearchKey through the FTS5 trigram table (migration 0006),
// tags as json_group_array; a page and its count read in one transaction, from the kept set of
// its filters when they were asked for before and nothing changed since (positions.ts).
import { CompiledQuery } from 'kysely';
import type { Q } from '../db.js';
import { searchTextHolds, type ListingBackend } from './plan.js';
import { Positions } from './positions.js';
import { raw, sql } from './text.js';

const quoted = (s: string) => '"' + s.replaceAll('"', '""') + '"';
/** How long learned trigram counts are used before they are read again. */
const GRAMS_MS = 10 * 60_000;
/**
 * The rows a trigram may name for it alone to be asked for: each row it names is then read and
 * checked (~2 µs); with more, the phrase (whose trigrams' positions FTS5 matches together may
 * name far fewer) as before.
 */
const RARE = 1000;

/**
 * SearchKey's FTS5 query (issue 27). The key as a phrase makes FTS5 walk every one of its
 * trigrams' lists: "bench7." walked those of `ben`, `enc`, `nch` (every row: ~0.5 ms at 10,000
 * rows) to find the 100 rows `h7.` alone names (20 µs; the search statement ~1.1 ms -> ~0.2 ms,
 * ~0.4 ms with `ch7` and its 1,100 rows too). Its rarest trigram is asked for instead when it
 * names at most RARE rows, by the document counts learned from the vocabulary table (certificates_fts_vocab,
 * migration 0039_sq_list_marks), read in the background the first time a trigram is met (the
 * read walks the lists too) and again after GRAMS_MS: meanwhile, and for keys of other than
 * printable ASCII (SQLite and JavaScript may fold their case apart), the whole phrase as
 * before. Only which rows are checked depends on the counts: the LIKE on the search text
 * decides (searchTextHolds), so counts gone stale cost time, never a match.
 */
class Grams {
  readonly #docs = new Map<string, number>();
  readonly #asked = new Set<string>();
  #since = Date.now();

  query(db: Q, key: string): string {
    if (!/^[\x20-\x7e]+$/.test(key) || key.length <= 5) return quoted(key);
    if (Date.now() - this.#since > GRAMS_MS || this.#docs.size > 50_000) {
      this.#docs.clear();
      this.#since = Date.now();
    }
    const grams = [...new Set(Array.from({ length: key.length - 2 }, (_, i) => key.slice(i, i + 3)))];
    const unknown = grams.filter((g) => !this.#docs.has(g));
    if (unknown.length) {
      this.#learn(db, unknown);
      return quoted(key);
    }
    const rarest = grams.reduce((a, b) => (this.#docs.get(b)! < this.#docs.get(a)! ? b : a));
    return this.#docs.get(rarest)! <= RARE ? quoted(rarest) : quoted(key);
  }

  #learn(db: Q, grams: string[]): void {
    // Read later, so never through a transaction (a snapshot of listCertificates): it has ended by then.
    if (db.isTransaction) return;
    const ask = grams.filter((g) => !this.#asked.has(g));
    if (!ask.length) return;
    for (const g of ask) this.#asked.add(g);
    setImmediate(() => {
      db.executeQuery<{ term: string; doc: number }>(CompiledQuery.raw('select term, doc from certificates_fts_vocab where term in (select value from json_each(?))',
        [JSON.stringify(ask)])).then(({ rows }) => {
        for (const g of ask) this.#docs.set(g, 0);
        for (const r of rows) this.#docs.set(r.term, Number(r.doc));
      }, () => { /* closed, or no vocabulary table: the phrase as before */ }).finally(() => {
        for (const g of ask) this.#asked.delete(g);
      });
    });
  }
}

/**
 * This connection's changes and other connections' commits as of the transaction's snapshot
 * (data_version needs a read transaction). Two statements: the table-valued pragma_data_version
 * prepares a PRAGMA statement each time it is read (~3.5 µs in the snapshot against ~0.8 µs
 * for these two, issue 27).
 */
const TOKEN = [raw('select total_changes() as c'), raw('pragma data_version')];

/** One per database: its kept positions belong to it. */
export const sqliteListing = (kept = new Positions()): ListingBackend => {
  const grams = new Grams();
  return {
    pg: false,
    search(db, key) {
      // FTS5's trigram tokenizer matches a quoted phrase of three or more characters as a substring.
      if ([...key].length < 3) return [searchTextHolds(key)];
      return [sql`c.id in (select cert_id from certificate_search
        where rid in (select rowid from certificates_fts where certificates_fts match ${grams.query(db, key)}))`, searchTextHolds(key)];
    },
    // Looked up only where the row counts any (tag_count, migration 0039_sq_list_marks): null for none.
    tagsJson: raw('(case when c.tag_count > 0 then (select json_group_array(json_array(t.tag_key, t.tag_value) order by t.tag_key) from certificate_tags t where t.cert_id = c.id) end)'),
    snapshot: (db) => db.transaction(),
    positions: {
      kept,
      token: TOKEN,
    },
  };
};

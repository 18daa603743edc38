// DescribeCertificates on SQLite: SearchKey through the FTS5 trigram table (migration 0006),
// tags as json_group_array; a deeper page and its count read in one transaction, from a kept
// position when the same filters were asked for before and nothing changed since (positions.ts).
import { searchTextHolds, type ListingBackend } from './plan.js';
import { Positions } from './positions.js';
import { raw, sql } from './text.js';

/**
 * This connection's changes and other connections' commits as of the transaction's snapshot
 * (data_version needs a read transaction). Two statements: the table-valued pragma_data_version
 * prepares a PRAGMA statement each time it is read (~3.5 µs in the snapshot against ~0.8 µs
 * for these two, issue 27).
 */
const TOKEN = [raw('select total_changes() as c'), raw('pragma data_version')];

/** One per database: its kept positions belong to it. */
export const sqliteListing = (): ListingBackend => ({
  pg: false,
  search(_db, key) {
    // FTS5's trigram tokenizer matches a quoted phrase of three or more characters as a substring.
    if ([...key].length < 3) return [searchTextHolds(key)];
    const phrase = '"' + key.replaceAll('"', '""') + '"';
    return [sql`c.id in (select cert_id from certificate_search
      where rid in (select rowid from certificates_fts where certificates_fts match ${phrase}))`, searchTextHolds(key)];
  },
  // Looked up only where the row counts any (tag_count, migration 0039_sq_list_marks): null for none.
  tagsJson: raw('(case when c.tag_count > 0 then (select json_group_array(json_array(t.tag_key, t.tag_value) order by t.tag_key) from certificate_tags t where t.cert_id = c.id) end)'),
  snapshot: (db) => db.transaction(),
  positions: {
    kept: new Positions(),
    token: TOKEN,
  },
});

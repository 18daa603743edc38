// DescribeCertificates on SQLite: SearchKey through the FTS5 trigram table (migration 0006),
// tags as json_group_array; a deeper page and its count read in one transaction. SQLite skips
// 90,000 of 100,000 index entries in a few ms (bench/listing.ts): it needs no order buckets.
import { searchTextHolds, type ListingBackend } from './plan.js';
import { raw, sql } from './text.js';

export const sqliteListing: ListingBackend = {
  pg: false,
  async search(_db, key) {
    // FTS5's trigram tokenizer matches a quoted phrase of three or more characters as a substring.
    if ([...key].length < 3) return [searchTextHolds(key)];
    const phrase = '"' + key.replaceAll('"', '""') + '"';
    return [sql`c.id in (select cert_id from certificate_search
      where rid in (select rowid from certificates_fts where certificates_fts match ${phrase}))`, searchTextHolds(key)];
  },
  tagsJson: raw('(select json_group_array(json_array(t.tag_key, t.tag_value) order by t.tag_key) from certificate_tags t where t.cert_id = c.id)'),
  snapshot: (db) => db.transaction(),
};

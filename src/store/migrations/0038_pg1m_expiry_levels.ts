// Migration 0038_pg1m_expiry_levels: 0035's per-day expiry labels also kept per 8-day and
// 64-day block (PostgreSQL).
import { sql, type Kysely, type Migration } from 'kysely';
import { facetFunctions, facetValues } from './0035_pgbroad_facet_buckets.js';
import type { Dialect } from '../db.js';

/**
 * The coarser levels of 0035's per-day labels (`x:` issued, `dx:` deployable, by UTC day of
 * notAfter): `<prefix>w:` counts an 8-day block (day / 8), `<prefix>q:` a 64-day block (day /
 * 64), each 8 digits. Letters, not digits, after the prefix: a range of one level's labels never
 * holds another level's, whatever the collation. listing/postgres.ts reads them (dayRanges).
 */
export const EXPIRY_LEVELS = [{ tag: 'q', days: 64 }, { tag: 'w', days: 8 }] as const;

/** 0035's facet values of a row and the block labels of its per-day ones (same `r` and `q` as facetValues). */
export const leveledFacetValues = (r: string, q = "'") => {
  const block = (days: number) => `lpad((${r}.not_after / 86400000 / ${days})::text, 8, ${q}0${q})`;
  const deployable = `${r}.certificate_type = ${q}SVR${q} and ${r}.status = 1 and ${r}.has_key = 1`;
  const more = EXPIRY_LEVELS.flatMap(({ tag, days }) => [
    `(case when ${r}.status = 1 then ${q}x${tag}:${q} || ${block(days)} end)`,
    `(case when ${deployable} then ${q}dx${tag}:${q} || ${block(days)} end)`]);
  return facetValues(r, q).replace(') f (facet)', `, ${more.join(', ')}) f (facet)`);
};

export function expiryLevels(dialect: Dialect): Migration {
  return {
    // A deep page judged at a time (CertificateStatus 1 or 3, Deployable, FilterExpiring) on
    // PostgreSQL added up 0035's per-day rows of every bucket for every day before today (or
    // of FilterExpiring's 30 days): 15,000-30,000 rows at a million (issue 27). With these a
    // range of days is its whole 64-day blocks, then whole 8-day blocks, then days, each edge
    // taken from below or as the enclosing block less the part outside (dayRanges): at most a
    // few rows a bucket. Kept by the same triggers (their function made again with the new
    // labels); written from the per-day rows already there.
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      // Writers wait until commit: none counted by the old function after the rows are read below.
      await sql`lock table certificates in share row exclusive mode`.execute(db);
      await facetFunctions(db, leveledFacetValues);
      for (const { tag, days } of EXPIRY_LEVELS) {
        await sql`insert into certificate_facet_buckets (account_uin, facet, lo_created_at, lo_id, n)
            select account_uin, split_part(facet, ':', 1) || ${tag + ':'} || lpad((split_part(facet, ':', 2)::bigint / ${days})::text, 8, '0'),
              lo_created_at, lo_id, sum(n)
            from certificate_facet_buckets where (facet like 'x:%' or facet like 'dx:%') and n <> 0
            group by 1, 2, 3, 4 having sum(n) <> 0`.execute(db);
      }
    },
  };
}

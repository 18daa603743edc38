// Where DescribeCertificates' time goes in PostgreSQL, statement by statement: for each filter of
// bench/listing.ts, the statements the store runs (listCertificates, called directly on a data
// set kept by CERTPORT_BENCH_KEEP), each one's median and slowest duration over a few calls,
// and with EXPLAIN set, the slowest statement's EXPLAIN (ANALYZE, BUFFERS).
//
//   node dist/bench/listing-explain.js <kept data set .json> [filter name substring] [EXPLAIN]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { CertificateQuery } from '../src/domain/certificate.js';
import { EXPIRING_WINDOW } from '../src/services/certificates.js';
import { listCertificates } from '../src/store/listing/plan.js';
import { postgresListing } from '../src/store/listing/postgres.js';
import type { Database } from '../src/store/schema.js';

const [file, only = '', explain] = process.argv.slice(2);
if (!file) throw new Error('usage: listing-explain <kept data set .json> [filter] [EXPLAIN]');
const kept = JSON.parse(readFileSync(file, 'utf8')) as { env: Record<string, string>; cred: { accountUin: string }; accounts: { stored: number }[] };
pg.types.setTypeParser(20, (v) => Number(v));
const pool = new pg.Pool({ connectionString: kept.env.CERTPORT_DATABASE_URL, max: 2, options: `-c search_path=${kept.env.CERTPORT_DATABASE_SCHEMA}` });
let log: { sql: string; params: readonly unknown[]; ms: number }[] = [];
const db = new Kysely<Database>({
  dialect: new PostgresDialect({ pool }),
  log: (e) => { log.push({ sql: e.query.sql, params: e.query.parameters, ms: e.queryDurationMillis }); },
});
const rows = kept.accounts[0]!.stored;
const accountUin = kept.cred.accountUin;

/** The API's parameters as DescribeCertificates turns them into a query (actions/describe-certificates.ts). */
function query(p: Record<string, any>): CertificateQuery {
  const now = Date.now();
  const q: CertificateQuery = { accountUin, offset: p.Offset ?? 0, limit: Math.min(p.Limit || 10, 1000), now };
  if (p.SearchKey) q.searchKey = p.SearchKey;
  if (p.CertificateType) q.certificateType = p.CertificateType;
  if (p.ProjectId !== undefined) q.projectId = p.ProjectId;
  if (p.ExpirationSort) q.expirationSort = p.ExpirationSort;
  if (p.CertificateStatus) q.statuses = p.CertificateStatus;
  if (p.Deployable !== undefined) q.deployable = p.Deployable === 1;
  if (p.Upload === 1) q.source = 'upload';
  if (p.FilterSource) q.source = p.FilterSource;
  if (p.IsSM !== undefined) q.isSm = p.IsSM === 1;
  if (p.FilterExpiring === 1) q.expiring = { now, until: now + EXPIRING_WINDOW };
  if (p.IsPendingIssue === 1) q.pendingIssue = true;
  if (p.Tags) q.tags = p.Tags.map((t: any) => ({ key: t.TagKey, value: t.TagValue }));
  return q;
}

const shapes: [string, Record<string, any>][] = [
  ['no filter', {}], ['SearchKey host<k>.bench', { SearchKey: 'host123457.bench' }], ['SearchKey broad .bench7.', { SearchKey: '.bench7.' }],
  ['SearchKey alias', { SearchKey: 'cert 123457' }],
  ['ExpirationSort ASC', { ExpirationSort: 'ASC' }], ['ExpirationSort ASC Offset 50%', { ExpirationSort: 'ASC', Offset: Math.floor(rows / 2) }],
  ['CertificateStatus [1] + FilterExpiring', { CertificateStatus: [1], FilterExpiring: 1 }], ['Tags team=t3', { Tags: [{ TagKey: 'team', TagValue: 't3' }] }],
  ['Offset 90%', { Offset: Math.floor(rows * 0.9) }], ['Offset 50%', { Offset: Math.floor(rows / 2) }], ['last page', { Offset: rows - 9 }],
  ['Limit 1000', { Limit: 1000 }], ['ProjectId 3', { ProjectId: 3 }], ['CertificateStatus [1]', { CertificateStatus: [1] }],
  ['CertificateStatus [0]', { CertificateStatus: [0] }], ['CertificateStatus [3]', { CertificateStatus: [3] }], ['CertificateStatus [5]', { CertificateStatus: [5] }],
  ['CertificateStatus [1, 3]', { CertificateStatus: [1, 3] }], ['CertificateType CA', { CertificateType: 'CA' }], ['CertificateType SVR', { CertificateType: 'SVR' }],
  ['FilterSource buy', { FilterSource: 'buy' }], ['FilterSource upload', { FilterSource: 'upload' }], ['IsSM 1', { IsSM: 1 }], ['IsSM 0', { IsSM: 0 }],
  ['Deployable 1', { Deployable: 1 }], ['Deployable 0', { Deployable: 0 }], ['FilterExpiring 1', { FilterExpiring: 1 }], ['IsPendingIssue 1', { IsPendingIssue: 1 }],
  ['ExpirationSort DESC', { ExpirationSort: 'DESC' }], ['Tags team=t9', { Tags: [{ TagKey: 'team', TagValue: 't9' }] }],
  ['CA + IsSM 0 + buy', { CertificateType: 'CA', IsSM: 0, FilterSource: 'buy' }],
  ['Deployable 1 + ProjectId 3 + ASC', { Deployable: 1, ProjectId: 3, ExpirationSort: 'ASC' }],
];

console.log(`${rows} rows; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const random = (n: number) => Math.floor(Math.random() * Math.max(1, n - 9));
for (const [name, p] of shapes) {
  if (!name.includes(only)) continue;
  for (const deep of [false, true]) {
    let total = 0;
    const per = new Map<string, { ms: number[]; sql: string; params: readonly unknown[] }>();
    for (let i = 0; i < 12; i++) {
      log = [];
      const r = await listCertificates(db, query(deep ? { ...p, Offset: random(total) } : p), postgresListing);
      total = r.total;
      if (i < 2) continue; // warm
      log.forEach((e, k) => {
        const key = `${k}`;
        const s = per.get(key) ?? { ms: [], sql: e.sql, params: e.params };
        s.ms.push(e.ms);
        if (e.ms >= Math.max(...s.ms)) Object.assign(s, { sql: e.sql, params: e.params });
        per.set(key, s);
      });
    }
    console.log(`${name}${deep ? ', random Offset' : ''} (TotalCount ${total})`);
    let slowest: { ms: number[]; sql: string; params: readonly unknown[] } | null = null;
    for (const [k, s] of per) {
      s.ms.sort((a, b) => a - b);
      console.log(`  statement ${k}: median ${s.ms[s.ms.length >> 1]!.toFixed(2)} ms, max ${s.ms.at(-1)!.toFixed(2)} ms  ${s.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
      if (!slowest || s.ms.at(-1)! > slowest.ms.at(-1)!) slowest = s;
    }
    if (explain && slowest) {
      console.log(`  SQL: ${slowest.sql}\n  params: ${JSON.stringify(slowest.params)}`);
      const c = await pool.connect();
      try {
        const r = await c.query(`explain (analyze, buffers) ${slowest.sql}`, slowest.params as unknown[]);
        for (const row of r.rows) console.log(`    ${row['QUERY PLAN']}`);
      } finally {
        c.release();
      }
    }
  }
}
await db.destroy();

// Benchmark: DescribeCertificates' store side, random deep pages of each broad filter on
// PostgreSQL (issue 27), this build beside another (CERTPORT_BENCH_BASE_DIST: its dist
// folder) in alternating rounds on one kept data set (CERTPORT_BENCH_KEEP of bench/listing.ts),
// listCertificates called directly in this process. Prints p50/p99 per filter for each build,
// the ratio of p50s, and the load average. This build's migrations are run on the data set first.
//
//   CERTPORT_BENCH_BASE_DIST=/tmp/base/dist node dist/bench/listing-deep.js <kept .json> [filter substring]
//   CERTPORT_BENCH_REQUESTS=… calls per filter and build (default 200), in rounds of 20
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { CertificateQuery } from '../src/domain/certificate.js';
import { EXPIRING_WINDOW } from '../src/services/certificates.js';
import * as plan from '../src/store/listing/plan.js';
import * as pgl from '../src/store/listing/postgres.js';
import { openStores } from '../src/store/open.js';
import type { Database } from '../src/store/schema.js';
import { percentiles } from './lib.js';

const [file, only = ''] = process.argv.slice(2);
if (!file) throw new Error('usage: listing-deep <kept data set .json> [filter]');
const kept = JSON.parse(readFileSync(file, 'utf8')) as { env: Record<string, string>; cred: { accountUin: string }; accounts: { stored: number }[] };
const url = kept.env.CERTPORT_DATABASE_URL!;
const schema = kept.env.CERTPORT_DATABASE_SCHEMA!;
// This build's migrations (a new one fills its tables from the rows once).
await (await openStores(url, { schema })).close();
pg.types.setTypeParser(20, (v) => Number(v));
const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
type Build = { name: string; list: typeof plan.listCertificates; backend: typeof pgl.postgresListing };
const builds: Build[] = [{ name: 'this', list: plan.listCertificates, backend: pgl.postgresListing }];
const baseDist = process.env.CERTPORT_BENCH_BASE_DIST;
if (baseDist) {
  const load = (f: string) => import(pathToFileURL(path.join(baseDist, 'src', 'store', 'listing', f)).href);
  builds.push({ name: 'base', list: (await load('plan.js')).listCertificates, backend: (await load('postgres.js')).postgresListing });
}
const accountUin = kept.cred.accountUin;
const N = Number(process.env.CERTPORT_BENCH_REQUESTS ?? 200);

const shapes: [string, (now: number) => Partial<CertificateQuery>][] = [
  ['CertificateType SVR', () => ({ certificateType: 'SVR' })], ['CertificateType CA', () => ({ certificateType: 'CA' })],
  ['FilterSource upload', () => ({ source: 'upload' })], ['FilterSource buy', () => ({ source: 'buy' })],
  ['IsSM 0', () => ({ isSm: false })], ['IsSM 1', () => ({ isSm: true })],
  ['CertificateStatus [1]', () => ({ statuses: [1] })], ['CertificateStatus [3]', () => ({ statuses: [3] })],
  ['CertificateStatus [1, 3]', () => ({ statuses: [1, 3] })], ['CertificateStatus [0]', () => ({ statuses: [0] })],
  ['IsPendingIssue 1', () => ({ pendingIssue: true })],
  ['Deployable 1', () => ({ deployable: true })], ['Deployable 0', () => ({ deployable: false })],
  ['FilterExpiring 1', (now) => ({ expiring: { now, until: now + EXPIRING_WINDOW } })],
  ['no filter', () => ({})],
];

console.log(`random deep pages (Limit 10) of ${kept.accounts[0]!.stored} rows, ${N} calls per filter and build in alternating rounds of 20; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const [name, make] of shapes) {
  if (!name.includes(only)) continue;
  const q = (now: number, offset: number): CertificateQuery => ({ accountUin, offset, limit: 10, now, ...make(now) });
  const total = (await plan.listCertificates(db, q(Date.now(), 0), pgl.postgresListing)).total;
  const lat = new Map<string, number[]>(builds.map((b) => [b.name, []]));
  for (let round = 0; round * 20 < N; round++) {
    for (const b of round % 2 ? [...builds].reverse() : builds) {
      for (let i = 0; i < 20; i++) {
        const offset = Math.floor(Math.random() * Math.max(1, total - 9));
        const s = performance.now();
        await b.list(db, q(Date.now(), offset), b.backend);
        if (round > 0 || i >= 5) lat.get(b.name)!.push(performance.now() - s);
      }
    }
  }
  const p = Object.fromEntries(builds.map((b) => [b.name, percentiles(lat.get(b.name)!)]));
  const line = builds.map((b) => `${b.name} p50 ${p[b.name]!.p50.toFixed(2).padStart(7)} p99 ${p[b.name]!.p99.toFixed(2).padStart(7)}`).join('   ');
  const ratio = p.base ? `   this/base p50 ${(p.this!.p50 / p.base.p50).toFixed(2)}` : '';
  console.log(`  ${`${name} (of ${total})`.padEnd(40)} ${line}${ratio}`);
}
console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await db.destroy();

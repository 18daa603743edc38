// Benchmark: DescribeCertificates at scale. Seeds 100,000 certificates on SQLite and
// 1,000,000 on PostgreSQL in one account, varied as bench/lib.ts variedRow says (bulk, through the store, not the API), starts
// `certport serve` on them, sends TC3-signed requests one at a time over a keep-alive
// connection and prints p50/p99 per query shape against the 20 ms target, beside the floor of
// the same stack measured in the same run (a signed DescribeCertificates for one CertId),
// and for every filter of the spec its first page and a random page of what it matches.
// Rate limit off (CERTPORT_RATE_LIMIT=0). The page cache is off too (CERTPORT_PAGE_CACHE_MB=0):
// most lines repeat one request, and these figures are about reading pages from the database.
//
//   node dist/bench/listing.js                 both backends
//   CERTPORT_TEST_BACKENDS=sqlite node dist/bench/listing.js
//   CERTPORT_BENCH_SQLITE_ROWS=… CERTPORT_BENCH_PG_ROWS=… CERTPORT_BENCH_REQUESTS=… to resize
//   CERTPORT_BENCH_PG_URL=postgres://…/db   seed into that database (a schema of it), not the tests'
//   CERTPORT_BENCH_KEEP=/tmp/x              keep the data set, reuse it next run (bench/node.ts);
//                                           bench/listing-explain.js then shows each filter's statements
//   CERTPORT_BENCH_ONLY='a|b'               only the lines whose name holds one of these
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { BACKENDS } from '../src/testing/harness.js';
import { Connection, benchId, machine, ms, percentiles, signedRequest } from './lib.js';
import { prepareData, startNode } from './node.js';

const ROWS = { sqlite: Number(process.env.CERTPORT_BENCH_SQLITE_ROWS ?? 100_000), postgres: Number(process.env.CERTPORT_BENCH_PG_ROWS ?? 1_000_000) };
// 1,000 per line: p99 is then the 10th-slowest request, not the 2nd-slowest of 200 (one GC
// pause or stray scheduling delay away from any value).
const N = Number(process.env.CERTPORT_BENCH_REQUESTS ?? 1000);
const TARGET_MS = 20;
const ONLY = process.env.CERTPORT_BENCH_ONLY?.split('|') ?? null;

console.log(`DescribeCertificates at scale — ${machine()}`);
console.log(`lines marked ok/MISS are the issue's shapes; the others are shown for context. one account; ${N} signed requests per line, one at a time over a keep-alive connection, after 20 warm-up; CERTPORT_RATE_LIMIT=0, CERTPORT_PAGE_CACHE_MB=0 (every page read from the database); target p99 < ${TARGET_MS} ms`);
let failed = 0;
for (const backend of BACKENDS) {
  const rows = ROWS[backend];
  // Seeded in bulk through the store in this process (then `VACUUM ANALYZE` / `ANALYZE`, as
  // autovacuum or a periodic ANALYZE keep statistics), served by `certport serve` in its own.
  const s0 = performance.now();
  // One account, variedRow's mix (statuses, 5% CA, 20% bought, 1% SM, 10% without a key), so
  // that each filter matches many, few or none.
  const data = await prepareData(backend, rows + 1, {}, (n) => process.stdout.write(`\r${backend}: seeding ${n}/${rows}`), { varied: { accounts: 1 } });
  console.log(`\r${backend}: seeded ${rows + 1} certificates in ${((performance.now() - s0) / 1000).toFixed(1)} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const node = await startNode(data, { CERTPORT_PAGE_CACHE_MB: '0' });
  try {
    const conn = new Connection(node.port);
    await conn.ready;
    const call = async (params: object) => {
      const r = await conn.send(signedRequest(node.port, data.cred, 'DescribeCertificates', params));
      const json = JSON.parse(r.body.toString()) as { Response: { Error?: { Code: string; Message: string }; TotalCount?: number; Certificates?: unknown[] } };
      if (json.Response.Error) throw new Error(`${json.Response.Error.Code}: ${json.Response.Error.Message}`);
      return json.Response;
    };
    const shape = async (name: string, params: (i: number) => object, targeted = true) => {
      if (ONLY && !ONLY.some((o) => name.includes(o))) return;
      for (let i = 0; i < 20; i++) await call(params(i));
      const lat: number[] = [];
      let total = 0;
      let got = 0;
      for (let i = 0; i < N; i++) {
        const s = performance.now();
        const r = await call(params(i));
        lat.push(performance.now() - s);
        total = r.TotalCount ?? 0;
        got = r.Certificates?.length ?? 0;
      }
      const p = percentiles(lat);
      const ok = p.p99 < TARGET_MS;
      if (!ok && targeted) failed++;
      console.log(`  ${name.padEnd(58)} p50 ${ms(p.p50).padStart(9)}   p99 ${ms(p.p99).padStart(9)}   ${targeted ? (ok ? 'ok  ' : 'MISS') : '    '}   TotalCount ${String(total).padStart(7)}, ${got} returned`);
    };
    const rand = (i: number) => (i * 7919 + 13) % rows;
    await shape('reference: CertIds [1 id] (the stack\'s floor)', (i) => ({ CertIds: [benchId(rand(i))] }), false);
    await shape('no filter (Limit 10, newest first)', () => ({}));
    await shape('SearchKey domain fragment "host<k>.bench"', (i) => ({ SearchKey: `host${rand(i)}.bench` }));
    await shape('SearchKey alias "cert <k>"', (i) => ({ SearchKey: `cert ${rand(i)}` }));
    await shape('SearchKey broad fragment ".bench<k>." (1%)', (i) => ({ SearchKey: `.bench${i % 100}.` }), false);
    await shape('ExpirationSort ASC', () => ({ ExpirationSort: 'ASC' }));
    await shape('ExpirationSort ASC, Offset 50%', () => ({ ExpirationSort: 'ASC', Offset: Math.floor(rows / 2) }), false);
    await shape('CertificateStatus [1] + FilterExpiring', () => ({ CertificateStatus: [1], FilterExpiring: 1 }));
    await shape('Tags team=t3', () => ({ Tags: [{ TagKey: 'team', TagValue: 't3' }] }));
    await shape(`Offset ${Math.floor(rows * 0.9)} (90%)`, () => ({ Offset: Math.floor(rows * 0.9) }));
    await shape(`Offset ${Math.floor(rows / 2)} (50%, the worst for paging from either end)`, () => ({ Offset: Math.floor(rows / 2) }), false);
    await shape(`Offset ${rows - 9} (the last page)`, () => ({ Offset: rows - 9 }));
    await shape('Limit 1000', () => ({ Limit: 1000 }), false);
    await shape('ProjectId 3', () => ({ ProjectId: 3 }));
    await shape('CertificateStatus [1]', () => ({ CertificateStatus: [1] }));
    // Every other filter of the spec, first page and a random page of what it matches.
    const totalOf = async (params: object) => (await call({ ...params, Limit: 1 })).TotalCount ?? 0;
    const every: [string, object][] = [
      ['CertificateStatus [0] (2%)', { CertificateStatus: [0] }], ['CertificateStatus [2]', { CertificateStatus: [2] }],
      ['CertificateStatus [3] (expired, by the clock)', { CertificateStatus: [3] }], ['CertificateStatus [4]', { CertificateStatus: [4] }],
      ['CertificateStatus [7]', { CertificateStatus: [7] }], ['CertificateStatus [10]', { CertificateStatus: [10] }],
      ['CertificateStatus [5] (none)', { CertificateStatus: [5] }], ['CertificateStatus [1, 3]', { CertificateStatus: [1, 3] }],
      ['CertificateType CA (5%)', { CertificateType: 'CA' }], ['CertificateType SVR (95%)', { CertificateType: 'SVR' }],
      ['FilterSource buy (20%)', { FilterSource: 'buy' }], ['FilterSource upload (80%)', { FilterSource: 'upload' }], ['Upload 1', { Upload: 1 }],
      ['IsSM 1 (1%)', { IsSM: 1 }], ['IsSM 0 (99%)', { IsSM: 0 }], ['Deployable 1', { Deployable: 1 }], ['Deployable 0', { Deployable: 0 }],
      ['FilterExpiring 1', { FilterExpiring: 1 }], ['IsPendingIssue 1', { IsPendingIssue: 1 }], ['Hostable 1', { Hostable: 1 }], ['Renew 1', { Renew: 1 }],
      ['ExpirationSort DESC', { ExpirationSort: 'DESC' }], ['Tags team=t9 (none)', { Tags: [{ TagKey: 'team', TagValue: 't9' }] }],
      ['CertificateType CA + IsSM 0 + FilterSource buy', { CertificateType: 'CA', IsSM: 0, FilterSource: 'buy' }],
      ['Deployable 1 + ProjectId 3 + ExpirationSort ASC', { Deployable: 1, ProjectId: 3, ExpirationSort: 'ASC' }],
    ];
    for (const [name, params] of every) {
      if (ONLY && !ONLY.some((o) => name.includes(o))) continue;
      await shape(name, () => params);
      const total = await totalOf(params);
      await shape(`${name}, random Offset of ${total}`, () => ({ ...params, Offset: Math.floor(Math.random() * Math.max(1, total - 9)) }));
    }
    await shape('CertIds [10 ids]', (i) => ({ CertIds: Array.from({ length: 10 }, (_, k) => benchId(rand(i + k))) }));
    conn.close();
  } finally {
    await node.stop();
    await data.cleanup();
  }
}
console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(failed ? `${failed} targeted line(s) missed the ${TARGET_MS} ms target` : `every line met the ${TARGET_MS} ms target`);

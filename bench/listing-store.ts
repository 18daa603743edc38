// Benchmark: the store's side of DescribeCertificates alone, without HTTP (issue 27): the
// varied requests of bench/throughput.ts (random Offset over what each filter set matches, one
// of four accounts holding 4:3:2:1) sent straight to listCertificates, one at a time, in this
// process. Prints CPU per call (the main thread's budget per request) and wall time, overall
// and for the slowest filter sets, with the load average. Run it under `node --cpu-prof` to see
// where a listing's time goes.
//   node dist/bench/listing-store.js
//   CERTPORT_TEST_BACKENDS=sqlite CERTPORT_BENCH_SIZES=10000,100000 CERTPORT_BENCH_REQUESTS=5000
//   CERTPORT_BENCH_PROFILE=dir   a CPU profile of the measured calls only, one file per size
//   CERTPORT_BENCH_STATEMENTS=1  time spent in each statement (by its text), the costliest first; on PostgreSQL
//                                also the round trips per call and the server's CPU per call (its backend's, one connection)
//   CERTPORT_BENCH_SIDES=1       with the items' side facts (as DescribeCertificates asks)
//   CERTPORT_BENCH_PER_FILTER=n  PostgreSQL: also each filter set alone, n calls, its backend's CPU per call (the costliest first)
import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompiledQuery } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import type { CertificateQuery } from '../src/domain/certificate.js';
import { EXPIRING_WINDOW } from '../src/services/certificates.js';
import { openDatabase } from '../src/storage.js';
import { BACKENDS } from '../src/testing/harness.js';
import { loadAvg, machine, percentiles } from './lib.js';
import { prepareData } from './node.js';

const SIZES = (process.env.CERTPORT_BENCH_SIZES ?? '10000').split(',').map(Number);
const N = Number(process.env.CERTPORT_BENCH_REQUESTS ?? 5000);
const ACCOUNTS = 4;
const PROFILE = process.env.CERTPORT_BENCH_PROFILE;

/** SQLite statements' time by text (CERTPORT_BENCH_STATEMENTS): better-sqlite3's Statement methods timed. */
const statements = new Map<string, { n: number; ms: number }>();
if (process.env.CERTPORT_BENCH_STATEMENTS) {
  const { default: BetterSqlite } = await import('better-sqlite3');
  const probe = new BetterSqlite(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  for (const m of ['all', 'get', 'run', 'iterate'] as const) {
    const orig = proto[m]!;
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      const t0 = performance.now();
      try { return orig.apply(this, a); } finally {
        const e = statements.get(this.source) ?? statements.set(this.source, { n: 0, ms: 0 }).get(this.source)!;
        e.n++;
        e.ms += performance.now() - t0;
      }
    };
  }
}

/** PostgreSQL statements' time by text (CERTPORT_BENCH_STATEMENTS): pg's Client.query timed (promise calls). */
if (process.env.CERTPORT_BENCH_STATEMENTS) {
  const pg = createRequire(import.meta.url)('pg') as { Client: { prototype: Record<string, (...a: unknown[]) => unknown> } };
  const orig = pg.Client.prototype.query!;
  pg.Client.prototype.query = function (this: unknown, ...a: unknown[]) {
    const r = orig.apply(this, a);
    if (!(r instanceof Promise)) return r;
    const q = a[0] as string | { text: string; name?: string };
    const text = typeof q === 'string' ? q : `${q.name ? `[${q.name}] ` : ''}${q.text}`;
    const t0 = performance.now();
    const done = () => {
      const e = statements.get(text) ?? statements.set(text, { n: 0, ms: 0 }).get(text)!;
      e.n++;
      e.ms += performance.now() - t0;
    };
    r.then(done, done);
    return r;
  };
}
/** A PostgreSQL backend's CPU seconds so far (utime + stime of /proc/<pid>/stat, in ticks of 10 ms). */
const backendCpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

/** bench/throughput.ts's filter sets, as DescribeCertificates turns them into a query. */
const FILTERS: [string, (now: number) => Partial<CertificateQuery>][] = [
  ...Array.from({ length: 10 }, () => ['none', () => ({})] as [string, () => Partial<CertificateQuery>]),
  ['status [1]', () => ({ statuses: [1] })], ['status [0,4]', () => ({ statuses: [0, 4] })], ['status [3]', () => ({ statuses: [3] })],
  ['status [2]', () => ({ statuses: [2] })], ['type CA', () => ({ certificateType: 'CA' })], ['type SVR', () => ({ certificateType: 'SVR' })],
  ['source buy', () => ({ source: 'buy' })], ['source upload', () => ({ source: 'upload' })], ['Upload 1', () => ({ source: 'upload' })],
  ['IsSM 1', () => ({ isSm: true })], ['IsSM 0', () => ({ isSm: false })], ['Deployable 1', () => ({ deployable: true })],
  ['Deployable 0', () => ({ deployable: false })], ['expiring', (now) => ({ expiring: { now, until: now + EXPIRING_WINDOW } })],
  ['pending issue', () => ({ pendingIssue: true })], ['project 3', () => ({ projectId: 3 })],
  ['sort ASC', () => ({ expirationSort: 'ASC' })], ['sort DESC', () => ({ expirationSort: 'DESC' })],
  ['sort ASC + status [1]', () => ({ expirationSort: 'ASC', statuses: [1] })], ['SVR + upload', () => ({ certificateType: 'SVR', source: 'upload' })],
  ['Deployable 1 + sort ASC', () => ({ deployable: true, expirationSort: 'ASC' })], ['IsSM 0 + status [1]', () => ({ isSm: false, statuses: [1] })],
  ['SearchKey bench7.', () => ({ searchKey: 'bench7.' })], ['Hostable 1', () => ({})], ['Renew 1', () => ({})],
];

console.log(`DescribeCertificates in the store alone — ${machine()}; ${N} calls per size, one at a time; load average ${loadAvg()}`);
for (const backend of BACKENDS) {
  for (const size of SIZES) {
    const data = await prepareData(backend, size, {}, undefined, { varied: { accounts: ACCOUNTS } });
    // One connection on PostgreSQL, so that its backend's CPU is the server's whole share.
    const stores = await openDatabase(loadConfig({ ...data.env, ...(backend === 'postgres' ? { CERTPORT_DATABASE_POOL_SIZE: '1' } : {}) }));
    try {
      const store = stores.certificates;
      const now = Date.now();
      const query = (a: number, f: number, offset: number, limit: number): CertificateQuery =>
        ({ accountUin: data.accounts[a]!.accountUin, offset, limit, now, ...FILTERS[f]![1](now), ...(process.env.CERTPORT_BENCH_SIDES ? { sides: true } : {}) });
      const totals = await Promise.all(data.accounts.map(async (_, a) =>
        Promise.all(FILTERS.map(async (_f, f) => (await store.listCertificates(query(a, f, 0, 1))).total))));
      const one = async () => {
        const a = randomInt(ACCOUNTS);
        const f = randomInt(FILTERS.length);
        const t0 = performance.now();
        await store.listCertificates(query(a, f, randomInt(Math.max(1, totals[a]![f]! - 9)), 10));
        return { f, ms: performance.now() - t0 };
      };
      for (let i = 0; i < 300; i++) await one();
      statements.clear();
      const byFilter = new Map<string, number[]>();
      const all: number[] = [];
      const session = PROFILE ? new Session() : null;
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const pid = backend === 'postgres' ? (await stores.kysely.executeQuery<{ pid: number }>(CompiledQuery.raw('select pg_backend_pid() as pid'))).rows[0]!.pid : 0;
      const pgCpu0 = pid ? backendCpu(pid) : 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const r = await one();
        all.push(r.ms);
        const name = FILTERS[r.f]![0];
        (byFilter.get(name) ?? byFilter.set(name, []).get(name)!).push(r.ms);
      }
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const pgCpu = pid ? backendCpu(pid) - pgCpu0 : 0;
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join(PROFILE!, `listing-store-${backend}-${size}.cpuprofile`), JSON.stringify(profile));
        session.disconnect();
      }
      const p = percentiles(all);
      console.log(`${backend} ${size.toLocaleString('en')}: ${(((cpu.user + cpu.system) / 1000) / N).toFixed(3)} ms CPU per call, ${(wall / N).toFixed(3)} ms wall (p50 ${p.p50.toFixed(2)}, p99 ${p.p99.toFixed(2)})${pid ? `, PostgreSQL backend ${((pgCpu * 1000) / N).toFixed(3)} ms CPU per call` : ''}${statements.size ? `, ${([...statements.values()].reduce((a, e) => a + e.n, 0) / N).toFixed(2)} statements per call` : ''}; load average ${loadAvg()}`);
      const rows = [...byFilter].map(([name, l]) => ({ name, mean: l.reduce((x, y) => x + y, 0) / l.length, p99: percentiles(l).p99 }));
      for (const r of rows.sort((x, y) => y.mean - x.mean).slice(0, 8)) console.log(`  ${r.name.padEnd(26)} mean ${r.mean.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
      const perFilter = Number(process.env.CERTPORT_BENCH_PER_FILTER ?? 0);
      if (pid && perFilter) {
        // Each filter set's own share of the server's CPU (ticks of 10 ms: n calls at once).
        const seen = new Set<string>();
        const lines: [number, string][] = [];
        for (let f = 0; f < FILTERS.length; f++) {
          const name = FILTERS[f]![0];
          if (seen.has(name)) continue;
          seen.add(name);
          const c0 = backendCpu(pid);
          const w0 = performance.now();
          for (let i = 0; i < perFilter; i++) {
            const a = randomInt(ACCOUNTS);
            await store.listCertificates(query(a, f, randomInt(Math.max(1, totals[a]![f]! - 9)), 10));
          }
          const c = ((backendCpu(pid) - c0) * 1000) / perFilter;
          lines.push([c, `  ${name.padEnd(26)} PostgreSQL ${c.toFixed(3)} ms CPU per call, ${((performance.now() - w0) / perFilter).toFixed(3)} ms wall`]);
        }
        for (const [, l] of lines.sort((x, y) => y[0] - x[0])) console.log(l);
      }
      for (const [text, e] of [...statements].sort((x, y) => y[1].ms - x[1].ms).slice(0, 12)) {
        console.log(`  ${(e.ms / N).toFixed(3)} ms per call, ${e.n} runs, ${(e.ms / e.n).toFixed(3)} ms each: ${text.replace(/\s+/g, ' ').slice(0, 400)}`);
      }
    } finally {
      await stores.close();
      await data.cleanup();
    }
  }
}

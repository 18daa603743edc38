// Benchmark: signed API throughput of DescribeCertificates against a bare Fastify route, in one
// run. The headline is requests no cache can answer: every request a random page (Offset
// uniform over what its filters match) with random filters (none half the time; else one or
// two of status, type, source, SM, deployable, expiring, project, expiry sort, a search key)
// of one of four accounts holding 4:3:2:1 of the certificates, at 10,000 and 100,000 stored
// (bench/lib.ts variedRow), with the default configuration (page cache on). The same request
// repeated (answered from the page cache while nothing changes) is the secondary line.
// `certport serve` and the bare route (bench/bare-server.ts, returning a real answer of the
// same shape) run in their own processes; the wrk-style generator (50 keep-alive connections,
// each request TC3-signed as it is sent) in this one. Alternating rounds; prints req/s,
// p50/p99, CPU of server and generator, the ratios and the load average.
// The varied requests again while another connection commits 10 writes a second (an alias
// changed) show what the page cache and the kept positions, kept while nothing changes, are
// worth when the database is being written to. Two more lines judge the target against the work itself: unfiltered random pages (random
// account and Offset, no filters) sent to certport, and the same requests sent to
// the floor server (bench/floor-server.ts: bare Fastify, the TC3 check and the page's
// statements, nothing else of certport), so that certport's cost shows as a share of what
// such a page cannot do without.
//   node dist/bench/throughput.js
//   CERTPORT_TEST_BACKENDS=sqlite CERTPORT_BENCH_SIZES=10000,100000 CERTPORT_BENCH_SECONDS=8 CERTPORT_BENCH_ROUNDS=2
//   CERTPORT_BENCH_NODE_ENV='{"CERTPORT_DATABASE_POOL_SIZE":"20"}' (extra environment of the node; '{"CERTPORT_PROCESSES":"2"}':
//   two serve processes, their CPU counted with the primary's)
//   CERTPORT_BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (node flags of the measured node)
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BACKENDS } from '../src/testing/harness.js';
import { freePort } from '../src/testing/net.js';
import { Connection, cpuSeconds, load, loadAvg, machine, ms, pgBackendCpu, pgCpuBetween, signedRequest, type Cred, type LoadResult } from './lib.js';
import { BASE_CLI, benchFile, nodeArgs, prepareData, startChild, startNode } from './node.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.CERTPORT_BENCH_ROUNDS ?? 2);
const SIZES = (process.env.CERTPORT_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const NODE_ENV = JSON.parse(process.env.CERTPORT_BENCH_NODE_ENV ?? '{}') as Record<string, string>;
/** CERTPORT_BENCH_LINES=varied: only those lines (to profile one of them; ratios need bare): base, bare, varied, repeat, plain, floor. */
const LINES = (process.env.CERTPORT_BENCH_LINES ?? 'base,bare,varied,written,repeat,plain,floor').split(',');
const NODE_FLAGS = (process.env.CERTPORT_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const CONNECTIONS = 50;
const ACCOUNTS = 4;
const TARGET = { sqlite: 0.3, postgres: 0.2 } as const;

/** The filter sets of the varied requests (each with its TotalCount per account, read before the run). */
const FILTERS: object[] = [
  {}, {}, {}, {}, {}, {}, {}, {}, {}, {},
  { CertificateStatus: [1] }, { CertificateStatus: [0, 4] }, { CertificateStatus: [3] }, { CertificateStatus: [2] },
  { CertificateType: 'CA' }, { CertificateType: 'SVR' }, { FilterSource: 'buy' }, { FilterSource: 'upload' }, { Upload: 1 },
  { IsSM: 1 }, { IsSM: 0 }, { Deployable: 1 }, { Deployable: 0 }, { FilterExpiring: 1 }, { IsPendingIssue: 1 },
  { ProjectId: 3 }, { ExpirationSort: 'ASC' }, { ExpirationSort: 'DESC' }, { ExpirationSort: 'ASC', CertificateStatus: [1] },
  { CertificateType: 'SVR', FilterSource: 'upload' }, { Deployable: 1, ExpirationSort: 'ASC' }, { IsSM: 0, CertificateStatus: [1] },
  { SearchKey: 'bench7.' }, { Hostable: 1 }, { Renew: 1 },
];

console.log(`Signed API throughput — ${machine()}`);
console.log(`${CONNECTIONS} connections, ${SECONDS} s per run after 2 s warm-up, ${ROUNDS} alternating rounds; servers in their own processes, the generator in this one; CERTPORT_RATE_LIMIT=0, page cache on (the default)${Object.keys(NODE_ENV).length ? `, node env ${JSON.stringify(NODE_ENV)}` : ''}; load average ${loadAvg()}`);
const summary: string[] = [];
let missed = 0;
for (const backend of BACKENDS) {
  for (const size of SIZES) {
    const s0 = performance.now();
    const data = await prepareData(backend, size, {}, undefined, { varied: { accounts: ACCOUNTS } });
    console.log(`${backend}, ${size.toLocaleString('en')} stored in ${ACCOUNTS} accounts (${data.accounts.map((a) => a.stored).join(' / ')}), seeded and analysed in ${((performance.now() - s0) / 1000).toFixed(0)} s; load average ${loadAvg()}`);
    const node = await startNode(data, NODE_ENV, NODE_FLAGS);
    // The base build on the same data, its varied rounds between this build's.
    const base = BASE_CLI ? await startNode(data, NODE_ENV, [], BASE_CLI).catch(async (e: unknown) => {
      await node.stop();
      throw e;
    }) : null;
    const barePort = await freePort();
    let bare: Awaited<ReturnType<typeof startChild>> | null = null;
    let floor: Awaited<ReturnType<typeof startChild>> | null = null;
    try {
      // Each filter set's TotalCount per account, so that Offsets fall inside what it matches.
      const conn = new Connection(node.port);
      await conn.ready;
      const call = async (a: Cred, params: object) => {
        const r = await conn.send(signedRequest(node.port, a, 'DescribeCertificates', params));
        const json = JSON.parse(r.body.toString()) as { Response: { Error?: unknown; TotalCount: number } };
        if (json.Response.Error) throw new Error(`${JSON.stringify(params)}: ${r.body.toString().slice(0, 300)}`);
        return { body: r.body, total: json.Response.TotalCount };
      };
      const totals: number[][] = [];
      for (const a of data.accounts) {
        const row: number[] = [];
        for (const f of FILTERS) row.push((await call(a, { ...f, Limit: 1 })).total);
        totals.push(row);
      }
      const repeat = { Limit: 10 };
      const sample = await call(data.accounts[0]!, repeat);
      conn.close();
      const bodyFile = join(data.env.CERTPORT_DATA_DIR!, 'describe-certificates.json');
      writeFileSync(bodyFile, sample.body);
      bare = await startChild([...nodeArgs(benchFile('bare-server')), bodyFile, String(barePort)], {}, barePort);
      // The floor server (bench/floor-server.ts) on the same data, for unfiltered random pages.
      if (LINES.includes('floor')) {
        const credFile = join(data.env.CERTPORT_DATA_DIR!, 'floor-credentials.json');
        writeFileSync(credFile, JSON.stringify(data.accounts));
        const floorPort = await freePort();
        floor = await startChild([...nodeArgs(benchFile('floor-server')), backend === 'sqlite' ? `sqlite:${join(data.env.CERTPORT_DATA_DIR!, 'certport.db')}`
          : `postgres:${data.env.CERTPORT_DATABASE_URL!}#${data.env.CERTPORT_DATABASE_SCHEMA!}`, credFile, String(floorPort)], {}, floorPort);
        // The floor reads the same pages as certport: the same count and ids, in the same order.
        for (const [a, offset] of [[0, 0], [1, 130], [3, Math.max(0, totals[3]![0]! - 10)]] as const) {
          const ids = async (port: number) => {
            const c = new Connection(port);
            await c.ready;
            const r = JSON.parse((await c.send(signedRequest(port, data.accounts[a]!, 'DescribeCertificates', { Offset: offset, Limit: 10 }))).body.toString()) as
              { Response: { TotalCount: number; Certificates: { CertificateId: string }[] } };
            c.close();
            return JSON.stringify([r.Response.TotalCount, r.Response.Certificates.map((x) => x.CertificateId)]);
          };
          const [mine, theirs] = [await ids(node.port), await ids(floorPort)];
          if (mine !== theirs) throw new Error(`the floor's page differs from certport's: ${theirs} against ${mine}`);
        }
      }
      const varied = (port: number) => {
        const a = randomInt(ACCOUNTS);
        const f = randomInt(FILTERS.length);
        const total = totals[a]![f]!;
        return signedRequest(port, data.accounts[a]!, 'DescribeCertificates', { ...FILTERS[f], Offset: randomInt(Math.max(1, total - 9)), Limit: 10 });
      };
      // Unfiltered random pages (no filters, random account and Offset): certport's and the floor's.
      const plain = (port: number) => {
        const a = randomInt(ACCOUNTS);
        return signedRequest(port, data.accounts[a]!, 'DescribeCertificates', { Offset: randomInt(Math.max(1, totals[a]![0]! - 9)), Limit: 10 });
      };
      const runs: Record<'bare' | 'varied' | 'written' | 'repeat' | 'base' | 'baseWritten' | 'plain' | 'floor', LoadResult[]> = { bare: [], varied: [], written: [], repeat: [], base: [], baseWritten: [], plain: [], floor: [] };
      const NAMES = { bare: 'bare Fastify route', varied: 'certport, varied (headline)', written: 'certport, varied, 10 writes/s', repeat: 'certport, one request repeated',
        base: 'base build, varied', baseWritten: 'base build, varied, 10 writes/s', plain: 'certport, unfiltered random page', floor: 'floor, unfiltered random page' };
      for (let round = 1; round <= ROUNDS; round++) {
        for (const which of [...(base ? ['base', 'baseWritten'] as const : []), 'bare', 'varied', 'written', 'repeat', 'plain', ...(floor ? ['floor'] as const : [])] as const) {
          if (!LINES.includes(which === 'baseWritten' ? 'written' : which)) continue;
          const server = which === 'bare' ? bare : which === 'base' || which === 'baseWritten' ? base! : which === 'floor' ? floor! : node;
          const { port, pid } = server;
          const repeated = which === 'repeat' ? signedRequest(port, data.accounts[0]!, 'DescribeCertificates', repeat) : null;
          const bareReq = Buffer.from(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify(repeat).length}\r\n\r\n${JSON.stringify(repeat)}`);
          const sc = cpuSeconds(pid);
          const cc = cpuSeconds();
          const pc = backend === 'postgres' && which !== 'bare' ? pgBackendCpu(pid) : null;
          // `written`: what the service keeps while nothing changes (page cache, kept positions) is
          // dropped 10 times a second by a commit (an alias changed) beside the varied requests.
          const writer = which === 'written' || which === 'baseWritten' ? await aliasWriter(port, data.accounts[0]!, data.templateId) : null;
          const t0 = Date.now();
          const r = await load(port, { connections: CONNECTIONS, seconds: SECONDS, warmup: 2, next: () => (which === 'bare' ? bareReq : which === 'plain' || which === 'floor' ? plain(server.port) : repeated ?? varied(server.port)) });
          const wall = (Date.now() - t0) / 1000;
          const writes = writer ? await writer.stop() : null;
          if (r.errors) throw new Error(`${which}: ${r.errors} errors, first: ${r.firstError}`);
          runs[which].push(r);
          // PostgreSQL's backends serving the node: their CPU per request (warm-up included, as the server's).
          const pgCpu = pc ? pgCpuBetween(pc, pgBackendCpu(pid)) : null;
          const per = (cpu: number) => `${((cpu / (r.rps * wall)) * 1000).toFixed(2)} ms/req`;
          console.log(`  round ${round}: ${NAMES[which].padEnd(32)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${ms(r.p50).padStart(8)}   p99 ${ms(r.p99).padStart(8)}   CPU: server ${(((cpuSeconds(pid) - sc) / wall) * 100).toFixed(0)}% (${per(cpuSeconds(pid) - sc)})${pgCpu === null ? '' : `, PostgreSQL ${((pgCpu / wall) * 100).toFixed(0)}% (${per(pgCpu)})`}, generator ${(((cpuSeconds() - cc) / wall) * 100).toFixed(0)}%   load ${loadAvg()}${writes === null ? '' : `; ${writes} writes`}`);
        }
      }
      const mean = (rs: LoadResult[]) => rs.reduce((a, r) => a + r.rps, 0) / rs.length;
      const ratio = mean(runs.varied) / mean(runs.bare);
      const ok = ratio >= TARGET[backend];
      if (!ok) missed++;
      if (base) console.log(`  base build varied ${mean(runs.base).toFixed(0)} req/s = ${(mean(runs.base) / mean(runs.bare)).toFixed(3)} of bare; this build / base ${(mean(runs.varied) / mean(runs.base)).toFixed(2)}`);
      const head = `${backend} ${String(size / 1000).padStart(3)}k: varied ${mean(runs.varied).toFixed(0).padStart(5)} req/s / bare ${mean(runs.bare).toFixed(0).padStart(5)} = ${ratio.toFixed(3)} (target ≥ ${TARGET[backend]} ${ok ? 'ok' : 'MISS'});  repeated ${mean(runs.repeat).toFixed(0)} req/s = ${(mean(runs.repeat) / mean(runs.bare)).toFixed(2)} (secondary, page cache)`;
      console.log(`  ${head}`);
      summary.push(head);
      if (runs.written.length) {
        const line = `${backend} ${String(size / 1000).padStart(3)}k: varied with 10 writes/s ${mean(runs.written).toFixed(0).padStart(5)} req/s = ${(mean(runs.written) / mean(runs.bare)).toFixed(3)} of bare${runs.baseWritten.length ? `; base build ${mean(runs.baseWritten).toFixed(0)} req/s = ${(mean(runs.baseWritten) / mean(runs.bare)).toFixed(3)}` : ''}`;
        console.log(`  ${line}`);
        summary.push(line);
      }
      if (runs.plain.length) {
        const line = `${backend} ${String(size / 1000).padStart(3)}k: unfiltered random pages ${mean(runs.plain).toFixed(0).padStart(5)} req/s = ${(mean(runs.plain) / mean(runs.bare)).toFixed(3)} of bare${runs.floor.length ? `; floor ${mean(runs.floor).toFixed(0)} req/s = ${(mean(runs.floor) / mean(runs.bare)).toFixed(3)} of bare (certport = ${(mean(runs.plain) / mean(runs.floor)).toFixed(2)} of the floor)` : ''}`;
        console.log(`  ${line}`);
        summary.push(line);
      }
    } finally {
      await bare?.stop();
      await floor?.stop();
      await base?.stop();
      await node.stop();
      await data.cleanup();
    }
  }
}
console.log(`\nsummary (load average at the end ${loadAvg()}):`);
for (const s of summary) console.log(`  ${s}`);
console.log(missed ? `${missed} ratio target(s) MISSED` : 'ratio targets met');

/** Changes the alias of `certId` every 100 ms over a connection of its own until stopped; stop() says how many were written. */
async function aliasWriter(port: number, cred: Cred, certId: string): Promise<{ stop(): Promise<number> }> {
  const conn = new Connection(port);
  await conn.ready;
  let n = 0;
  let busy: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    busy = busy.then(async () => {
      const r = await conn.send(signedRequest(port, cred, 'ModifyCertificateAlias', { CertificateId: certId, Alias: `bench ${n}` }));
      if (r.body.includes('"Error"')) throw new Error(`ModifyCertificateAlias: ${r.body.toString().slice(0, 300)}`);
      n++;
    });
  }, 100);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      conn.close();
      return n;
    },
  };
}

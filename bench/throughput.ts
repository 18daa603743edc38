// Benchmark: signed API throughput. certport (`certport serve` in its own process, 1,000
// certificates stored, CERTPORT_RATE_LIMIT=0) answering TC3-signed DescribeCertificates
// (Limit 10), against a bare Fastify route returning the same JSON body from its own process,
// both loaded by the same wrk-style generator in this process: 50 keep-alive connections over
// loopback, each request signed once per connection (TC3 accepts a byte-identical replay
// within its 300 s window, FACTS.md). Alternating rounds; prints req/s, p50/p99 and the ratio.
// The same request repeated is answered from the page cache (services/page-cache.ts) while
// nothing changes; a third node with the cache off (CERTPORT_PAGE_CACHE_MB=0) shows what each
// request costs when every page is read afresh (a changing account, or always another page).
//   node dist/bench/throughput.js   (CERTPORT_TEST_BACKENDS, CERTPORT_BENCH_SECONDS, CERTPORT_BENCH_ROUNDS)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS } from '../src/testing/harness.js';
import { freePort } from '../src/testing/net.js';
import { Connection, cpuSeconds, load, machine, ms, signedRequest, type LoadResult } from './lib.js';
import { benchFile, nodeArgs, prepareData, startChild, startNode } from './node.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.CERTPORT_BENCH_ROUNDS ?? 2);
const CONNECTIONS = 50;
const PARAMS = { Limit: 10 };

console.log(`Signed API throughput — ${machine()}`);
console.log(`${CONNECTIONS} connections, ${SECONDS} s per run after 2 s warm-up, ${ROUNDS} alternating rounds; servers in their own processes, the load generator in this one; CERTPORT_RATE_LIMIT=0`);
let worst = Infinity;
for (const backend of BACKENDS) {
  const data = await prepareData(backend, 1000);
  const node = await startNode(data);
  const uncached = await startNode(data, { CERTPORT_PAGE_CACHE_MB: '0', CERTPORT_WORKERS: '0' });
  const bodyFile = join(data.env.CERTPORT_DATA_DIR!, 'describe-certificates.json');
  const conn = new Connection(node.port);
  await conn.ready;
  const sample = await conn.send(signedRequest(node.port, data.cred, 'DescribeCertificates', PARAMS));
  conn.close();
  const answer = JSON.parse(sample.body.toString()) as { Response: { TotalCount: number; Error?: unknown } };
  if (answer.Response.Error || answer.Response.TotalCount !== 1000) throw new Error(`unexpected answer: ${sample.body.toString().slice(0, 300)}`);
  writeFileSync(bodyFile, sample.body);
  const barePort = await freePort();
  const bare = await startChild([...nodeArgs(benchFile('bare-server')), bodyFile, String(barePort)], {}, barePort);
  try {
    console.log(`${backend}: DescribeCertificates {"Limit":10} over 1,000 stored answers ${sample.body.length} bytes; the bare route returns the same object`);
    const runs: Record<'bare' | 'certport' | 'uncached', LoadResult[]> = { bare: [], certport: [], uncached: [] };
    const NAMES = { bare: 'bare Fastify route', certport: 'certport, TC3-signed', uncached: 'certport, page cache off' };
    const line = (name: string, r: LoadResult, serverCpu: number, clientCpu: number) =>
      console.log(`  ${name.padEnd(34)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${ms(r.p50).padStart(8)}   p99 ${ms(r.p99).padStart(8)}   errors ${r.errors}   CPU: server ${(serverCpu * 100).toFixed(0)}%, generator ${(clientCpu * 100).toFixed(0)}%`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const which of ['bare', 'certport', 'uncached'] as const) {
        const server = { bare, certport: node, uncached }[which];
        const { port, pid } = server;
        // Signed once per connection for this run (well within the 300 s window).
        const reqs = Array.from({ length: CONNECTIONS }, () => (which === 'bare'
          ? Buffer.from(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify(PARAMS).length}\r\n\r\n${JSON.stringify(PARAMS)}`)
          : signedRequest(port, data.cred, 'DescribeCertificates', PARAMS)));
        const s0 = cpuSeconds(pid);
        const c0 = cpuSeconds();
        const t0 = Date.now();
        const r = await load(port, { connections: CONNECTIONS, seconds: SECONDS, warmup: 2, next: (i) => reqs[i]! });
        const wall = (Date.now() - t0) / 1000;
        if (r.errors) throw new Error(`${which}: ${r.errors} errors, first: ${r.firstError}`);
        runs[which].push(r);
        line(`round ${round}: ${NAMES[which]}`, r, (cpuSeconds(pid) - s0) / wall, (cpuSeconds() - c0) / wall);
      }
    }
    const mean = (rs: LoadResult[]) => rs.reduce((a, r) => a + r.rps, 0) / rs.length;
    const ratio = mean(runs.certport) / mean(runs.bare);
    worst = Math.min(worst, ratio);
    console.log(`  ${backend}: certport ${mean(runs.certport).toFixed(0)} req/s vs bare ${mean(runs.bare).toFixed(0)} req/s: ratio ${ratio.toFixed(2)} (target ≥ 0.5)`);
    console.log(`  ${backend}: with the page cache off ${mean(runs.uncached).toFixed(0)} req/s: ratio ${(mean(runs.uncached) / mean(runs.bare)).toFixed(2)} (every page read afresh)`);
  } finally {
    await uncached.stop();
    await bare.stop();
    await node.stop();
    await data.cleanup();
  }
}
console.log(worst >= 0.5 ? 'ratio target met' : 'ratio target MISSED');

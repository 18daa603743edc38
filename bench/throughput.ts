// Benchmark: signed API throughput. certport (`certport serve` in its own process, 1,000
// certificates stored, CERTPORT_RATE_LIMIT=0) answering TC3-signed DescribeCertificates
// (Limit 10), against a bare Fastify route returning the same JSON body from its own process,
// both loaded by the same wrk-style generator in this process: 50 keep-alive connections over
// loopback, each request signed once per connection (TC3 accepts a byte-identical replay
// within its 300 s window, FACTS.md). Alternating rounds; prints req/s, p50/p99 and the ratio.
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
    const runs: Record<'bare' | 'certport', LoadResult[]> = { bare: [], certport: [] };
    const line = (name: string, r: LoadResult, serverCpu: number, clientCpu: number) =>
      console.log(`  ${name.padEnd(34)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${ms(r.p50).padStart(8)}   p99 ${ms(r.p99).padStart(8)}   errors ${r.errors}   CPU: server ${(serverCpu * 100).toFixed(0)}%, generator ${(clientCpu * 100).toFixed(0)}%`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const which of ['bare', 'certport'] as const) {
        const port = which === 'bare' ? bare.port : node.port;
        const pid = which === 'bare' ? bare.pid : node.pid;
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
        line(`round ${round}: ${which === 'bare' ? 'bare Fastify route' : 'certport, TC3-signed'}`, r, (cpuSeconds(pid) - s0) / wall, (cpuSeconds() - c0) / wall);
      }
    }
    const mean = (rs: LoadResult[]) => rs.reduce((a, r) => a + r.rps, 0) / rs.length;
    const ratio = mean(runs.certport) / mean(runs.bare);
    worst = Math.min(worst, ratio);
    console.log(`  ${backend}: certport ${mean(runs.certport).toFixed(0)} req/s vs bare ${mean(runs.bare).toFixed(0)} req/s: ratio ${ratio.toFixed(2)} (target ≥ 0.5)`);
  } finally {
    await bare.stop();
    await node.stop();
    await data.cleanup();
  }
}
console.log(worst >= 0.5 ? 'ratio target met' : 'ratio target MISSED');

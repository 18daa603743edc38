// Benchmark: resident memory of a certport node (`certport serve`, its own process) with
// 100,000 certificates stored, idle and under load (50 connections of TC3-signed reads:
// first pages, deep pages, searches, Limit 100 pages, single certificates), sampled every
// 100 ms, beside references measured in the same run: an idle `node` doing nothing, and the
// bare Fastify server of bench/throughput.ts idle and under the same load.
//   node dist/bench/memory.js       (CERTPORT_TEST_BACKENDS, CERTPORT_BENCH_ROWS, CERTPORT_BENCH_SECONDS)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS } from '../src/testing/harness.js';
import { freePort } from '../src/testing/net.js';
import { Connection, benchId, load, machine, plainRequest, rssMiB, signedRequest } from './lib.js';
import { benchFile, nodeArgs, prepareData, startChild, startNode, type Child } from './node.js';

const ROWS = Number(process.env.CERTPORT_BENCH_ROWS ?? 100_000);
const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 15);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (n: number) => `${n.toFixed(0).padStart(4)} MiB`;

/** RSS while `work` runs: sampled every 100 ms; returns the peak and the mean. */
async function during(pid: number, work: Promise<unknown>): Promise<{ peak: number; mean: number }> {
  const samples: number[] = [];
  let done = false;
  void work.finally(() => { done = true; });
  while (!done) {
    samples.push(rssMiB(pid));
    await sleep(100);
  }
  await work;
  return { peak: Math.max(...samples), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

console.log(`Resident memory — ${machine()}`);
console.log(`load: 50 keep-alive connections for ${SECONDS} s; RSS from /proc/<pid>/status every 100 ms; CERTPORT_RATE_LIMIT=0, CERTPORT_LOG_LEVEL=silent`);

// References: a node process that does nothing, and the bare Fastify server.
const idleNode = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
await sleep(1500);
console.log(`  reference: node doing nothing                  idle ${mib(rssMiB(idleNode.pid!))}`);
process.kill(idleNode.pid!, 'SIGTERM');

for (const backend of BACKENDS) {
  const t0 = Date.now();
  const data = await prepareData(backend, ROWS);
  console.log(`${backend}: ${ROWS} certificates seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  let node: Child | null = null;
  let bare: Child | null = null;
  try {
    node = await startNode(data);
    await sleep(3000);
    const idle = rssMiB(node.pid);
    const port = node.port;
    // What the load sends: each connection cycles through these signed requests.
    const params: [string, object][] = [
      ['DescribeCertificates', {}],
      ['DescribeCertificates', { Limit: 100 }],
      ['DescribeCertificates', { SearchKey: 'host1234' }],
      ['DescribeCertificates', { ExpirationSort: 'ASC', Offset: 1000 }],
      ['DescribeCertificates', { Offset: ROWS - 20 }],
      ['DescribeCertificate', { CertificateId: benchId(4321) }],
      ['DescribeCertificates', { Tags: [{ TagKey: 'team', TagValue: 't3' }] }],
      ['DescribeCertificates', { Offset: Math.floor(ROWS / 3) }],
    ];
    const reqs = params.map(([action, p]) => signedRequest(port, data.cred, action, p));
    const counters = new Array<number>(50).fill(0);
    const loaded = await during(node.pid, load(port, { connections: 50, seconds: SECONDS, next: (c) => reqs[counters[c]!++ % reqs.length]! }).then((r) => {
      if (r.errors) throw new Error(`${r.errors} errors: ${r.firstError}`);
      console.log(`  certport under load: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
    }));
    await sleep(5000);
    const after = rssMiB(node.pid);
    console.log(`  certport serve, ${backend}, ${ROWS} stored        idle ${mib(idle)}   under load: peak ${mib(loaded.peak)}, mean ${mib(loaded.mean)}   5 s after ${mib(after)}`);

    // The bare server with the same first-page answer, idle and under load.
    const conn = new Connection(port);
    await conn.ready;
    const sample = await conn.send(reqs[0]!);
    conn.close();
    const bodyFile = join(data.env.CERTPORT_DATA_DIR!, 'describe-certificates.json');
    writeFileSync(bodyFile, sample.body);
    const barePort = await freePort();
    bare = await startChild([...nodeArgs(benchFile('bare-server')), bodyFile, String(barePort)], {}, barePort);
    await sleep(3000);
    const bareIdle = rssMiB(bare.pid);
    const bareReq = plainRequest(barePort, '/', {});
    const bareLoaded = await during(bare.pid, load(barePort, { connections: 50, seconds: SECONDS, next: () => bareReq }));
    console.log(`  reference: bare Fastify route (same answer)    idle ${mib(bareIdle)}   under load: peak ${mib(bareLoaded.peak)}, mean ${mib(bareLoaded.mean)}`);
  } finally {
    await bare?.stop();
    await node?.stop();
    await data.cleanup();
  }
}

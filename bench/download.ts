// Benchmark: DownloadCertificate, every format (PEM bundles, PFX, JKS, ZIP), RSA-2048 with a
// chain (issue 27). certport (`certport serve` in its own process, default configuration) with
// STORED certificates, each with its own sealed key: the first download of each of N
// certificates (the headline: nothing built before), then the same N again (repeated), one at a
// time on one keep-alive connection; then N first downloads from 8 connections at once. A bare
// Fastify route returning the same answer is the floor, measured in the same run.
//   node dist/bench/download.js   (CERTPORT_TEST_BACKENDS, CERTPORT_BENCH_REQUESTS; CERTPORT_BENCH_NODE_FLAGS,
//   e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`, go to the node's command line)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BACKENDS } from '../src/testing/harness.js';
import { freePort } from '../src/testing/net.js';
import { Connection, benchId, loadAverage, machine, ms, percentiles, sequential, signedRequest } from './lib.js';
import { benchFile, nodeArgs, prepareData, settle, startChild, startNode } from './node.js';

const N = Number(process.env.CERTPORT_BENCH_REQUESTS ?? 200);
const STORED = 3 * N + 1;
const CONCURRENT = 8;

console.log(`DownloadCertificate, RSA-2048 with chain, all formats — ${machine()}`);
console.log(`${STORED} certificates stored; ${N} sequential first downloads, the same ${N} again, then ${N} first downloads over ${CONCURRENT} connections`);
for (const backend of BACKENDS) {
  const data = await prepareData(backend, STORED, {}, undefined, { alg: 'RSA', withChain: true, ownKeys: true });
  const node = await startNode(data, {}, (process.env.CERTPORT_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean));
  const settled = await settle(data);
  const req = (j: number) => signedRequest(node.port, data.cred, 'DownloadCertificate', { CertificateId: benchId(j) });
  const bodyFile = join(data.env.CERTPORT_DATA_DIR!, 'download-certificate.json');
  const conn = new Connection(node.port);
  await conn.ready;
  const sample = await conn.send(signedRequest(node.port, data.cred, 'DownloadCertificate', { CertificateId: data.templateId }));
  conn.close();
  const answer = JSON.parse(sample.body.toString()) as { Response: { Content?: string; Error?: unknown } };
  if (answer.Response.Error || !answer.Response.Content) throw new Error(`unexpected answer: ${sample.body.toString().slice(0, 300)}`);
  writeFileSync(bodyFile, sample.body);
  const barePort = await freePort();
  const bare = await startChild([...nodeArgs(benchFile('bare-server')), bodyFile, String(barePort)], {}, barePort);
  try {
    console.log(`${backend}: ZIP ${(Buffer.from(answer.Response.Content, 'base64').length / 1024).toFixed(1)} KiB, answer ${(sample.body.length / 1024).toFixed(1)} KiB (load average ${loadAverage()}; background jobs settled after ${(settled / 1000).toFixed(1)} s)`);
    const show = (name: string, lat: number[]) => {
      const p = percentiles(lat);
      console.log(`  ${name.padEnd(44)} p50 ${ms(p.p50).padStart(8)}   p90 ${ms(p.p90).padStart(8)}   p99 ${ms(p.p99).padStart(8)}   load ${loadAverage()}`);
      return p;
    };
    const first = show('first download of each (sequential)', await sequential(node.port, N, req));
    const again = show('repeated download (sequential)', await sequential(node.port, N, req));
    // Concurrent first downloads: certificates N … 2N-1, CONCURRENT at a time.
    let next = N;
    const lat: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENT }, async () => {
      const c = new Connection(node.port);
      await c.ready;
      try {
        while (next < 2 * N) {
          const r = req(next++);
          const s = performance.now();
          const a = await c.send(r);
          lat.push(performance.now() - s);
          if (a.status !== 200 || a.body.includes('"Error"')) throw new Error(`${a.status} ${a.body.subarray(0, 300).toString()}`);
        }
      } finally {
        c.close();
      }
    }));
    const rate = N / ((performance.now() - t0) / 1000);
    const conc = percentiles(lat);
    console.log(`  ${`first downloads, ${CONCURRENT} connections`.padEnd(44)} p50 ${ms(conc.p50).padStart(8)}   p99 ${ms(conc.p99).padStart(8)}   ${rate.toFixed(0)} downloads/s   load ${loadAverage()}`);
    const bareReq = Buffer.from(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${barePort}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    const floor = show('bare Fastify, the same answer (sequential)', await sequential(bare.port, N, () => bareReq));
    console.log(`  ${backend}: first download p50 ${ms(first.p50)} (target < 25 ms), p99 ${ms(first.p99)} (target < 60 ms); repeated p50 ${ms(again.p50)}; bare floor p50 ${ms(floor.p50)}`);
  } finally {
    await bare.stop();
    await node.stop();
    await data.cleanup();
  }
}

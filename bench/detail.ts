// Benchmark: DescribeCertificateDetail of random ids (issue 27). certport (`certport serve` in
// its own process, default configuration: page cache on; 10,000 RSA-2048 certificates with a
// chain and a key, each id read at random so nothing can answer from a cache) against a bare
// Fastify route returning the same detail body, both loaded from this process in one run:
// 50 keep-alive connections, 50 connections opened per request (`Connection: close`, as moto
// answers), and one connection sequentially for the latency of a single request.
// moto (`moto_server`, the AWS ACM emulator the issue compares with) answers ACM's
// DescribeCertificate in the same run when it is installed (new connections only: it closes
// after every answer); it holds MOTO_STORED imported certificates (an import costs it ~130 ms;
// its lookup is a dictionary's, so the count does not change a read). Without moto, the issue's
// figure is printed as a quoted reference.
//   node dist/bench/detail.js   (CERTPORT_TEST_BACKENDS, CERTPORT_BENCH_SECONDS, CERTPORT_BENCH_ROUNDS, CERTPORT_BENCH_SEQUENTIAL)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS } from '../src/testing/harness.js';
import { freePort } from '../src/testing/net.js';
import { Connection, benchId, cpuSeconds, load, loadAverage, loadNewConnections, machine, acmRequest, motoVersion, ms, percentiles, sequential, signedRequest, type LoadResult } from './lib.js';
import { benchFile, nodeArgs, prepareData, settle, startChild, startNode, BASE_CLI } from './node.js';
import { makeChain } from '../src/testing/pki-fixtures.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.CERTPORT_BENCH_ROUNDS ?? 1);
const SEQUENTIAL = Number(process.env.CERTPORT_BENCH_SEQUENTIAL ?? 2000);
const STORED = Number(process.env.CERTPORT_BENCH_STORED ?? 10_000);
const CONNECTIONS = 50;
/** The issue's measurement of moto's DescribeCertificate on this machine kind (load 4-6). */
const MOTO_QUOTED = 129;
const MOTO_STORED = Number(process.env.CERTPORT_BENCH_MOTO_STORED ?? 200);

console.log(`DescribeCertificateDetail of random ids — ${machine()}`);
console.log(`${STORED} RSA-2048 certificates with chain and key; ${CONNECTIONS} connections, ${SECONDS} s per run after 2 s warm-up, ${ROUNDS} round(s); sequential: ${SEQUENTIAL} requests on one connection`);
const rand = (n: number) => Math.floor(Math.random() * n);

/** moto_server on a free port with MOTO_STORED RSA-2048 certificates imported; null when moto is not installed. */
async function startMoto(): Promise<{ port: number; arns: string[]; stop(): Promise<void> } | null> {
  const version = motoVersion();
  if (!version) return null;
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const stop = async () => { if (child.exitCode === null && child.signalCode === null) { process.kill(child.pid!, 'SIGTERM'); await exited; } };
  try {
    for (let i = 0; ; i++) {
      try { await fetch(`http://127.0.0.1:${port}/moto-api/`); break; } catch { if (i > 150) throw new Error('moto_server did not start'); }
      await new Promise((r) => setTimeout(r, 100));
    }
    const ch = await makeChain('RSA', 'bench.example.com');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const arns: string[] = [];
    let k = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (k++ < MOTO_STORED) {
        const c = new Connection(port);
        await c.ready;
        const r = await c.send(acmRequest(port, 'ImportCertificate', { Certificate: b64(ch.leafPem), PrivateKey: b64(ch.keyPem), CertificateChain: b64(ch.intermediatePem + ch.rootPem) }));
        c.close();
        arns.push((JSON.parse(r.body.toString()) as { CertificateArn: string }).CertificateArn);
      }
    }));
    console.log(`moto ${version}: ${arns.length} RSA-2048 certificates imported`);
    return { port, arns, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
const moto = await startMoto();
if (!moto) console.log(`moto_server is not installed; the issue measured moto's DescribeCertificate at ${MOTO_QUOTED} req/s (new connection, load 4-6): quoted, not measured here`);
try {
for (const backend of BACKENDS) {
  const data = await prepareData(backend, STORED, {}, undefined, { alg: 'RSA', withChain: true, ownKeys: true });
  const ids = [data.templateId, ...Array.from({ length: STORED - 1 }, (_, j) => benchId(j))];
  const node = await startNode(data);
  const settled = await settle(data);
  // The base build on the same data, measured in the same rounds.
  const base = BASE_CLI ? await startNode(data, {}, [], BASE_CLI) : null;
  const bodyFile = join(data.env.CERTPORT_DATA_DIR!, 'describe-certificate-detail.json');
  const conn = new Connection(node.port);
  await conn.ready;
  const sample = await conn.send(signedRequest(node.port, data.cred, 'DescribeCertificateDetail', { CertificateId: ids[rand(ids.length)] }));
  conn.close();
  const answer = JSON.parse(sample.body.toString()) as { Response: { CertificatePrivateKey?: string; Error?: unknown } };
  if (answer.Response.Error || !answer.Response.CertificatePrivateKey) throw new Error(`unexpected answer: ${sample.body.toString().slice(0, 300)}`);
  writeFileSync(bodyFile, sample.body);
  const barePort = await freePort();
  const bare = await startChild([...nodeArgs(benchFile('bare-server')), bodyFile, String(barePort)], {}, barePort);
  // Signed per request (a TC3 signature is ~20 µs here): each request a random id.
  const baseReq = () => signedRequest(base!.port, data.cred, 'DescribeCertificateDetail', { CertificateId: ids[rand(ids.length)] });
  const certport = () => signedRequest(node.port, data.cred, 'DescribeCertificateDetail', { CertificateId: ids[rand(ids.length)] });
  const bareReq = Buffer.from(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${barePort}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
  try {
    console.log(`${backend}: one answer is ${sample.body.length} bytes; the bare route returns the same object (load average ${loadAverage()}; background jobs settled after ${(settled / 1000).toFixed(1)} s)`);
    const line = (name: string, r: LoadResult, serverCpu: number) =>
      console.log(`  ${name.padEnd(40)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${ms(r.p50).padStart(8)}   p99 ${ms(r.p99).padStart(8)}   server CPU ${(serverCpu * 100).toFixed(0)}%   load ${loadAverage()}`);
    const runs: Record<string, LoadResult[]> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      if (moto) {
        const r = await loadNewConnections(moto.port, { connections: CONNECTIONS, seconds: SECONDS, warmup: 2,
          next: () => acmRequest(moto.port, 'DescribeCertificate', { CertificateArn: moto.arns[rand(moto.arns.length)] }) });
        if (r.errors) throw new Error(`moto: ${r.errors} errors, first: ${r.firstError}`);
        (runs.moto ??= []).push(r);
        console.log(`  ${`round ${round}: moto DescribeCertificate (new conn.)`.padEnd(40)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${ms(r.p50).padStart(8)}   p99 ${ms(r.p99).padStart(8)}   load ${loadAverage()}`);
      }
      for (const [name, server, fresh] of [['bare keep-alive', bare, false], ['certport keep-alive', node, false], ['bare new connection', bare, true], ['certport new connection', node, true],
        ...(base ? [['base keep-alive', base, false], ['base new connection', base, true]] as const : [])] as const) {
        const next = server === bare ? () => bareReq : server === base ? baseReq : certport;
        const s0 = cpuSeconds(server.pid);
        const t0 = Date.now();
        const r = fresh
          ? await loadNewConnections(server.port, { connections: CONNECTIONS, seconds: SECONDS, warmup: 2, next })
          : await load(server.port, { connections: CONNECTIONS, seconds: SECONDS, warmup: 2, next });
        if (r.errors) throw new Error(`${name}: ${r.errors} errors, first: ${r.firstError}`);
        (runs[name] ??= []).push(r);
        line(`round ${round}: ${name}`, r, (cpuSeconds(server.pid) - s0) / ((Date.now() - t0) / 1000));
      }
    }
    const mean = (name: string) => runs[name]!.reduce((a, r) => a + r.rps, 0) / runs[name]!.length;
    await sequential(node.port, 200, certport); // warm-up
    const seq = percentiles(await sequential(node.port, SEQUENTIAL, certport));
    const bareSeq = percentiles(await sequential(bare.port, SEQUENTIAL, () => bareReq));
    console.log(`  ${backend}: keep-alive certport/bare ${(mean('certport keep-alive') / mean('bare keep-alive')).toFixed(2)}; new connection certport/bare ${(mean('certport new connection') / mean('bare new connection')).toFixed(2)}`);
    if (base) console.log(`  ${backend}: this build / base: keep-alive ${(mean('certport keep-alive') / mean('base keep-alive')).toFixed(2)}, new connection ${(mean('certport new connection') / mean('base new connection')).toFixed(2)}`);
    const motoRps = moto ? mean('moto') : MOTO_QUOTED;
    const motoName = moto ? `moto ${motoRps.toFixed(0)} req/s, same run` : `moto quoted ${MOTO_QUOTED} req/s`;
    console.log(`  ${backend}: certport/moto (${motoName}): new connection ${(mean('certport new connection') / motoRps).toFixed(1)}× (target ≥ 3×), keep-alive ${(mean('certport keep-alive') / motoRps).toFixed(1)}×`);
    console.log(`  ${backend}: sequential certport p50 ${ms(seq.p50)} p90 ${ms(seq.p90)} p99 ${ms(seq.p99)} (target p50 < 1.5 ms); bare p50 ${ms(bareSeq.p50)} p99 ${ms(bareSeq.p99)}   load ${loadAverage()}`);
  } finally {
    await bare.stop();
    await base?.stop();
    await node.stop();
    await data.cleanup();
  }
}
} finally {
  await moto?.stop();
}

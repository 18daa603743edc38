// Benchmark (issue 24): OCSP answers per second for one known serial, certport's responder
// (`certport serve`, its own process, SQLite or CERTPORT_BENCH_BACKEND=postgres) against
// `openssl ocsp -index … -port` answering the same request for the same certificate with a
// responder certificate of the same intermediate, on the same machine, in one run. The same
// client for both: N keep-alive connections in a closed loop (node:http, reconnecting when a
// server closes), POST of a request without a nonce. Two rows for certport: every answer signed
// afresh (CERTPORT_OCSP_CACHE_SECONDS=0) and the default cache.
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.js';
import { openCore } from '../src/main.js';
import { generateKeyPair, spkiOf } from '../src/pki/keys.js';
import { buildResponderCertificate } from '../src/pki/ocsp.js';
import { toPem } from '../src/pki/pem.js';
import { run } from '../src/testing/pki-fixtures.js';
import { freePort } from '../src/testing/net.js';
import type { Backend } from '../src/testing/harness.js';
import { machine } from './lib.js';
import { prepareData, startNode } from './node.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CERTPORT_BENCH_CONNECTIONS ?? 16);
const BACKEND = (process.env.CERTPORT_BENCH_BACKEND ?? 'sqlite') as Backend;

async function loadOcsp(port: number, body: Buffer, expect: RegExp): Promise<{ rps: number; errors: number; p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const lat: number[] = [];
  let errors = 0;
  const post = () => new Promise<Buffer>((ok, fail) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ocsp', method: 'POST', agent, headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok(Buffer.concat(chunks)));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
  // The first answer is checked by openssl (good, for this serial); the rest by their size.
  const first = await post();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ocsp-bench-'));
  writeFileSync(path.join(dir, 'r.der'), first);
  const text = run('openssl', ['ocsp', '-respin', path.join(dir, 'r.der'), '-resp_text', '-noverify']);
  rmSync(dir, { recursive: true, force: true });
  if (!expect.test(text)) throw new Error(`unexpected answer: ${text.slice(0, 400)}`);
  const warmupUntil = performance.now() + 1000;
  const stopAt = warmupUntil + SECONDS * 1000;
  let counted = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < stopAt) {
      const s = performance.now();
      let r: Buffer;
      try {
        r = await post();
      } catch {
        errors++;
        continue;
      }
      const e = performance.now();
      if (s < warmupUntil) continue;
      counted++;
      lat.push(e - s);
      if (Math.abs(r.length - first.length) > 8) errors++;
    }
  }));
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { rps: counted / SECONDS, errors, p50: lat[Math.floor(lat.length / 2)] ?? NaN, p99: lat[Math.floor(lat.length * 0.99)] ?? NaN };
}

async function main(): Promise<void> {
  console.log(`${machine()}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${CONNECTIONS} connections, ${SECONDS} s each, ${BACKEND}`);
  const data = await prepareData(BACKEND, 0);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ocsp-bench-'));
  const f = (n: string) => path.join(dir, n);
  const children: { stop(): Promise<void> }[] = [];
  try {
    // A certificate of the embedded ECDSA intermediate, known to the database by its serial, and
    // a responder certificate for openssl from the same intermediate.
    const core = await openCore(loadConfig(data.env));
    let serialHex: string;
    try {
      const key = generateKeyPair('ECC', 'prime256v1');
      const leaf = core.ca.issuer.issueSync({ publicKeyPem: key.publicKeyPem, domains: ['ocsp-bench.example.test'], validityDays: 90 });
      serialHex = leaf.serialHex;
      const up = await core.services.certificates.upload({ accountUin: data.cred.accountUin, userUin: data.cred.accountUin },
        { publicKey: leaf.certPem + leaf.chainPems.join(''), privateKey: key.privateKeyPem });
      // Stored as certport's own issue (as ApplyCertificate would), so OCSP knows the serial.
      await core.stores.kysely.updateTable('certificates').set({ source: 'embedded' }).where('id', '=', up.certificateId).execute();
      writeFileSync(f('leaf.pem'), leaf.certPem);
      writeFileSync(f('inter.pem'), leaf.chainPems[0]!);
      writeFileSync(f('root.pem'), leaf.rootPem);
      const ca = core.ca.issuer.signingCas().find((c) => c.name === 'ecc')!;
      const rk = generateKeyPair('ECC', 'prime256v1');
      const now = Date.now();
      const rcert = buildResponderCertificate({
        issuerName: ca.subjectName, issuerKeyId: ca.keyId, signer: ca.signer, spki: spkiOf(createPublicKey(rk.publicKeyPem)),
        commonName: 'openssl OCSP responder', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000),
      });
      writeFileSync(f('rcert.pem'), toPem('CERTIFICATE', rcert));
      writeFileSync(f('rkey.pem'), rk.privateKeyPem);
      const notAfter = leaf.notAfter.toISOString().replace(/\D/g, '').slice(2, 14) + 'Z';
      writeFileSync(f('index.txt'), `V\t${notAfter}\t\t${serialHex.toUpperCase()}\tunknown\t/CN=ocsp-bench.example.test\n`);
    } finally {
      await core.close();
    }
    run('openssl', ['ocsp', '-issuer', f('inter.pem'), '-cert', f('leaf.pem'), '-no_nonce', '-reqout', f('req.der')]);
    const body = readFileSync(f('req.der'));
    const rows: [string, Awaited<ReturnType<typeof loadOcsp>>][] = [];

    for (const [label, env] of [['certport, signed on demand (cache 0 s)', { CERTPORT_OCSP_CACHE_SECONDS: '0' }], ['certport, default (answers kept 60 s)', {}]] as const) {
      const node = await startNode(data, { ...env, CERTPORT_WORKERS: '0' });
      children.push(node);
      rows.push([label, await loadOcsp(node.port, body, /Cert Status: good/)]);
      await node.stop();
      children.pop();
    }

    const port = await freePort();
    const ossl = spawn('openssl', ['ocsp', '-index', f('index.txt'), '-port', String(port), '-rsigner', f('rcert.pem'), '-rkey', f('rkey.pem'),
      '-CA', f('inter.pem'), '-nmin', '240', '-ignore_err'], { stdio: 'ignore' });
    const stopOssl = async () => { if (ossl.exitCode === null) { ossl.kill('SIGTERM'); await new Promise((r) => ossl.once('exit', r)); } };
    children.push({ stop: stopOssl });
    for (let i = 0; i < 50; i++) {
      try {
        await new Promise<void>((ok, fail) => http.get({ host: '127.0.0.1', port, path: '/' }, (r) => { r.resume(); ok(); }).on('error', fail));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    rows.push(['openssl ocsp -index -port (one process)', await loadOcsp(port, body, /Cert Status: good/)]);
    await stopOssl();
    children.pop();

    console.log('\n| responder | answers/s | p50 | p99 | errors |\n| --- | --- | --- | --- | --- |');
    for (const [label, r] of rows) console.log(`| ${label} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.errors} |`);
  } finally {
    for (const c of children) await c.stop();
    rmSync(dir, { recursive: true, force: true });
    await data.cleanup();
  }
}

await main();

// Benchmark (issue 22): how responsive a certport node stays while one account sends it the
// costliest input it takes. A node runs as its own process (`certport serve`, SQLite); GET
// /healthz is timed from a worker thread every 20 ms (latency from when each probe was due).
//   1. The issue's input: a leaf and 999 CA certificates (~540 KB) uploaded once, then read
//      back (DescribeCertificateDetail) and downloaded: each call's time, and /healthz meanwhile.
//   2. For CERTPORT_BENCH_SECONDS (20): two clients in a loop, one uploading the worst input
//      the caps accept (the longest chain, the most names, the largest RSA key), one
//      downloading a certificate with its PFX and JKS: /healthz p50/p99 (target p99 < 50 ms).
import { performance } from 'node:perf_hooks';
import { costChain, rsaKey } from '../src/testing/cost-fixtures.js';
import { sdkClient, type SslClient } from '../src/testing/harness.js';
import { startHealthzProbe, type ProbeReport } from '../src/testing/healthz-probe.js';
import { makeChain } from '../src/testing/pki-fixtures.js';
import { machine } from './lib.js';
import { prepareData, startNode } from './node.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 20);
/** The worst accepted upload: the caps of pki/limits.ts (10 certificates, 250 names, RSA 8192). */
const WORST = { cas: 9, sans: 250, rsaBits: 8192 };

const fmt = (r: ProbeReport) => `/healthz p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  max ${r.max.toFixed(1)} ms  (${r.count} probes, ${r.failures} failed)`;

async function timed<T>(what: string, f: () => Promise<T>): Promise<T | Error> {
  const t0 = performance.now();
  try {
    const r = await f();
    console.log(`    ${what}: ${(performance.now() - t0).toFixed(0)} ms`);
    return r;
  } catch (e) {
    console.log(`    ${what}: ${(performance.now() - t0).toFixed(0)} ms, refused: ${(e as { code?: string }).code ?? ''} ${(e as Error).message.slice(0, 160)}`);
    return e as Error;
  }
}

async function issueInput(client: SslClient, port: number): Promise<void> {
  const big = costChain({ cas: 999 });
  const pem = big.pems.join('');
  console.log(`1. a leaf + 999 CA certificates (${(pem.length / 1024).toFixed(0)} KiB)`);
  const probe = startHealthzProbe(port);
  const up = await timed('UploadCertificate', () => client.UploadCertificate({ CertificatePublicKey: pem, CertificatePrivateKey: big.keyPem }));
  if (!(up instanceof Error)) {
    const id = up.CertificateId!;
    for (let i = 0; i < 3; i++) await timed(`DescribeCertificateDetail #${i + 1}`, () => client.DescribeCertificateDetail({ CertificateId: id }));
    await timed('DescribeCertificates', () => client.DescribeCertificates({}));
    await timed('DownloadCertificate', () => client.DownloadCertificate({ CertificateId: id }));
  }
  console.log(`    ${fmt(await probe.stop())}`);
}

async function worstLoop(client: SslClient, port: number): Promise<void> {
  const worst = costChain({ cas: WORST.cas, sans: WORST.sans, leafKey: rsaKey(WORST.rsaBits) });
  const pem = worst.pems.join('');
  const rsa = await makeChain('RSA', 'download.bench.test');
  const dl = (await client.UploadCertificate({ CertificatePublicKey: rsa.leafPem + rsa.intermediatePem + rsa.rootPem, CertificatePrivateKey: rsa.keyPem })).CertificateId!;
  console.log(`2. ${SECONDS} s: uploads of ${WORST.cas + 1} certificates, ${WORST.sans} names, RSA ${WORST.rsaBits} (${(pem.length / 1024).toFixed(0)} KiB) in a loop, beside downloads (PFX, JKS) in a loop`);
  const until = performance.now() + SECONDS * 1000;
  const counts = { uploads: 0, uploadErrors: 0, downloads: 0 };
  const uploadMs: number[] = [];
  const probe = startHealthzProbe(port);
  await Promise.all([
    (async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          await client.UploadCertificate({ CertificatePublicKey: pem, CertificatePrivateKey: worst.keyPem, Repeatable: true });
          counts.uploads++;
        } catch {
          counts.uploadErrors++;
        }
        uploadMs.push(performance.now() - t0);
      }
    })(),
    (async () => {
      while (performance.now() < until) {
        await client.DownloadCertificate({ CertificateId: dl });
        counts.downloads++;
      }
    })(),
  ]);
  const r = await probe.stop();
  uploadMs.sort((a, b) => a - b);
  console.log(`    ${counts.uploads} uploads (${counts.uploadErrors} refused, median ${(uploadMs[uploadMs.length >> 1] ?? 0).toFixed(0)} ms), ${counts.downloads} downloads`);
  console.log(`    ${fmt(r)}   target p99 < 50 ms`);
}

console.log(machine());
const data = await prepareData('sqlite', 1);
const node = await startNode(data);
try {
  const client = sdkClient(node.port, data.cred);
  await issueInput(client, node.port);
  await worstLoop(client, node.port);
} finally {
  await node.stop();
  await data.cleanup();
}

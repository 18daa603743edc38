// Benchmark: one DownloadCertificate (every format: PEM bundles, PFX, JKS, ZIP) through the
// official SDK, for RSA-2048 and EC P-256 certificates with a chain. Prints ms per download.
import { performance } from 'node:perf_hooks';
import { makeChain } from '../src/testing/pki-fixtures.js';
import { startTestService } from '../src/testing/harness.js';

const N = Number(process.env.CERTPORT_BENCH_REQUESTS ?? 50);
const t = await startTestService('sqlite');
try {
  console.log(`DownloadCertificate, ${N} sequential downloads each (SQLite, rate limit off)`);
  for (const alg of ['RSA', 'EC'] as const) {
    const ch = await makeChain(alg, `${alg.toLowerCase()}.bench.test`);
    const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem + ch.rootPem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
    await t.client.DownloadCertificate({ CertificateId: id });
    const lat: number[] = [];
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      const r = await t.client.DownloadCertificate({ CertificateId: id });
      lat.push(performance.now() - s);
      bytes = Buffer.from(r.Content!, 'base64').length;
    }
    lat.sort((a, b) => a - b);
    console.log(`  ${alg.padEnd(4)} p50 ${lat[Math.floor(N / 2)]!.toFixed(1)} ms   p90 ${lat[Math.floor(N * 0.9)]!.toFixed(1)} ms   zip ${(bytes / 1024).toFixed(1)} KiB`);
  }
} finally {
  await t.close();
}

// Benchmark: DescribeCertificates and DescribeCertificateDetail through the official SDK on a
// store holding 100k certificates (SQLite and PostgreSQL). Prints requests/s and latency
// percentiles per query shape. Run: npm run bench (CERTPORT_BENCH_ROWS to change the size).
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { makeChain } from '../src/pki/test-fixtures.js';
import type { CertificateRecord } from '../src/store/types.js';
import { BACKENDS, startTestService, type SslClient } from '../src/testing/harness.js';

const ROWS = Number(process.env.CERTPORT_BENCH_ROWS ?? 100_000);
const N = Number(process.env.CERTPORT_BENCH_REQUESTS ?? 300);
const CONCURRENCY = 4;

async function measure(name: string, fn: (i: number) => Promise<unknown>) {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      const i = next++;
      const s = performance.now();
      await fn(i);
      lat.push(performance.now() - s);
    }
  }));
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(1);
  console.log(`  ${name.padEnd(44)} ${(N / (total / 1000)).toFixed(0).padStart(6)} req/s   p50 ${p(0.5)} ms   p99 ${p(0.99)} ms`);
}

const chain = await makeChain('EC', 'bench.example.com');
console.log(`DescribeCertificates with ${ROWS} certificates in one account; ${N} requests per line, ${CONCURRENCY} concurrent; rate limit off`);
for (const backend of BACKENDS) {
  const t = await startTestService(backend);
  try {
    const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    const template = await t.svc.core.services.certificates.get({ accountUin: t.cred.accountUin, userUin: t.cred.accountUin }, up.CertificateId!);
    const s0 = performance.now();
    const day = 86_400_000;
    const now = Date.now();
    for (let i = 0; i < ROWS; i += 5000) {
      const batch: CertificateRecord[] = [];
      for (let j = i; j < Math.min(ROWS, i + 5000); j++) {
        batch.push({
          ...template, id: 'b' + j.toString(36).padStart(7, '0'), domain: `host${j}.bench${j % 100}.example.com`, sans: [`host${j}.bench${j % 100}.example.com`],
          alias: `cert ${j}`, projectId: j % 10, notAfter: now + ((j % 400) - 20) * day, createdAt: now - (ROWS - j) * 1000,
          fingerprintSha1: j.toString(16).padStart(40, '0'), tags: j % 50 === 0 ? [{ key: 'team', value: `t${j % 7}` }] : [],
        });
      }
      await t.svc.core.store.bulkInsertCertificates(batch);
    }
    // Planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would have them.
    await sql`analyze`.execute(t.svc.core.store.kysely);
    console.log(`${backend}: seeded ${ROWS} rows in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
    const c: SslClient = t.client;
    await measure('first page (Limit 10, newest first)', () => c.DescribeCertificates({}));
    await measure('page at Offset 50000 (Limit 10)', () => c.DescribeCertificates({ Offset: Math.min(50_000, ROWS - 10), Limit: 10 }));
    await measure('SearchKey fuzzy domain (Limit 10)', (i) => c.DescribeCertificates({ SearchKey: `host${(i * 7919) % ROWS}.` }));
    await measure('FilterExpiring=1 (Limit 10)', () => c.DescribeCertificates({ FilterExpiring: 1 }));
    await measure('ExpirationSort ASC + ProjectId (Limit 10)', () => c.DescribeCertificates({ ExpirationSort: 'ASC', ProjectId: 3 }));
    await measure('Tags filter (Limit 10)', () => c.DescribeCertificates({ Tags: [{ TagKey: 'team', TagValue: 't3' }] }));
    await measure('CertIds (3 ids)', (i) => c.DescribeCertificates({ CertIds: ['b' + (i % ROWS).toString(36).padStart(7, '0'), 'b0000001', up.CertificateId!] }));
    await measure('Limit 1000', () => c.DescribeCertificates({ Limit: 1000 }), );
    await measure('DescribeCertificateDetail (decrypts the key)', () => c.DescribeCertificateDetail({ CertificateId: up.CertificateId! }));
  } finally {
    await t.close();
  }
}

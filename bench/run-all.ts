// Runs every benchmark in sequence, each in its own process (so one's heap and connections
// never weigh on the next), with the machine's load before each. Arguments narrow the list:
//   node dist/bench/run-all.js                  all of them (about 18 minutes on 2 cores)
//   node dist/bench/run-all.js listing memory   only those
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { benchFile, nodeArgs } from './node.js';

const ALL = [
  ['listing-check', 'listing queries checked against a plain evaluation (SQLite, PostgreSQL)'],
  ['throughput', 'signed API throughput vs a bare Fastify route'],
  ['listing', 'DescribeCertificates with 100k (SQLite) / 1M (PostgreSQL) certificates'],
  ['issuance', 'embedded CA issuance vs openssl speed and node:crypto.sign'],
  ['memory', 'resident memory idle and under load, 100k certificates'],
  ['detail', 'DescribeCertificateDetail of random ids vs a bare Fastify route (moto quoted), 10,000 certificates'],
  ['download', 'DownloadCertificate RSA-2048 all formats: first download of each, repeated'],
  ['writes', 'one certificate inserted and deleted through the store, 100k stored'],
  ['sync', 'UploadCertificate throughput with SQLite synchronous=FULL vs NORMAL'],
  ['tls', 'TLS handshakes/s and signed requests/s over the HTTPS listener vs plain HTTP'],
  ['pkcs11', 'embedded CA signing through a SoftHSM2 token vs software keys'],
  ['ocsp', 'OCSP answers/s for a known serial vs openssl ocsp -index -port'],
  ['console', 'the console in Chromium: first load, the list with 10,000 certificates'],
  ['acme-server', 'full ACME orders/s (newOrder, http-01, finalize, download) with acme-client, certport vs Pebble'],
] as const;

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !ALL.some(([name]) => name === w));
if (unknown.length) {
  console.error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${ALL.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const [name, what] of ALL) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n=== ${name}: ${what} (load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, nodeArgs(benchFile(name)), { stdio: 'inherit' });
  console.log(`=== ${name}: ${r.status === 0 ? 'done' : `FAILED (${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

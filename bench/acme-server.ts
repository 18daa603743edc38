// Benchmark (issue 26): full ACME orders per second — newOrder → http-01 → finalize → download —
// with CLIENTS acme-client clients at once (each its own account, each order a name of its
// own), against certport's ACME server (`certport serve`, its own process, its HTTPS listener,
// SQLite or CERTPORT_BENCH_BACKEND=postgres) and against Debian's Pebble (PEBBLE_VA_NOSLEEP=1,
// PEBBLE_WFE_NONCEREJECT=0), on this machine in one run. Both resolve names through the same
// pebble-challtestsrv (every A query: 127.0.0.1) and fetch http-01 tokens from the same small
// web server in this process. The same client settings for both (polling every 20-500 ms);
// every downloaded chain is checked to hold a leaf and an intermediate, and certport's
// DescribeCertificates must list every certificate it issued.
import { createServer } from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as acme from 'acme-client';
import { run } from '../src/testing/pki-fixtures.js';
import { freePort } from '../src/testing/net.js';
import { startChallTestSrv } from '../src/testing/dns-servers.js';
import { startPebble } from '../src/testing/pebble.js';
import { sdkClient, type Backend } from '../src/testing/harness.js';
import { machine } from './lib.js';
import { prepareData, startNode } from './node.js';

const CLIENTS = Number(process.env.CERTPORT_BENCH_CLIENTS ?? 8);
const ORDERS = Number(process.env.CERTPORT_BENCH_ORDERS ?? 200);
const BACKEND = (process.env.CERTPORT_BENCH_BACKEND ?? 'sqlite') as Backend;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

interface Result { label: string; orders: number; seconds: number; perSecond: number; p50: number; p99: number; loadBefore: string; loadAfter: string }

/** http-01 tokens for both servers' validators. */
const tokens = new Map<string, string>();

async function measure(label: string, directoryUrl: string, ca: string, csrs: Buffer[], domain: string): Promise<Result> {
  acme.axios.defaults.httpsAgent = new https.Agent({ ca, keepAlive: true, maxSockets: CLIENTS * 2 });
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const c = new acme.Client({ directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 20, backoffMax: 500, backoffAttempts: 30 });
    await c.createAccount({ termsOfServiceAgreed: true });
    return c;
  }));
  let next = 0;
  const oneOrder = async (c: acme.Client, n: number) => {
    const name = `o${n}.${domain}`;
    const order = await c.createOrder({ identifiers: [{ type: 'dns', value: name }] });
    const [authz] = await c.getAuthorizations(order);
    const ch = authz!.challenges.find((x) => x.type === 'http-01')!;
    tokens.set(ch.token, await c.getChallengeKeyAuthorization(ch));
    await c.completeChallenge(ch);
    await c.waitForValidStatus(order);
    const done = await c.finalizeOrder(order, csrs[n]!);
    const pem = await c.getCertificate(done);
    tokens.delete(ch.token);
    if ((pem.match(/BEGIN CERTIFICATE/g) ?? []).length < 2) throw new Error(`${label}: a chain without its intermediate for ${name}`);
  };
  // One order per client first (connections, JIT), not counted.
  await Promise.all(clients.map((c, i) => oneOrder(c, ORDERS + i)));
  const loadBefore = load();
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(clients.map(async (c) => {
    for (let n = next++; n < ORDERS; n = next++) {
      const s = performance.now();
      await oneOrder(c, n);
      lat.push(performance.now() - s);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  (acme.axios.defaults.httpsAgent as https.Agent).destroy();
  return { label, orders: ORDERS, seconds, perSecond: ORDERS / seconds, p50: lat[Math.floor(lat.length / 2)]!, p99: lat[Math.floor(lat.length * 0.99)]!, loadBefore, loadAfter: load() };
}

async function main() {
  console.log(`acme-server: ${machine()}; ${CLIENTS} acme-client clients, ${ORDERS} orders each server (one name, http-01, ECDSA P-256 CSR); certport on ${BACKEND}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acme-bench-'));
  const dns = await startChallTestSrv();
  const web = createServer((req, res) => {
    const m = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    const ka = m ? tokens.get(m[1]!) : undefined;
    res.writeHead(ka ? 200 : 404, { 'content-type': 'text/plain' }).end(ka ?? 'no such token');
  });
  const httpPort = await freePort();
  await new Promise<void>((ok) => web.listen(httpPort, '127.0.0.1', ok));

  // The CSRs, made before either run (the same key; names o<n>.<server's domain>).
  const keyPem = await acme.crypto.createPrivateEcdsaKey();
  const csrsFor = async (domain: string) => Promise.all(Array.from({ length: ORDERS + CLIENTS }, async (_, n) =>
    (await acme.crypto.createCsr({ commonName: `o${n}.${domain}`, altNames: [`o${n}.${domain}`] }, keyPem))[1]));
  const [certportCsrs, pebbleCsrs] = [await csrsFor('certport.bench.test'), await csrsFor('pebble.bench.test')];

  const results: Result[] = [];
  // certport: its HTTPS listener with an operator certificate for 127.0.0.1 (as the ACME tests).
  const tlsCert = path.join(dir, 'tls.crt');
  const tlsKey = path.join(dir, 'tls.key');
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', tlsKey, '-out', tlsCert]);
  const tlsPort = await freePort();
  const data = await prepareData(BACKEND, 1);
  const node = await startNode(data, {
    CERTPORT_TLS_PORT: String(tlsPort), CERTPORT_TLS_CERT_FILE: tlsCert, CERTPORT_TLS_KEY_FILE: tlsKey,
    CERTPORT_PUBLIC_URL: `https://127.0.0.1:${tlsPort}`, CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_ALLOW_PRIVATE: '1',
    CERTPORT_VALIDATION_HTTP_PORT: String(httpPort),
    // Open mode: the clients' accounts belong to the bootstrap account (no binding to make per client).
    CERTPORT_ACME_SERVER_EAB: 'optional', CERTPORT_ACME_SERVER_DEFAULT_ACCOUNT: data.cred.accountUin,
    CERTPORT_ACME_SERVER_ORDERS_PER_HOUR: '0', CERTPORT_ACME_SERVER_CERTS_PER_DOMAIN_PER_WEEK: '0',
  });
  try {
    results.push(await measure(`certport (${BACKEND})`, `https://127.0.0.1:${tlsPort}/acme/directory`, readFileSync(tlsCert, 'utf8'), certportCsrs, 'certport.bench.test'));
    const listed = await sdkClient(node.port, data.cred).DescribeCertificates({ Limit: 1, SearchKey: 'certport.bench.test' });
    if (listed.TotalCount !== ORDERS + CLIENTS) throw new Error(`DescribeCertificates lists ${listed.TotalCount} ACME certificates, expected ${ORDERS + CLIENTS}`);
  } finally {
    await node.stop();
    await data.cleanup();
  }

  const pebble = await startPebble({ dnsServer: dns.dns, httpPort });
  try {
    results.push(await measure('Pebble (Debian)', pebble.directoryUrl, readFileSync(pebble.tlsCaFile, 'utf8'), pebbleCsrs, 'pebble.bench.test'));
  } finally {
    await pebble.dispose();
  }
  await new Promise<void>((ok) => web.close(() => ok()));
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });

  console.log('\n| server | orders | seconds | orders/s | p50 | p99 | load before → after |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    console.log(`| ${r.label} | ${r.orders} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(0)} ms | ${r.p99.toFixed(0)} ms | ${r.loadBefore} → ${r.loadAfter} |`);
  }
  console.log(`\ncertport / Pebble: ${(results[0]!.perSecond / results[1]!.perSecond).toFixed(2)}× (full orders per second, ${CLIENTS} clients; load average now ${load()})`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});

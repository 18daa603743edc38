// Benchmark: what SQLite's synchronous=FULL (certport's default: each commit syncs the WAL, so
// an acknowledged upload survives a power loss) costs against NORMAL (the WAL synced at
// checkpoints only) on UploadCertificate through the API. Two `certport serve` processes, one
// per setting, each on its own data dir; rounds alternate between them so that the machine's
// drift weighs on both alike. Each round: N uploads (an EC leaf + intermediate and its key)
// over C keep-alive connections.
//   node dist/bench/sync.js   (CERTPORT_BENCH_UPLOADS=500, CERTPORT_BENCH_CONCURRENCY=8, CERTPORT_BENCH_ROUNDS=3)
import { statfsSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { SqliteSynchronous } from '../src/config/config.js';
import { makeChain } from '../src/testing/pki-fixtures.js';
import { Connection, machine, ms, percentiles, signedRequest } from './lib.js';
import { prepareData, startNode, type Child, type PreparedData } from './node.js';

const N = Number(process.env.CERTPORT_BENCH_UPLOADS ?? 500);
const C = Number(process.env.CERTPORT_BENCH_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.CERTPORT_BENCH_ROUNDS ?? 3);
const SETTINGS: SqliteSynchronous[] = ['FULL', 'NORMAL'];
const FS: Record<number, string> = { 0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };

const chain = await makeChain('EC', 'sync.bench.test');
const nodes: { setting: SqliteSynchronous; data: PreparedData; node: Child; lat: number[]; seconds: number; uploads: number; errors: number }[] = [];
try {
  for (const setting of SETTINGS) {
    const data = await prepareData('sqlite', 1, { CERTPORT_SQLITE_SYNCHRONOUS: setting });
    nodes.push({ setting, data, node: await startNode(data), lat: [], seconds: 0, uploads: 0, errors: 0 });
  }
  const dir = nodes[0]!.data.env.CERTPORT_DATA_DIR!;
  const fsType = FS[statfsSync(dir).type] ?? `0x${statfsSync(dir).type.toString(16)}`;
  console.log(`UploadCertificate with SQLite synchronous=FULL vs NORMAL — ${machine()}; data on ${fsType} (${os.tmpdir()}); ` +
    `${ROUNDS} rounds of ${N} uploads at concurrency ${C}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const round = async (n: (typeof nodes)[number], uploads: number, record: boolean) => {
    const conns = Array.from({ length: C }, () => new Connection(n.node.port));
    await Promise.all(conns.map((c) => c.ready));
    let next = 0;
    const start = performance.now();
    await Promise.all(conns.map(async (c) => {
      while (next < uploads) {
        const i = next++;
        const body = { CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem, Alias: `sync ${i}` };
        const s = performance.now();
        const r = await c.send(signedRequest(n.node.port, n.data.cred, 'UploadCertificate', body));
        if (!record) continue;
        n.lat.push(performance.now() - s);
        if (r.status !== 200 || !r.body.includes('"CertificateId"')) n.errors++;
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    for (const c of conns) c.close();
    if (record) {
      n.seconds += seconds;
      n.uploads += uploads;
    }
    return seconds;
  };
  for (const n of nodes) await round(n, 50, false); // warm-up: statement cache, JIT
  for (let r = 1; r <= ROUNDS; r++) {
    // Alternate which setting goes first.
    const order = r % 2 ? nodes : [...nodes].reverse();
    const line: string[] = [];
    for (const n of order) line.push(`${n.setting} ${(N / (await round(n, N, true))).toFixed(0)}/s`);
    console.log(`  round ${r}: ${line.join(', ')}`);
  }
  for (const n of nodes) {
    const p = percentiles(n.lat);
    console.log(`  ${n.setting.padEnd(6)} ${(n.uploads / n.seconds).toFixed(0).padStart(5)} uploads/s   p50 ${ms(p.p50).padStart(8)}   p99 ${ms(p.p99).padStart(8)}   errors ${n.errors}`);
  }
  const [full, normal] = nodes;
  const cost = 1 - (full!.uploads / full!.seconds) / (normal!.uploads / normal!.seconds);
  console.log(`  FULL costs ${(cost * 100).toFixed(1)} % of NORMAL's upload throughput`);
} finally {
  for (const n of nodes) {
    await n.node.stop();
    await n.data.cleanup();
  }
}

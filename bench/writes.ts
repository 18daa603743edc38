// Benchmark: what writing one certificate costs the store with 100,000 already stored in the
// account: inserting one row (bulkInsertCertificates with one certificate, as the API's writes
// do: the row, its material and tags, and the counting triggers) and deleting one
// (deleteCertificate: tags, orders, the renewal link, material, the row, an operation log), one
// at a time, p50/p90. On PostgreSQL also with the order-bucket triggers of migration 0015 turned
// off for the run (their share of the cost: the listing's deep pages are paid for here), and
// 0035's per-facet bucket counts off alone.
//   node dist/bench/writes.js     (CERTPORT_BENCH_STORED, CERTPORT_BENCH_WRITES to resize)
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { openCore } from '../src/main.js';
import { BACKENDS } from '../src/testing/harness.js';
import { benchRow, machine, ms, percentiles } from './lib.js';
import { prepareData } from './node.js';

const STORED = Number(process.env.CERTPORT_BENCH_STORED ?? 100_000);
const N = Number(process.env.CERTPORT_BENCH_WRITES ?? 1000);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

console.log(`Writes, one certificate at a time through the store — ${machine()}; load average ${load()}`);
for (const backend of BACKENDS) {
  const data = await prepareData(backend, STORED + 1);
  const core = await openCore(loadConfig(data.env));
  try {
    const { certificates: store, kysely } = core.stores;
    const account = data.cred.accountUin;
    const template = (await store.listCertificates({ accountUin: account, offset: 0, limit: 1, material: true })).items[0]!;
    const log = (id: string) => ({ accountUin: account, userUin: account, certId: id, type: 'bench', action: 'bench', createdAt: Date.now() });
    const round = async (label: string | null, tag: string, n = N) => {
      const ins: number[] = [];
      const del: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        // Spread across the account's order (as certificates uploaded with old creation times
        // would be), not only at its newest end.
        const row = { ...benchRow(template, i, n, Date.now()), id: `${tag}${i}`, fingerprintSha1: randomBytes(20).toString('hex'), createdAt: template.createdAt - ((i * 7919) % STORED) * 1000 };
        const t = performance.now();
        await store.bulkInsertCertificates([row]);
        ins.push(performance.now() - t);
        ids.push(row.id);
      }
      for (const id of ids) {
        const t = performance.now();
        if (!(await store.deleteCertificate(account, id, log(id)))) throw new Error(`${id} was not deleted`);
        del.push(performance.now() - t);
      }
      if (label === null) return;
      const a = percentiles(ins);
      const b = percentiles(del);
      console.log(`  ${backend.padEnd(8)} ${label.padEnd(40)} insert p50 ${ms(a.p50).padStart(8)} p90 ${ms(a.p90).padStart(8)}   delete p50 ${ms(b.p50).padStart(8)} p90 ${ms(b.p90).padStart(8)}`);
    };
    await round(null, 'w0', 200); // warm-up: statement plans, trigger functions compiled, caches
    await round(`${STORED} stored`, 'wa');
    if (backend === 'postgres') {
      // 0035's facet buckets keep to 0015's order buckets: off with them, and off alone.
      const FACETS = ['certificates_fbuckets_insert', 'certificates_fbuckets_delete', 'certificates_order_zfold_delete'];
      const triggers = async (on: boolean, names: string[]) => {
        for (const name of names) {
          await sql`alter table certificates ${sql.raw(on ? 'enable' : 'disable')} trigger ${sql.raw(name)}`.execute(kysely);
        }
      };
      for (const [label, names] of [['order and facet buckets off', ['certificates_order_insert', 'certificates_order_delete', ...FACETS]],
        ['facet buckets (0035) off', FACETS]] as const) {
        await triggers(false, [...names]);
        try {
          await round(`${STORED} stored, ${label}`, `wb${names.length}`);
        } finally {
          await triggers(true, [...names]);
        }
      }
      await round(`${STORED} stored (again)`, 'wc');
    }
  } finally {
    await core.close();
    await data.cleanup();
  }
}
console.log(`load average at the end ${load()}`);

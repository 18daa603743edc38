// Benchmark: GET /metrics with 100k certificates stored (CERTPORT_BENCH_ROWS to change),
// spread over 1,000 accounts, sources and statuses, with a DV order per CA certificate and
// three operation-log entries per certificate. Prints what one database read of the figures
// costs (SqlMetricsStore.snapshot, what a scrape pays once per cache window) and the latency of
// scrapes through a `certport serve` process: the first (reads the database) and the cached.
// Run: npm run build && node dist/bench/metrics.js
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { openStores } from '../src/store/open.js';
import { BACKENDS, PG_URL } from '../src/testing/harness.js';
import type { Database } from '../src/store/schema.js';
import { machine, percentiles } from './lib.js';
import { prepareData, startNode } from './node.js';

const ROWS = Number(process.env.CERTPORT_BENCH_ROWS ?? 100_000);
const ACCOUNTS = 1000;
const CACHED = 50;

/** Accounts, sources, statuses, DV orders and log entries as a busy service would have them. */
async function spread(db: Kysely<Database>, postgres: boolean): Promise<void> {
  for (let i = 1; i <= ACCOUNTS; i += 250) {
    const values = Array.from({ length: 250 }, (_, k) => ({ uin: `9${String(i + k).padStart(8, '0')}`, name: 'bench', status: 'active', created_at: 0 }));
    await db.insertInto('accounts').values(values).execute();
  }
  // Ids are 'b' + 7 base-36 digits: the last two pick the account, the last one the kind.
  const last = postgres ? sql.raw(`ascii(right(id, 1))`) : sql.raw(`unicode(substr(id, 8, 1))`);
  const two = postgres ? sql.raw(`ascii(right(id, 2)) * 36 + ascii(right(id, 1))`) : sql.raw(`unicode(substr(id, 7, 1)) * 36 + unicode(substr(id, 8, 1))`);
  const n = sql`(1 + (${two}) % ${sql.lit(ACCOUNTS)})`;
  const uin = postgres ? sql`'9' || lpad(${n}::text, 8, '0')` : sql`'9' || substr('00000000' || ${n}, -8, 8)`;
  await sql`update certificates set account_uin = ${uin} where id like 'b%'`.execute(db);
  await sql`update certificates set source = 'embedded' where id like 'b%' and (${last}) % 4 = 0`.execute(db);
  await sql`update certificates set source = 'acme' where id like 'b%' and (${last}) % 9 = 1`.execute(db);
  await sql`update certificates set status = 2 where source <> 'upload' and (${two}) % 50 = 3`.execute(db);
  await sql`update certificates set status = 0 where source <> 'upload' and (${two}) % 200 = 7`.execute(db);
  await sql`insert into dv_orders (cert_id, account_uin, method, main_domain, auths, key_algo, key_param, delete_dns_auto_record, record_state, created_at)
    select id, account_uin, 'DNS', domain, '[]', 'RSA', '2048', 0, 'none', created_at from certificates where source <> 'upload'`.execute(db);
  for (const [type, where] of [['issued', `source <> 'upload' and status = 1`], ['failed', 'status = 2'], ['upload', `source = 'upload'`], ['download', '1 = 1']]) {
    await sql`insert into operation_logs (account_uin, user_uin, cert_id, type, action, created_at)
      select account_uin, '--', id, ${type}, ${'Certificate [id: ' + type + ']'}, created_at from certificates where ${sql.raw(where)}`.execute(db);
  }
  await sql`${sql.raw(postgres ? 'vacuum analyze' : 'analyze')}`.execute(db);
}

console.log(`GET /metrics with ${ROWS} certificates in ${ACCOUNTS} accounts; ${machine()}`);
for (const backend of BACKENDS) {
  const t0 = performance.now();
  const data = await prepareData(backend, ROWS);
  try {
    const store = await openStores(backend === 'postgres' ? PG_URL : `sqlite:${data.env.CERTPORT_DATA_DIR}/certport.db`,
      backend === 'postgres' ? { schema: data.env.CERTPORT_DATABASE_SCHEMA! } : {});
    try {
      await spread(store.kysely, backend === 'postgres');
      console.log(`${backend}: seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const m = store.metrics;
      const now = Date.now();
      const parts: [string, () => Promise<unknown>][] = [
        ['certificates by status and source', () => m.certificatesByStatus(now)],
        ['nearest expiry per account', () => m.nearestExpiry(now)],
        ['issuance outcomes', () => m.issuance()],
        ['pending validations', () => m.pendingValidations()],
        ['deployments', () => m.deployments()],
        ['all: one database read (once per 10 s)', () => m.snapshot(now)],
      ];
      for (const [name, fn] of parts) {
        const lat: number[] = [];
        for (let i = 0; i < 6; i++) {
          const s = performance.now();
          await fn();
          if (i > 0) lat.push(performance.now() - s);
        }
        const r = percentiles(lat);
        console.log(`  ${name.padEnd(46)} p50 ${r.p50.toFixed(1)} ms   max ${r.max.toFixed(1)} ms`);
      }
    } finally {
      await store.close();
    }
    const node = await startNode(data);
    try {
      const url = `http://127.0.0.1:${node.port}/metrics`;
      let s = performance.now();
      const first = await fetch(url);
      await first.text();
      const cold = performance.now() - s;
      const lat: number[] = [];
      for (let i = 0; i < CACHED; i++) {
        s = performance.now();
        await (await fetch(url)).text();
        lat.push(performance.now() - s);
      }
      const p = percentiles(lat);
      console.log(`  first scrape (reads the database)              ${cold.toFixed(1)} ms`);
      console.log(`  cached scrape                                  p50 ${p.p50.toFixed(1)} ms   p99 ${p.p99.toFixed(1)} ms`);
    } finally {
      await node.stop();
    }
  } finally {
    await data.cleanup();
  }
}

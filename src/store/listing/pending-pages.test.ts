// IsPendingIssue pages (status 0 or 4) at every depth (issue 27). Up to 2 × ORDER_BUCKET deep,
// PostgreSQL reads a page from the nearer end of the order (plan.ts nearerEndPage); at a million
// certificates those pages walked the whole default-order index skipping the rows that are not
// pending (~25,000 entries at Offset 1,000, 4% pending) and planned a parallel sort for the
// other end: 40–100 ms, against ~4 ms deeper. Migration 0041_pp_pending_created's partial index
// holds the pending rows alone, in that order. Each page must equal plain ORDER BY / OFFSET,
// before and after writes move rows in and out of pending; on PostgreSQL the statement of such
// a page walks no more index entries than it skips and returns, planned with the values or generically.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, PG_URL, startTestService, type TestService } from '../../testing/harness.js';
import type { CertificateQuery, CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import type { Database } from '../schema.js';
import { ORDER_BUCKET } from '../migrations/0015_order_buckets.js';
import { listCertificates } from './plan.js';
import { postgresListing } from './postgres.js';

/** Statuses by row: a tenth pending (0 and 4 interleaved), the rest of the others. */
const STATUSES = [1, 1, 0, 1, 2, 1, 3, 1, 1, 7, 1, 1, 4, 1, 10, 1, 1, 2, 1, 1];
const ROWS = 32_000;

for (const backend of BACKENDS) {
  describe(`IsPendingIssue pages (${backend})`, () => {
    let t: TestService;
    let template: CertificateRecord;
    let account: string;
    before(async () => {
      t = await startTestService(backend);
      const chain = await makeChain('EC', 'pending.example.com');
      const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
      account = t.cred.accountUin;
      template = await t.svc.core.services.certificates.get({ accountUin: account, userUin: account }, up.CertificateId!);
    });
    after(async () => {
      await t?.close();
    });

    const db = () => t.svc.core.stores.kysely;
    const store = () => t.svc.core.stores.certificates;
    const log = (id: string): OperationLogRecord => ({ accountUin: account, userUin: account, certId: id, type: 'x', action: 'x', createdAt: 0 });
    const base = Date.UTC(2027, 0, 1);
    /** Row i: ids not in creation order, seven rows to an instant (ties broken by id). */
    const make = (i: number, prefix = 'pp'): CertificateRecord => ({
      ...template, id: `${prefix}${String((i * 7919) % 100_000).padStart(5, '0')}`, accountUin: account, tags: [],
      fingerprintSha1: `${prefix}${String(i).padStart(38, '0')}`, createdAt: base + Math.floor(i / 7) * 1000, status: STATUSES[i % STATUSES.length]!,
    });
    const plain = async () => (await sql<{ id: string }>`select id from certificates where account_uin = ${account} and status in (0, 4)
      order by created_at desc, id desc`.execute(db())).rows.map((r) => r.id);

    /** Pages of 10 and 150 at the first page, through the nearer-end pages, past 2 × ORDER_BUCKET, the last ones and past the end. */
    async function checkPages(round: string): Promise<void> {
      const want = await plain();
      const n = want.length;
      assert.ok(n > 2 * ORDER_BUCKET + 500, `${n} pending rows`);
      const offsets = [0, 1, 9, 10, 517, 1000, 1500, 2 * ORDER_BUCKET - 150, 2 * ORDER_BUCKET - 1, 2 * ORDER_BUCKET, 2 * ORDER_BUCKET + 1, 2500,
        Math.floor(n / 2), n - 2 * ORDER_BUCKET, n - 150, n - 10, n - 1, n, n + 7];
      for (const offset of offsets) {
        for (const limit of [10, 150]) {
          const q: CertificateQuery = { accountUin: account, offset, limit, pendingIssue: true, now: base };
          const got = await store().listCertificates(q);
          assert.equal(got.total, n, `${round}: TotalCount at Offset ${offset}`);
          assert.deepEqual(got.items.map((c) => c.id), want.slice(offset, offset + limit), `${round}: Offset ${offset}, Limit ${limit}`);
        }
      }
    }

    test('pages at every depth equal plain OFFSET paging, before and after rows move in and out of pending', async () => {
      const rows = Array.from({ length: ROWS }, (_, i) => make(i));
      // Out of creation order: batches taken from both ends.
      for (let k = 0; k < 8; k++) {
        const from = k % 2 === 0 ? (k / 2) * 4000 : ROWS - ((k + 1) / 2) * 4000;
        await store().bulkInsertCertificates(rows.slice(from, from + 4000));
      }
      await checkPages('as seeded');
      // Issued (0 → 1), back to pending (1 → 4), deleted, and new rows among the old instants.
      await sql`update certificates set status = 1 where account_uin = ${account} and status = 0 and (id like '%1' or id like '%6')`.execute(db());
      await sql`update certificates set status = 4 where account_uin = ${account} and status = 1 and id like '%37'`.execute(db());
      for (let i = 2; i < ROWS; i += 997) assert.ok(await store().deleteCertificate(account, make(i).id, log(make(i).id)));
      await store().bulkInsertCertificates(Array.from({ length: 1500 }, (_, i) => ({ ...make(i * 13, 'pq'), status: i % 3 === 0 ? 4 : 1 })));
      await checkPages('after writes');
    });

    test('a page up to 2 × ORDER_BUCKET deep walks only the pending rows it skips and returns', { skip: backend !== 'postgres' }, async () => {
      await sql`analyze certificates`.execute(db());
      // The statements as the listing writes them, from a handle on the same schema that logs them.
      const pool = new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${t.env.CERTPORT_DATABASE_SCHEMA}` });
      const logged: { sql: string; params: readonly unknown[] }[] = [];
      const k = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => { logged.push({ sql: e.query.sql, params: e.query.parameters }); } });
      try {
        for (const offset of [1000, 2 * ORDER_BUCKET - 10]) {
          logged.length = 0;
          const r = await listCertificates(k, { accountUin: account, offset, limit: 10, pendingIssue: true, now: base }, postgresListing);
          assert.deepEqual(r.items.map((c) => c.id), (await plain()).slice(offset, offset + 10));
          assert.equal(logged.length, 1, 'one statement');
          const { sql: text, params } = logged[0]!;
          const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
          // Planned with the values, and generically as the prepared statement (db.ts PREPARED) settles on.
          for (const mode of ['custom', 'generic'] as const) {
            const plan = await k.connection().execute(async (c) => {
              await sql`set plan_cache_mode = ${sql.raw(`force_${mode}_plan`)}`.execute(c);
              await sql`deallocate all`.execute(c);
              await sql.raw(`prepare pending_page as ${text.replace(/^(\/\*[^*]*\*\/\s*)+/, '')}`).execute(c);
              const out = await sql.raw<{ 'QUERY PLAN': unknown }>(`explain (analyze, format json) execute pending_page(${params.map(literal).join(', ')})`).execute(c);
              await sql`reset plan_cache_mode`.execute(c);
              return out.rows[0]!['QUERY PLAN'];
            });
            type Node = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Actual Rows': number; 'Actual Loops': number;
              'Rows Removed by Filter'?: number; Plans?: Node[] };
            const nodes: Node[] = [];
            const walk = (n: Node) => {
              nodes.push(n);
              for (const s of n.Plans ?? []) walk(s);
            };
            walk((plan as { Plan: Node }[])[0]!.Plan);
            const scans = nodes.filter((n) => n['Relation Name'] === 'certificates' && n['Index Name'] !== 'certificates_pkey');
            const walked = scans.reduce((s, n) => s + (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'], 0);
            const what = `${mode} plan at Offset ${offset}: ${scans.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`).join(', ')}`;
            assert.ok(walked <= offset + 10, `${what} walked ${walked} rows`);
            assert.ok(scans.every((n) => n['Index Name'] === 'certs_account_pending_created'), what);
            assert.ok(!nodes.some((n) => n['Node Type'].startsWith('Gather')), `${what}: parallel workers`);
          }
        }
      } finally {
        await k.destroy();
      }
    });
  });
}

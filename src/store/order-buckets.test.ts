// Deep pages of the default order on PostgreSQL start from bucket counts kept by triggers
// (migration 0015). Whatever inserts and deletes do — bulk statements, ties on created_at,
// rows below the lowest key, two writers at once — each bucket must count exactly the rows
// from its start to the next bucket's, and every deep page must equal plain OFFSET paging.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { makeChain } from '../testing/pki-fixtures.js';
import { BACKENDS, PG_URL, startTestService, type TestService } from '../testing/harness.js';
import { ORDER_BUCKET } from './migrations/0015_order_buckets.js';
import { openStores, type Stores } from './open.js';
import { listCertificates } from './listing/plan.js';
import { postgresListing } from './listing/postgres.js';
import type { CertificateRecord } from '../domain/certificate.js';

describe('order buckets (postgres)', { skip: !BACKENDS.includes('postgres') }, () => {
  let t: TestService;
  let other: Stores;
  let template: CertificateRecord;
  let account: string;
  before(async () => {
    t = await startTestService('postgres');
    // A second store on the same schema: another node's connections.
    other = await openStores(PG_URL, { schema: t.env.CERTPORT_DATABASE_SCHEMA!, poolSize: 4 });
    const chain = await makeChain('EC', 'order.example.com');
    const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    account = t.cred.accountUin;
    template = await t.svc.core.services.certificates.get({ accountUin: account, userUin: account }, up.CertificateId!);
  });
  after(async () => {
    await other?.close();
    await t?.close();
  });

  const db = () => t.svc.core.stores.kysely;
  const row = (id: string, createdAt: number): CertificateRecord => ({ ...template, id, createdAt, fingerprintSha1: id.padStart(40, '0'), tags: [] });
  /** Deterministic shuffle, so rows arrive out of order. */
  const shuffled = <T>(xs: T[], seed: number): T[] => {
    const out = [...xs];
    let s = seed;
    for (let i = out.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };

  /** Every bucket's count against the rows actually in its range; returns the buckets. */
  async function checkBuckets(): Promise<{ n: number }[]> {
    const { rows } = await sql<{ lo_created_at: number; lo_id: string; n: number; actual: number }>`
      select b.lo_created_at, b.lo_id, b.n, (select count(*) from certificates c where c.account_uin = b.account_uin
        and (c.created_at, c.id) >= (b.lo_created_at, b.lo_id) and (b.hc is null or (c.created_at, c.id) < (b.hc, b.hi)))::bigint as actual
      from (select *, lead(lo_created_at) over w as hc, lead(lo_id) over w as hi from certificate_order_buckets
            where account_uin = ${account} window w as (order by lo_created_at, lo_id)) b
      order by b.lo_created_at, b.lo_id`.execute(db());
    for (const b of rows) assert.equal(b.n, b.actual, `bucket at (${b.lo_created_at}, ${b.lo_id}) counts ${b.n}, holds ${b.actual}`);
    assert.ok(rows.length > 0 && rows[0]!.lo_id === '', 'the lowest bucket starts below every key');
    return rows;
  }

  /** Deep pages from the store against plain OFFSET over the same order. */
  async function checkPages(offsets: number[]): Promise<void> {
    const plain = (await sql<{ id: string }>`select id from certificates where account_uin = ${account}
      order by created_at desc, id desc`.execute(db())).rows.map((r) => r.id);
    for (const offset of offsets) {
      const r = await listCertificates(t.svc.core.stores.kysely, { accountUin: account, offset, limit: 7 }, postgresListing);
      assert.equal(r.total, plain.length);
      assert.deepEqual(r.items.map((c) => c.id), plain.slice(offset, offset + 7), `Offset ${offset} of ${plain.length}`);
    }
  }

  // The last ones: a part page, the last row alone, and past the end (no bucket holds them).
  const deepOffsets = (total: number) => [2 * ORDER_BUCKET + 1, 3000, 4095, Math.floor(total / 2), total - 2 * ORDER_BUCKET - 8, total - 3000, total - 3, total - 1, total, total + 10];

  test('bulk inserts with tied created_at, out of order, split into counted buckets', async () => {
    const base = Date.UTC(2027, 0, 1);
    // 9,000 rows; 13 share each created_at (ties broken by id), inserted shuffled in
    // 200-row statements (bulkInsertCertificates), plus some below every earlier key.
    const rows = shuffled(Array.from({ length: 9000 }, (_, i) => row(`ob${String(i).padStart(5, '0')}`, base + Math.floor(i / 13) * 1000)), 7);
    for (let i = 0; i < rows.length; i += 1500) await t.svc.core.stores.certificates.bulkInsertCertificates(rows.slice(i, i + 1500));
    await t.svc.core.stores.certificates.bulkInsertCertificates(Array.from({ length: 300 }, (_, i) => row(`oa${String(i).padStart(5, '0')}`, base - 10_000 + (i % 3))));
    const buckets = await checkBuckets();
    assert.ok(buckets.length >= 9300 / (2 * ORDER_BUCKET), `${buckets.length} buckets`);
    assert.ok(buckets.every((b) => b.n <= 2 * ORDER_BUCKET));
    await checkPages(deepOffsets(9301));
  });

  test('a deep page is read from the buckets: a wrong count shows', async () => {
    // Proof that the path above was taken: one bucket count moved by one moves the pages below it.
    const offset = 4000;
    const before = await listCertificates(t.svc.core.stores.kysely, { accountUin: account, offset, limit: 3 }, postgresListing);
    await sql`update certificate_order_buckets set n = n + 1 where account_uin = ${account} and lo_id <> ''
      and (lo_created_at, lo_id) = (select lo_created_at, lo_id from certificate_order_buckets where account_uin = ${account}
        order by lo_created_at desc, lo_id desc limit 1)`.execute(db());
    try {
      const skewed = await listCertificates(t.svc.core.stores.kysely, { accountUin: account, offset, limit: 3 }, postgresListing);
      assert.notDeepEqual(skewed.items.map((c) => c.id), before.items.map((c) => c.id));
    } finally {
      await sql`update certificate_order_buckets set n = n - 1 where account_uin = ${account} and lo_id <> ''
        and (lo_created_at, lo_id) = (select lo_created_at, lo_id from certificate_order_buckets where account_uin = ${account}
          order by lo_created_at desc, lo_id desc limit 1)`.execute(db());
    }
    await checkBuckets();
  });

  test('deletes: single, bulk and whole ranges merge small buckets without losing counts', async () => {
    const log = (id: string) => ({ accountUin: account, userUin: account, certId: id, type: 'x', action: 'x', createdAt: Date.now() });
    for (const i of [5, 6, 2000, 8999]) assert.ok(await t.svc.core.stores.certificates.deleteCertificate(account, `ob${String(i).padStart(5, '0')}`, log('x')));
    // Every third row of one stretch, then a whole stretch: buckets shrink below a quarter and join their neighbours.
    await sql`delete from certificates where account_uin = ${account} and id like 'ob0%' and id >= 'ob03000' and id < 'ob05000'
      and right(id, 1) in ('0', '3', '6', '9')`.execute(db());
    await sql`delete from certificates where account_uin = ${account} and id >= 'ob06000' and id < 'ob08000'`.execute(db());
    const buckets = await checkBuckets();
    assert.ok(buckets.every((b, i) => i === 0 || b.n >= ORDER_BUCKET / 4), 'no small bucket left behind');
    const total = Number((await sql<{ n: number }>`select count(*)::bigint as n from certificates where account_uin = ${account}`.execute(db())).rows[0]!.n);
    await checkPages(deepOffsets(total));
  });

  test('two writers at once keep the counts exact', async () => {
    const base = Date.UTC(2027, 6, 1);
    const writer = async (stores: Stores, w: number) => {
      for (let k = 0; k < 12; k++) {
        // Interleaved keys, so both write into the same buckets, and some rows deleted again.
        const batch = Array.from({ length: 250 }, (_, i) => row(`oc${w}${String(k).padStart(2, '0')}${String(i).padStart(3, '0')}`, base + (k * 250 + i) * 10 + w));
        await stores.certificates.bulkInsertCertificates(batch);
        await sql`delete from certificates where id like ${`oc${w}${String(k).padStart(2, '0')}%`} and right(id, 1) = '7'`.execute(stores.kysely);
      }
    };
    await Promise.all([writer(t.svc.core.stores, 1), writer(other, 2), writer(t.svc.core.stores, 3)]);
    const buckets = await checkBuckets();
    assert.ok(buckets.every((b) => b.n <= 2 * ORDER_BUCKET));
    const total = Number((await sql<{ n: number }>`select count(*)::bigint as n from certificates where account_uin = ${account}`.execute(db())).rows[0]!.n);
    await checkPages(deepOffsets(total));
  });
});

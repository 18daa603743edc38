// Deep pages of one facet filter on PostgreSQL start from per-facet bucket counts kept by
// triggers (migration 0035_pgbroad_facet_buckets). Whatever inserts, deletes (merging
// buckets), splits and facet changes do, each facet row must count exactly its bucket's rows
// of that value, and every deep page must equal plain ORDER BY / OFFSET.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, PG_URL, startTestService, type TestService } from '../../testing/harness.js';
import { ORDER_BUCKET } from '../migrations/0015_order_buckets.js';
import { openStores, type Stores } from '../open.js';
import { listCertificates } from './plan.js';
import { postgresListing } from './postgres.js';
import type { CertificateQuery, CertificateRecord } from '../../domain/certificate.js';

describe('facet buckets (postgres)', { skip: !BACKENDS.includes('postgres') }, () => {
  let t: TestService;
  let other: Stores;
  let template: CertificateRecord;
  let account: string;
  before(async () => {
    t = await startTestService('postgres');
    other = await openStores(PG_URL, { schema: t.env.CERTPORT_DATABASE_SCHEMA!, poolSize: 4 });
    const chain = await makeChain('EC', 'facet.example.com');
    const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    account = t.cred.accountUin;
    template = await t.svc.core.services.certificates.get({ accountUin: account, userUin: account }, up.CertificateId!);
  });
  after(async () => {
    await other?.close();
    await t?.close();
  });

  const db = () => t.svc.core.stores.kysely;
  /** Listed without kept sets (positions.ts): the facet bucket statements are what is tested. */
  const listed = (q: CertificateQuery) => listCertificates(db(), q, postgresListing);
  const STATUSES = [1, 1, 1, 0, 2, 4, 1, 7, 10, 1, 3];
  const DAY = 86_400_000;
  /** The time judged filters are asked at: the middle of a UTC day. */
  const NOW = Date.UTC(2027, 2, 10, 12);
  /**
   * Other times: a day later, on the last day of an 8-day block (UTC day 20895; NOW is day
   * 20887), on the first of the next, and weeks later, past the data's middle (64-day block
   * 326 holds days 20864-20927: whole or less its edges).
   */
  const LATER = [NOW + DAY, 20895 * DAY + 3_600_000, 20896 * DAY + 7_200_000, NOW + 23 * DAY + 5 * 3_600_000];
  /** Varied facets by index: types, sources, SM and statuses in uneven shares, some runs of one value. */
  const row = (id: string, i: number, createdAt: number): CertificateRecord => ({
    ...template, id, createdAt, fingerprintSha1: id.padStart(40, '0'), tags: [],
    certificateType: i % 17 === 3 || (i > 4000 && i < 4600) ? 'CA' : 'SVR',
    source: i % 5 === 2 ? 'embedded' : 'upload',
    isSm: i % 97 === 5,
    status: STATUSES[i % STATUSES.length]!,
    // Around NOW: whole days before and after it, and rows on its own day on both sides of it.
    notAfter: NOW + ((i % 53) - 12) * DAY + ((i % 7) - 3) * 3_600_000,
    privateKeySealed: i % 9 === 4 ? null : template.privateKeySealed,
    projectId: i % 3,
  });
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

  /** Every facet row against the rows of its value in its bucket, and every bucket's rows counted per value. */
  async function checkFacets(): Promise<void> {
    const { rows } = await sql<{ facet: string; lo_created_at: number; lo_id: string; kept: number | null; actual: number | null }>`
      with b as (select lo_created_at, lo_id, lead(lo_created_at) over w as hc, lead(lo_id) over w as hi from certificate_order_buckets
          where account_uin = ${account} window w as (order by lo_created_at, lo_id)),
        actual as (select f.facet, b.lo_created_at, b.lo_id, count(*)::bigint as n from b join certificates r on r.account_uin = ${account}
            and (r.created_at, r.id) >= (b.lo_created_at, b.lo_id) and (b.hc is null or (r.created_at, r.id) < (b.hc, b.hi))
          cross join lateral (values ('t:' || r.certificate_type), (case when r.source = 'upload' then 'b:0' else 'b:1' end),
            ('m:' || r.is_sm), ('s:' || r.status), (case when r.status = 1 then 'x:' || lpad((r.not_after / ${DAY})::text, 8, '0') end),
            (case when r.certificate_type = 'SVR' and r.status = 1 and r.has_key = 1 then 'd' end),
            (case when r.certificate_type = 'SVR' and r.status = 1 and r.has_key = 1 then 'dx:' || lpad((r.not_after / ${DAY})::text, 8, '0') end),
            -- 0038's 8- and 64-day blocks of the per-day labels.
            (case when r.status = 1 then 'xw:' || lpad((r.not_after / ${DAY} / 8)::text, 8, '0') end),
            (case when r.status = 1 then 'xq:' || lpad((r.not_after / ${DAY} / 64)::text, 8, '0') end),
            (case when r.certificate_type = 'SVR' and r.status = 1 and r.has_key = 1 then 'dxw:' || lpad((r.not_after / ${DAY} / 8)::text, 8, '0') end),
            (case when r.certificate_type = 'SVR' and r.status = 1 and r.has_key = 1 then 'dxq:' || lpad((r.not_after / ${DAY} / 64)::text, 8, '0') end)) f (facet)
          where f.facet is not null group by 1, 2, 3),
        kept as (select facet, lo_created_at, lo_id, n from certificate_facet_buckets where account_uin = ${account} and n <> 0)
      select coalesce(k.facet, a.facet) as facet, coalesce(k.lo_created_at, a.lo_created_at) as lo_created_at,
        coalesce(k.lo_id, a.lo_id) as lo_id, k.n as kept, a.n as actual
      from kept k full join actual a on (a.facet, a.lo_created_at, a.lo_id) = (k.facet, k.lo_created_at, k.lo_id)
      where k.n is distinct from a.n`.execute(db());
    assert.deepEqual(rows, [], 'facet rows that do not count their bucket');
  }

  const FILTERS: [string, Partial<CertificateQuery>][] = [
    ['SVR', { certificateType: 'SVR' }], ['CA', { certificateType: 'CA' }], ['upload', { source: 'upload' }], ['buy', { source: 'buy' }],
    ['SM 0', { isSm: false }], ['SM 1', { isSm: true }], ['status [1]', { statuses: [1] }], ['status [0, 2, 2]', { statuses: [0, 2, 2] }],
    ['status [4] at a time', { statuses: [4], now: NOW }], ['pending issue', { pendingIssue: true }],
    ['status [1] at a time', { statuses: [1], now: NOW }], ['status [3] at a time', { statuses: [3], now: NOW }],
    ['status [1, 3] at a time', { statuses: [3, 1], now: NOW }], ['status [2, 3] at a time', { statuses: [2, 3], now: NOW }],
    ['deployable', { deployable: true, now: NOW }], ['not deployable', { deployable: false, now: NOW }],
    ['deployable as stored', { deployable: true }], ['not deployable as stored', { deployable: false }],
    ['expiring', { expiring: { now: NOW, until: NOW + 30 * DAY } }],
    ['expiring and issued', { expiring: { now: NOW, until: NOW + 30 * DAY }, statuses: [1], now: NOW }],
    ['expiring within a day', { expiring: { now: NOW, until: NOW + DAY } }],
    // Combined: no bucket counts (the default order walks), the per-day counts in the expiry orders.
    ['deployable + project 1', { deployable: true, projectId: 1, now: NOW }],
    ['status [3] + SVR + project 2 at a time', { statuses: [3], certificateType: 'SVR', projectId: 2, now: NOW }],
    ['expiring + buy', { expiring: { now: NOW, until: NOW + 30 * DAY }, source: 'buy', now: NOW }],
    // The clock moved: past and expiring ranges end in other 8- and 64-day blocks (0038).
    ...LATER.flatMap((at, k): [string, Partial<CertificateQuery>][] => [[`status [3] at ${k}`, { statuses: [3], now: at }],
      [`deployable at ${k}`, { deployable: true, now: at }], [`expiring at ${k}`, { expiring: { now: at, until: at + 30 * DAY } }]]),
  ];
  const deployable = sql`certificate_type = 'SVR' and status = 1 and has_key = 1`;
  const plainWhere: Record<string, ReturnType<typeof sql>> = {
    SVR: sql`certificate_type = 'SVR'`, CA: sql`certificate_type = 'CA'`, upload: sql`source = 'upload'`, buy: sql`source <> 'upload'`,
    'SM 0': sql`is_sm = 0`, 'SM 1': sql`is_sm = 1`, 'status [1]': sql`status = 1`, 'status [0, 2, 2]': sql`status in (0, 2)`,
    'status [4] at a time': sql`status = 4`, 'pending issue': sql`status in (0, 4)`,
    'status [1] at a time': sql`status = 1 and not_after >= ${NOW}`, 'status [3] at a time': sql`(status = 3 or (status = 1 and not_after < ${NOW}))`,
    'status [1, 3] at a time': sql`status in (1, 3)`, 'status [2, 3] at a time': sql`(status in (2, 3) or (status = 1 and not_after < ${NOW}))`,
    deployable: sql`${deployable} and not_after >= ${NOW}`, 'not deployable': sql`not (${deployable} and not_after >= ${NOW})`,
    'deployable as stored': deployable, 'not deployable as stored': sql`not (${deployable})`,
    expiring: sql`status = 1 and not_after >= ${NOW} and not_after <= ${NOW + 30 * DAY}`,
    'expiring and issued': sql`status = 1 and not_after >= ${NOW} and not_after <= ${NOW + 30 * DAY}`,
    'expiring within a day': sql`status = 1 and not_after >= ${NOW} and not_after <= ${NOW + DAY}`,
    'deployable + project 1': sql`${deployable} and not_after >= ${NOW} and project_id = 1`,
    'status [3] + SVR + project 2 at a time': sql`(status = 3 or (status = 1 and not_after < ${NOW})) and certificate_type = 'SVR' and project_id = 2`,
    'expiring + buy': sql`status = 1 and not_after >= ${NOW} and not_after <= ${NOW + 30 * DAY} and source <> 'upload'`,
  };
  for (const [k, at] of LATER.entries()) {
    plainWhere[`status [3] at ${k}`] = sql`(status = 3 or (status = 1 and not_after < ${at}))`;
    plainWhere[`deployable at ${k}`] = sql`${deployable} and not_after >= ${at}`;
    plainWhere[`expiring at ${k}`] = sql`status = 1 and not_after >= ${at} and not_after <= ${at + 30 * DAY}`;
  }
  const ORDER_BY = { ASC: 'not_after asc, id asc', DESC: 'not_after desc, id asc', default: 'created_at desc, id desc' } as const;

  /**
   * Deep pages of every filter from the store against plain ORDER BY / OFFSET, in the default
   * order and both expiry orders (the per-day counts of 0034 place those: days around NOW
   * start and end pages, today's rows on both sides of NOW).
   */
  async function checkPages(): Promise<void> {
    for (const [name, f] of FILTERS) {
      for (const order of ['default', 'ASC', 'DESC'] as const) {
        const plain = (await sql<{ id: string }>`select id from certificates where account_uin = ${account} and ${plainWhere[name]!}
          order by ${sql.raw(ORDER_BY[order])}`.execute(db())).rows.map((r) => r.id);
        const n = plain.length;
        const offsets = [2 * ORDER_BUCKET + 1, 2500, Math.floor(n / 3), Math.floor(n / 2), n - 2 * ORDER_BUCKET - 3, n - 5, n - 1, n, n + 7]
          .filter((o) => o > 2 * ORDER_BUCKET);
        for (const offset of offsets) {
          const r = await listed({ accountUin: account, offset, limit: 6, ...f,
            ...(order === 'default' ? {} : { expirationSort: order }) });
          assert.equal(r.total, n, `${name} ${order}: TotalCount`);
          assert.deepEqual(r.items.map((c) => c.id), plain.slice(offset, offset + 6), `${name} ${order}: Offset ${offset} of ${n}`);
        }
      }
    }
  }

  test('bulk inserts out of order, with ties, split into buckets counted per facet; deep pages equal OFFSET', async () => {
    const base = Date.UTC(2027, 0, 1);
    const rows = shuffled(Array.from({ length: 12_000 }, (_, i) => row(`fb${String(i).padStart(5, '0')}`, i, base + Math.floor(i / 11) * 1000)), 3);
    for (let i = 0; i < rows.length; i += 1500) await t.svc.core.stores.certificates.bulkInsertCertificates(rows.slice(i, i + 1500));
    // Below every earlier key: into the lowest bucket, which splits.
    await t.svc.core.stores.certificates.bulkInsertCertificates(Array.from({ length: 2500 }, (_, i) => row(`fa${String(i).padStart(5, '0')}`, i, base - 10_000 + (i % 3))));
    await checkFacets();
    await checkPages();
  });

  test('a deep facet page is read from the facet counts: a wrong count shows', async () => {
    const q = { accountUin: account, offset: 5000, limit: 3, certificateType: 'SVR' };
    const before = await listed(q);
    const top = sql`(select lo_created_at, lo_id from certificate_facet_buckets where account_uin = ${account} and facet = 't:SVR'
      order by lo_created_at desc, lo_id desc limit 1)`;
    await sql`update certificate_facet_buckets set n = n + 1 where account_uin = ${account} and facet = 't:SVR' and (lo_created_at, lo_id) = ${top}`.execute(db());
    try {
      const skewed = await listed(q);
      assert.notDeepEqual(skewed.items.map((c) => c.id), before.items.map((c) => c.id));
    } finally {
      await sql`update certificate_facet_buckets set n = n - 1 where account_uin = ${account} and facet = 't:SVR' and (lo_created_at, lo_id) = ${top}`.execute(db());
    }
    await checkFacets();
  });

  test('a deep FilterExpiring page keeps a generic plan of its prepared statement', async () => {
    // One connection, so that its prepared statements are the ones the listing made.
    const one = await openStores(PG_URL, { schema: t.env.CERTPORT_DATABASE_SCHEMA!, poolSize: 1 });
    try {
      const q: CertificateQuery = { accountUin: account, offset: 2 * ORDER_BUCKET + 500, limit: 6, expiring: { now: NOW, until: NOW + 30 * DAY } };
      // Without kept sets (positions.ts), which would answer the same page again by its ids.
      const first = await listCertificates(one.kysely, q, postgresListing);
      for (let i = 0; i < 8; i++) assert.deepEqual((await listCertificates(one.kysely, q, postgresListing)).items.map((c) => c.id), first.items.map((c) => c.id));
      const plans = (await sql<{ generic: number | string | null }>`select sum(generic_plans) as generic from pg_prepared_statements
        where statement like '%certificate_facet_buckets%'`.execute(one.kysely)).rows[0]!;
      // Planned with the values, it cost ~7 ms a call at a million (issue 27).
      assert.ok(Number(plans.generic ?? 0) >= 3, `generic plans: ${plans.generic}`);
    } finally {
      await one.close();
    }
  });

  test('status and facet changes, deletes that merge buckets, and inserts after them', async () => {
    // Issued to expired and revoked, SM flipped, a run of types changed: rows move between values in place.
    await sql`update certificates set status = 3 where account_uin = ${account} and id like 'fb%' and right(id, 2) in ('13', '57')`.execute(db());
    await sql`update certificates set status = 10, is_sm = 1 - is_sm where account_uin = ${account} and id >= 'fb02000' and id < 'fb02300'`.execute(db());
    await sql`update certificates set certificate_type = 'CA', source = 'upload' where account_uin = ${account} and id >= 'fb09000' and id < 'fb09400'`.execute(db());
    await sql`update certificates set not_after = not_after - ${20 * DAY} where account_uin = ${account} and id >= 'fb10000' and id < 'fb10500'`.execute(db());
    await sql`update certificates set has_key = 1 - has_key where account_uin = ${account} and id >= 'fb11000' and id < 'fb11200'`.execute(db());
    await sql`update certificates set alias = 'renamed' where account_uin = ${account} and id >= 'fb00000' and id < 'fb00100'`.execute(db());
    await checkFacets();
    // Deletes: scattered, then whole stretches, so that buckets drop under a quarter and join the one below.
    await sql`delete from certificates where account_uin = ${account} and id >= 'fb03000' and id < 'fb05000' and right(id, 1) in ('1', '4', '8')`.execute(db());
    await sql`delete from certificates where account_uin = ${account} and id >= 'fb06000' and id < 'fb08500'`.execute(db());
    await checkFacets();
    await checkPages();
    // Inserts into the merged range: merged buckets split again, counted from the rows.
    const base = Date.UTC(2027, 0, 1);
    await t.svc.core.stores.certificates.bulkInsertCertificates(shuffled(Array.from({ length: 3000 },
      (_, i) => row(`fc${String(i).padStart(5, '0')}`, i * 7, base + Math.floor((6000 + (i * 2500) / 3000) / 11) * 1000 + 1)), 5));
    await checkFacets();
    await checkPages();
  });

  test('two writers at once keep the facet counts exact', async () => {
    const base = Date.UTC(2027, 6, 1);
    const writer = async (stores: Stores, w: number) => {
      for (let k = 0; k < 10; k++) {
        const batch = Array.from({ length: 250 }, (_, i) => row(`fw${w}${String(k).padStart(2, '0')}${String(i).padStart(3, '0')}`, i + k, base + (k * 250 + i) * 10 + w));
        await stores.certificates.bulkInsertCertificates(batch);
        await sql`update certificates set status = 7 where id like ${`fw${w}${String(k).padStart(2, '0')}%`} and right(id, 1) = '3'`.execute(stores.kysely);
        await sql`delete from certificates where id like ${`fw${w}${String(k).padStart(2, '0')}%`} and right(id, 1) = '6'`.execute(stores.kysely);
      }
    };
    await Promise.all([writer(t.svc.core.stores, 1), writer(other, 2), writer(t.svc.core.stores, 3)]);
    await checkFacets();
    await checkPages();
  });
});

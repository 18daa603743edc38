// Deep pages of one account's unfiltered listing (issue 27). Past Offset 2 × ORDER_BUCKET,
// PostgreSQL reads a page of the expiry order from the kept per-day counts (migration
// 0034_pg_expiry_facets: the day holding the page's first row, then that day's rows skipped)
// and of the default order from the bucket counts (migration 0015); SQLite from kept
// positions on a second ask (positions.ts). Each must equal plain ORDER BY … LIMIT/OFFSET over
// the same rows, with ties in notAfter within a day and at one instant, empty days, a day of
// hundreds of rows and rows on day edges, and again after the triggers moved the counts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';
import type { CertificateQuery, CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import { ORDER_BUCKET } from '../migrations/0015_order_buckets.js';
import { listCertificates } from './plan.js';
import { postgresListing } from './postgres.js';

const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2027, 0, 1) / DAY;
type Order = CertificateQuery['expirationSort'];
const ORDERS: Order[] = ['ASC', 'DESC', undefined];
/** The two days holding a ninth of the rows each (both deeper than 2,048 rows in one of the expiry orders). */
const BIG_DAYS = [37, 120];
const ORDER_BY = { ASC: 'not_after asc, id asc', DESC: 'not_after desc, id asc', default: 'created_at desc, id desc' };

for (const backend of BACKENDS) {
  describe(`deep pages (${backend})`, () => {
    let t: TestService;
    let template: CertificateRecord;
    let account: string;
    let other: string;
    before(async () => {
      t = await startTestService(backend);
      const chain = await makeChain('EC', 'deep.example.com');
      const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
      account = t.cred.accountUin;
      template = await t.svc.core.services.certificates.get({ accountUin: account, userUin: account }, up.CertificateId!);
      other = (await t.newAccount()).accountUin;
    });
    after(async () => {
      await t?.close();
    });

    const db = () => t.svc.core.stores.kysely;
    const store = () => t.svc.core.stores.certificates;
    const log = (id: string): OperationLogRecord => ({ accountUin: account, userUin: account, certId: id, type: 'x', action: 'x', createdAt: 0 });

    /**
     * Row i: ids not in notAfter order (i × 7919 mod 100,000), 150 days with every tenth one
     * empty, a ninth of the rows on each of two days, instants shared by many rows (midnight, the last
     * millisecond, noon, whole hours) and the facets the per-day counts are kept by varied.
     */
    const make = (i: number, accountUin = account, prefix = 'dp'): CertificateRecord => {
      let day = i % 9 === 0 ? BIG_DAYS[0] : i % 9 === 3 ? BIG_DAYS[1] : (i * 13) % 150;
      if (day % 10 === 5) day++;
      const within = [0, DAY - 1, DAY / 2, (i % 5) * 3_600_000, i % 7][i % 5]!;
      return {
        ...template, id: `${prefix}${String((i * 7919) % 100_000).padStart(5, '0')}`, accountUin, tags: [],
        fingerprintSha1: String(i).padStart(40, '0'), notAfter: (FIRST_DAY + day) * DAY + within, createdAt: Date.UTC(2026, 0, 1) - (i % 40) * 1000,
        status: [1, 1, 1, 0, 3, 2, 4, 1][i % 8]!, projectId: i % 3, certificateType: i % 9 === 1 ? 'CA' : 'SVR',
        source: i % 5 === 2 ? 'embedded' : 'upload', isSm: i % 11 === 0, privateKeySealed: i % 6 === 0 ? null : template.privateKeySealed,
      };
    };

    const orderBy = (order: Order) => sql.raw(ORDER_BY[order ?? 'default']);
    const plainPage = async (order: Order, offset: number, limit: number) => (await sql<{ id: string }>`select id from certificates
      where account_uin = ${account} order by ${orderBy(order)} limit ${limit} offset ${offset}`.execute(db())).rows.map((r) => r.id);
    const plainCount = async () => Number((await sql<{ n: number | string }>`select count(*) as n from certificates where account_uin = ${account}`
      .execute(db())).rows[0]!.n);
    /** The account's rows in `order`: id and UTC day of notAfter. */
    const plainAll = async (order: Order) => (await sql<{ id: string; not_after: number | string }>`select id, not_after from certificates
      where account_uin = ${account} order by ${orderBy(order)}`.execute(db())).rows.map((r) => ({ id: r.id, day: Math.floor(Number(r.not_after) / DAY) }));

    /**
     * The offsets to look at: just past where the kept counts take over, a few fixed ones, the
     * first and last rows of days that start past 2,048 (the day sums end exactly there) and
     * rows inside the largest days, the last page, the last row alone and past the end.
     */
    function offsetsOf(rows: { day: number }[], order: Order): number[] {
      const total = rows.length;
      const out = new Set([2 * ORDER_BUCKET + 1, 2100, 2500, total - 10, total - 1, total, total + 7]);
      if (order) {
        const starts = rows.flatMap((r, k) => (k > 2 * ORDER_BUCKET && rows[k - 1]!.day !== r.day ? [k] : []));
        for (const k of starts.filter((_, n) => n % 4 === 0)) {
          out.add(k);
          out.add(k - 1);
        }
        for (const d of BIG_DAYS) {
          const big = rows.flatMap((r, k) => (k > 2 * ORDER_BUCKET && r.day === FIRST_DAY + d ? [k] : []));
          for (const k of [big[0], big[1], big[Math.floor(big.length / 2)], big[big.length - 1]]) if (k !== undefined) out.add(k);
        }
      }
      return [...out].filter((o) => o > 2 * ORDER_BUCKET).sort((a, b) => a - b);
    }

    /** Every deep page in every order against plain paging; pages of 10 and of 150 (across several days). */
    async function checkPages(round: string): Promise<number> {
      const total = await plainCount();
      let checked = 0;
      for (const order of ORDERS) {
        const rows = await plainAll(order);
        assert.equal(rows.length, total);
        for (const offset of offsetsOf(rows, order)) {
          for (const limit of [10, 150]) {
            const q: CertificateQuery = { accountUin: account, offset, limit, now: Date.UTC(2027, 1, 1), ...(order ? { expirationSort: order } : {}) };
            const want = await plainPage(order, offset, limit);
            // The first ask reads plainly, the second reads the kept positions, the third uses them.
            // PostgreSQL: the first without kept sets (the deep page statements), then the store's.
            for (let k = 0; k < 3; k++) {
              const got = backend === 'postgres' && k === 0 ? await listCertificates(db(), q, postgresListing) : await store().listCertificates(q);
              assert.equal(got.total, total, `${round}: TotalCount of ${JSON.stringify(q)}`);
              assert.deepEqual(got.items.map((c) => c.id), want, `${round}: ${JSON.stringify(q)} (try ${k})`);
            }
            checked++;
          }
        }
      }
      return checked;
    }

    /** The kept per-day counts (every status and facet) add up to the rows of each day, for both accounts. */
    async function checkDayCounts(): Promise<void> {
      for (const uin of [account, other]) {
        const kept = (await sql<{ day: number | string; n: number | string }>`select day, sum(n) as n from certificate_expiry_facets
          where account_uin = ${uin} group by day having sum(n) <> 0 order by day`.execute(db())).rows.map((r) => [Number(r.day), Number(r.n)]);
        const rows = (await sql<{ day: number | string; n: number | string }>`select not_after / ${sql.raw(String(DAY))} as day, count(*) as n from certificates
          where account_uin = ${uin} group by 1 order by 1`.execute(db())).rows.map((r) => [Number(r.day), Number(r.n)]);
        assert.deepEqual(kept, rows, `per-day counts of ${uin}`);
      }
    }

    test('deep pages in expiry order (ASC, DESC) and the default order equal plain OFFSET paging', async () => {
      const rows = Array.from({ length: 3600 }, (_, i) => make(i));
      for (let i = 0; i < rows.length; i += 1200) await store().bulkInsertCertificates(rows.slice(i, i + 1200));
      // Another account on the same days: counted apart.
      await store().bulkInsertCertificates(Array.from({ length: 400 }, (_, i) => make(i, other, 'dq')));
      await checkDayCounts();
      const checked = await checkPages('as seeded');
      assert.ok(checked >= 60, `${checked} pages`);
    });

    test('a deep page of the expiry order is placed by the per-day counts: a wrong count shows', { skip: backend !== 'postgres' }, async () => {
      // One row more on the account's first day (in ASC) or last day (in DESC) moves every
      // deep page by one row: the page was placed by the counts, not by walking the rows.
      for (const order of ['ASC', 'DESC'] as const) {
        const q: CertificateQuery = { accountUin: account, offset: 2500, limit: 5, expirationSort: order };
        const right = await listCertificates(db(), q, postgresListing);
        assert.deepEqual(right.items.map((c) => c.id), await plainPage(order, 2500, 5));
        const edge = sql.raw(order === 'ASC' ? 'min' : 'max');
        const bump = (by: number) => sql`update certificate_expiry_facets set n = n + ${by} where account_uin = ${account}
          and (day, status, project_id, certificate_type, bought, is_sm, has_key) = (select day, status, project_id, certificate_type, bought, is_sm, has_key
            from certificate_expiry_facets where account_uin = ${account} and n > 0
              and day = (select ${edge}(day) from certificate_expiry_facets where account_uin = ${account} and n > 0) limit 1)`.execute(db());
        await bump(1);
        try {
          const skewed = await listCertificates(db(), q, postgresListing);
          assert.deepEqual(skewed.items.map((c) => c.id), await plainPage(order, 2499, 5), `${order}: placed one row early`);
        } finally {
          await bump(-1);
        }
      }
      await checkDayCounts();
    });

    test('after deletes, inserts and expiry moves the pages still equal plain paging', async () => {
      // Single deletes through the store, then a bulk delete of a range of ids (one statement).
      for (let i = 1; i < 3600; i += 37) assert.ok(await store().deleteCertificate(account, make(i).id, log(make(i).id)));
      await sql`delete from certificates where account_uin = ${account} and id >= 'dp20000' and id < 'dp31000'`.execute(db());
      // New rows: on the days already there (ties with the same instants), on new days before
      // and after every other one, and more on the largest day.
      const more = Array.from({ length: 700 }, (_, i) => {
        const r = make(4000 + i, account, 'dn');
        return i % 7 === 0 ? { ...r, notAfter: (FIRST_DAY - 3 - (i % 3)) * DAY } : i % 7 === 1 ? { ...r, notAfter: (FIRST_DAY + 400) * DAY + i } : r;
      });
      await store().bulkInsertCertificates(more);
      // notAfter and status changes (renewal, revocation) move rows between days.
      const left = new Set((await plainAll('ASC')).map((r) => r.id));
      const moved = Array.from({ length: 3600 }, (_, i) => make(i)).filter((r, i) => i % 23 === 4 && left.has(r.id));
      for (const r of moved) {
        // Five days back, the same day or five days on.
        const set = { status: r.status === 1 ? 3 : 1, notAfter: r.notAfter + (r.projectId - 1) * 5 * DAY };
        assert.ok(await t.svc.core.stores.dvOrders.transitionCertificate(r.id, { fromStatuses: [r.status], set }, log(r.id)));
      }
      // A project move changes the facets, not the day.
      await store().updateProject(account, moved.slice(0, 20).map((r) => r.id), 7, 0, log);
      await checkDayCounts();
      assert.ok(await plainCount() > 2 * ORDER_BUCKET + 500);
      await checkPages('after writes');
    });
  });
}

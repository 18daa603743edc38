// Kept positions: deep pages read from a kept set (SQLite: rowids or keys; PostgreSQL: ids)
// equal the plain evaluation, and stay equal after writes (the change token moves) and as the
// clock passes a notAfter (clock-judged filters hold only until then).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';
import { listInMemory } from '../../testing/fakes/listing.js';
import type { CertificateQuery, CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import { EVERY, KeptIds, laterSnapshot, Positions, TOKEN_HELD_MS } from './positions.js';
import { listCertificates, listCertificatesNow } from './plan.js';
import { postgresListing, postgresListingKept } from './postgres.js';
import { sqliteListing } from './sqlite.js';
import { sqliteNow } from '../db.js';

const DAY = 86_400_000;

describe('kept positions', () => {
  test('are read on the second ask under one token and used until the token or the clock moves', () => {
    const p = new Positions(2);
    const q: CertificateQuery = { accountUin: 'a', offset: 500, limit: 10, now: 1000, statuses: [1] };
    const shape = Positions.shape(q)!;
    const set = { total: 1, rowids: Float64Array.of(7), keys: [] };
    assert.equal(p.find(shape, 't1', 1000, q), null);
    assert.equal(p.find(shape, 't1', 1001, q), 'read');
    p.keep(shape, 't1', 1001, 2000, set);
    assert.equal(p.find(shape, 't1', 2000, q), set);
    assert.equal(p.find(shape, 't1', 2001, q), null, 'past the next notAfter');
    p.keep(shape, 't1', 2001, 3000, set);
    assert.equal(p.find(shape, 't2', 2002, q), null, 'after a commit');
    assert.equal(Positions.shape({ ...q, expiring: { now: 1, until: 2 } }), null, 'judged at two instants');
    const expiring = Positions.shape({ ...q, expiring: { now: 1000, until: 2000 } });
    assert.ok(expiring && expiring !== shape);
    assert.equal(Positions.shape({ ...q, now: 5, expiring: { now: 5, until: 1005 } }), expiring, 'the same window later');
    assert.notEqual(Positions.shape({ ...q, expiring: { now: 1000, until: 3000 } }), expiring, 'a longer window');
    assert.notEqual(Positions.shape({ ...q, now: undefined }), shape, 'statuses judged by the clock or not');
    assert.notEqual(Positions.shape({ ...q, searchKey: 'x' }), shape, 'a search is a set of its own');
  });

  test('a set read before is read again once the pages asked for without it walked as much as reading it', () => {
    const p = new Positions();
    const q: CertificateQuery = { accountUin: 'a', offset: 500, limit: 10 };
    const shape = Positions.shape(q)!;
    const set = { total: 1000, rowids: null, keys: [] };
    assert.equal(p.find(shape, 't1', 0, q), null);
    assert.equal(p.find(shape, 't1', 0, q), 'read', 'never read: on the second ask');
    p.keep(shape, 't1', -Infinity, Infinity, set);
    // After a commit: first pages walk little, and never pay for the set.
    for (let i = 0; i < 90; i++) assert.equal(p.find(shape, 't2', 0, { offset: 0, limit: 10 }), null, `first page ${i}`);
    // Pages near the middle walk ~half of it each: 900 + 500 >= 1000.
    assert.equal(p.find(shape, 't2', 0, q), 'read');
    p.keep(shape, 't2', -Infinity, Infinity, set);
    assert.equal(p.find(shape, 't3', 0, { offset: 980, limit: 10 }), null, 'near the end: walked from there');
    assert.equal(p.find(shape, 't3', 0, q), null, '20 + 500');
    assert.equal(p.find(shape, 't3', 0, q), 'read', '20 + 500 + 500');
    // A search reads all its matches whatever the page: read on its second ask.
    const search = Positions.shape({ ...q, searchKey: 'x' })!;
    p.keep(search, 't3', -Infinity, Infinity, { total: 50, rowids: null, keys: [] });
    assert.equal(p.find(search, 't4', 0, 'all'), null);
    assert.equal(p.find(search, 't4', 0, 'all'), 'read');
  });

  test('keep at most their budget of rowids, the later sets their keys; sets of an older token are dropped', () => {
    const p = new Positions(10, 40);
    const rows = (n: number) => ({ total: n, rowids: new Float64Array(n), keys: [] });
    assert.equal(p.keepsRowids(10, 't'), true);
    assert.equal(p.keepsRowids(11, 't'), false, 'a quarter of the budget at most');
    for (const s of ['a', 'b', 'c', 'd']) {
      assert.equal(p.keepsRowids(10, 't'), true, s);
      p.keep(s, 't', 0, 1, rows(10));
    }
    assert.equal(p.keepsRowids(1, 't'), false, 'the budget is spent');
    p.keep('e', 't', 0, 1, { total: 1000, rowids: null, keys: [[1, 'x']] });
    for (const s of ['a', 'b', 'c', 'd', 'e']) assert.notEqual(p.find(s, 't', 0, 'all'), null, `${s} kept`);
    assert.equal(p.keepsRowids(10, 't2'), true, 'after a commit the older sets are dropped');
    for (const s of ['a', 'e']) assert.equal(p.find(s, 't2', 0, 'all'), null, `${s} dropped`);
  });

  test('a set sized by a page before it is read waits for its walks, and one too large to keep is never read', () => {
    const p = new Positions(10, 4000);
    const q: CertificateQuery = { accountUin: 'a', offset: 100, limit: 10 };
    const shape = Positions.shape(q)!;
    assert.equal(p.find(shape, 't', 0, q), null);
    p.sized(shape, 1000);
    assert.equal(p.find(shape, 't', 0, q), null, 'sized: 110 + 110 of 1,000');
    for (let i = 0; i < 8; i++) p.find(shape, 't', 0, q);
    assert.equal(p.find(shape, 't', 0, q), 'read', '10 pages of 110');
    assert.equal(p.tooLarge(shape), false);
    p.sized(shape, 1001);
    assert.equal(p.tooLarge(shape), true, 'over a quarter of the budget');
  });

  test('while the token is new a page is counted as walking at most `farthest` entries, once it held, whole', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const p = new Positions();
    const q: CertificateQuery = { accountUin: 'a', offset: 500, limit: 10 };
    const shape = Positions.shape(q)!;
    p.sized(shape, 1000);
    for (let i = 0; i < 9; i++) assert.equal(p.find(shape, 't', 0, q, 100), null, `page ${i}: ${(i + 1) * 110} of 1,000`);
    assert.equal(p.find(shape, 't', 0, q, 100), 'read');
    // A new token: capped for a second, then whole (510 a page).
    assert.equal(p.find(shape, 't2', 0, q, 100), null, '110');
    t.mock.timers.tick(TOKEN_HELD_MS);
    assert.equal(p.find(shape, 't2', 0, q, 100), null, '110 + 510');
    assert.equal(p.find(shape, 't2', 0, q, 100), 'read', '110 + 510 + 510');
  });

  test('PostgreSQL ids are kept packed where they are of one width, and sliced back', () => {
    const ids = ['aB3dE5gH', 'zz000000', 'Q1w2E3r4'];
    const k = KeptIds.of(ids);
    assert.equal(k.length, 3);
    assert.equal(k.units, 3, 'a byte an id character');
    assert.deepEqual(k.slice(1, 5), ids.slice(1));
    const odd = KeptIds.of(['a', 'bc', 'd,e f']);
    assert.deepEqual(odd.slice(0, 3), ['a', 'bc', 'd,e f']);
    assert.equal(KeptIds.of([]).length, 0);
    assert.deepEqual(KeptIds.packed(ids.join(''), 8).slice(0, 3), ids);
    assert.throws(() => KeptIds.packed('abc', 2));
  });

  test('a later PostgreSQL snapshot: a larger xmax, or as large with fewer in progress', () => {
    assert.equal(laterSnapshot('100:105:', '100:104:'), true);
    assert.equal(laterSnapshot('100:104:', '100:105:'), false);
    assert.equal(laterSnapshot('100:105:101', '100:105:101,102'), true);
    assert.equal(laterSnapshot('100:105:101,102', '100:105:101'), false);
  });
});

for (const backend of BACKENDS) describe(`kept positions (${backend})`, () => {
  let t: TestService;
  before(async () => {
    t = await startTestService(backend);
  });
  after(async () => {
    await t?.close();
  });

  test('deep pages equal the plain evaluation across writes and the clock', async () => {
    const chain = await makeChain('EC', 'positions.example.com');
    const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    const account = t.cred.accountUin;
    const caller = { accountUin: account, userUin: account };
    const template = await t.svc.core.services.certificates.get(caller, up.CertificateId!);
    const { certificates: store, dvOrders } = t.svc.core.stores;
    const now = Date.UTC(2027, 0, 10, 13, 0, 0);
    // Ties in both sort keys (30 creation instants, 40 expiry days).
    const make = (i: number): CertificateRecord => ({
      ...template, id: `pos${String(i).padStart(5, '0')}`, status: [1, 1, 1, 0, 3, 1, 2, 4][i % 8]!, certificateType: i % 9 === 0 ? 'CA' : 'SVR',
      isSm: i % 11 === 0, privateKeySealed: i % 6 === 0 ? null : template.privateKeySealed, projectId: i % 3,
      createdAt: now - (i % 30) * 1000, notAfter: now + ((i % 40) - 10) * DAY, tags: i % 4 === 0 ? [{ key: 'team', value: 'a' }] : [],
    });
    const all = new Map<string, CertificateRecord>([[template.id, template]]);
    const rows = Array.from({ length: 20 * EVERY }, (_, i) => make(i));
    await store.bulkInsertCertificates(rows);
    for (const r of rows) all.set(r.id, r);
    const log = (id: string): OperationLogRecord => ({ accountUin: account, userUin: account, certId: id, type: 'x', action: 'x', createdAt: now });
    const shapes: Partial<CertificateQuery>[] = [
      {}, { statuses: [1] }, { statuses: [3] }, { deployable: true }, { deployable: false }, { isSm: false }, { certificateType: 'SVR' },
      { expirationSort: 'ASC' }, { expirationSort: 'DESC' }, { expirationSort: 'DESC', statuses: [1] }, { tags: [{ key: 'team', value: '' }], projectId: 1 },
      { source: 'upload', pendingIssue: true }, { searchKey: 'pos00' }, { searchKey: 'POS01', statuses: [1], expirationSort: 'ASC' },
      // FilterExpiring: a window of 10 days from the clock (`until` relative to it here).
      { expiring: { now: 0, until: 10 * DAY } }, { expiring: { now: 0, until: 10 * DAY }, isSm: false, expirationSort: 'DESC' },
    ];
    // A listing whose sets never keep rowids: pages from the kept keys (positions.ts).
    const { kysely } = t.svc.core.stores;
    const keysOnly = sqliteListing(new Positions(512, 0));
    // A listing of its own, to see that its kept sets answer pages (Positions.served).
    const own = new Positions();
    const ownListing = backend === 'sqlite' ? sqliteListing(own)
      : postgresListingKept(own, async () => (await sql<{ t: string }>`select pg_current_snapshot()::text as t`.execute(kysely)).rows[0]!.t);
    const tinyListing = postgresListingKept(new Positions(512, 40));
    let clock = now;
    const check = async (round: string) => {
    const served = own.served;
      for (const s of shapes) {
        const e = s.expiring ? { expiring: { now: clock, until: clock + s.expiring.until } } : {};
        const total = listInMemory(all.values(), { accountUin: account, offset: 0, limit: 1, now: clock, ...s, ...e }).total;
        for (const offset of [0, 3, EVERY, EVERY + 3, Math.floor(total / 2), total - 5, 5 * EVERY - 1, total]) {
          if (offset < 0) continue;
          const q: CertificateQuery = { accountUin: account, offset, limit: 7, now: clock, ...s, ...e };
          const want = listInMemory(all.values(), q);
          // Three times: the first asks, the second reads the positions, the third uses them.
          for (let k = 0; k < 3; k++) {
            const got = await store.listCertificates(q);
            assert.equal(got.total, want.total, `${round} ${JSON.stringify(q)}`);
            assert.deepEqual(got.items.map((c) => c.id), want.items.map((c) => c.id), `${round} ${JSON.stringify(q)} (try ${k})`);
            const mine = await listCertificates(kysely, q, ownListing);
            assert.equal(mine.total, want.total, `${round} ${JSON.stringify(q)} (own)`);
            assert.deepEqual(mine.items.map((c) => c.id), want.items.map((c) => c.id), `${round} ${JSON.stringify(q)} (own, try ${k})`);
            if (backend !== 'sqlite' && k === 2) {
              // With side facts (DescribeCertificates'): from the kept set as without it.
              const withSides = await listCertificates(kysely, { ...q, sides: true }, ownListing);
              const plain = await listCertificates(kysely, { ...q, sides: true }, postgresListing);
              assert.deepEqual(withSides.sides, plain.sides, `${round} ${JSON.stringify(q)} (sides)`);
              assert.deepEqual(withSides.items, plain.items, `${round} ${JSON.stringify(q)} (records)`);
            }
            if (backend !== 'sqlite') {
              // Sets over a tenth of this budget are too large to keep: read as if nothing were kept.
              const small = await listCertificates(kysely, q, tinyListing);
              assert.deepEqual([small.total, ...small.items.map((c) => c.id)], [want.total, ...want.items.map((c) => c.id)], `${round} ${JSON.stringify(q)} (tiny, try ${k})`);
              continue;
            }
            const keyed = listCertificatesNow(kysely, sqliteNow(kysely)!, q, keysOnly)!;
            assert.equal(keyed.total, want.total, `${round} ${JSON.stringify(q)} (keys)`);
            assert.deepEqual(keyed.items.map((c) => c.id), want.items.map((c) => c.id), `${round} ${JSON.stringify(q)} (keys, try ${k})`);
          }
        }
      }
      assert.ok(own.served > served + shapes.length, `${round}: pages answered from kept sets (${own.served - served})`);
    };
    await check('as seeded');
    // Writes between reads: newer rows, deletions, transitions, project moves.
    const more = Array.from({ length: EVERY + 5 }, (_, i) => ({ ...make(50_000 + i), createdAt: now + 5000 + (i % 3) }));
    // Ids of other widths, and of as many characters but more bytes (PostgreSQL's sets then come as JSON, not packed).
    more.push(...['w1', 'p\u00f6s00001', 'wide-id-00003'].map((id, i) => ({ ...make(60_000 + i), id })));
    await store.bulkInsertCertificates(more);
    for (const r of more) all.set(r.id, r);
    for (const r of rows.filter((_, i) => i % 17 === 0)) {
      assert.ok(await store.deleteCertificate(account, r.id, log(r.id)));
      all.delete(r.id);
    }
    for (const r of rows.filter((x, i) => i % 13 === 1 && all.has(x.id))) {
      const set = { status: r.status === 1 ? 2 : 1, notAfter: r.notAfter + DAY };
      assert.ok(await dvOrders.transitionCertificate(r.id, { fromStatuses: [r.status], set }, log(r.id)));
      all.set(r.id, { ...r, ...set });
    }
    await check('after writes');
    // The clock past a notAfter: issued certificates expire without any write.
    clock = now + 3 * DAY + 1;
    await check('days later');
    // Without writes, the sets read days later: at now + 4 days a certificate comes into the
    // 10-day window (notAfter now + 14 days), just after it one leaves it (notAfter now + 4 days).
    clock = now + 4 * DAY;
    await check('one into the window');
    clock = now + 4 * DAY + 1;
    await check('one out of it');
  });
});

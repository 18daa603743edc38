// The DescribeCertificates page cache: reused pages must be exactly what a fresh read would
// give — after writes on this node, on another node sharing the database, and when the
// clock crosses an expiry instant — and reuse must actually happen when nothing changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../config/config.js';
import { startService, type RunningService } from '../main.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { sharedAfterCall } from '../store/db.js';
import { BACKENDS, sdkClient, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { PAGE_MAX_AGE_MS, PAGE_SEEN_MS, PageCache } from './page-cache.js';

const DAY = 86_400_000;

describe('PageCache', () => {
  test('an entry holds only for its token and time span, and is served as stored', () => {
    const c = new PageCache(1 << 20);
    const v = c.put('k', 't1', 1000, 5000, { TotalCount: 1, Certificates: [] });
    assert.equal(v.json, '{"TotalCount":1,"Certificates":[]}');
    assert.equal(c.get('k', 't1', 4999), v);
    assert.equal(c.get('k', 't1', 999), null, 'a clock moved back');
    c.put('k', 't1', 1000, 5000, {});
    assert.equal(c.get('k', 't1', 5000), null, 'at the end of its span');
    c.put('k', 't1', 1000, 5000, {});
    assert.equal(c.get('k', 't2', 2000), null, 'another token');
    assert.equal(c.get('k', 't1', 2000), null, 'a stale entry is dropped on sight');
    c.put('k', 't1', 0, Infinity, {});
    assert.equal(c.get('k', 't1', PAGE_MAX_AGE_MS), null, 'no entry outlives the maximum age');
  });

  test('keeps within its byte budget, evicting the least recently used', () => {
    const c = new PageCache(100);
    const body = (n: number) => ({ x: 'y'.repeat(n) });
    c.put('a', 't', 0, 10, body(10)); // 18 bytes each
    c.put('b', 't', 0, 10, body(10));
    c.put('c', 't', 0, 10, body(10));
    assert.ok(c.get('a', 't', 1)); // a is now the most recent
    c.put('d', 't', 0, 10, body(10));
    c.put('e', 't', 0, 10, body(10)); // 5 × 18 = 90
    c.put('f', 't', 0, 10, body(10)); // over 100: b (least recent) goes
    assert.equal(c.get('b', 't', 1), null);
    for (const k of ['a', 'c', 'd', 'e', 'f']) assert.ok(c.get(k, 't', 1), k);
    const big = c.put('g', 't', 0, 10, body(40)); // over a quarter of the budget: not kept
    assert.equal(big.json.length, 48);
    assert.equal(c.get('g', 't', 1), null);
    assert.equal(new PageCache(0).enabled, false);
  });

  test('a request is wanted from its second ask within PAGE_SEEN_MS, or while cached', () => {
    const c = new PageCache(1 << 20);
    assert.equal(c.wanted('k', 1000), false, 'first ask');
    assert.equal(c.wanted('k', 2000), true, 'second ask');
    assert.equal(c.wanted('k', 3000), false, 'the second ask used the memory up; nothing was kept');
    c.put('k', 't', 3000, 10_000, {});
    assert.equal(c.wanted('k', 4000), true, 'cached');
    assert.equal(c.wanted('late', 0), false);
    assert.equal(c.wanted('late', PAGE_SEEN_MS), false, 'asked again too late');
    const small = new PageCache(40); // remembers 10 characters of keys
    small.wanted('aaaa', 0);
    small.wanted('bbbb', 0);
    small.wanted('cccc', 0); // 12 > 10: aaaa forgotten
    assert.equal(small.wanted('bbbb', 1), true);
    assert.equal(small.wanted('aaaa', 1), false);
    assert.equal(small.wanted('x'.repeat(11), 1), false);
    assert.equal(small.wanted('x'.repeat(11), 2), false, 'a key over the budget is never remembered');
  });
});

describe('sharedAfterCall', () => {
  test('callers share a read, but never one that began before they called', async () => {
    let calls = 0;
    const gates: (() => void)[] = [];
    const read = sharedAfterCall(() => new Promise<number>((ok) => {
      const n = ++calls;
      gates.push(() => ok(n));
    }));
    const a = read(); // starts read 1
    const b = read(); // read 1 began before b: b waits for read 2
    const c = read(); // shares read 2 with b
    assert.equal(calls, 1);
    gates.shift()!();
    assert.equal(await a, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 2, 'read 2 starts when read 1 ends');
    const d = read(); // read 2 is under way: d waits for read 3
    gates.shift()!();
    assert.deepEqual([await b, await c], [2, 2]);
    await new Promise((r) => setImmediate(r));
    gates.shift()!();
    assert.equal(await d, 3);
    assert.equal(calls, 3);
    const e = read(); // nothing running: starts at once
    assert.equal(calls, 4);
    gates.shift()!();
    assert.equal(await e, 4);
  });
});

for (const backend of BACKENDS) {
  describe(`DescribeCertificates pages reused (${backend})`, () => {
    let now = Date.now();
    let t: TestService;
    let second: RunningService;
    let other: SslClient;
    before(async () => {
      t = await startTestService(backend, { clock: () => now });
      // A second node on the same database (SQLite file or PostgreSQL schema).
      second = await startService(loadConfig({ ...t.env, CERTPORT_PORT: '0' }), { clock: () => now });
      other = sdkClient(Number(new URL(second.url).port), t.cred);
    });
    after(async () => {
      await second?.close();
      await t?.close();
    });

    const pages = () => t.svc.core.services.pages;
    const list = async () => {
      const r = await t.client.DescribeCertificates({ Limit: 5 });
      return { total: r.TotalCount, items: r.Certificates!.map((c) => ({ id: c.CertificateId, alias: c.Alias, status: c.Status, expiring: c.IsExpiring })) };
    };

    test('a repeated request is answered from the cache with a fresh RequestId', async () => {
      const chain = await makeChain('EC', 'cache.example.com');
      await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: 'first' });
      const hits = pages().hits;
      await t.client.DescribeCertificates({ Limit: 5 }); // first ask: answered, not kept
      assert.equal(pages().hits, hits);
      let a = await t.client.DescribeCertificates({ Limit: 5 }); // second: kept
      let b = await t.client.DescribeCertificates({ Limit: 5 });
      // On PostgreSQL the change token is the cluster's snapshot: a commit by anything else on the
      // cluster (other test files run beside this one) rightly voids the page, so a few tries.
      for (let i = 0; backend === 'postgres' && pages().hits === hits && i < 20; i++) {
        a = b;
        b = await t.client.DescribeCertificates({ Limit: 5 });
      }
      assert.equal(pages().hits, hits + 1);
      assert.notEqual(a.RequestId, b.RequestId);
      assert.deepEqual({ ...a, RequestId: '' }, { ...b, RequestId: '' });
      assert.equal(a.Certificates![0]!.Alias, 'first');
    });

    test('writes on this node and on the other node show at once', async () => {
      const before = await list();
      const id = before.items[0]!.id!;
      await t.client.ModifyCertificateAlias({ CertificateId: id, Alias: 'renamed here' });
      assert.equal((await list()).items[0]!.alias, 'renamed here');
      await list(); // cached again
      await other.ModifyCertificateAlias({ CertificateId: id, Alias: 'renamed there' });
      assert.equal((await list()).items[0]!.alias, 'renamed there');
      const chain = await makeChain('RSA', 'cache2.example.com');
      now += 1000; // newest first: after the first upload
      const { CertificateId: added } = await other.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
      const after = await list();
      assert.equal(after.total, before.total! + 1);
      assert.equal(after.items[0]!.id, added);
      await other.DeleteCertificate({ CertificateId: added! });
      assert.deepEqual((await list()).items.map((c) => c.id), before.items.map((c) => c.id));
    });

    test('crossing an expiry instant changes the page without any write', async () => {
      const first = (await list()).items.find((c) => c.alias === 'renamed there')!;
      assert.equal(first.status, 1);
      assert.equal(first.expiring, false);
      await list();
      now += 61 * DAY; // the leaf lives 90 days: inside the 30-day window now
      const inWindow = (await list()).items.find((c) => c.id === first.id)!;
      assert.deepEqual([inWindow.status, inWindow.expiring], [1, true]);
      now += 30 * DAY; // past notAfter
      const expired = (await list()).items.find((c) => c.id === first.id)!;
      assert.deepEqual([expired.status, expired.expiring], [3, false]);
    });

    test('pages filtered against the clock are never reused', async () => {
      const hits = pages().hits;
      for (let i = 0; i < 3; i++) {
        await t.client.DescribeCertificates({ FilterExpiring: 1 });
        await t.client.DescribeCertificates({ CertificateStatus: [1] });
        await t.client.DescribeCertificates({ Deployable: 1 });
      }
      assert.equal(pages().hits, hits);
    });
  });
}

// FilterExpiring's TotalCount comes from per-day counts kept by triggers (migration 0014) plus
// the two partial days counted row by row. Inserts, status/expiry transitions and deletions
// must keep it equal to a plain count, for windows that start and end anywhere in a day.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../testing/harness.js';
import type { CertificateRecord, OperationLogRecord } from '../domain/certificate.js';

const DAY = 86_400_000;

for (const backend of BACKENDS) {
  describe(`expiring counts (${backend})`, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => {
      await t?.close();
    });

    test('equal a plain count after inserts, transitions and deletions', async () => {
      const chain = await makeChain('EC', 'days.example.com');
      const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
      const caller = { accountUin: t.cred.accountUin, userUin: t.cred.accountUin };
      const template = await t.svc.core.services.certificates.get(caller, up.CertificateId!);
      const { certificates: store, dvOrders } = t.svc.core.stores;
      const now = Date.UTC(2027, 0, 10, 13, 0, 0);
      // Two per 5 hours over 40 days, statuses mixed, some on exact day edges.
      const rows: CertificateRecord[] = Array.from({ length: 400 }, (_, i) => ({
        ...template,
        id: `days${String(i).padStart(4, '0')}`,
        status: [1, 1, 1, 0, 3][i % 5]!,
        notAfter: i % 7 === 0 ? now + Math.floor(i / 10) * DAY - (now % DAY) : now - 5 * DAY + i * 2.5 * 3_600_000,
        createdAt: now - i,
        tags: [],
      }));
      await store.bulkInsertCertificates(rows);
      const all = new Map([[template.id, template], ...rows.map((r) => [r.id, r] as const)]);
      const log = (id: string): OperationLogRecord => ({ accountUin: caller.accountUin, userUin: caller.userUin, certId: id, type: 'x', action: 'x', createdAt: now });
      for (const r of rows.filter((_, i) => i % 9 === 0)) {
        const set = { status: r.status === 1 ? 10 : 1, notAfter: r.notAfter + (r.id.endsWith('0') ? 3 * DAY : 0) };
        assert.ok(await dvOrders.transitionCertificate(r.id, { fromStatuses: [r.status], set }, log(r.id)));
        all.set(r.id, { ...r, ...set });
      }
      for (const r of rows.filter((_, i) => i % 13 === 0)) {
        assert.ok(await store.deleteCertificate(caller.accountUin, r.id, log(r.id)));
        all.delete(r.id);
      }
      const windows: [number, number][] = [
        [now, now + 30 * DAY], [now - 3 * DAY, now + 2 * DAY], [now - (now % DAY), now - (now % DAY) + 10 * DAY - 1],
        [now + 1, now + DAY], [now - 10 * DAY, now + 60 * DAY], [now + 2 * DAY - (now % DAY), now + 2 * DAY - (now % DAY)],
      ];
      for (const [from, until] of windows) {
        const plain = [...all.values()].filter((c) => c.status === 1 && c.notAfter >= from && c.notAfter <= until);
        for (const statuses of [undefined, [1]]) {
          for (const offset of [0, 3]) {
            const r = await store.listCertificates({ accountUin: caller.accountUin, offset, limit: 5, now: from, expiring: { now: from, until }, ...(statuses ? { statuses } : {}) });
            assert.equal(r.total, plain.length, `window ${from}..${until}, statuses ${statuses}, offset ${offset}`);
            const want = plain.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).slice(offset, offset + 5).map((c) => c.id);
            assert.deepEqual(r.items.map((c) => c.id), want);
          }
        }
      }
      assert.ok(windows.some(([from, until]) => [...all.values()].filter((c) => c.status === 1 && c.notAfter >= from && c.notAfter <= until).length > 20));
    });
  });
}

// The listing reader thread (SQLite): pages equal the plain evaluation, a write committed by the
// store is in the next page the thread reads, and listings go on on the request thread once it
// is gone.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';
import type { CertificateQuery, CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import { openStores } from '../open.js';
import { openDb } from '../db.js';
import { SqlCertificateStore } from '../certificates.js';
import { ListingReader } from './reader.js';
import { listInMemory } from '../../testing/fakes/listing.js';

describe('listing reader thread (sqlite)', { skip: !BACKENDS.includes('sqlite') }, () => {
  let t: TestService;
  before(async () => {
    t = await startTestService('sqlite');
  });
  after(async () => {
    await t?.close();
  });

  test('reads the pages the request thread reads, and sees each commit', async () => {
    const chain = await makeChain('EC', 'reader.example.com');
    const up = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    const account = t.cred.accountUin;
    const template = await t.svc.core.services.certificates.get({ accountUin: account, userUin: account }, up.CertificateId!);
    const store = t.svc.core.stores.certificates;
    const now = Date.UTC(2027, 0, 10);
    const rows: CertificateRecord[] = Array.from({ length: 300 }, (_, i) => ({
      ...template, id: `rdr${String(i).padStart(5, '0')}`, status: [1, 1, 0, 3][i % 4]!, createdAt: now - i * 1000, notAfter: now + (i % 30) * 86_400_000,
      tags: i % 7 === 0 ? [{ key: 'team', value: 'a' }] : [],
    }));
    await store.bulkInsertCertificates(rows);
    const all = new Map<string, CertificateRecord>([[template.id, template], ...rows.map((r) => [r.id, r] as const)]);
    const dataDir = t.env.CERTPORT_DATA_DIR!;
    const reader = new ListingReader(`sqlite:${path.join(dataDir, 'certport.db')}`);
    try {
      const shapes: Partial<CertificateQuery>[] = [{}, { statuses: [1] }, { expirationSort: 'ASC' }, { searchKey: 'rdr001' }, { tags: [{ key: 'team', value: 'a' }] }];
      const check = async (round: string) => {
        for (const s of shapes) {
          for (const offset of [0, 5, 150, 290]) {
            const q: CertificateQuery = { accountUin: account, offset, limit: 7, now, sides: true, ...s };
            for (let k = 0; k < 3; k++) {
              const got = await reader.list(q);
              assert.ok(got, `${round}: read on the thread`);
              const want = listInMemory(all.values(), q);
              assert.equal(got.total, want.total, `${round} ${JSON.stringify(q)}`);
              assert.deepEqual(got.items.map((c) => c.id), want.items.map((c) => c.id), `${round} ${JSON.stringify(q)} (try ${k})`);
              assert.equal(got.sides?.length, got.items.length, 'side facts with each item');
            }
          }
        }
      };
      await check('as seeded');
      // Committed by the store on the request thread: in the thread's next page.
      const log = (id: string): OperationLogRecord => ({ accountUin: account, userUin: account, certId: id, type: 'x', action: 'x', createdAt: now });
      for (const r of rows.filter((_, i) => i % 5 === 0)) {
        assert.ok(await store.deleteCertificate(account, r.id, log(r.id)));
        all.delete(r.id);
      }
      await check('after deletes');
    } finally {
      await reader.close();
    }
    // Gone: null, and the store's own listing answers.
    assert.equal(await reader.list({ accountUin: account, offset: 0, limit: 1 }), null);
  });

  test('the store lists through it, and on the request thread once it has failed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'certport-reader-'));
    const url = `sqlite:${path.join(dir, 'c.db')}`;
    const stores = await openStores(url, { listingThread: true });
    const failed = new ListingReader(url);
    await failed.close();
    const db = openDb(url);
    try {
      const q: CertificateQuery = { accountUin: '100000000001', offset: 0, limit: 5 };
      assert.deepEqual(await stores.certificates.listCertificates(q), { total: 0, items: [] });
      assert.equal(await failed.list(q), null);
      assert.deepEqual(await new SqlCertificateStore(db, failed).listCertificates(q), { total: 0, items: [] });
    } finally {
      await db.close();
      await stores.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

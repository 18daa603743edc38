// SQLite's listing and side reads on the connection itself (db.ts SqliteNow): while a Kysely
// transaction holds the connection they wait for it, through Kysely, and never read what it
// has not committed (here: what it rolls back).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../../testing/pki-fixtures.js';
import { startTestService, type TestService } from '../../testing/harness.js';

describe('reads on the connection itself (sqlite)', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService('sqlite');
  });
  after(async () => {
    await t?.close();
  });

  test('wait for a transaction holding the connection and never see what it rolls back', async () => {
    const chain = await makeChain('EC', 'now.example.com');
    await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: 'kept' });
    const account = t.cred.accountUin;
    const { certificates: store, projects, kysely } = t.svc.core.stores;
    const q = { accountUin: account, offset: 0, limit: 10 };
    const aliases = async (p: Promise<{ total: number; items: { alias: string }[] }>) => {
      const l = await p;
      return [l.total, l.items.map((c) => c.alias)];
    };
    assert.deepEqual(await aliases(store.listCertificates(q)), [1, ['kept']]);
    const asked: Promise<unknown>[] = [];
    await assert.rejects(kysely.transaction().execute(async (tx) => {
      await tx.updateTable('certificates').set({ alias: 'rolled back' }).where('account_uin', '=', account).execute();
      await tx.insertInto('projects').values({ account_uin: account, project_id: 42, name: 'rolled back', created_at: 0 }).execute();
      // Not awaited: each waits for the connection (awaiting here would wait for ourselves).
      asked.push(aliases(store.listCertificates(q)), aliases(store.listCertificates({ ...q, searchKey: 'now.example' })),
        aliases(store.listCertificates({ ...q, offset: 1 })), aliases(store.listCertificates({ ...q, statuses: [1], material: true })),
        projects.getProjects(account, [42]));
      throw new Error('roll back');
    }), /roll back/);
    assert.deepEqual(await Promise.all(asked), [[1, ['kept']], [1, ['kept']], [1, []], [1, ['kept']], []]);
    // And on the connection itself again once it is free.
    assert.deepEqual(await aliases(store.listCertificates({ ...q, searchKey: 'now.example' })), [1, ['kept']]);
  });
});

// CertificateService.list lists the caller's certificates whatever account the query names: a
// query naming the caller's account goes to the store as it is (no copy), any other is made the
// caller's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../testing/harness.js';

for (const backend of BACKENDS) {
  describe(`CertificateService.list is the caller's (${backend})`, () => {
    let t: TestService;
    let mine: string;
    let other: { accountUin: string };
    before(async () => {
      t = await startTestService(backend);
      const ch = await makeChain('EC', 'list.account.test');
      mine = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      other = await t.newAccount();
    });
    after(async () => { await t.close(); });

    test('whatever account the query names', async () => {
      const certs = t.svc.core.services.certificates;
      const caller = { accountUin: t.cred.accountUin, userUin: t.cred.accountUin };
      const page = { offset: 0, limit: 10 };
      for (const q of [page, { ...page, accountUin: caller.accountUin }, { ...page, accountUin: other.accountUin }]) {
        const l = await certs.list(q, caller);
        assert.deepEqual([l.total, l.items.map((c) => c.id)], [1, [mine]], JSON.stringify(q));
      }
      const theirs = await certs.list({ ...page, accountUin: caller.accountUin }, { accountUin: other.accountUin, userUin: other.accountUin });
      assert.deepEqual([theirs.total, theirs.items.length], [0, 0]);
    });
  });
}

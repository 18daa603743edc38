// DescribeCertificateDetail's one read (issue 27): the certificate, its material, its tags and
// its hosting status come from one statement on each backend; what it answers is unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { BACKENDS, expectCode, sdkClient, startTestService, type TestService } from '../testing/harness.js';

for (const backend of BACKENDS) {
  describe(`DescribeCertificateDetail in one read (${backend})`, () => {
    let t: TestService;
    let ch: TestChain;
    before(async () => {
      t = await startTestService(backend);
      ch = await makeChain('EC', 'detail.read.test');
    });
    after(async () => { await t.close(); });

    test('tags in key order, the key, the chain as uploaded, the root; hosting status when hosted; another account\'s is not found', async () => {
      const pem = ch.leafPem + ch.intermediatePem + ch.rootPem;
      const id = (await t.client.UploadCertificate({
        CertificatePublicKey: pem, CertificatePrivateKey: ch.keyPem,
        Tags: [{ TagKey: 'zone', TagValue: 'b' }, { TagKey: 'app', TagValue: 'shop "one"' }, { TagKey: 'env', TagValue: '生产' }],
      })).CertificateId!;
      const d = await t.client.DescribeCertificateDetail({ CertificateId: id });
      assert.deepEqual(d.Tags, [{ TagKey: 'app', TagValue: 'shop "one"' }, { TagKey: 'env', TagValue: '生产' }, { TagKey: 'zone', TagValue: 'b' }]);
      assert.equal(d.CertificatePublicKey, pem);
      assert.equal(d.CertificatePrivateKey, ch.keyPem);
      assert.ok(d.RootCert!.Standard!.includes(ch.rootPem.split('\n')[1]!), 'the chain\'s root, kept at upload');
      assert.equal(d.HostingStatus, -1, 'not hosted');
      const bare = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      assert.deepEqual((await t.client.DescribeCertificateDetail({ CertificateId: bare })).Tags, []);

      const now = Date.now();
      await t.svc.core.stores.kysely.insertInto('cert_hosting').values({
        cert_id: id, account_uin: t.cred.accountUin, resource_types: '["clb"]', replace_days: null, message_types: '[]', window_start: null, window_end: null,
        status: 10, renew_cert_id: null, record_id: null, complete_at: null, failures: 0, next_at: now, last_error: null, created_at: now, updated_at: now,
      }).execute();
      assert.equal((await t.client.DescribeCertificateDetail({ CertificateId: id })).HostingStatus, 10);

      const other = sdkClient(t.port, await t.newAccount());
      await expectCode(other.DescribeCertificateDetail({ CertificateId: id }), 'FailedOperation.CertificateNotFound');
      await expectCode(t.client.DescribeCertificateDetail({ CertificateId: 'NoSuch01' }), 'FailedOperation.CertificateNotFound');
    });
  });
}

// CheckCertificateExist and CheckCertificateChain (issue 24) through the official SDK.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../testing/pki-fixtures.js';
import { BACKENDS, expectCode, startTestService, type SslClient, type TestService } from '../testing/harness.js';

for (const backend of BACKENDS) {
  describe(`CheckCertificateExist and CheckCertificateChain (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    before(async () => {
      t = await startTestService(backend);
      c = t.client;
    });
    after(async () => { await t.close(); });

    test('CheckCertificateExist: the id of the same leaf uploaded before, else empty; not PEM is CertificateParseError', async () => {
      const a = await makeChain('RSA', 'exist-a.example.test');
      const b = await makeChain('EC', 'exist-b.example.test');
      const up = await c.UploadCertificate({ CertificatePublicKey: a.leafPem + a.intermediatePem, CertificatePrivateKey: a.keyPem });
      assert.equal((await c.CheckCertificateExist({ CertificatePublicKey: a.intermediatePem + a.leafPem })).RepeatCertId, up.CertificateId);
      assert.equal((await c.CheckCertificateExist({ CertificatePublicKey: b.leafPem })).RepeatCertId, '');
      // Another account does not see it.
      const other = await t.newAccount();
      const { sdkClient } = await import('../testing/harness.js');
      assert.equal((await sdkClient(t.port, other).CheckCertificateExist({ CertificatePublicKey: a.leafPem })).RepeatCertId, '');
      await expectCode(c.CheckCertificateExist({ CertificatePublicKey: 'not a certificate' }), 'FailedOperation.CertificateParseError');
    });

    test('CheckCertificateChain: a verifying chain (any order) with its names; trusted only under a known root; a broken link is IsValid false', async () => {
      const a = await makeChain('RSA', 'chain-a.example.test');
      const b = await makeChain('RSA', 'chain-b.example.test');
      const ok = await c.CheckCertificateChain({ CertificateChain: a.rootPem + a.leafPem + a.intermediatePem });
      assert.equal(ok.IsValid, true);
      assert.equal(ok.IsTrustedCA, false, 'a test root is no trusted CA');
      assert.equal(ok.Chains![0], 'chain-a.example.test');
      assert.equal(ok.Chains!.length, 3);
      // a's leaf under b's intermediate: the same issuer name, another key.
      const forged = await c.CheckCertificateChain({ CertificateChain: a.leafPem + b.intermediatePem + b.rootPem });
      assert.equal(forged.IsValid, false);
      assert.equal(forged.Chains!.length, 3);
      // certport's own root is trusted.
      const root = await (await fetch(`http://127.0.0.1:${t.port}/ca/root.pem`)).text();
      const inter = await (await fetch(`http://127.0.0.1:${t.port}/ca/rsa-intermediate.pem`)).text();
      const own = await c.CheckCertificateChain({ CertificateChain: inter });
      assert.equal(own.IsTrustedCA, true);
      assert.equal(own.IsValid, true);
      assert.equal((await c.CheckCertificateChain({ CertificateChain: inter + root })).IsTrustedCA, true);
      await expectCode(c.CheckCertificateChain({ CertificateChain: 'garbage' }), 'FailedOperation.CertificateParseError');
    });
  });
}

// UploadCertificate's cost limits end to end (issue 22), through the official SDK, on SQLite and
// PostgreSQL: what costs too much is refused with the spec's code and leaves nothing behind;
// what is accepted is parsed once, and later reads use what was kept.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { UPLOAD_LIMITS } from '../pki/limits.js';
import { toPem } from '../pki/pem.js';
import { costChain, encryptedKeyDer, fakeRsaKey, type CostChain } from '../testing/cost-fixtures.js';
import { BACKENDS, expectCode, startTestService, type TestService } from '../testing/harness.js';

let worst: CostChain;
before(() => {
  worst = costChain({ cas: UPLOAD_LIMITS.chainCertificates - 1, sans: UPLOAD_LIMITS.subjectAltNames, domain: 'worst.example.com' });
});

for (const backend of BACKENDS) {
  describe(`UploadCertificate within cost limits (${backend})`, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(backend);
    });
    after(async () => { await t.close(); });

    const stored = async () => (await t.client.DescribeCertificates({})).TotalCount;
    const setMaterial = (id: string, set: { cert_pem?: string; chain_root_pem?: string | null }) =>
      t.svc.core.stores.kysely.updateTable('certificate_material').set(set).where('cert_id', '=', id).execute();

    test('what costs more than the limits is refused at once with the spec\'s code, and nothing is stored', async () => {
      const before = await stored();
      const refused = async (params: Record<string, unknown>, code: string, message: RegExp) => {
        const t0 = performance.now();
        assert.match(await expectCode(t.client.UploadCertificate(params as never), code), message);
        return performance.now() - t0;
      };
      // The issue's input: a leaf and 999 CA certificates, ~660 KB (it took 7.5-20 s, and every read of it 7-13 s).
      const issue = costChain({ cas: 999 });
      const ms = await refused({ CertificatePublicKey: issue.pems.join(''), CertificatePrivateKey: issue.keyPem }, 'RequestSizeLimitExceeded', /at most 65536/);
      assert.ok(ms < 3000, `refused in ${ms.toFixed(0)} ms`);
      const long = costChain({ cas: UPLOAD_LIMITS.chainCertificates });
      await refused({ CertificatePublicKey: long.pems.join(''), CertificatePrivateKey: long.keyPem }, 'InvalidParameterValue', /holds 11 certificates/);
      const named = costChain({ cas: 1, sans: UPLOAD_LIMITS.subjectAltNames + 1 });
      await refused({ CertificatePublicKey: named.pems.join(''), CertificatePrivateKey: named.keyPem }, 'InvalidParameterValue', /251 subject alternative names/);
      const huge = costChain({ cas: 1, leafSpki: fakeRsaKey(9216).spki });
      await refused({ CertificatePublicKey: huge.pems.join(''), CertificatePrivateKey: huge.keyPem }, 'InvalidParameterValue', /9216-bit RSA key/);
      // An encrypted key asking for 200,000,000 PBKDF2 rounds: minutes of CPU, refused before the first.
      const slowKey = toPem('ENCRYPTED PRIVATE KEY', encryptedKeyDer({ rounds: 200_000_000 }));
      const kms = await refused({ CertificatePublicKey: worst.pems.slice(0, 2).join(''), CertificatePrivateKey: slowKey, KeyPassword: 'pw' },
        'InvalidParameterValue', /200000000 key derivation rounds/);
      assert.ok(kms < 3000, `refused in ${kms.toFixed(0)} ms`);
      assert.equal(await stored(), before);
    });

    test('the worst accepted upload is read once: detail and list read what was kept, the download packages it', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: worst.pems.join(''), CertificatePrivateKey: worst.keyPem })).CertificateId!;
      const root = worst.pems[worst.pems.length - 1]!;
      const kept = await t.svc.core.stores.certificates.getCertificate(t.cred.accountUin, id);
      assert.equal(kept!.chainRootPem, root, 'the root is kept at upload');
      const d = await t.client.DescribeCertificateDetail({ CertificateId: id });
      assert.equal(d.RootCert!.Standard, root);
      assert.equal(d.SubjectAltName!.length, UPLOAD_LIMITS.subjectAltNames);
      // What the detail shows is what was kept, not what a parse finds now.
      await setMaterial(id, { chain_root_pem: 'KEPT AT UPLOAD' });
      assert.equal((await t.client.DescribeCertificateDetail({ CertificateId: id })).RootCert!.Standard, 'KEPT AT UPLOAD');
      const zip = await t.client.DownloadCertificate({ CertificateId: id });
      const bytes = Buffer.from(zip.Content!, 'base64');
      assert.equal(bytes.subarray(0, 2).toString(), 'PK');
      assert.ok(bytes.length < 512 * 1024, `the largest download is ${(bytes.length / 1024).toFixed(0)} KiB`);
    });

    test('a certificate stored before its root was kept has it found once, then kept; a new chain forgets it', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: worst.pems.slice(0, 3).concat(worst.pems.slice(-1)).join(''), CertificatePrivateKey: worst.keyPem })).CertificateId!;
      await setMaterial(id, { chain_root_pem: null });
      const d = await t.client.DescribeCertificateDetail({ CertificateId: id });
      assert.equal(d.RootCert!.Standard, worst.pems[worst.pems.length - 1]);
      assert.equal((await t.svc.core.stores.certificates.getCertificate(t.cred.accountUin, id))!.chainRootPem, worst.pems[worst.pems.length - 1]);
      const noRoot = (await t.client.UploadCertificate({ CertificatePublicKey: worst.pems.slice(0, 2).join(''), CertificatePrivateKey: worst.keyPem })).CertificateId!;
      await setMaterial(noRoot, { chain_root_pem: null });
      assert.equal((await t.client.DescribeCertificateDetail({ CertificateId: noRoot })).RootCert!.Standard, null);
      assert.equal((await t.svc.core.stores.certificates.getCertificate(t.cred.accountUin, noRoot))!.chainRootPem, '', 'known: none');
    });

    test('a chain stored before the limits is not parsed on read and not packaged', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: worst.pems.slice(0, 2).join(''), CertificatePrivateKey: worst.keyPem })).CertificateId!;
      // As the issue stored it: a leaf and 999 CA certificates (here 60: the parse is what is measured).
      const legacy = costChain({ cas: 60 });
      await setMaterial(id, { cert_pem: legacy.pems.join(''), chain_root_pem: null });
      const t0 = performance.now();
      const d = await t.client.DescribeCertificateDetail({ CertificateId: id });
      assert.equal(d.RootCert!.Standard, null);
      assert.ok(performance.now() - t0 < 2000, `detail in ${(performance.now() - t0).toFixed(0)} ms`);
      assert.match(await expectCode(t.client.DownloadCertificate({ CertificateId: id }), 'FailedOperation.CertificateInvalid'), /61 certificates/);
    });
  });
}

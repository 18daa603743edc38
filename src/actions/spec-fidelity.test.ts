// Spec fidelity found by running real clients against certport (issue 24), through the
// official SDK on SQLite and PostgreSQL: the codes and fields the spec and SDK describe.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../testing/pki-fixtures.js';
import { waitFor } from '../testing/dv.js';
import { BACKENDS, expectCode, sdkClient, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';

let dns: ChallTestSrv;
before(async () => { dns = await startChallTestSrv(); });
after(async () => { await dns?.stop(); });

const uniq = () => randomBytes(3).toString('hex');

for (const backend of BACKENDS) {
  describe(`spec fidelity (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    before(async () => {
      t = await startTestService(backend, { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '300' } });
      c = t.client;
    });
    after(async () => { await t.close(); });

    test('per-action spec codes (scripts/spec-error-codes.mjs): each answered in its situation', async () => {
      const chain = await makeChain('EC', `codes-${uniq()}.example.test`);
      const { CertificateId: uploaded } = await c.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem });
      // CancelAuditCertificate: one code for "does not exist, or cannot be cancelled".
      await expectCode(c.CancelAuditCertificate({ CertificateId: 'nosuch00' }), 'FailedOperation.CertificateNotFoundOrCantCancel');
      await expectCode(c.CancelAuditCertificate({ CertificateId: uploaded! }), 'FailedOperation.CertificateNotFoundOrCantCancel');
      // ModifyCertificateResubmit: not found, and "cannot re-submit in this status".
      await expectCode(c.ModifyCertificateResubmit({ CertificateId: 'nosuch00' }), 'FailedOperation.CertificateNotFound');
      await expectCode(c.ModifyCertificateResubmit({ CertificateId: uploaded! }), 'FailedOperation.CertificateStatusNotAllowResubmit');
      // UploadConfirmLetter: an uploaded certificate is the wrong source; an unknown id not found.
      const letter = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2048)]).toString('base64');
      await expectCode(c.UploadConfirmLetter({ CertificateId: uploaded!, ConfirmLetter: letter }), 'FailedOperation.InvalidCertificateSource');
      await expectCode(c.UploadConfirmLetter({ CertificateId: 'nosuch00', ConfirmLetter: letter }), 'FailedOperation.CertificateNotFound');
      // CommitCertificateInformation: not found; a certificate that is no paid order in status 5.
      await expectCode(c.CommitCertificateInformation({ CertificateId: 'nosuch00' }), 'FailedOperation.CertificateNotFound');
      await expectCode(c.CommitCertificateInformation({ CertificateId: uploaded! }), 'FailedOperation.InvalidCertificateStatusCode');
      // ApplyCertificate with a (discontinued) free-certificate package.
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `pk-${uniq()}.example.test`, PackageId: 'pkg-none' }), 'FailedOperation.PackageNotFound');
      // The managers of a company: one that does not exist.
      await expectCode(c.DescribeManagerDetail({ ManagerId: 987654321 }), 'ResourceNotFound.Manager');
      await expectCode(c.CreateCertificate({ DomainNum: 1, TimeSpan: 1 } as never), 'MissingParameter');
    });

    test('ReplaceCertificate of an uploaded certificate: FailedOperation.InvalidCertificateSource', async () => {
      const chain = await makeChain('EC', `up-${uniq()}.example.test`);
      const { CertificateId: id } = await c.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem });
      await expectCode(c.ReplaceCertificate({ CertificateId: id!, ValidType: 'DNS', CsrType: 'Upload', CsrContent: chain.csrPem }), 'FailedOperation.InvalidCertificateSource');
    });

    test('CheckCertificateDomainVerification: CheckValue holds what was found, wrong or right', async () => {
      const domain = `cv-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
      const a = (await waitFor(c, id!, (x) => !!x.DvAuthDetail?.DvAuthKey)).DvAuthDetail!;
      await dns.setTxt(a.DvAuthKey!, 'not-the-value');
      const wrong = (await c.CheckCertificateDomainVerification({ CertificateId: id! })).VerificationResults![0]!;
      assert.equal(wrong.LocalCheck, -2);
      assert.deepEqual(wrong.CheckValue, ['not-the-value']);
      await dns.clearTxt(a.DvAuthKey!);
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      const found = (await c.CheckCertificateDomainVerification({ CertificateId: id! })).VerificationResults![0]!;
      assert.equal(found.LocalCheck, 1);
      assert.equal(found.Issued, true);
      assert.deepEqual(found.CheckValue, [a.DvAuthValue]);
      await dns.clearTxt(a.DvAuthKey!);
    });

    test('DeleteCertificate: a never-issued free order goes at once (its order cancelled); an issued one keeps the one-hour rule', async () => {
      const { CertificateId: pending } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `pend-${uniq()}.example.test` });
      assert.equal((await c.DescribeCertificate({ CertificateId: pending! })).Status, 0);
      assert.equal((await c.DeleteCertificate({ CertificateId: pending! })).DeleteResult, true);
      await expectCode(c.DescribeCertificate({ CertificateId: pending! }), 'FailedOperation.CertificateNotFound');
      const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === pending);
      assert.ok(logs.some((l) => l.Type === 'cancel'), JSON.stringify(logs));

      const domain = `iss-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
      const a = (await waitFor(c, id!, (x) => !!x.DvAuthDetail?.DvAuthKey)).DvAuthDetail!;
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      await expectCode(c.DeleteCertificate({ CertificateId: id! }), 'FailedOperation.CannotBeDeletedWithinHour');
      await dns.clearTxt(a.DvAuthKey!);
    });

    test('OrderId is the paid order\'s DealId; PackageTypeName is the product\'s name, not its number', async () => {
      const made = await c.CreateCertificate({ ProductId: 46, DomainNum: 1, TimeSpan: 1, AutoVoucher: 1 });
      const id = made.CertificateIds![0]!;
      const d = await c.DescribeCertificate({ CertificateId: id });
      assert.equal(d.OrderId, made.DealIds![0]);
      assert.equal(d.PackageType, '46');
      assert.equal(d.PackageTypeName, d.ProductZhName);
      assert.match(d.PackageTypeName!, /EV/);
      assert.equal((await c.DescribeCertificateDetail({ CertificateId: id })).OrderId, made.DealIds![0]);
      const listed = (await c.DescribeCertificates({ CertIds: [id] })).Certificates![0]!;
      assert.equal(listed.PackageTypeName, d.ProductZhName);

      const { CertificateId: free } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `pt-${uniq()}.example.test` });
      const f = await c.DescribeCertificate({ CertificateId: free! });
      assert.equal(f.PackageType, '83');
      assert.notEqual(f.PackageTypeName, '83');
      assert.equal(f.PackageTypeName, f.ProductZhName);
      assert.equal(f.OrderId, null, 'no paid order');
      const chain = await makeChain('EC', `pt-${uniq()}.example.test`);
      const { CertificateId: up } = await c.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
      assert.equal((await c.DescribeCertificate({ CertificateId: up! })).PackageTypeName, '', 'uploaded: no package');
    });

    test('CompleteCertificate: checks an awaiting order at once (issuing it when it passes); other states and uploads refused', async () => {
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `cc-${uniq()}.example.test` });
      assert.equal((await c.CompleteCertificate({ CertificateId: id! })).CertificateId, id);
      const a = (await c.DescribeCertificate({ CertificateId: id! }));
      assert.equal(a.Status, 0, 'nothing published: still waiting');
      await dns.setTxt(a.DvAuthDetail!.DvAuthKey!, a.DvAuthDetail!.DvAuthValue!);
      assert.equal((await c.CompleteCertificate({ CertificateId: id! })).CertificateId, id);
      await waitFor(c, id!, (x) => x.Status === 1);
      await expectCode(c.CompleteCertificate({ CertificateId: id! }), 'FailedOperation.InvalidCertificateStatusCode');
      const chain = await makeChain('EC', `cc-${uniq()}.example.test`);
      const { CertificateId: up } = await c.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
      await expectCode(c.CompleteCertificate({ CertificateId: up! }), 'FailedOperation.InvalidCertificateSource');
      await expectCode(c.CompleteCertificate({ CertificateId: 'nOsUcH01' }), 'FailedOperation.CertificateNotFound');
      await dns.clearTxt(a.DvAuthDetail!.DvAuthKey!);
    });

    test('X-TC-Language zh-CN: messages in Chinese (with the detail), English otherwise; v1 Language too', async () => {
      const zh = sdkClient(t.port, t.cred, { language: 'zh-CN' });
      const notFound = await expectCode(zh.DescribeCertificate({ CertificateId: 'nOsUcH01' }), 'FailedOperation.CertificateNotFound');
      assert.match(notFound, /^证书不存在。/);
      assert.match(notFound, /nOsUcH01/, 'the detail stays');
      const bad = await expectCode(zh.DescribeCertificates({ Limit: -1 }), 'InvalidParameterValue');
      assert.match(bad, /^参数取值错误。（.*Limit/);
      const signature = await expectCode(sdkClient(t.port, { ...t.cred, secretKey: 'x'.repeat(32) }, { language: 'zh-CN' }).DescribeCertificates({}), 'AuthFailure.SignatureFailure');
      assert.match(signature, /^签名错误/);
      const v1 = await expectCode(sdkClient(t.port, t.cred, { language: 'zh-CN', signMethod: 'HmacSHA256' }, { reqMethod: 'GET' }).DescribeCertificate({ CertificateId: 'nOsUcH01' }), 'FailedOperation.CertificateNotFound');
      assert.match(v1, /^证书不存在/);
      // English when asked for it, and when nothing is asked.
      const en = await expectCode(sdkClient(t.port, t.cred, { language: 'en-US' }).DescribeCertificate({ CertificateId: 'nOsUcH01' }), 'FailedOperation.CertificateNotFound');
      assert.doesNotMatch(en, /[\u4e00-\u9fff]/);
      const plain = await expectCode(c.DescribeCertificate({ CertificateId: 'nOsUcH01' }), 'FailedOperation.CertificateNotFound');
      assert.equal(plain, en);
    });
  });
}

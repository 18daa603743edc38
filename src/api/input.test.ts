// The closed input path end to end (issue 22), on both databases: what the fuzzing found
// answering InternalError now answers the spec's parameter codes and stores nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, expectCode, startTestService, type TestService } from '../testing/harness.js';
import { rawRequest, sendV1, signV1, tc3Request } from '../testing/raw-client.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { v1Signature, v1StringToSign } from './signature.js';

const codeOf = (r: { json: any }) => r.json?.Response?.Error?.Code ?? 'ok';

for (const backend of BACKENDS) {
  describe(`closed input path (${backend})`, () => {
    let t: TestService;
    let certId: string;
    before(async () => {
      t = await startTestService(backend, { env: { CERTPORT_WORKERS: '0', CERTPORT_CAA: '0' } });
      const chain = await makeChain('EC', 'input.example.com');
      certId = (await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Tags: [{ TagKey: 'team', TagValue: 'web' }] })).CertificateId!;
    });
    after(async () => { await t.close(); });

    test('NUL and control characters in text are InvalidParameterValue: SearchKey, Alias, Tags, tag filters, CertificateId', async () => {
      const calls: [string, Promise<unknown>][] = [
        ['SearchKey', t.client.DescribeCertificates({ SearchKey: 'input\u0000' })],
        ['SearchKey (FTS)', t.client.DescribeCertificates({ SearchKey: '\u0000' })],
        ['tag filter', t.client.DescribeCertificates({ Tags: [{ TagKey: 'team\u0000', TagValue: 'web' }] })],
        ['Alias', t.client.ModifyCertificateAlias({ CertificateId: certId, Alias: 'a\u0000b' })],
        ['Alias newline', t.client.ModifyCertificateAlias({ CertificateId: certId, Alias: 'a\nb' })],
        ['CertificateId', t.client.DescribeCertificate({ CertificateId: certId + '\u0000' })],
        ['CertIds', t.client.DescribeCertificates({ CertIds: ['x\u0000'] })],
        ['upload Tags', t.client.UploadCertificate({ CertificatePublicKey: 'x', Tags: [{ TagKey: 'k', TagValue: 'v\u0000' }] })],
      ];
      for (const [what, p] of calls) {
        const message = await expectCode(p, 'InvalidParameterValue').catch((e: Error) => { throw new Error(`${what}: ${e.message}`); });
        assert.match(message, /control character/, what);
      }
      const d = await t.client.DescribeCertificateDetail({ CertificateId: certId });
      assert.equal(d.Alias, '', 'the alias was not changed');
    });

    test('the legacy API refuses a NUL in searchKey the same way', async () => {
      const pairs = signV1(t.port, t.cred, { action: 'CertGetList', path: '/v2/index.php', params: { searchKey: 'in\u0000put' } });
      const r = await sendV1(t.port, pairs, 'GET', '/v2/index.php');
      assert.equal(r.json.codeDesc, 'InvalidParameterValue', r.body);
      assert.equal(r.json.code, 4000);
    });

    test('10,000 DnsNames are refused, not dropped, and no order is stored', async () => {
      const before = (await t.client.DescribeCertificates({})).TotalCount;
      const msg = await expectCode(t.client.ApplyCertificate({
        DvAuthMethod: 'DNS', DomainName: 'many.example.com', DnsNames: Array.from({ length: 10_000 }, (_, i) => `n${i}.example.com`),
      }), 'InvalidParameterValue');
      assert.match(msg, /DnsNames.*at most 100/);
      assert.equal((await t.client.DescribeCertificates({})).TotalCount, before);
    });

    test('emoji domain names are refused; IDNs in either form are accepted', async () => {
      for (const DomainName of ['💥.example.com', 'xn--hs8h.example.com']) {
        // ApplyCertificate's own code for a bad name (spec: FailedOperation.InvalidParam).
        assert.match(await expectCode(t.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName }), 'FailedOperation.InvalidParam'), /IDNA2008/);
      }
      const id = (await t.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'bücher.example', CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'prime256v1' })).CertificateId!;
      assert.equal((await t.client.DescribeCertificate({ CertificateId: id })).Domain, 'xn--bcher-kva.example');
    });

    test('Object built-in names: parameters are UnknownParameter, a curve named `constructor` is InvalidParameterValue', async () => {
      for (const body of ['{"toString":1}', '{"constructor":{}}', '{"__proto__":{"Limit":1}}']) {
        assert.equal(codeOf(await tc3Request(t.port, t.cred, { action: 'DescribeCertificates', body })), 'UnknownParameter', body);
      }
      assert.equal(codeOf(await tc3Request(t.port, t.cred, { action: 'toString' })), 'InvalidAction');
      await expectCode(t.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'curve.example.com', CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'constructor' }), 'InvalidParameter');
      const csr = { Domain: 'csr.example.com', Organization: 'O', Department: 'D', Email: 'a@example.com', Province: 'P', City: 'C', Country: 'CN', EncryptAlgo: 'ECC', KeyParameter: 'constructor', Generate: true };
      assert.equal(codeOf(await tc3Request(t.port, t.cred, { action: 'CreateCSR', body: JSON.stringify(csr) })), 'FailedOperation.InvalidParam');
    });

    test('v1 names: `__proto__.x` does not reach Object.prototype, names thousands deep are InvalidParameter', async () => {
      for (const [name, want] of [['__proto__.polluted', 'UnknownParameter'], ['Tags.0.__proto__.polluted', 'UnknownParameter'], ['Tags' + '.0'.repeat(5_000), 'InvalidParameter']] as const) {
        const common = signV1(t.port, t.cred, { action: 'DescribeCertificates', method: 'POST' });
        common.pop();
        const pairs: [string, string][] = [...common, [name, 'yes']];
        pairs.push(['Signature', v1Signature(t.cred.secretKey, 'HmacSHA1', v1StringToSign('POST', `127.0.0.1:${t.port}`, '/', pairs))]);
        assert.equal(codeOf(await sendV1(t.port, pairs, 'POST')), want, name.slice(0, 30));
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      }
      assert.equal((await rawRequest(t.port, { method: 'GET', path: '/healthz', headers: {} })).status, 200);
    });

    test('ids beyond PostgreSQL integer (ManagerId, CompanyId 2^31) are simply not found', async () => {
      const cases: [string, string][] = [
        ['DescribeManagerDetail', 'ManagerId'], ['VerifyManager', 'ManagerId'], ['DeleteManager', 'ManagerId'], ['SubmitAuditManager', 'ManagerId'],
        ['DescribeManagers', 'CompanyId'], ['DescribeCompanies', 'CompanyId'],
      ];
      for (const [action, field] of cases) {
        const missing = codeOf(await tc3Request(t.port, t.cred, { action, body: JSON.stringify({ [field]: 12345 }) }));
        for (const id of [2 ** 31, -(2 ** 31) - 1, 2 ** 40]) {
          assert.equal(codeOf(await tc3Request(t.port, t.cred, { action, body: JSON.stringify({ [field]: id }) })), missing, `${action} ${field}=${id}`);
        }
      }
    });

    test('numbers beyond the safe integers are InvalidParameterValue', async () => {
      assert.equal(codeOf(await tc3Request(t.port, t.cred, { action: 'DescribeCertificates', body: '{"Limit":9007199254740993}' })), 'InvalidParameterValue');
      assert.equal(codeOf(await tc3Request(t.port, t.cred, { action: 'DescribeCertificates', body: '{"Offset":1e308}' })), 'InvalidParameterValue');
    });
  });
}

// The legacy /v2/index.php API, called the way old scripts do: v1-signed by an implementation
// written here independently of src/api/signature.ts.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { BACKENDS, expectCode, startTestService, type Cred, type TestService } from '../testing/harness.js';
import { rawRequest } from '../testing/raw-client.js';

/** Old-script style signing: sort keys, join decoded k=v, HMAC over METHOD+host+path+?+query. */
function legacyCall(port: number, cred: Cred, params: Record<string, string>, o: { method?: 'GET' | 'POST'; alg?: 'HmacSHA1' | 'HmacSHA256'; key?: string; nonce?: string; ts?: number } = {}) {
  const method = o.method ?? 'GET';
  const all: Record<string, string> = {
    ...params, SecretId: cred.secretId, Timestamp: String(o.ts ?? Math.floor(Date.now() / 1000)),
    Nonce: o.nonce ?? String(Math.floor(Math.random() * 1e9)), Region: 'gz', ...(o.alg === 'HmacSHA256' ? { SignatureMethod: 'HmacSHA256' } : {}),
  };
  const keys = Object.keys(all).sort();
  const src = `${method}127.0.0.1:${port}/v2/index.php?${keys.map((k) => `${k}=${all[k]}`).join('&')}`;
  all.Signature = createHmac(o.alg === 'HmacSHA256' ? 'sha256' : 'sha1', o.key ?? cred.secretKey).update(src).digest('base64');
  const qs = Object.entries(all).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return method === 'GET'
    ? rawRequest(port, { method, path: `/v2/index.php?${qs}`, headers: { Host: `127.0.0.1:${port}` } })
    : rawRequest(port, { method, path: '/v2/index.php', headers: { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: qs });
}

let rsa: TestChain;
let wild: TestChain;
before(async () => {
  [rsa, wild] = await Promise.all([makeChain('RSA', 'legacy.example.com'), makeChain('EC', '*.legacy.example.org')]);
});

for (const backend of BACKENDS) {
  describe(`legacy API /v2/index.php (${backend})`, () => {
    let t: TestService;
    before(async () => { t = await startTestService(backend); });
    after(async () => { await t.close(); });

    test('CertUpload (POST, HmacSHA256) appears in DescribeCertificates; UploadCertificate appears in CertGetList', async () => {
      const up = await legacyCall(t.port, t.cred, { Action: 'CertUpload', cert: rsa.leafPem + rsa.intermediatePem, certType: 'SVR', key: rsa.keyPem, alias: 'old script' }, { method: 'POST', alg: 'HmacSHA256' });
      assert.equal(up.headers['content-type'], 'application/json');
      assert.equal(up.json.code, 0, up.body);
      assert.equal(up.json.codeDesc, 'Success');
      const id = up.json.data.id as string;
      assert.match(id, /^[0-9A-Za-z]{8}$/);
      const d = await t.client.DescribeCertificateDetail({ CertificateId: id });
      assert.equal(d.Alias, 'old script');
      assert.equal(d.CertificatePrivateKey, rsa.keyPem);
      const newId = (await t.client.UploadCertificate({ CertificatePublicKey: wild.leafPem, CertificatePrivateKey: wild.keyPem, Alias: 'new api' })).CertificateId!;
      const list = await legacyCall(t.port, t.cred, { Action: 'CertGetList' });
      assert.equal(list.json.code, 0);
      assert.equal(list.json.data.totalNum, 2);
      const entry = list.json.data.list.find((e: { id: string }) => e.id === newId);
      assert.equal(entry.alias, 'new api');
      assert.equal(entry.certType, 'SVR');
      assert.equal(entry.status, 1);
      assert.equal(entry.status_name, 'Certificate issued');
      assert.equal(entry.is_wildcard, true);
      assert.equal(entry.is_dv, false);
      assert.deepEqual(entry.subjectAltName, ['*.legacy.example.org']);
      assert.equal(entry.projectInfo.projectId, '0');
      assert.equal(entry.projectInfo.name, 'Default Project');
      assert.equal(entry.ownerUin, t.cred.accountUin);
      assert.match(entry.certBeginTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.equal(entry.cert, undefined);
    });

    test('CertGetList filters: id, searchKey, certType, altDomain (wildcards cover one label), paging, withCert', async () => {
      const ids = async (p: Record<string, string>) => {
        const r = await legacyCall(t.port, t.cred, { Action: 'CertGetList', ...p });
        assert.equal(r.json.code, 0, r.body);
        return { total: r.json.data.totalNum as number, list: r.json.data.list as { id: string; domain: string; cert?: string }[] };
      };
      const all = await ids({});
      const rsaId = all.list.find((e) => e.domain === 'legacy.example.com')!.id;
      assert.deepEqual((await ids({ id: rsaId })).list.map((e) => e.id), [rsaId]);
      assert.equal((await ids({ searchKey: 'example.org' })).total, 1);
      assert.equal((await ids({ certType: 'CA' })).total, 0);
      assert.equal((await ids({ altDomain: 'www.legacy.example.org' })).total, 1);
      assert.equal((await ids({ altDomain: 'a.b.legacy.example.org' })).total, 0);
      assert.equal((await ids({ altDomain: 'legacy.example.com' })).total, 1);
      const p1 = await ids({ page: '1', count: '1' });
      const p2 = await ids({ page: '2', count: '1' });
      assert.equal(p1.total, 2);
      assert.notEqual(p1.list[0]!.id, p2.list[0]!.id);
      assert.match((await ids({ id: rsaId, withCert: '1' })).list[0]!.cert!, /BEGIN CERTIFICATE/);
    });

    test('CertDelete removes it from both APIs; error paths use non-zero codes', async () => {
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: rsa.leafPem, CertificatePrivateKey: rsa.keyPem })).CertificateId!;
      const del = await legacyCall(t.port, t.cred, { Action: 'CertDelete', id });
      assert.equal(del.json.code, 0, del.body);
      await expectCode(t.client.DescribeCertificate({ CertificateId: id }), 'FailedOperation.CertificateNotFound');
      const again = await legacyCall(t.port, t.cred, { Action: 'CertDelete', id });
      assert.equal(again.json.codeDesc, 'FailedOperation.CertificateNotFound');
      assert.notEqual(again.json.code, 0);
      const cases: [Promise<{ json: any }>, number, string][] = [
        [legacyCall(t.port, t.cred, { Action: 'CertGetList' }, { key: 'wrong-secret-key-000' }), 4100, 'AuthFailure.SignatureFailure'],
        [legacyCall(t.port, { ...t.cred, secretId: 'AKIDnobody000000000' }, { Action: 'CertGetList' }), 4100, 'AuthFailure.SecretIdNotFound'],
        [legacyCall(t.port, t.cred, { Action: 'CertGetList' }, { ts: Math.floor(Date.now() / 1000) - 1000 }), 4100, 'AuthFailure.SignatureExpire'],
        [legacyCall(t.port, t.cred, { Action: 'CertFly' }), 4000, 'InvalidAction'],
        [legacyCall(t.port, t.cred, { Action: 'CertGetList', count: 'many' }), 4000, 'InvalidParameter'],
        [legacyCall(t.port, t.cred, { Action: 'CertUpload', cert: rsa.leafPem }), 4000, 'MissingParameter'],
        [legacyCall(t.port, t.cred, { Action: 'CertUpload', cert: rsa.leafPem, certType: 'SVR', key: wild.keyPem }), 4000, 'FailedOperation.CertificateMismatch'],
        [legacyCall(t.port, t.cred, { Action: 'CertDelete' }), 4000, 'MissingParameter'],
        [rawRequest(t.port, { method: 'GET', path: '/v2/index.php?Action=CertGetList', headers: {} }), 4100, 'AuthFailure.InvalidAuthorization'],
      ];
      for (const [p, code, desc] of cases) {
        const r = await p;
        assert.equal(r.json.codeDesc, desc, JSON.stringify(r.json));
        assert.equal(r.json.code, code, desc);
        assert.ok(r.json.message.length > 0);
      }
      // A replayed legacy request is refused.
      const nonce = '42';
      const ts = Math.floor(Date.now() / 1000);
      assert.equal((await legacyCall(t.port, t.cred, { Action: 'CertGetList' }, { nonce, ts })).json.code, 0);
      assert.equal((await legacyCall(t.port, t.cred, { Action: 'CertGetList' }, { nonce, ts })).json.codeDesc, 'AuthFailure.SignatureFailure');
    });
  });
}

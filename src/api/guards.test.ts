// Signatures bound to their action and failed authentications limited per address (issue 22).
// The SDKs sign only content-type and host, so a captured TC3 request could be sent again
// within its 300 s with another X-TC-Action; certport remembers which action and address a
// signature was first seen with (in memory, or in Redis for every node). The same client may
// legitimately send one signature with two actions (same body, same second).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../testing/harness.js';
import { rawRequest, tc3Request } from '../testing/raw-client.js';
import { createSignatureBinding, refusesOtherAction } from './guards.js';

/** Another source address on the loopback network: a replay from elsewhere. */
const OTHER = '127.0.0.2';

const code = async (p: Promise<{ json: any }>) => {
  const r = await p;
  return r.json?.Response?.Error?.Code ?? 'ok';
};

describe('a TC3 signature is bound to its action (memory)', () => {
  let t: TestService;
  before(async () => { t = await startTestService('sqlite'); });
  after(async () => { await t.close(); });

  test('the same signed request with another X-TC-Action from another address is refused; byte-identical retries still work', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const captured = { action: 'DescribeCertificates', timestamp, body: '{"Limit":1}' };
    assert.equal(await code(tc3Request(t.port, t.cred, captured)), 'ok');
    const r = await tc3Request(t.port, t.cred, { ...captured, localAddress: OTHER, headers: { 'X-TC-Action': 'DescribeCSRSet' } });
    assert.equal(r.json.Response.Error?.Code, 'AuthFailure.SignatureFailure', r.body);
    assert.match(r.json.Response.Error.Message, /already used for the action DescribeCertificates/);
    // The Go SDK resends the byte-identical request on RequestLimitExceeded: it keeps working, from any address.
    assert.equal(await code(tc3Request(t.port, t.cred, captured)), 'ok');
    assert.equal(await code(tc3Request(t.port, t.cred, { ...captured, localAddress: OTHER })), 'ok');
    // A describe cannot become a delete.
    const describe1 = { action: 'DescribeCertificate', timestamp, body: '{"CertificateId":"abc"}' };
    assert.equal(await code(tc3Request(t.port, t.cred, describe1)), 'FailedOperation.CertificateNotFound');
    assert.equal(await code(tc3Request(t.port, t.cred, { ...describe1, localAddress: OTHER, headers: { 'X-TC-Action': 'DeleteCertificate' } })), 'AuthFailure.SignatureFailure');
  });

  test('one client may call two actions with the same body in the same second (same signature: only the action differs)', async () => {
    // What the SDKs do for DescribeCertificate then DownloadCertificate of one id: X-TC-Action is
    // not signed, so both requests carry the same signature when they fall in the same second.
    const timestamp = Math.floor(Date.now() / 1000);
    const body = '{"CertificateId":"same1"}';
    assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DescribeCertificate', timestamp, body })), 'FailedOperation.CertificateNotFound');
    assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DownloadCertificate', timestamp, body })), 'FailedOperation.CertificateNotFound');
    assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DescribeCertificates', timestamp, body: '{}' })), 'ok');
    assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DescribeCompanies', timestamp, body: '{}' })), 'ok');
  });

  test('a signature that fails verification is not remembered (it cannot block the real request)', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const o = { action: 'DescribeCertificates', timestamp, body: '{"Limit":2}' };
    assert.equal(await code(tc3Request(t.port, t.cred, { ...o, secretKey: 'wrong-key-00000000000', localAddress: OTHER })), 'AuthFailure.SignatureFailure');
    assert.equal(await code(tc3Request(t.port, t.cred, o)), 'ok');
  });
});

describe('a TC3 signature is bound to its action across nodes (Redis)', () => {
  const redisUrl = process.env.CERTPORT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let a: TestService;
  let b: TestService;
  before(async () => {
    a = await startTestService('postgres', { env: { CERTPORT_REDIS_URL: redisUrl } });
    b = await startTestService('postgres', { env: { CERTPORT_REDIS_URL: redisUrl, CERTPORT_DATABASE_SCHEMA: a.env.CERTPORT_DATABASE_SCHEMA!, CERTPORT_DATA_DIR: a.dataDir } });
  });
  after(async () => { await b.close().catch(() => {}); await a.close(); });

  test('seen by one node as DescribeCertificates, refused by the other as DescribeCSRSet from another address; the same action passes on both', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    // Both requests carry node A's Host header: the signature is the same bytes.
    const captured = { action: 'DescribeCertificates', timestamp, body: '{"Limit":3}', host: `127.0.0.1:${a.port}` };
    assert.equal(await code(tc3Request(a.port, a.cred, captured)), 'ok');
    const r = await tc3Request(b.port, a.cred, { ...captured, localAddress: OTHER, headers: { 'X-TC-Action': 'DescribeCSRSet' } });
    assert.equal(r.json.Response.Error?.Code, 'AuthFailure.SignatureFailure', r.body);
    assert.equal(await code(tc3Request(b.port, a.cred, { ...captured, localAddress: OTHER })), 'ok');
    assert.equal(await code(tc3Request(b.port, a.cred, captured)), 'ok');
  });
});

describe('failed authentications are limited per source address', () => {
  let t: TestService;
  before(async () => { t = await startTestService('sqlite', { env: { CERTPORT_AUTH_FAILURE_LIMIT: '5' } }); });
  after(async () => { await t.close(); });

  test('after 5 failures in a minute the address gets RequestLimitExceeded, even when signing right', async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DescribeCertificates', secretKey: 'wrong-key-00000000000' })), 'AuthFailure.SignatureFailure', `failure ${i + 1}`);
    }
    const r = await tc3Request(t.port, t.cred, { action: 'DescribeCertificates', secretKey: 'wrong-key-00000000000' });
    assert.equal(r.json.Response.Error?.Code, 'RequestLimitExceeded', r.body);
    assert.match(r.json.Response.Error.Message, /failed authentications/);
    assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DescribeCertificates' })), 'RequestLimitExceeded');
    // Unsigned and legacy requests from the address are held back too.
    assert.equal(await code(rawRequest(t.port, { method: 'GET', path: '/', headers: {} })), 'RequestLimitExceeded');
    const legacy = await rawRequest(t.port, { method: 'GET', path: '/v2/index.php?Action=CertGetList', headers: {} });
    assert.equal(legacy.json.codeDesc, 'RequestLimitExceeded');
    // /healthz is not an authenticated endpoint.
    assert.equal((await rawRequest(t.port, { method: 'GET', path: '/healthz', headers: {} })).status, 200);
  });
});

describe('the failed-authentication limit can be turned off', () => {
  let t: TestService;
  before(async () => { t = await startTestService('sqlite', { env: { CERTPORT_AUTH_FAILURE_LIMIT: '0' } }); });
  after(async () => { await t.close(); });

  test('CERTPORT_AUTH_FAILURE_LIMIT=0: every failure is answered as such', async () => {
    for (let i = 0; i < 70; i++) {
      assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DescribeCertificates', secretKey: 'wrong-key-00000000000' })), 'AuthFailure.SignatureFailure');
    }
    assert.equal(await code(tc3Request(t.port, t.cred, { action: 'DescribeCertificates' })), 'ok');
  });
});

test('the in-memory binding keeps a signature for 600 s and at most its maximum of entries', async () => {
  let now = 1_000_000;
  const b = createSignatureBinding(null, () => now, 3);
  assert.equal(await b.bind('s1', 'DescribeCertificates', '10.0.0.1'), null);
  assert.deepEqual(await b.bind('s1', 'DeleteCertificate', '10.0.0.2'), { action: 'DescribeCertificates', address: '10.0.0.1', at: 1_000_000 });
  assert.equal(await b.bind('s1', 'DescribeCertificates', '10.0.0.2'), null);
  now += 600_001;
  assert.equal(await b.bind('s1', 'DeleteCertificate', '10.0.0.2'), null, 'expired: a new first use');
  for (const s of ['s2', 's3', 's4']) await b.bind(s, 'A', 'x');
  // Past three entries the oldest (s1) went first.
  assert.equal(await b.bind('s1', 'B', 'y'), null);
  assert.deepEqual(await b.bind('s4', 'B', 'y'), { action: 'A', address: 'x', at: now });
});

test('another action from the same address passes only within 5 s of the first use (one client, one second); a later one is a replay', () => {
  const first = { action: 'DescribeCertificate', address: '10.0.0.1', at: 1_000_000 };
  assert.equal(refusesOtherAction(null, '10.0.0.1', 1_000_000), false);
  assert.equal(refusesOtherAction(first, '10.0.0.1', 1_004_000), false);
  assert.equal(refusesOtherAction(first, '10.0.0.1', 1_005_001), true);
  assert.equal(refusesOtherAction(first, '10.0.0.2', 1_000_001), true);
});

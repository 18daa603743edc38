import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import test from 'node:test';
import {
  checkTimestamp, hostCandidates, parseTc3Authorization, payloadHash, tc3CanonicalRequest, tc3Signature, utcDate,
  v1Signature, v1StringToSign, verifyTc3, verifyV1,
} from './signature.js';

// The spec's worked example ("Signature v3"): DescribeInstances on cvm.
const SPEC_BODY = '{"Limit": 1, "Filters": [{"Values": ["unnamed"], "Name": "instance-name"}]}';

test('TC3 payload hash and canonical request match the spec example', () => {
  const hash = payloadHash({ method: 'POST', rawQuery: '', headers: {}, body: Buffer.from(SPEC_BODY) });
  assert.equal(hash, '99d58dfbc6745f6747f36bfca17dee5e6881dc0428a0a36f96199342bc5b4907');
  const canonical = tc3CanonicalRequest('POST', '', [['host', 'cvm.tencentcloudapi.com'], ['content-type', 'application/json; charset=utf-8']], hash);
  assert.equal(canonical, [
    'POST', '/', '', 'content-type:application/json; charset=utf-8', 'host:cvm.tencentcloudapi.com', '',
    'content-type;host', '99d58dfbc6745f6747f36bfca17dee5e6881dc0428a0a36f96199342bc5b4907',
  ].join('\n'));
  // The spec's listing loses a few characters of this hash to line cuts; this is the full value
  // (its string-to-sign shows the same start and end: 2815843035062fff…3786976a3adda7a).
  assert.equal(createHash('sha256').update(canonical).digest('hex'), '2815843035062fffda5fd6f2a44ea8a34818b0dc46f024b8b3786976a3adda7a');
});

test('TC3 scope date is the UTC date of the timestamp (spec note: 1551113065 is 2019-02-25)', () => {
  assert.equal(utcDate(1551113065), '2019-02-25');
});

test('TC3 signing key derivation follows the spec: TC3+key → date → service → tc3_request', () => {
  // Independent re-derivation with plain HMACs.
  const h = (k: string | Buffer, d: string) => createHmac('sha256', k).update(d).digest();
  const canonical = 'x';
  const s2s = `TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n${createHash('sha256').update(canonical).digest('hex')}`;
  const expected = createHmac('sha256', h(h(h('TC3secret', '2019-02-25'), 'cvm'), 'tc3_request')).update(s2s).digest('hex');
  assert.equal(tc3Signature('secret', '2019-02-25', 'cvm', '1551113065', canonical), expected);
});

test('Authorization is parsed from both ends, whatever the service label holds', () => {
  for (const service of ['ssl', '127', 'localhost:8443', '[::1]:8443', 'certs']) {
    const a = parseTc3Authorization(`TC3-HMAC-SHA256 Credential=AKIDabc/2026-11-23/${service}/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=${'a'.repeat(64)}`);
    assert.equal(a.secretId, 'AKIDabc');
    assert.equal(a.date, '2026-11-23');
    assert.equal(a.service, service);
    assert.deepEqual(a.signedHeaders, ['content-type', 'host', 'x-tc-action']);
  }
  for (const bad of ['Basic abc', 'TC3-HMAC-SHA256 Credential=AKID/2026-11-23/ssl/tc3_request, SignedHeaders=host, Signature=' + 'a'.repeat(64),
    'TC3-HMAC-SHA256 Credential=AKID/2026-11-23/ssl, SignedHeaders=content-type;host, Signature=' + 'a'.repeat(64),
    'TC3-HMAC-SHA256 Credential=AKID/26-11-23/ssl/tc3_request, SignedHeaders=content-type;host, Signature=abc']) {
    assert.throws(() => parseTc3Authorization(bad), (e: { code?: string }) => e.code === 'AuthFailure.InvalidAuthorization', bad);
  }
});

test('a second Authorization with a Credential and SignedHeaders parsed before gives its own signature, and a bad one is still refused', () => {
  const prefix = 'TC3-HMAC-SHA256 Credential=AKIDkept/2026-11-23/ssl/tc3_request, SignedHeaders=content-type;host, ';
  const first = parseTc3Authorization(`${prefix}Signature=${'a'.repeat(64)}`);
  first.signedHeaders.push('x-changed-by-a-caller');
  const second = parseTc3Authorization(`${prefix}Signature=${'B'.repeat(64)}`);
  assert.deepEqual(second, { secretId: 'AKIDkept', date: '2026-11-23', service: 'ssl', signedHeaders: ['content-type', 'host'], signature: 'b'.repeat(64) });
  for (const bad of [`${prefix}Signature=${'g'.repeat(64)}`, `${prefix}Signature=${'a'.repeat(63)}`, `${prefix}Signature=${'a'.repeat(64)}x`]) {
    assert.throws(() => parseTc3Authorization(bad), (e: { code?: string }) => e.code === 'AuthFailure.InvalidAuthorization', bad);
  }
  // Trailing whitespace after the signature is accepted, as before (not from the kept prefixes).
  assert.equal(parseTc3Authorization(`${prefix}Signature=${'c'.repeat(64)} `).signature, 'c'.repeat(64));
});

test('verifyTc3 accepts the Host as sent and without its port, verbatim or lowercased values, UNSIGNED-PAYLOAD', () => {
  const body = Buffer.from('{"Limit": 2}');
  const sign = (host: string, contentType: string, lower: boolean, unsigned = false) => {
    const v = (s: string) => (lower ? s.toLowerCase() : s);
    const hash = createHash('sha256').update(unsigned ? 'UNSIGNED-PAYLOAD' : body).digest('hex');
    const canonical = tc3CanonicalRequest('POST', '', [['content-type', v(contentType)], ['host', v(host)], ['x-tc-action', v('DescribeCertificates')]], hash);
    return tc3Signature('k'.repeat(32), '2026-11-23', 'ssl', '1795400000', canonical);
  };
  const headers = (ct: string, unsigned = false) => ({ host: '127.0.0.1:8080', 'content-type': ct, 'x-tc-action': 'DescribeCertificates', ...(unsigned ? { 'x-tc-content-sha256': 'UNSIGNED-PAYLOAD' } : {}) });
  const auth = (sig: string) => ({ secretId: 'x', date: '2026-11-23', service: 'ssl', signedHeaders: ['content-type', 'host', 'x-tc-action'], signature: sig });
  const req = (ct: string, unsigned = false) => ({ method: 'POST', rawQuery: '', headers: headers(ct, unsigned), body });
  assert.ok(verifyTc3(req('application/json'), auth(sign('127.0.0.1:8080', 'application/json', false)), '1795400000', 'k'.repeat(32)));
  assert.ok(verifyTc3(req('application/json'), auth(sign('127.0.0.1', 'application/json', false)), '1795400000', 'k'.repeat(32)));
  assert.ok(verifyTc3(req('Application/JSON'), auth(sign('127.0.0.1', 'Application/JSON', true)), '1795400000', 'k'.repeat(32)));
  assert.ok(verifyTc3(req('application/json', true), auth(sign('127.0.0.1:8080', 'application/json', false, true)), '1795400000', 'k'.repeat(32)));
  // Wrong key, other body, other host: refused.
  assert.ok(!verifyTc3(req('application/json'), auth(sign('127.0.0.1:8080', 'application/json', false)), '1795400000', 'j'.repeat(32)));
  assert.ok(!verifyTc3({ ...req('application/json'), body: Buffer.from('{"Limit":2}') }, auth(sign('127.0.0.1:8080', 'application/json', false)), '1795400000', 'k'.repeat(32)));
  assert.ok(!verifyTc3(req('application/json'), auth(sign('localhost:8080', 'application/json', false)), '1795400000', 'k'.repeat(32)));
});

test('v1 string to sign matches the spec example', () => {
  const params: [string, string][] = [
    ['Action', 'DescribeInstances'], ['InstanceIds.0', 'ins-09dx96dg'], ['Limit', '20'], ['Nonce', '11886'], ['Offset', '0'],
    ['Region', 'ap-guangzhou'], ['SecretId', 'AKID*****'], ['Timestamp', '1465185768'], ['Version', '2017-03-12'],
  ];
  const shuffled = [...params].reverse();
  shuffled.push(['Signature', 'ignored']);
  assert.equal(v1StringToSign('GET', 'cvm.tencentcloudapi.com', '/', shuffled),
    'GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKID*****&Timestamp=1465185768&Version=2017-03-12');
  // Bytewise order: uppercase before lowercase, '.' before digits.
  assert.equal(v1StringToSign('POST', 'h', '/', [['b', '1'], ['B', '2'], ['A.1', '3'], ['A', '4']]), 'POSTh/?A=4&A.1=3&B=2&b=1');
});

test('v1 signatures: HmacSHA1 and HmacSHA256, with and without the port', () => {
  const params: [string, string][] = [['Action', 'DescribeCertificates'], ['Nonce', '0'], ['Timestamp', '1']];
  for (const m of ['HmacSHA1', 'HmacSHA256'] as const) {
    const sig = v1Signature('key', m, v1StringToSign('GET', '127.0.0.1', '/', params));
    assert.ok(verifyV1('GET', '127.0.0.1:9000', '/', params, sig, m, 'key'));
    assert.ok(!verifyV1('GET', '127.0.0.1:9000', '/', params, sig, m, 'other'));
    assert.ok(!verifyV1('POST', '127.0.0.1:9000', '/', params, sig, m, 'key'));
  }
  assert.equal(v1Signature('key', 'HmacSHA1', 'abc').length, 28);
  assert.equal(v1Signature('key', 'HmacSHA256', 'abc').length, 44);
});

test('hostCandidates strips only a trailing port', () => {
  assert.deepEqual(hostCandidates('127.0.0.1:8080'), ['127.0.0.1:8080', '127.0.0.1']);
  assert.deepEqual(hostCandidates('[::1]:8443'), ['[::1]:8443', '[::1]']);
  assert.deepEqual(hostCandidates('ssl.tencentcloudapi.com'), ['ssl.tencentcloudapi.com']);
});

test('timestamps more than 300 s away are SignatureExpire; garbage is InvalidParameterValue', () => {
  const now = 1_795_400_000_000;
  assert.equal(checkTimestamp('1795400299', now), 1795400299);
  assert.equal(checkTimestamp('1795399701', now), 1795399701);
  for (const ts of ['1795400301', '1795399699', '0']) {
    assert.throws(() => checkTimestamp(ts, now), (e: { code?: string }) => e.code === 'AuthFailure.SignatureExpire');
  }
  assert.throws(() => checkTimestamp('12abc', now), (e: { code?: string }) => e.code === 'InvalidParameterValue');
  assert.throws(() => checkTimestamp(undefined, now), (e: { code?: string }) => e.code === 'MissingParameter');
});

test('v1 HmacSHA1 reproduces the worked example signature of Tencent Cloud\'s published docs', () => {
  // The spec's copy masks the key; the public documentation of the same example uses these
  // example credentials and prints EliP9YW3pW28FpsEdkXt/+WcGeI=.
  const s2s = v1StringToSign('GET', 'cvm.tencentcloudapi.com', '/', [
    ['Action', 'DescribeInstances'], ['InstanceIds.0', 'ins-09dx96dg'], ['Limit', '20'], ['Nonce', '11886'], ['Offset', '0'],
    ['Region', 'ap-guangzhou'], ['SecretId', 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE'], ['Timestamp', '1465185768'], ['Version', '2017-03-12'],
  ]);
  assert.equal(v1Signature('Gu5t9xGARNpq86cd98joQYCN3EXAMPLE', 'HmacSHA1', s2s), 'EliP9YW3pW28FpsEdkXt/+WcGeI=');
});

// The closed input path (issue 22): parameters are read as own properties of the models only,
// flattened v1 names cannot reach Object.prototype, nesting and lists are bounded, text
// carries no control characters, and numbers are safe integers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError } from '../domain/errors.js';
import { checkParams, unflatten } from './params.js';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ServiceError) return e.code;
    return `not a ServiceError: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;
  }
  return 'accepted';
}

test('names of Object built-ins are unknown parameters, at the top and inside models', () => {
  for (const body of ['{"toString":1}', '{"constructor":{}}', '{"__proto__":{"Limit":1}}', '{"hasOwnProperty":"x"}', '{"valueOf":[]}']) {
    assert.equal(code(() => checkParams('DescribeCertificates', JSON.parse(body))), 'UnknownParameter', body);
    assert.equal(code(() => checkParams('DescribeCertificates', JSON.parse(`{"Tags":[{"TagKey":"k","TagValue":"v","x":1}]}`.replace('"x"', JSON.stringify(Object.keys(JSON.parse(body))[0]))))), 'UnknownParameter', body);
  }
  // The same over v1's flattened names.
  assert.equal(code(() => checkParams('DescribeCertificates', unflatten([['toString', '1']]))), 'UnknownParameter');
  assert.equal(code(() => checkParams('DescribeCertificates', unflatten([['Tags.0.constructor', '1']]))), 'UnknownParameter');
});

test('an action name that is an Object built-in has no model', () => {
  assert.equal(code(() => checkParams('toString', {})), 'InvalidAction');
  assert.equal(code(() => checkParams('__proto__', {})), 'InvalidAction');
});

test('flattened v1 names never reach Object.prototype', () => {
  const names = ['__proto__.polluted', '__proto__.0', 'constructor.prototype.polluted', 'Tags.0.__proto__.polluted', 'Tags.__proto__.polluted'];
  for (const name of names) {
    try { checkParams('DescribeCertificates', unflatten([[name, 'yes']])); } catch { /* refused is fine */ }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, name);
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false, name);
    assert.equal(Object.hasOwn(Object.prototype, '0'), false, name);
  }
});

test('nesting is bounded: v1 names thousands deep and JSON thousands deep are refused, not a stack overflow', () => {
  assert.equal(code(() => unflatten([['Tags' + '.0'.repeat(20_000), 'x']])), 'InvalidParameter');
  assert.equal(code(() => unflatten([['Tags' + '.0'.repeat(8), 'x']])), 'InvalidParameter');
  assert.equal(code(() => checkParams('DescribeCertificates', unflatten([['Tags.0.TagKey', 'k'], ['Tags.0.TagValue', 'v']]))), 'accepted');
  const deep = JSON.parse('{"Tags":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}');
  assert.equal(code(() => checkParams('DescribeCertificates', deep)), 'InvalidParameter');
});

test('lists are bounded: 1000 elements, DnsNames 100', () => {
  assert.equal(code(() => checkParams('DescribeCertificates', { CertIds: Array.from({ length: 1000 }, (_, i) => `id${i}`) })), 'accepted');
  assert.equal(code(() => checkParams('DescribeCertificates', { CertIds: Array.from({ length: 1001 }, (_, i) => `id${i}`) })), 'InvalidParameterValue');
  assert.equal(code(() => unflatten(Array.from({ length: 1001 }, (_, i): [string, string] => [`CertIds.${i}`, 'x']))), 'InvalidParameterValue');
  const apply = { DvAuthMethod: 'DNS', DomainName: 'a.example.com' };
  assert.equal(code(() => checkParams('ApplyCertificate', { ...apply, DnsNames: Array.from({ length: 100 }, (_, i) => `n${i}.example.com`) })), 'accepted');
  assert.equal(code(() => checkParams('ApplyCertificate', { ...apply, DnsNames: Array.from({ length: 10_000 }, (_, i) => `n${i}.example.com`) })), 'InvalidParameterValue');
});

test('text refuses NUL and other control characters; PEM fields keep their line breaks', () => {
  for (const bad of ['a\u0000b', '\u0000', 'a\u0007', 'x\ny', 'tab\there', '\u001b[31m', '\u007f', '\u0085', 'a\ud800b']) {
    assert.equal(code(() => checkParams('DescribeCertificates', { SearchKey: bad })), 'InvalidParameterValue', JSON.stringify(bad));
    assert.equal(code(() => checkParams('ModifyCertificateAlias', { CertificateId: 'abc', Alias: bad })), 'InvalidParameterValue', JSON.stringify(bad));
    assert.equal(code(() => checkParams('DescribeCertificates', { Tags: [{ TagKey: bad, TagValue: 'v' }] })), 'InvalidParameterValue', JSON.stringify(bad));
    assert.equal(code(() => checkParams('DescribeCertificate', { CertificateId: bad })), 'InvalidParameterValue', JSON.stringify(bad));
  }
  assert.match(String((() => { try { checkParams('DescribeCertificates', { SearchKey: 'a\u0000' }); } catch (e) { return (e as Error).message; } })()), /SearchKey.*control character/);
  assert.equal(code(() => checkParams('UploadCertificate', { CertificatePublicKey: '-----BEGIN CERTIFICATE-----\r\nAAAA\n-----END CERTIFICATE-----\n' })), 'accepted');
  assert.equal(code(() => checkParams('UploadCertificate', { CertificatePublicKey: '-----BEGIN CERTIFICATE-----\n\u0000\n' })), 'InvalidParameterValue');
  assert.equal(code(() => checkParams('DescribeCertificates', { SearchKey: 'bücher 💥 日本' })), 'accepted');
});

test('numbers are safe integers', () => {
  assert.equal(code(() => checkParams('DescribeCertificates', { Limit: 2 ** 53 })), 'InvalidParameterValue');
  assert.equal(code(() => checkParams('DescribeCertificates', { Limit: 1e308 })), 'InvalidParameterValue');
  assert.equal(code(() => checkParams('DescribeCertificates', { Limit: 1.5 })), 'InvalidParameterValue');
  assert.equal(code(() => checkParams('DescribeCertificates', { Limit: '9007199254740993' })), 'InvalidParameterValue');
  assert.deepEqual(checkParams('DescribeCertificates', { Limit: ' 20 ', Offset: -1 }), { Limit: 20, Offset: -1 });
});

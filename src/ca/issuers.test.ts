// The registry main.ts builds: a stored certificate's CA is its source and key algorithm; an
// account's new orders go where main.ts's policy says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Issuer, KeyAlgorithm } from './issuer.js';
import { Issuers, keyAlgorithmOf } from './issuers.js';

const fake = (name: string, source: string, keyAlgorithms: KeyAlgorithm[], rootPem: string | null): Issuer => ({
  name, source, label: name, keyAlgorithms, signsPublicKeys: rootPem !== null, rootPem,
  place: async () => ({ ref: null, auths: [] }),
  revoke: async () => {},
  poll: async () => ({ state: 'ready' }),
  finalize: async () => ({ state: 'issued', chainPem: '' }),
});

const embedded = fake('embedded', 'embedded', ['RSA', 'ECC'], 'root');
const sm2 = fake('embedded-sm2', 'embedded', ['SM2'], 'sm2-root');
const acme = fake('acme', 'acme', ['RSA', 'ECC'], null);
const issuers = new Issuers([embedded, sm2, acme], (uin) => (uin === 'acme-user' ? 'acme' : 'embedded'));

test('finds the CA of a source by the key algorithm it signs', () => {
  assert.equal(issuers.find('embedded', 'RSA'), embedded);
  assert.equal(issuers.find('embedded', 'ECC'), embedded);
  assert.equal(issuers.find('embedded', 'SM2'), sm2);
  assert.equal(issuers.find('acme', 'ECC'), acme);
  assert.equal(issuers.find('acme', 'SM2'), null, 'no ACME CA signs SM2');
  assert.equal(issuers.find('upload', 'RSA'), null);
});

test('serves only the sources of configured CAs; the default source is the policy given', () => {
  assert.ok(issuers.serves('embedded') && issuers.serves('acme'));
  assert.ok(!issuers.serves('upload'));
  assert.ok(!new Issuers([embedded, sm2], () => 'embedded').serves('acme'), 'an ACME CA no longer configured');
  assert.equal(issuers.defaultSource('acme-user'), 'acme');
  assert.equal(issuers.defaultSource('someone'), 'embedded');
  assert.equal(issuers.titleOf('acme'), 'ACME CA');
});

test('a stored certificate\'s root: its CA\'s, when known here', () => {
  const cert = (source: string, isSm: boolean, encryptAlgorithm: string) => ({ source, isSm, encryptAlgorithm });
  assert.equal(issuers.rootOf(cert('embedded', false, 'RSA 2048')), 'root');
  assert.equal(issuers.rootOf(cert('embedded', false, 'ECC 256')), 'root');
  assert.equal(issuers.rootOf(cert('embedded', true, 'SM2')), 'sm2-root');
  assert.equal(issuers.rootOf(cert('acme', false, 'RSA 2048')), null);
  assert.equal(issuers.rootOf(cert('upload', false, 'RSA 2048')), null);
  assert.equal(keyAlgorithmOf(cert('embedded', false, 'ECC 384')), 'ECC');
});

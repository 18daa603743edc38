import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { isFault } from '../domain/errors.js';
import { parsePrivateKey } from './certificate.js';
import { encryptedKeyDer } from '../testing/cost-fixtures.js';
import { UPLOAD_LIMITS, checkKeyDerivation, checkPemSize, countCertificateBlocks } from './limits.js';
import { pemBlocks, toPem } from './pem.js';

const faultKind = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isFault(e) ? e.kind : `not a Fault: ${(e as Error).message}`;
  }
  return 'no error';
};

const pbes2Key = (rounds: number) => encryptedKeyDer({ rounds });
const scryptKey = (n: number, r: number, p: number) => encryptedKeyDer({ scrypt: [n, r, p] });

test('an encrypted key asking for more key derivation rounds than the limit is refused before OpenSSL runs them', () => {
  const pem = toPem('ENCRYPTED PRIVATE KEY', pbes2Key(200_000_000));
  const t0 = performance.now();
  assert.equal(faultKind(() => parsePrivateKey(pem, 'secret')), 'invalidValue');
  // 5,000,000 rounds took OpenSSL 3.3 s on this machine; 200,000,000 would take minutes.
  assert.ok(performance.now() - t0 < 500, `refused in ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(faultKind(() => checkKeyDerivation(pbes2Key(UPLOAD_LIMITS.keyDerivationRounds + 1))), 'invalidValue');
  assert.equal(faultKind(() => checkKeyDerivation(pbes2Key(2 ** 60))), 'invalidValue');
  assert.equal(faultKind(() => checkKeyDerivation(pbes2Key(UPLOAD_LIMITS.keyDerivationRounds))), 'no error');
  assert.equal(faultKind(() => checkKeyDerivation(scryptKey(2 ** 20, 8, 1))), 'invalidValue');
  assert.equal(faultKind(() => checkKeyDerivation(scryptKey(16384, 8, 1))), 'no error', "OpenSSL's own parameters");
  assert.equal(faultKind(() => checkKeyDerivation(Buffer.from('30030201', 'hex'))), 'no error', 'unreadable: left to OpenSSL');
});

test('keys encrypted the usual ways still read: OpenSSL PBES2 (2048 rounds) and scrypt, legacy PEM encryption', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pbes2 = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
  const legacy = createPrivateKey(privateKey.export({ type: 'sec1', format: 'pem' })).export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }).toString();
  for (const pem of [pbes2, legacy]) assert.equal(parsePrivateKey(pem, 'pw').asymmetricKeyType, 'ec');
  checkKeyDerivation(pemBlocks(pbes2)[0]!.der);
});

test('sizes and counts are checked on the text, before anything is decoded', () => {
  assert.equal(faultKind(() => checkPemSize('x'.repeat(11), 10, 'CertificatePublicKey')), 'tooLarge');
  assert.equal(faultKind(() => checkPemSize('x'.repeat(10), 10, 'CertificatePublicKey')), 'no error');
  const block = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
  assert.equal(countCertificateBlocks(block('CERTIFICATE') + block('TRUSTED CERTIFICATE') + block('X509 CERTIFICATE') + block('PRIVATE KEY') + block('CERTIFICATE REQUEST')), 3);
  assert.equal(countCertificateBlocks('no PEM here'), 0);
});

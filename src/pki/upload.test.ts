import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFault } from '../domain/errors.js';
import { costChain, fakeRsaKey } from '../testing/cost-fixtures.js';
import { UPLOAD_LIMITS } from './limits.js';
import { readUpload } from './upload.js';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (isFault(e)) return `${e.kind}: ${e.message}`;
    throw e;
  }
  return 'accepted';
};

test('the longest chain, the most names and the largest key the limits allow are read, with the root and the key facts', () => {
  const worst = costChain({ cas: UPLOAD_LIMITS.chainCertificates - 1, sans: UPLOAD_LIMITS.subjectAltNames });
  const pem = worst.pems.join('');
  const r = readUpload({ publicKey: pem, privateKey: worst.keyPem });
  assert.equal(r.leaf.dnsNames.length, UPLOAD_LIMITS.subjectAltNames);
  assert.equal(r.chain.length, UPLOAD_LIMITS.chainCertificates - 1);
  assert.equal(r.rootPem, worst.pems[worst.pems.length - 1], 'the self-signed top');
  assert.deepEqual([r.key?.matches, r.key?.isSm2], [true, false]);
  assert.equal('der' in r.leaf || 'publicKey' in r.leaf, false, 'plain data only');
  // In any order, and without the private key.
  const shuffled = [...worst.pems].reverse().join('');
  assert.equal(readUpload({ publicKey: shuffled }).key, null);
  assert.equal(readUpload({ publicKey: worst.pems.slice(0, 3).join('') }).rootPem, '', 'no self-signed top');
});

test('a chain of more certificates than the limit is refused before any is parsed', () => {
  const long = costChain({ cas: UPLOAD_LIMITS.chainCertificates });
  assert.match(refusal(() => readUpload({ publicKey: long.pems.join('') })), /^invalidValue: CertificatePublicKey holds 11 certificates/);
  // The issue's input: a leaf and 999 CA certificates (~660 KB), refused on its size alone.
  const issue = costChain({ cas: 999 });
  assert.match(refusal(() => readUpload({ publicKey: issue.pems.join('') })), /^tooLarge: CertificatePublicKey holds \d+ characters; certport accepts at most 65536/);
});

test('more subject alternative names than the limit, in the leaf or in the chain, are refused', () => {
  const many = costChain({ cas: 1, sans: UPLOAD_LIMITS.subjectAltNames + 1 });
  assert.match(refusal(() => readUpload({ publicKey: many.pems.join(''), privateKey: many.keyPem })), /^invalidValue: The certificate names 251 subject alternative names/);
});

test('RSA keys larger than the limit are refused, in the certificate and as the private key', () => {
  const huge = fakeRsaKey(UPLOAD_LIMITS.keyBits + 1024);
  const leaf = costChain({ cas: 1, leafSpki: huge.spki });
  assert.match(refusal(() => readUpload({ publicKey: leaf.pems.join('') })), /^invalidValue: The certificate's public key is a 9216-bit RSA key/);
  const ok = costChain({ cas: 1 });
  assert.match(refusal(() => readUpload({ publicKey: ok.pems.join(''), privateKey: huge.pkcs1Pem })), /^invalidValue: The private key is a 9216-bit RSA key/);
  assert.match(refusal(() => readUpload({ publicKey: ok.pems.join(''), privateKey: ok.keyPem + ' '.repeat(UPLOAD_LIMITS.privateKeyPem) })), /^tooLarge: CertificatePrivateKey/);
});

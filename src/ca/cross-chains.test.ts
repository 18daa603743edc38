import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { ConfigError } from '../config/config.js';
import { buildCaCertificate, signerFor } from '../pki/certificate-builder.js';
import { keyIdentifier } from '../pki/keys.js';
import { pemBlocks, pemDer, toPem } from '../pki/pem.js';
import { readCertificate } from '../pki/x509.js';
import { createCaMaterial, type CaMaterial } from './embedded/material.js';
import { CrossChains } from './cross-chains.js';

const DAY = 86_400_000;
const now = Date.now();
let ours: CaMaterial;
let other: CaMaterial;
let own: string[];

before(async () => {
  [ours, other] = await Promise.all([createCaMaterial({ name: 'certport unit' }), createCaMaterial({ name: 'Other Corp' })]);
  own = [ours.rootCertPem, ours.rsaIntermediateCertPem, ours.ecIntermediateCertPem];
});

/** `certPem`'s subject and key, issued by `by` (certificate and key PEM) until `days` from now. */
function cross(certPem: string, by: { cert: string; key: string }, days = 30): string {
  const c = readCertificate(pemDer(certPem, 'CERTIFICATE'));
  const issuer = readCertificate(pemDer(by.cert, 'CERTIFICATE'));
  return toPem('CERTIFICATE', buildCaCertificate({
    issuerName: issuer.subjectName, subjectName: c.subjectName, spki: c.spki, notBefore: new Date(now - DAY), notAfter: new Date(now + days * DAY),
    signer: signerFor(createPrivateKey(by.key))!, issuerSki: keyIdentifier(issuer.spki),
  }));
}
const otherRoot = () => ({ cert: other.rootCertPem, key: other.rootKeyPem });
const leafChain = (intermediate: string) => '-----BEGIN CERTIFICATE-----\n' + 'MA==' + '\n-----END CERTIFICATE-----\n' + intermediate;
const refuses = (pem: string, re: RegExp) => assert.throws(() => CrossChains.parse(pem, own, now), (e) => e instanceof ConfigError && re.test(e.message));

test('an intermediate\'s cross certificate followed by its issuer: one alternate for that intermediate\'s leaves only', () => {
  const x = cross(ours.ecIntermediateCertPem, otherRoot());
  const chains = CrossChains.parse(x + other.rootCertPem, own, now);
  assert.equal(chains.size, 1);
  // The leaf is not read: any first block stands for it.
  const [alt] = chains.alternates(leafChain(ours.ecIntermediateCertPem), now);
  assert.deepEqual(pemBlocks(alt!).map((b) => toPem('CERTIFICATE', b.der)).slice(1), [x, other.rootCertPem]);
  assert.deepEqual(chains.alternates(leafChain(ours.rsaIntermediateCertPem), now), []);
  assert.deepEqual(chains.alternates(leafChain(ours.ecIntermediateCertPem), now + 31 * DAY), [], 'not offered once expired');
});

test('a root\'s cross certificate fits every leaf under that root, after the intermediate', () => {
  const x = cross(ours.rootCertPem, otherRoot());
  const chains = CrossChains.parse(x, own, now);
  for (const inter of [ours.rsaIntermediateCertPem, ours.ecIntermediateCertPem]) {
    const alts = chains.alternates(leafChain(inter), now);
    assert.equal(alts.length, 1);
    assert.ok(alts[0]!.endsWith(inter + x));
  }
  // Another CA's intermediate is not under certport's root.
  assert.deepEqual(chains.alternates(leafChain(other.ecIntermediateCertPem), now), []);
});

test('refuses certport\'s own certificate, a certificate after a path that did not sign it, an empty file', () => {
  refuses(ours.ecIntermediateCertPem, /certificate 1 of 1 .*is certport's own CA certificate/);
  const x = cross(ours.ecIntermediateCertPem, otherRoot());
  // The other CA's RSA intermediate did not sign the cross certificate.
  refuses(x + other.rsaIntermediateCertPem, /certificate 2 of 2 \(subject "[^"]*Other Corp RSA Issuing CA.*matches none of certport's CA certificates.*did not sign the certificate before it/);
  refuses('nothing here', /holds no PEM certificate/);
  refuses(cross(ours.ecIntermediateCertPem, otherRoot(), -1), /certificate 1 of 1 .* expired/);
});

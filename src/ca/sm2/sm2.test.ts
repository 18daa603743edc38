import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import smCrypto from 'sm-crypto';
import { problemOf } from '../../api/problems.js';
import { buildSm2Csr, domainCsr as buildCsr } from '../../pki/csr.js';
import { verifySm2Csr } from '../../pki/csr-parse.js';
import * as der from '../../pki/der.js';
import { generateKeyPair, generateSm2KeyPair } from '../../pki/keys.js';
import { pemBlocks, toPem } from '../../pki/pem.js';
import { SM2_DEFAULT_ID, verifySm2Certificate } from '../../pki/sm2.js';
import { run, withTempDir } from '../../testing/pki-fixtures.js';
import type { IssuedCertificate } from '../issuer.js';
import { Sm2Issuer } from './issuer.js';
import { createSm2CaMaterial, sm2CaPublicFiles, type Sm2CaMaterial } from './material.js';

const { sm2 } = smCrypto;
const DAY = 86_400_000;
const DISTID = ['-vfyopt', `distid:${SM2_DEFAULT_ID}`];
let material: Sm2CaMaterial;
let issuer: Sm2Issuer;

before(async () => {
  material = await createSm2CaMaterial({ name: 'certport test' });
  issuer = new Sm2Issuer(material, { publicBaseUrl: 'https://certs.example.net/' });
});

const text = (pem: string) => run('openssl', ['x509', '-noout', '-text'], pem);
/** Runs openssl and reports success instead of throwing: some checks are expected to fail. */
function openssl(args: string[], input?: string): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}
const derOf = (pem: string) => pemBlocks(pem)[0].der;
/** tbsCertificate (or certificationRequestInfo), and the signature value, of a signed DER object. */
function signedParts(pem: string): { tbs: Buffer; signature: Buffer } {
  const b = derOf(pem);
  const [tbs, , sig] = der.children(b, der.readNode(b));
  return { tbs: der.raw(b, tbs), signature: der.content(b, sig).subarray(1) };
}
/** Raw public point (04||x||y, hex) of a certificate's SPKI, as sm-crypto wants it. */
function pointHex(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: 'spki', format: 'der' }) as Buffer;
  return spki.subarray(spki.length - 65).toString('hex');
}
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    // The wire code the API answers for it (a Fault's kind maps to one in api/problems.ts).
    return problemOf(e)?.code ?? String(e);
  }
  return 'no error';
}

/**
 * OpenSSL 3.0 verifies SM2 certificate signatures with an empty signer ID; `-vfyopt distid:`
 * sets the ID on the target certificate only, so intermediates in `-untrusted` still get the
 * empty ID (openssl/openssl#23471). Check each link with the target as the signed certificate,
 * and the root's self-signature with pkeyutl (which `-check_ss_sig` cannot be given an ID for).
 */
async function opensslVerifyChain(c: IssuedCertificate, distid = `distid:${SM2_DEFAULT_ID}`): Promise<{ root: boolean; intermediate: boolean; leaf: boolean; oneCommand: string }> {
  return withTempDir(async (dir) => {
    const f = (n: string) => join(dir, n);
    await writeFile(f('sm2-root.pem'), c.rootPem);
    await writeFile(f('sm2-inter.pem'), c.chainPems.join(''));
    await writeFile(f('leaf.pem'), c.certPem);
    const { tbs, signature } = signedParts(c.rootPem);
    await writeFile(f('root.tbs'), tbs);
    await writeFile(f('root.sig'), signature);
    await writeFile(f('root.pub'), run('openssl', ['x509', '-in', f('sm2-root.pem'), '-noout', '-pubkey']));
    const root = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', f('root.pub'), '-rawin', '-digest', 'sm3',
      '-in', f('root.tbs'), '-sigfile', f('root.sig'), '-pkeyopt', distid]);
    const intermediate = openssl(['verify', '-x509_strict', '-vfyopt', distid, '-CAfile', f('sm2-root.pem'), f('sm2-inter.pem')]);
    const leaf = openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-partial_chain', '-vfyopt', distid,
      '-CAfile', f('sm2-inter.pem'), f('leaf.pem')]);
    const oneCommand = openssl(['verify', '-x509_strict', '-vfyopt', distid, '-CAfile', f('sm2-root.pem'), '-untrusted', f('sm2-inter.pem'), f('leaf.pem')]);
    return {
      root: root.ok && /Signature Verified Successfully/.test(root.out),
      intermediate: intermediate.ok && /: OK/.test(intermediate.out),
      leaf: leaf.ok && /: OK/.test(leaf.out),
      oneCommand: oneCommand.out.trim().split('\n').slice(0, 2).join(' | '),
    };
  });
}

test('creates an SM2 root and an SM2 intermediate (pathlen 0), both SM2-with-SM3', () => {
  const root = text(material.rootCertPem);
  assert.match(root, /Signature Algorithm: SM2-with-SM3/);
  assert.match(root, /Subject: O = certport test, CN = certport test SM2 Root CA/);
  assert.match(root, /ASN1 OID: SM2/);
  assert.match(root, /Basic Constraints: critical\s+CA:TRUE\n/);
  assert.match(root, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(root, /Subject Key Identifier/);

  const inter = text(material.intermediateCertPem);
  assert.match(inter, /Signature Algorithm: SM2-with-SM3/);
  assert.match(inter, /Issuer: O = certport test, CN = certport test SM2 Root CA/);
  assert.match(inter, /Subject: O = certport test, CN = certport test SM2 Issuing CA/);
  assert.match(inter, /ASN1 OID: SM2/);
  assert.match(inter, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(inter, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  const rootSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(root)![1];
  assert.match(inter, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${rootSki}`));

  const years = (pem: string) => {
    const dates = run('openssl', ['x509', '-noout', '-startdate', '-enddate'], pem);
    const [, a, b] = /notBefore=.* (\d{4}) GMT\nnotAfter=.* (\d{4}) GMT/.exec(dates)!;
    return Number(b) - Number(a);
  };
  assert.equal(years(material.rootCertPem), 10);
  assert.equal(years(material.intermediateCertPem), 5);
  assert.ok(verifySm2Certificate(material.intermediateCertPem, material.rootCertPem));
  assert.ok(verifySm2Certificate(material.rootCertPem, material.rootCertPem));

  const files = sm2CaPublicFiles(material);
  assert.deepEqual(files.map((f) => [f.name, f.contentType]), [
    ['sm2-intermediate.der', 'application/pkix-cert'],
    ['sm2-root.der', 'application/pkix-cert'],
  ]);
  assert.ok(files[0].body.equals(derOf(material.intermediateCertPem)));
  assert.ok(files[1].body.equals(derOf(material.rootCertPem)));
});

test('openssl verifies a sign leaf and an encrypt leaf link by link with distid 1234567812345678', async (t) => {
  const key = generateSm2KeyPair();
  for (const usage of ['sign', 'encrypt'] as const) {
    const c = await issuer.issue({ publicKeyPem: key.publicKeyPem, domains: ['sm2.example.com'], validityDays: 90, usage });
    assert.equal(c.rootPem, material.rootCertPem);
    assert.deepEqual(c.chainPems, [material.intermediateCertPem]);
    const ok = await opensslVerifyChain(c);
    assert.deepEqual({ root: ok.root, intermediate: ok.intermediate, leaf: ok.leaf }, { root: true, intermediate: true, leaf: true }, usage);
    // The same checks with another ID fail: OpenSSL really uses the ID it is given.
    const wrong = await opensslVerifyChain(c, 'distid:0000000000000000');
    assert.deepEqual({ root: wrong.root, intermediate: wrong.intermediate, leaf: wrong.leaf }, { root: false, intermediate: false, leaf: false }, usage);
    if (usage === 'sign') t.diagnostic(`openssl verify -vfyopt distid -CAfile root -untrusted inter leaf (one command): ${ok.oneCommand}`);
  }
});

test('a sign leaf has digitalSignature + nonRepudiation, an encrypt leaf keyEncipherment + dataEncipherment + keyAgreement', () => {
  const key = generateSm2KeyPair();
  const domains = ['www.example.cn', 'example.cn', '*.api.example.cn'];
  const sign = issuer.issueSync({ publicKeyPem: key.publicKeyPem, domains, validityDays: 30 });
  const enc = issuer.issueSync({ publicKeyPem: key.publicKeyPem, domains, validityDays: 30, usage: 'encrypt' });
  const interSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text(material.intermediateCertPem))![1];
  for (const [c, usages] of [[sign, 'Digital Signature, Non Repudiation'], [enc, 'Key Encipherment, Data Encipherment, Key Agreement']] as const) {
    const t = text(c.certPem);
    assert.match(t, /Signature Algorithm: SM2-with-SM3/);
    assert.match(t, /Subject: CN = www\.example\.cn\n/);
    assert.match(t, /ASN1 OID: SM2/);
    assert.match(t, new RegExp(`Key Usage: critical\\s+${usages}\\n`));
    assert.match(t, /Extended Key Usage: \s+TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(t, /Basic Constraints: critical\s+CA:FALSE/);
    assert.match(t, /DNS:www\.example\.cn, DNS:example\.cn, DNS:\*\.api\.example\.cn/);
    assert.match(t, /CA Issuers - URI:https:\/\/certs\.example\.net\/ca\/sm2-intermediate\.der/);
    assert.match(t, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${interSki}`));
    assert.match(t, /Subject Key Identifier/);
  }
});

test('signatures use the GM/T 0009 default signer ID 1234567812345678', (t) => {
  const key = generateSm2KeyPair();
  const c = issuer.issueSync({ publicKeyPem: key.publicKeyPem, domains: ['id.example.com'], validityDays: 30 });
  const { tbs, signature } = signedParts(c.certPem);
  const pub = pointHex(material.intermediateCertPem);
  const check = (userId: string) => sm2.doVerifySignature(Array.from(tbs), signature.toString('hex'), pub, { der: true, hash: true, userId });
  assert.equal(check(SM2_DEFAULT_ID), true);
  assert.equal(check(''), false);
  assert.equal(verifySm2Certificate(c.certPem, material.intermediateCertPem), true);
  assert.equal(verifySm2Certificate(c.certPem, material.intermediateCertPem, ''), false);
  assert.equal(verifySm2Certificate(c.certPem, material.rootCertPem), false, 'not the signer');

  // node:crypto (OpenSSL 3.0, no way to set the ID) verifies with the empty ID: observed, not relied on.
  const nodeOnIssuer = nodeVerify('sm3', tbs, createPublicKey(material.intermediateCertPem), signature);
  const kp = sm2.generateKeyPairHex();
  const spki = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex'), Buffer.from(kp.publicKey, 'hex')]);
  const nodeKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const sigWith = (userId: string) => Buffer.from(sm2.doSignature(Array.from(tbs), kp.privateKey, { der: true, hash: true, userId }), 'hex');
  t.diagnostic(`node:crypto verify('sm3'): issuer's signature (ID ${SM2_DEFAULT_ID}) ${nodeOnIssuer}; ` +
    `sm-crypto with ID ${SM2_DEFAULT_ID} ${nodeVerify('sm3', tbs, nodeKey, sigWith(SM2_DEFAULT_ID))}; with the empty ID ${nodeVerify('sm3', tbs, nodeKey, sigWith(''))}`);
});

test('buildSm2Csr makes a CSR that openssl req -verify accepts with distid 1234567812345678', async () => {
  const key = generateSm2KeyPair();
  const csr = buildSm2Csr(key.privateKeyPem, ['shop.example.cn', 'www.shop.example.cn'], {
    country: 'cn', province: 'Guangdong', locality: 'Shenzhen', organization: '示例公司', organizationalUnit: 'Ops',
  });
  const verified = openssl(['req', '-verify', '-noout', ...DISTID], csr);
  assert.ok(verified.ok && /verify OK/.test(verified.out), verified.out);
  const t = run('openssl', ['req', '-noout', '-text', '-nameopt', 'utf8'], csr);
  assert.match(t, /Subject: C=CN, ST=Guangdong, L=Shenzhen, O=示例公司, OU=Ops, CN=shop\.example\.cn\n/);
  assert.match(t, /Signature Algorithm: SM2-with-SM3/);
  assert.match(t, /ASN1 OID: SM2/);
  assert.match(t, /DNS:shop\.example\.cn, DNS:www\.shop\.example\.cn/);
  // countryName is a PrintableString (RFC 5280), the other attributes UTF8String.
  assert.match(run('openssl', ['asn1parse'], csr), /countryName\s+\n?.*PRINTABLESTRING\s+:CN/);

  const info = verifySm2Csr(csr);
  assert.equal(info.signerId, SM2_DEFAULT_ID);
  assert.deepEqual(info.domains, ['shop.example.cn', 'www.shop.example.cn']);
  assert.equal(info.commonName, 'shop.example.cn');
  const spki = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' }) as Buffer;
  assert.ok(info.spki.equals(spki));

  const { tbs, signature } = signedParts(csr);
  const pub = `04${spki.subarray(spki.length - 64).toString('hex')}`;
  assert.equal(sm2.doVerifySignature(Array.from(tbs), signature.toString('hex'), pub, { der: true, hash: true, userId: SM2_DEFAULT_ID }), true);
  assert.equal(sm2.doVerifySignature(Array.from(tbs), signature.toString('hex'), pub, { der: true, hash: true, userId: '' }), false);

  // Subject without CN; the CN still defaults to the first name otherwise.
  assert.doesNotMatch(run('openssl', ['req', '-noout', '-subject'], buildSm2Csr(key.privateKeyPem, ['a.example.cn'], { commonName: null, organization: 'X' })), /CN =/);
  assert.equal(await codeOf(() => buildSm2Csr(key.privateKeyPem, ['a.example.cn'], { country: 'CHN' })), 'InvalidParameterValue');
  assert.equal(await codeOf(() => buildSm2Csr(key.privateKeyPem, ['not a name'])), 'InvalidParameterValue');
});

test('verifySm2Csr accepts SM2 CSRs made by openssl, with or without -sigopt distid', async () => {
  await withTempDir(async (dir) => {
    const keyFile = join(dir, 'sm2.key');
    run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', keyFile]);
    const san = ['-addext', 'subjectAltName=DNS:y.example.com,DNS:x.example.com'];
    const withId = run('openssl', ['req', '-new', '-key', keyFile, '-sm3', '-sigopt', `distid:${SM2_DEFAULT_ID}`, '-subj', '/CN=x.example.com', ...san]);
    const noId = run('openssl', ['req', '-new', '-key', keyFile, '-sm3', '-subj', '/CN=X.Example.com']);

    const a = verifySm2Csr(withId);
    assert.equal(a.signerId, SM2_DEFAULT_ID);
    assert.deepEqual(a.domains, ['x.example.com', 'y.example.com']);
    const b = verifySm2Csr(noId);
    assert.equal(b.signerId, '', 'OpenSSL 3.0 signs with the empty ID unless given -sigopt distid');
    assert.deepEqual(b.domains, ['x.example.com']);
    assert.ok(a.spki.equals(b.spki));
    const pub = run('openssl', ['pkey', '-in', keyFile, '-pubout']);
    assert.ok(a.spki.equals(derOf(pub)));

    // A key made by openssl also works for buildSm2Csr, as PKCS#8 and as SEC1 ("EC PRIVATE KEY").
    const sec1File = join(dir, 'sm2-sec1.key');
    run('openssl', ['ecparam', '-name', 'SM2', '-genkey', '-noout', '-out', sec1File]);
    for (const file of [keyFile, sec1File]) {
      const keyPem = await readFile(file, 'utf8');
      const csr = buildSm2Csr(keyPem, ['z.example.com']);
      assert.ok(openssl(['req', '-verify', '-noout', ...DISTID], csr).ok);
      assert.ok(verifySm2Csr(csr).spki.equals(derOf(run('openssl', ['pkey', '-in', file, '-pubout']))));
    }

    // And a leaf issued from the openssl CSR verifies.
    const c = issuer.issueSync({ csrPem: withId, domains: ['x.example.com'], validityDays: 10 });
    assert.ok(derOf(run('openssl', ['x509', '-noout', '-pubkey'], c.certPem)).equals(a.spki));
    const ok = await opensslVerifyChain(c);
    assert.ok(ok.leaf && ok.intermediate && ok.root);
  });
});

test('rejects altered CSRs, CSRs not signed SM2-with-SM3, and CSRs for other keys', async () => {
  const key = generateSm2KeyPair();
  const csr = buildSm2Csr(key.privateKeyPem, ['a.example.com']);
  const b = Buffer.from(derOf(csr));
  const i = b.indexOf(Buffer.from('a.example.com'));
  b[i] = 'b'.charCodeAt(0);
  assert.equal(await codeOf(() => verifySm2Csr(toPem('CERTIFICATE REQUEST', b))), 'InvalidParameter');

  const ecdsaAlg = Buffer.from(derOf(csr));
  const sm2Oid = der.oid('1.2.156.10197.1.501');
  const at = ecdsaAlg.lastIndexOf(sm2Oid);
  der.oid('1.2.840.10045.4.3.2').copy(ecdsaAlg, at); // ecdsa-with-SHA256, the same length
  assert.equal(await codeOf(() => verifySm2Csr(toPem('CERTIFICATE REQUEST', ecdsaAlg))), 'InvalidParameter');

  const rsaCsr = await buildCsr(generateKeyPair('RSA').privateKeyPem, ['a.example.com']);
  const ecCsr = await buildCsr(generateKeyPair('ECC').privateKeyPem, ['a.example.com']);
  assert.equal(await codeOf(() => verifySm2Csr(rsaCsr)), 'FailedOperation.CertificateEncryptInvalid');
  assert.equal(await codeOf(() => issuer.issue({ csrPem: ecCsr, domains: ['a.example.com'], validityDays: 30 })), 'FailedOperation.CertificateEncryptInvalid');
  assert.equal(await codeOf(() => verifySm2Csr('not a csr')), 'InvalidParameter');
});

test('generateSm2KeyPair makes PKCS#8/SPKI keys that openssl reads as SM2', async () => {
  const key = generateSm2KeyPair();
  assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.match(key.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
  await withTempDir(async (dir) => {
    await writeFile(join(dir, 'k.pem'), key.privateKeyPem);
    await writeFile(join(dir, 'p.pem'), key.publicKeyPem);
    assert.match(run('openssl', ['pkey', '-in', join(dir, 'k.pem'), '-noout', '-text']), /ASN1 OID: SM2/);
    assert.match(run('openssl', ['pkey', '-pubin', '-in', join(dir, 'p.pem'), '-noout', '-text']), /ASN1 OID: SM2/);
    assert.equal(run('openssl', ['pkey', '-in', join(dir, 'k.pem'), '-pubout']), key.publicKeyPem);
    // openssl signs with the key using the standard ID; sm-crypto agrees.
    await writeFile(join(dir, 'msg'), 'hello');
    run('openssl', ['pkeyutl', '-sign', '-inkey', join(dir, 'k.pem'), '-rawin', '-digest', 'sm3', '-in', join(dir, 'msg'),
      '-out', join(dir, 'sig'), '-pkeyopt', `distid:${SM2_DEFAULT_ID}`]);
    const sig = await readFile(join(dir, 'sig'));
    const spki = derOf(key.publicKeyPem);
    assert.ok(sm2.doVerifySignature(Array.from(Buffer.from('hello')), sig.toString('hex'), spki.subarray(spki.length - 65).toString('hex'), { der: true, hash: true, userId: SM2_DEFAULT_ID }));
  });
  assert.notEqual(generateSm2KeyPair().privateKeyPem, key.privateKeyPem);
});

test('refuses to issue for RSA and P-256 keys, and for invalid SM2 points', async () => {
  const req = { domains: ['a.example.com'], validityDays: 30 };
  for (const pub of [generateKeyPair('RSA').publicKeyPem, generateKeyPair('ECC').publicKeyPem, generateKeyPair('ECC', 'secp384r1').publicKeyPem]) {
    assert.equal(await codeOf(() => issuer.issue({ ...req, publicKeyPem: pub })), 'FailedOperation.CertificateEncryptInvalid');
  }
  const rsaPkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  assert.equal(await codeOf(() => issuer.issue({ ...req, publicKeyPem: rsaPkcs1 })), 'FailedOperation.CertificateEncryptInvalid');
  assert.equal(await codeOf(() => buildSm2Csr(generateKeyPair('ECC').privateKeyPem, ['a.example.com'])), 'FailedOperation.CertificateEncryptInvalid');
  assert.equal(await codeOf(() => buildSm2Csr(generateKeyPair('RSA').privateKeyPem, ['a.example.com'])), 'FailedOperation.CertificateEncryptInvalid');

  const spki = Buffer.from(derOf(generateSm2KeyPair().publicKeyPem));
  spki[spki.length - 1] ^= 1; // no longer on the curve
  assert.equal(await codeOf(() => issuer.issue({ ...req, publicKeyPem: toPem('PUBLIC KEY', spki) })), 'InvalidParameter');
  assert.equal(await codeOf(() => issuer.issue({ ...req, publicKeyPem: generateSm2KeyPair().privateKeyPem })), 'InvalidParameter');
  assert.equal(await codeOf(() => issuer.issue(req)), 'InvalidParameter');
  assert.equal(await codeOf(() => issuer.issue({ ...req, publicKeyPem: generateSm2KeyPair().publicKeyPem, usage: 'both' as never })), 'InvalidParameterValue');
});

test('a compressed SM2 point is accepted and written uncompressed', () => {
  const key = generateSm2KeyPair();
  const spki = derOf(key.publicKeyPem);
  const point = spki.subarray(spki.length - 65);
  const compressed = Buffer.concat([Buffer.from([2 + (point[64] & 1)]), point.subarray(1, 33)]);
  const cSpki = der.seq(der.seq(der.oid('1.2.840.10045.2.1'), der.oid('1.2.156.10197.1.301')), der.bitString(compressed));
  const c = issuer.issueSync({ publicKeyPem: toPem('PUBLIC KEY', cSpki), domains: ['a.example.com'], validityDays: 5 });
  assert.ok(derOf(run('openssl', ['x509', '-noout', '-pubkey'], c.certPem)).equals(spki));
});

test('validity: 1 to 398 days, ends one second short, never past the intermediate', async () => {
  const now = Date.UTC(2030, 0, 15, 8, 30, 15, 500);
  const fixed = new Sm2Issuer(material, { clock: () => now });
  const key = generateSm2KeyPair();
  const c = fixed.issueSync({ publicKeyPem: key.publicKeyPem, domains: ['v.example.com'], validityDays: 398 });
  assert.equal(c.notBefore.toISOString(), '2030-01-15T08:29:15.000Z');
  assert.equal(c.notAfter.getTime() - c.notBefore.getTime(), 398 * DAY - 1000);
  const dates = run('openssl', ['x509', '-noout', '-startdate', '-enddate'], c.certPem);
  assert.match(dates, /notBefore=Jan 15 08:29:15 2030 GMT/);
  assert.match(dates, /notAfter=Feb 17 08:29:14 2031 GMT/);
  for (const validityDays of [0, 399, 1.5, Number.NaN]) {
    assert.equal(await codeOf(() => fixed.issue({ publicKeyPem: key.publicKeyPem, domains: ['v.example.com'], validityDays })), 'InvalidParameterValue', String(validityDays));
  }
  // An intermediate made five years ago less 30 days has about 30 days left.
  const old = await createSm2CaMaterial({ now: new Date(Date.now() - 5 * 365.25 * DAY + 30 * DAY) });
  const oldIssuer = new Sm2Issuer(old);
  assert.equal(await codeOf(() => oldIssuer.issue({ publicKeyPem: key.publicKeyPem, domains: ['v.example.com'], validityDays: 60 })), 'FailedOperation.CertificateCaError');
  assert.ok(oldIssuer.issueSync({ publicKeyPem: key.publicKeyPem, domains: ['v.example.com'], validityDays: 20 }));
});

test('each certificate gets a fresh positive 128-bit serial', () => {
  const key = generateSm2KeyPair();
  const serials = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const c = issuer.issueSync({ publicKeyPem: key.publicKeyPem, domains: ['s.example.com'], validityDays: 1 });
    assert.match(c.serialHex, /^[89a-f][0-9a-f]{31}$/);
    const fromOpenssl = run('openssl', ['x509', '-noout', '-serial'], c.certPem).trim().replace('serial=', '').toLowerCase();
    assert.equal(fromOpenssl.replace(/^00/, ''), c.serialHex);
    serials.add(c.serialHex);
  }
  assert.equal(serials.size, 20);
  const fixed = new Sm2Issuer(material, { random: (n) => Buffer.alloc(n, 0x11) });
  assert.equal(fixed.issueSync({ publicKeyPem: key.publicKeyPem, domains: ['s.example.com'], validityDays: 1 }).serialHex, '91' + '11'.repeat(15));
});

test('a first name longer than 64 characters goes only into a critical SAN', () => {
  const long = `${'a'.repeat(60)}.example.com`;
  const c = issuer.issueSync({ publicKeyPem: generateSm2KeyPair().publicKeyPem, domains: [long, 'b.example.com'], validityDays: 5 });
  const t = text(c.certPem);
  assert.match(t, /Subject: \n/);
  assert.match(t, /Subject Alternative Name: critical\s+DNS:a{60}\.example\.com, DNS:b\.example\.com/);
});

test('IP addresses go into the SAN as iPAddress, the first into an otherwise empty CN', async () => {
  const c = issuer.issueSync({ publicKeyPem: generateSm2KeyPair().publicKeyPem, domains: [], ipAddresses: ['192.0.2.1', '::1'], validityDays: 5 });
  const t = text(c.certPem);
  assert.match(t, /Subject: CN = 192.0.2.1\n/);
  assert.match(t, /IP Address:192.0.2.1, IP Address:0:0:0:0:0:0:0:1\n/);
  assert.ok((await opensslVerifyChain(c)).leaf);
});

test('refuses material whose intermediate key or root does not match', async () => {
  const other = await createSm2CaMaterial({ name: 'other' });
  assert.equal(await codeOf(() => new Sm2Issuer({ ...material, intermediateKeyPem: other.intermediateKeyPem })), 'FailedOperation.CertificateMismatch');
  assert.equal(await codeOf(() => new Sm2Issuer({ ...material, rootCertPem: other.rootCertPem })), 'FailedOperation.CertificateMismatch');
  assert.equal(await codeOf(() => new Sm2Issuer({ ...material, intermediateKeyPem: generateKeyPair('ECC').privateKeyPem })), 'FailedOperation.CertificateEncryptInvalid');
  assert.equal(new Sm2Issuer(material).name, 'embedded-sm2');
});

import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pemBlocks, toPem } from '../../pki/pem.js';
import { parseCertificateDer } from '../../pki/certificate.js';
import { run, withTempDir } from '../../testing/pki-fixtures.js';
import { domainCsr as buildCsr } from '../../pki/csr.js';
import { csrPublicKey } from '../../pki/csr-parse.js';
import * as der from '../../pki/der.js';
import { generateKeyPair } from '../../pki/keys.js';
import type { IssuedCertificate } from '../issuer.js';
import { EmbeddedIssuer } from './issuer.js';
import { caPublicFiles, createCaMaterial, intermediateFileName, type CaMaterial } from './material.js';

const DAY = 86_400_000;
let material: CaMaterial;

before(async () => {
  material = await createCaMaterial({ name: 'certport test' });
});

const text = (pem: string) => run('openssl', ['x509', '-noout', '-text'], pem);

/** openssl verify -x509_strict -purpose sslserver against root + the issued chain; returns stdout. */
async function opensslVerify(c: IssuedCertificate): Promise<string> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'root.pem'), c.rootPem);
    await writeFile(join(dir, 'chain.pem'), c.chainPems.join(''));
    await writeFile(join(dir, 'leaf.pem'), c.certPem);
    return run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(dir, 'root.pem'),
      '-untrusted', join(dir, 'chain.pem'), join(dir, 'leaf.pem')]);
  });
}

test('creates a P-384 root and RSA/EC intermediates that form a strict CA chain', async () => {
  const root = text(material.rootCertPem);
  assert.match(root, /Subject: O = certport test, CN = certport test Root CA/);
  assert.match(root, /ASN1 OID: secp384r1/);
  assert.match(root, /Basic Constraints: critical\s+CA:TRUE\n/);
  assert.match(root, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(root, /Subject Key Identifier/);
  const rootParsed = parseCertificateDer(pemBlocks(material.rootCertPem)[0].der);
  const years = (p: { notBefore: number; notAfter: number }) => {
    const [a, b] = [new Date(p.notBefore), new Date(p.notAfter)];
    assert.equal(a.toISOString().slice(4), b.toISOString().slice(4), 'same day and time of year');
    return b.getUTCFullYear() - a.getUTCFullYear();
  };
  assert.equal(years(rootParsed), 10);

  for (const [pem, want] of [[material.rsaIntermediateCertPem, /rsaEncryption[\s\S]*Public-Key: \(2048 bit\)/], [material.ecIntermediateCertPem, /ASN1 OID: prime256v1/]] as const) {
    const t = text(pem);
    assert.match(t, want);
    assert.match(t, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(t, /Authority Key Identifier/);
    assert.match(t, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.equal(years(parseCertificateDer(pemBlocks(pem)[0].der)), 5);
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'root.pem'), material.rootCertPem);
      await writeFile(join(dir, 'int.pem'), pem);
      assert.match(run('openssl', ['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), join(dir, 'int.pem')]), /: OK/);
    });
  }
  // Keys come back as unencrypted PKCS#8 that openssl reads.
  for (const k of [material.rootKeyPem, material.rsaIntermediateKeyPem, material.ecIntermediateKeyPem]) {
    assert.match(k, /^-----BEGIN PRIVATE KEY-----/);
    run('openssl', ['pkey', '-noout'], k);
  }
});

test('issues an RSA leaf for a server-generated key through the RSA intermediate', async () => {
  const issuer = new EmbeddedIssuer(material, { publicBaseUrl: 'https://certs.example.net/' });
  const keys = generateKeyPair('RSA', '2048');
  const c = await issuer.issue({ publicKeyPem: keys.publicKeyPem, domains: ['shop.example.com', 'www.shop.example.com'], validityDays: 90 });
  assert.match(await opensslVerify(c), /leaf.pem: OK/);
  assert.equal(c.chainPems.length, 1);
  assert.equal(c.chainPems[0], material.rsaIntermediateCertPem);
  const t = text(c.certPem);
  assert.match(t, /Issuer: O = certport test, CN = certport test RSA Issuing CA/);
  assert.match(t, /Subject: CN = shop.example.com\n/);
  assert.match(t, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(t, /Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
  assert.match(t, /Extended Key Usage: \s+TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(t, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(t, /DNS:shop.example.com, DNS:www.shop.example.com\n/);
  assert.match(t, /CA Issuers - URI:https:\/\/certs.example.net\/ca\/rsa-intermediate.der/);
  assert.match(t, /Policy: 2.23.140.1.2.1/);
  // The key in the certificate is the one we generated.
  assert.equal(run('openssl', ['x509', '-noout', '-pubkey'], c.certPem), keys.publicKeyPem);

  const p = parseCertificateDer(pemBlocks(c.certPem)[0].der);
  assert.equal(p.serialHex, c.serialHex);
  assert.match(c.serialHex, /^[89a-f][0-9a-f]{31}$/, '128-bit positive serial with the top bit set');
  assert.equal(p.notBefore, c.notBefore.getTime());
  assert.equal(p.notAfter, c.notAfter.getTime());
  assert.equal(c.notAfter.getTime() - c.notBefore.getTime(), 90 * DAY - 1000, '90 days counting both ends');
  assert.ok(Math.abs(c.notBefore.getTime() - (Date.now() - 60_000)) < 5000, 'notBefore is backdated one minute');
  assert.equal(p.encryptAlgorithm, 'RSA 2048');
});

test('issues an EC leaf from an openssl CSR through the EC intermediate, ignoring the CSR names', async () => {
  const issuer = new EmbeddedIssuer(material);
  const csr = run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null',
    '-subj', '/CN=ignored.example.org', '-addext', 'subjectAltName=DNS:ignored.example.org']);
  const c = await issuer.issue({ csrPem: csr, domains: ['api.example.com'], validityDays: 90 });
  assert.match(await opensslVerify(c), /leaf.pem: OK/);
  assert.equal(c.chainPems[0], material.ecIntermediateCertPem);
  const t = text(c.certPem);
  assert.match(t, /Issuer: O = certport test, CN = certport test ECC Issuing CA/);
  assert.match(t, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(t, /Key Usage: critical\s+Digital Signature\n/);
  assert.match(t, /DNS:api.example.com\n/);
  assert.doesNotMatch(t, /ignored/);
  assert.doesNotMatch(t, /Authority Information Access/, 'no AIA without a public base URL');
  assert.equal(run('openssl', ['x509', '-noout', '-pubkey'], c.certPem), run('openssl', ['req', '-noout', '-pubkey'], csr));
});

test('issues P-384 and RSA-4096 leaves and a wildcard SAN', async () => {
  const issuer = new EmbeddedIssuer(material);
  for (const [algo, param, label] of [['ECC', 'secp384r1', 'ECC 384'], ['RSA', '4096', 'RSA 4096']] as const) {
    const keys = generateKeyPair(algo, param);
    const c = await issuer.issue({ publicKeyPem: keys.publicKeyPem, domains: ['*.example.com', 'example.com'], validityDays: 90 });
    assert.match(await opensslVerify(c), /leaf.pem: OK/);
    const t = text(c.certPem);
    assert.match(t, /Subject: CN = \*.example.com\n/);
    assert.match(t, /DNS:\*.example.com, DNS:example.com\n/);
    assert.equal(parseCertificateDer(pemBlocks(c.certPem)[0].der).encryptAlgorithm, label);
  }
});

test('builds CSRs for server-side keys that openssl verifies, with every name in the SAN', async () => {
  for (const algo of ['RSA', 'ECC'] as const) {
    const keys = generateKeyPair(algo);
    const csr = await buildCsr(keys.privateKeyPem, ['shop.example.com', '*.shop.example.com']);
    const out = run('openssl', ['req', '-verify', '-noout', '-text'], csr);
    assert.match(out, /Subject: CN = shop.example.com\n/);
    assert.match(out, /DNS:shop.example.com, DNS:\*.shop.example.com/);
    const c = await new EmbeddedIssuer(material).issue({ csrPem: csr, domains: ['shop.example.com'], validityDays: 30 });
    assert.match(await opensslVerify(c), /OK/);
  }
});

test('rejects a CSR whose signed content was altered', async () => {
  const keys = generateKeyPair('ECC');
  const csr = await buildCsr(keys.privateKeyPem, ['shop.example.com']);
  const der = Buffer.from(pemBlocks(csr)[0].der);
  const at = der.indexOf(Buffer.from('shop.example.com'));
  assert.ok(at > 0);
  der[at] = 'x'.charCodeAt(0); // xhop.example.com: same length, signature no longer matches
  const tampered = toPem('CERTIFICATE REQUEST', der);
  // openssl exits 0 here but says so on stderr.
  assert.match(spawnSync('openssl', ['req', '-verify', '-noout'], { input: tampered, encoding: 'utf8' }).stderr, /verify failure/);
  const issuer = new EmbeddedIssuer(material);
  await assert.rejects(issuer.issue({ csrPem: tampered, domains: ['shop.example.com'], validityDays: 90 }), /signature does not verify/);
  await assert.rejects(issuer.issue({ csrPem: 'not a csr', domains: ['shop.example.com'], validityDays: 90 }), /PEM/);
});

test('refuses weak keys, bad validity and names that were not normalised', async () => {
  const issuer = new EmbeddedIssuer(material);
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await assert.rejects(issuer.issue({ publicKeyPem: weak, domains: ['a.example.com'], validityDays: 90 }), /2048 to 8192 bits/);
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await assert.rejects(issuer.issue({ publicKeyPem: ed, domains: ['a.example.com'], validityDays: 90 }), /ed25519 is not supported/);
  const ok = generateKeyPair('ECC').publicKeyPem;
  await assert.rejects(issuer.issue({ publicKeyPem: ok, domains: ['a.example.com'], validityDays: 0 }), /validityDays/);
  await assert.rejects(issuer.issue({ publicKeyPem: ok, domains: ['a.example.com'], validityDays: 399 }), /validityDays/);
  await assert.rejects(issuer.issue({ publicKeyPem: ok, domains: ['A.Example.com'], validityDays: 90 }), /not a normalised DNS name/);
  await assert.rejects(issuer.issue({ publicKeyPem: ok, domains: [], validityDays: 90 }), /At least one domain/);
  await assert.rejects(issuer.issue({ publicKeyPem: generateKeyPair('ECC').privateKeyPem, domains: ['a.example.com'], validityDays: 90 }), /PUBLIC KEY/);
  assert.throws(() => generateKeyPair('RSA', '1024'), /not supported/);
  assert.throws(() => generateKeyPair('ECC', 'secp521r1'), /not supported/);
});

test('uses the injected clock and refuses to outlive the intermediate', async () => {
  const t0 = Date.UTC(2027, 0, 15, 12, 0, 0, 500);
  const issuer = new EmbeddedIssuer(material, { clock: () => t0 });
  const c = await issuer.issue({ publicKeyPem: generateKeyPair('ECC').publicKeyPem, domains: ['a.example.com'], validityDays: 90 });
  assert.equal(c.notBefore.toISOString(), '2027-01-15T11:59:00.000Z');
  assert.equal(c.notAfter.toISOString(), '2027-04-15T11:58:59.000Z');
  const late = new EmbeddedIssuer(material, { clock: () => Date.now() + 5 * 365 * DAY });
  await assert.rejects(late.issue({ publicKeyPem: generateKeyPair('ECC').publicKeyPem, domains: ['a.example.com'], validityDays: 90 }), /rotate the CA/);
});

test('leaves a first name longer than 64 characters out of the subject and marks the SAN critical', async () => {
  const long = `${'a'.repeat(60)}.example.com`;
  const c = await new EmbeddedIssuer(material).issue({ publicKeyPem: generateKeyPair('ECC').publicKeyPem, domains: [long], validityDays: 90 });
  assert.match(await opensslVerify(c), /OK/);
  const t = text(c.certPem);
  assert.match(t, /Subject: \n|Subject:\s*\n/);
  assert.match(t, /Subject Alternative Name: critical\s+DNS:a{60}\.example\.com/);
});

test('writes IP addresses as iPAddress SANs after the names; addresses alone are named in the CN by the first', async () => {
  const issuer = new EmbeddedIssuer(material);
  const only = await issuer.issue({ publicKeyPem: generateKeyPair('ECC').publicKeyPem, domains: [], ipAddresses: ['127.0.0.1', '2001:db8::1'], validityDays: 30 });
  assert.match(await opensslVerify(only), /leaf.pem: OK/);
  let t = text(only.certPem);
  assert.match(t, /Subject: CN = 127.0.0.1\n/);
  assert.match(t, /Subject Alternative Name: \n\s+IP Address:127.0.0.1, IP Address:2001:DB8:0:0:0:0:0:1\n/);
  assert.deepEqual(parseCertificateDer(pemBlocks(only.certPem)[0].der).ipAddresses, ['127.0.0.1', '2001:db8::1']);
  // openssl's own host check: the leaf is good for the address, not for another.
  await withTempDir(async (dir) => {
    await writeFile(join(dir, 'root.pem'), only.rootPem);
    await writeFile(join(dir, 'chain.pem'), only.chainPems.join(''));
    await writeFile(join(dir, 'leaf.pem'), only.certPem);
    const v = (ip: string) => spawnSync('openssl', ['verify', '-verify_ip', ip, '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'chain.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
    assert.match(v('2001:db8::1').stdout, /OK/);
    assert.match(v('127.0.0.2').stdout + v('127.0.0.2').stderr, /IP address mismatch/);
  });
  const mixed = await issuer.issue({ publicKeyPem: generateKeyPair('RSA').publicKeyPem, domains: ['a.example.com'], ipAddresses: ['192.0.2.7'], validityDays: 30 });
  assert.match(await opensslVerify(mixed), /OK/);
  t = text(mixed.certPem);
  assert.match(t, /Subject: CN = a.example.com\n/);
  assert.match(t, /DNS:a.example.com, IP Address:192.0.2.7\n/);
  // Only the one spelling of an address (the ACME server passes canonical text).
  await assert.rejects(issuer.issue({ publicKeyPem: generateKeyPair('ECC').publicKeyPem, domains: [], ipAddresses: ['0:0::1'], validityDays: 30 }), /canonical form/);
  await assert.rejects(issuer.issue({ publicKeyPem: generateKeyPair('ECC').publicKeyPem, domains: [], ipAddresses: ['10.0.0.0/8'], validityDays: 30 }), /not an IP address/);
});

test('publishes the intermediates as DER under the AIA file names', () => {
  const files = caPublicFiles(material);
  assert.deepEqual(files.map((f) => f.name), [intermediateFileName('RSA'), intermediateFileName('ECC'), 'root.der']);
  assert.deepEqual(files[0].body, pemBlocks(material.rsaIntermediateCertPem)[0].der);
  assert.equal(files[1].contentType, 'application/pkix-cert');
});

test('signs 200 RSA and 200 EC leaves with unique serials (prints the rate)', async (t) => {
  const issuer = new EmbeddedIssuer(material, { publicBaseUrl: 'https://certs.example.net' });
  for (const algo of ['RSA', 'ECC'] as const) {
    const publicKeyPem = generateKeyPair(algo).publicKeyPem;
    const serials = new Set<string>();
    const start = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) {
      const c = await issuer.issue({ publicKeyPem, domains: [`host${i}.example.com`, `*.host${i}.example.com`], validityDays: 90 });
      serials.add(c.serialHex);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    t.diagnostic(`${algo}: 200 leaves in ${(seconds * 1000).toFixed(0)} ms = ${Math.round(200 / seconds)}/s`);
    assert.equal(serials.size, 200);
  }
});

/** The SubjectPublicKeyInfo a certificate carries, and its subject key identifier extension value. */
function leafKeyOf(certPem: string): { spki: Buffer; ski: string } {
  const cert = new X509Certificate(certPem);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const m = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text(certPem));
  return { spki, ski: (m?.[1] ?? '').replace(/:/g, '').toLowerCase() };
}
const keyBitsSha1 = (spki: Buffer) => {
  const [, bits] = der.children(spki, der.readNode(spki));
  return createHash('sha1').update(spki.subarray(bits.contentStart + 1, bits.end)).digest('hex');
};

test('carries the key as given, with the SHA-1 key identifier, for every supported key shape', async () => {
  const issuer = new EmbeddedIssuer(material, { publicBaseUrl: 'https://certs.example.net' });
  const shapes = [
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
    generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('rsa', { modulusLength: 3072 }),
    generateKeyPairSync('rsa', { modulusLength: 2056, publicExponent: 3 }),
  ];
  for (const k of shapes) {
    const spki = k.publicKey.export({ type: 'spki', format: 'der' });
    const privateKeyPem = k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const req of [{ publicKeyPem: toPem('PUBLIC KEY', spki) }, { csrPem: await buildCsr(privateKeyPem, ['k.example.com']) }]) {
      const c = issuer.issueSync({ ...req, domains: ['k.example.com'], validityDays: 90 });
      assert.match(await opensslVerify(c), /leaf.pem: OK/);
      const got = leafKeyOf(c.certPem);
      assert.deepEqual(got.spki, spki);
      assert.equal(got.ski, keyBitsSha1(spki));
    }
  }
});

test('writes a compressed EC point uncompressed, and refuses points off the curve', async () => {
  const issuer = new EmbeddedIssuer(material);
  for (const curve of ['prime256v1', 'secp384r1']) {
    const k = generateKeyPairSync('ec', { namedCurve: curve });
    const spki = k.publicKey.export({ type: 'spki', format: 'der' });
    const [alg, bits] = der.children(spki, der.readNode(spki));
    const point = spki.subarray(bits.contentStart + 1, bits.end);
    const size = (point.length - 1) / 2;
    const compressed = der.seq(der.raw(spki, alg), der.bitString(Buffer.concat([Buffer.from([2 + (point[point.length - 1] & 1)]), point.subarray(1, 1 + size)])));
    const c = issuer.issueSync({ publicKeyPem: toPem('PUBLIC KEY', compressed), domains: ['c.example.com'], validityDays: 30 });
    assert.deepEqual(leafKeyOf(c.certPem).spki, spki);

    const off = Buffer.from(spki);
    off[off.length - 1] ^= 1; // y no longer fits x
    assert.throws(() => issuer.issueSync({ publicKeyPem: toPem('PUBLIC KEY', off), domains: ['c.example.com'], validityDays: 30 }), /cannot be parsed: the point is not on P-/);
    assert.throws(() => createPublicKey({ key: off, format: 'der', type: 'spki' }), 'OpenSSL refuses it too');
  }
});

test('checks the CSR signature with the algorithm its key implies', async () => {
  const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const csr = pemBlocks(await buildCsr(k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), ['m.example.com']))[0].der;
  const cri = der.raw(csr, der.children(csr, der.readNode(csr))[0]);
  const relabel = (algOid: string, ...params: Buffer[]) =>
    toPem('CERTIFICATE REQUEST', der.seq(cri, der.seq(der.oid(algOid), ...params), der.bitString(sign('sha256', cri, k.privateKey))));
  // An ECDSA signature under an RSA label: OpenSSL would check it as ECDSA all the same.
  assert.throws(() => csrPublicKey(relabel('1.2.840.113549.1.1.11', der.nullValue())), /does not fit its ec key/);
  assert.throws(() => csrPublicKey(relabel('1.2.840.10045.4.1')), /unsupported algorithm \(1.2.840.10045.4.1\)/, 'ecdsa-with-SHA1');
  assert.equal(csrPublicKey(relabel('1.2.840.10045.4.3.2')).shape.namedCurve, 'prime256v1');
  // A signature by another key does not verify.
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const forged = toPem('CERTIFICATE REQUEST', der.seq(cri, der.seq(der.oid('1.2.840.10045.4.3.2')), der.bitString(sign('sha256', cri, other.privateKey))));
  assert.throws(() => csrPublicKey(forged), /signature does not verify/);
});

test('issue() and issueSync() refuse CSRs whose signature was forged, altered or mislabelled, for every key type', async () => {
  const issuer = new EmbeddedIssuer(material);
  const keys = [
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
    generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ];
  for (const k of keys) {
    const spki = k.publicKey.export({ type: 'spki', format: 'der' });
    const good = await buildCsr(k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), ['q.example.com']);
    const csr = pemBlocks(good)[0].der;
    const [criNode, algNode, sigNode] = der.children(csr, der.readNode(csr));
    const cri = der.raw(csr, criNode);
    const alg = der.raw(csr, algNode);
    const signature = der.content(csr, sigNode).subarray(1);
    const csrOf = (info: Buffer, sig: Buffer, algorithm = alg) => toPem('CERTIFICATE REQUEST', der.seq(info, algorithm, der.bitString(sig)));
    assert.deepEqual(csrPublicKey(good).spki, spki);
    const c = await issuer.issue({ csrPem: good, domains: ['q.example.com'], validityDays: 30 });
    assert.deepEqual(leafKeyOf(c.certPem).spki, spki);
    assert.match(await opensslVerify(c), /leaf.pem: OK/);

    const refused = async (pem: string, why: RegExp) => {
      assert.throws(() => csrPublicKey(pem), why);
      assert.throws(() => issuer.issueSync({ csrPem: pem, domains: ['q.example.com'], validityDays: 30 }), why);
      await assert.rejects(issuer.issue({ csrPem: pem, domains: ['q.example.com'], validityDays: 30 }), why);
    };
    const notSigned = /The CSR signature does not verify: it was altered or not signed by its own key\./;
    // Signed by another key of the same type: no proof of possession.
    const other = k.publicKey.asymmetricKeyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: k.publicKey.asymmetricKeyDetails!.namedCurve! });
    await refused(csrOf(cri, sign('sha256', cri, other.privateKey)), notSigned);
    // The request altered after signing (a name changed), the signature kept.
    const altered = Buffer.from(cri);
    altered[altered.indexOf('q.example.com')] = 0x78;
    await refused(csrOf(altered, signature), notSigned);
    // The signature itself altered, and one that is not even DER.
    const sig = Buffer.from(signature);
    sig[sig.length - 3] ^= 0x40;
    await refused(csrOf(cri, sig), notSigned);
    await refused(csrOf(cri, Buffer.from('not a signature')), notSigned);
    if (k.publicKey.asymmetricKeyType === 'ec') {
      // Signed with SHA-384 and labelled so: verified with the hash the label names.
      const sha384 = der.seq(der.oid('1.2.840.10045.4.3.3'));
      assert.deepEqual(csrPublicKey(csrOf(cri, sign('sha384', cri, k.privateKey), sha384)).spki, spki);
      await refused(csrOf(cri, sign('sha256', cri, k.privateKey), sha384), notSigned);
      // A point off the curve is refused before any signature check.
      const off = Buffer.from(cri);
      const at = off.indexOf(spki) + spki.length - 1;
      off[at] ^= 1;
      await refused(csrOf(off, sign('sha256', off, k.privateKey)), /The CSR's public key cannot be parsed: the point is not on P-/);
    }
  }
});

test('reads CSRs with CRLF and indentation, behind other PEM blocks', async () => {
  const keys = generateKeyPair('ECC');
  const csr = await buildCsr(keys.privateKeyPem, ['p.example.com']);
  const issuer = new EmbeddedIssuer(material);
  for (const pem of [csr.replace(/\n/g, '\r\n    '), material.rootCertPem + 'comment\n' + csr, csr.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST')]) {
    const c = issuer.issueSync({ csrPem: pem, domains: ['p.example.com'], validityDays: 30 });
    assert.equal(run('openssl', ['x509', '-noout', '-pubkey'], c.certPem), keys.publicKeyPem);
  }
  assert.throws(() => issuer.issueSync({ csrPem: csr.replace('MI', 'M*'), domains: ['p.example.com'], validityDays: 30 }), /must be PEM/);
});

test('issues a leaf with 100 long names (lengths in three octets), which openssl verifies', async () => {
  const names = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(56)}.${'y'.repeat(60)}.${'z'.repeat(60)}.example.com`);
  for (const algo of ['ECC', 'RSA'] as const) {
    const c = new EmbeddedIssuer(material).issueSync({ publicKeyPem: generateKeyPair(algo).publicKeyPem, domains: names, validityDays: 90 });
    assert.ok(pemBlocks(c.certPem)[0].der.length > 20_000);
    assert.match(await opensslVerify(c), /leaf.pem: OK/);
    assert.equal(new X509Certificate(c.certPem).subjectAltName?.split(', ').length, 100);
  }
});

test('serials from the default source are distinct, positive and 128 bits long across pool refills', () => {
  const issuer = new EmbeddedIssuer(material);
  const publicKeyPem = generateKeyPair('ECC').publicKeyPem;
  const serials = new Set<string>();
  for (let i = 0; i < 600; i++) { // 600 × 16 bytes: more than two 4 KiB pools
    const { serialHex } = issuer.issueSync({ publicKeyPem, domains: ['s.example.com'], validityDays: 1 });
    assert.match(serialHex, /^[89a-f][0-9a-f]{31}$/);
    serials.add(serialHex);
  }
  assert.equal(serials.size, 600);
});

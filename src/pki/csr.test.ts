// CSRs built here are accepted by openssl with the subject and SAN asked for; CSRs made by
// openssl are read back field by field; altered or weak CSRs are refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import * as der from './der.js';
import { problemOf } from '../api/problems.js';
import { CsrError, ISO3166_ALPHA2, buildCsr, checkSubject, type CsrSubject } from './csr.js';
import { csrMatchesKey, parseCsr } from './csr-parse.js';
import { run, withTempDir } from '../testing/pki-fixtures.js';

/** `openssl req -verify -noout -text`: OpenSSL 3.0 exits 0 even when the signature fails, so read stderr too. */
function opensslReqVerify(csrPem: string, dir: string): { ok: boolean; text: string; stderr: string } {
  const file = path.join(dir, `req-${Math.random().toString(36).slice(2)}.csr`);
  writeFileSync(file, csrPem);
  const r = spawnSync('openssl', ['req', '-in', file, '-verify', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space'], { encoding: 'utf8' });
  return { ok: r.status === 0 && /verify OK/.test(r.stderr) && !/failure/i.test(r.stderr), text: r.stdout, stderr: r.stderr };
}

const SUBJECT: CsrSubject = {
  C: 'CN', ST: 'Hunan', L: 'Changsha', O: 'Tencent', OU: 'IT', CN: 'www.example.com', emailAddress: 'admin@example.com',
};

const keys: Record<string, () => KeyObject> = {
  'RSA 2048': () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  'ECC prime256v1': () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  'ECC secp384r1': () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
};

describe('buildCsr', () => {
  for (const [label, make] of Object.entries(keys)) {
    test(`${label}: openssl verifies it and shows the full subject and the SAN`, async () => {
      const key = make();
      const pem = buildCsr({ subject: SUBJECT, dnsNames: ['www.example.com'], privateKey: key });
      await withTempDir(async (dir) => {
        const r = opensslReqVerify(pem, dir);
        assert.ok(r.ok, r.stderr);
        assert.match(r.text, /Subject: C=CN, ST=Hunan, L=Changsha, O=Tencent, OU=IT, CN=www\.example\.com, emailAddress=admin@example\.com/);
        assert.match(r.text, /X509v3 Subject Alternative Name:\s*\n\s*DNS:www\.example\.com\s*\n/);
        assert.match(r.text, label.startsWith('RSA') ? /sha256WithRSAEncryption/ : label.includes('384') ? /ecdsa-with-SHA384/ : /ecdsa-with-SHA256/);
      });
      const parsed = parseCsr(pem);
      assert.deepEqual(parsed.subject, SUBJECT);
      assert.deepEqual(parsed.dnsNames, ['www.example.com']);
      assert.equal(parsed.subjectString, 'C=CN, ST=Hunan, L=Changsha, O=Tencent, OU=IT, CN=www.example.com, emailAddress=admin@example.com');
      assert.ok(csrMatchesKey(parsed, key));
    });
  }

  test('wildcard names, UTF-8 subject values, and empty attributes left out', async () => {
    const key = keys['ECC prime256v1']!();
    const pem = buildCsr({
      subject: { C: 'CN', ST: '湖南省', L: '长沙', O: '腾讯', OU: '', CN: '*.example.com', emailAddress: 'a@b.cn' },
      dnsNames: ['*.example.com', 'example.com', '*.example.com'],
      privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    await withTempDir(async (dir) => {
      const r = opensslReqVerify(pem, dir);
      assert.ok(r.ok, r.stderr);
      assert.match(r.text, /Subject: C=CN, ST=湖南省, L=长沙, O=腾讯, CN=\*\.example\.com, emailAddress=a@b\.cn/);
      assert.match(r.text, /DNS:\*\.example\.com, DNS:example\.com\s*\n/);
    });
    const parsed = parseCsr(pem);
    assert.equal(parsed.subject.OU, undefined);
    assert.equal(parsed.subject.ST, '湖南省');
    assert.deepEqual(parsed.dnsNames, ['*.example.com', 'example.com']);
  });

  test('no names: no extension request, still a valid CSR', async () => {
    const pem = buildCsr({ subject: { CN: 'device-1' }, dnsNames: [], privateKey: keys['ECC prime256v1']!() });
    await withTempDir(async (dir) => assert.ok(opensslReqVerify(pem, dir).ok));
    assert.deepEqual(parseCsr(pem).dnsNames, []);
  });

  test('refuses subjects that cannot be encoded and names that are not normalised', () => {
    const key = keys['ECC prime256v1']!();
    const build = (subject: CsrSubject, dnsNames = ['a.example.com']) => () => buildCsr({ subject, dnsNames, privateKey: key });
    assert.throws(build({ C: 'CHN' }), (e: unknown) => e instanceof CsrError && /two-letter/.test(e.message));
    assert.throws(build({ CN: 'a'.repeat(65) }), /longer than 64/);
    assert.throws(build({ O: 'bad\nname' }), /control character/);
    assert.throws(build({ emailAddress: 'ä@example.com' }), /ASCII/);
    assert.throws(build({ CN: 'x' }, ['UPPER.example.com']), /not a normalised DNS name/);
    assert.throws(build({ CN: 'x' }, ['a..example.com']), /not a normalised DNS name/);
    assert.deepEqual(checkSubject({ C: 'US', OU: '', CN: 'x' }), { C: 'US', CN: 'x' });
  });

  test('refuses keys it cannot sign a CSR with', () => {
    const ed = generateKeyPairSync('ed25519').privateKey;
    assert.throws(() => buildCsr({ subject: { CN: 'x' }, dnsNames: [], privateKey: ed }), /cannot be signed with a ed25519 key/);
  });

  test('ISO 3166-1 alpha-2 holds the 249 assigned codes and no reserved ones', () => {
    assert.equal(ISO3166_ALPHA2.size, 249);
    for (const c of ['CN', 'US', 'GB', 'HK', 'TW', 'DE']) assert.ok(ISO3166_ALPHA2.has(c), c);
    for (const c of ['UK', 'EU', 'ZZ', 'XX', 'cn']) assert.ok(!ISO3166_ALPHA2.has(c), c);
  });
});

describe('parseCsr', () => {
  test('reads a CSR made by openssl: subject, SAN DNS and IP names, RSA 4096 key', async () => {
    await withTempDir(async (dir) => {
      const keyFile = path.join(dir, 'k.pem');
      const csrFile = path.join(dir, 'r.csr');
      run('openssl', ['req', '-new', '-newkey', 'rsa:4096', '-nodes', '-keyout', keyFile, '-out', csrFile, '-utf8',
        '-subj', '/C=US/ST=California/L=San Francisco/O=Example, Inc./OU=Ops/CN=shop.example.com/emailAddress=ops@example.com',
        '-addext', 'subjectAltName=DNS:shop.example.com,DNS:*.Shop.example.com,IP:192.0.2.7,IP:2001:db8::1']);
      const pem = run('cat', [csrFile]);
      const parsed = parseCsr(pem);
      assert.deepEqual(parsed.subject, {
        C: 'US', ST: 'California', L: 'San Francisco', O: 'Example, Inc.', OU: 'Ops', CN: 'shop.example.com', emailAddress: 'ops@example.com',
      });
      assert.deepEqual(parsed.dnsNames, ['shop.example.com', '*.shop.example.com']);
      assert.deepEqual(parsed.ipAddresses, ['192.0.2.7', '2001:db8:0:0:0:0:0:1']);
      assert.equal(parsed.keyAlgorithm, 'RSA');
      assert.equal(parsed.keySize, 4096);
      assert.equal(parsed.keyParameter, '4096');
      assert.equal(parsed.signatureAlgorithm, 'sha256WithRSAEncryption');
      assert.ok(csrMatchesKey(parsed, run('cat', [keyFile])));
      assert.ok(!csrMatchesKey(parsed, keys['RSA 2048']!()));
    });
  });

  test('reads an ECDSA P-384 CSR signed with SHA-384 with a multi-valued RDN', async () => {
    await withTempDir(async (dir) => {
      const keyFile = path.join(dir, 'k.pem');
      run('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', keyFile]);
      const pem = run('openssl', ['req', '-new', '-key', keyFile, '-sha384', '-utf8', '-multivalue-rdn', '-subj', '/O=测试/CN=ec.example.com+OU=Web']);
      const parsed = parseCsr(pem);
      assert.equal(parsed.keyAlgorithm, 'ECC');
      assert.equal(parsed.keyParameter, 'secp384r1');
      assert.equal(parsed.keySize, 384);
      assert.equal(parsed.signatureAlgorithm, 'ecdsa-with-SHA384');
      assert.equal(parsed.subject.O, '测试');
      assert.equal(parsed.subject.CN, 'ec.example.com');
      assert.equal(parsed.subject.OU, 'Web');
      assert.deepEqual(parsed.dnsNames, []);
    });
  });

  test('reads BMPString and PrintableString subject values', () => {
    const key = keys['ECC prime256v1']!();
    const bmp = Buffer.from('北京', 'utf16le').swap16();
    const name = der.seq(
      der.set(der.seq(der.oid('2.5.4.6'), der.printable('CN'))),
      der.set(der.seq(der.oid('2.5.4.7'), der.tlv(0x1e, bmp))),
      der.set(der.seq(der.oid('2.5.4.3'), der.printable('bmp.example.com'))),
    );
    const cri = der.seq(der.uint(0), name, createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer, der.tlv(0xa0, Buffer.alloc(0)));
    const csr = der.seq(cri, der.seq(der.oid('1.2.840.10045.4.3.2')), der.bitString(sign('sha256', cri, key)));
    const parsed = parseCsr(`-----BEGIN CERTIFICATE REQUEST-----\n${csr.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);
    assert.deepEqual(parsed.subject, { C: 'CN', L: '北京', CN: 'bmp.example.com' });
  });

  test('refuses an altered CSR: the signature no longer verifies', () => {
    const pem = buildCsr({ subject: SUBJECT, dnsNames: ['www.example.com'], privateKey: keys['ECC prime256v1']!() });
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('www.example.com'));
    der[at] = 'v'.charCodeAt(0);
    const altered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.throws(() => parseCsr(altered), (e: unknown) => e instanceof CsrError && problemOf(e)?.code === 'InvalidParameter' && /does not verify/.test(e.message));
  });

  test('refuses SHA-1 signatures, garbage and non-PEM input', async () => {
    await withTempDir(async (dir) => {
      const keyFile = path.join(dir, 'k.pem');
      run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile]);
      const sha1 = run('openssl', ['req', '-new', '-key', keyFile, '-sha1', '-subj', '/CN=old.example.com']);
      assert.throws(() => parseCsr(sha1), /unsupported algorithm \(1\.2\.840\.113549\.1\.1\.5\)/);
    });
    assert.throws(() => parseCsr('not a csr'), /must be PEM/);
    assert.throws(() => parseCsr('-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----\n'), /cannot be parsed/);
    const pem = buildCsr({ subject: { CN: 'x' }, dnsNames: [], privateKey: keys['ECC prime256v1']!() });
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const trailing = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.concat([der, Buffer.from([0])]).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.throws(() => parseCsr(trailing), /cannot be parsed: not a single SEQUENCE/);
  });
});

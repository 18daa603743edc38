import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildJks, buildTrustJks } from './jks.js';
import { keytoolList, makeChain, opensslPubOfCert, opensslPubOfKey, run, withTempDir } from '../testing/pki-fixtures.js';

const PASSWORD = 'Tomcat-pass.2024';

/**
 * Checks a JKS with keytool: one PrivateKeyEntry with the whole chain, wrong password
 * refused, and the key decrypts (keytool converts it to PKCS#12; openssl reads it back)
 * to the original key, paired with the leaf.
 */
async function checkJks(dir: string, jks: Buffer, keyPem: string, alias: string, chainLength: number) {
  const file = join(dir, 'store.jks');
  await writeFile(file, jks);
  await writeFile(join(dir, 'orig.key'), keyPem);
  assert.equal(jks.readUInt32BE(0), 0xfeedfeed);
  assert.equal(jks.readUInt32BE(4), 2);

  const { entries, out } = keytoolList(file, 'JKS', PASSWORD);
  assert.match(out, /Keystore type: JKS/);
  assert.deepEqual(entries, [{ alias, type: 'PrivateKeyEntry', chainLength }]);
  assert.throws(() => keytoolList(file, 'JKS', 'wrong-password'), /tampered with, or password was incorrect/);

  const p12 = join(dir, 'converted.p12');
  run('keytool', ['-importkeystore', '-noprompt', '-srckeystore', file, '-srcstoretype', 'JKS', '-srcstorepass', PASSWORD,
    '-destkeystore', p12, '-deststoretype', 'PKCS12', '-deststorepass', PASSWORD]);
  const keyOut = join(dir, 'out.key');
  const certOut = join(dir, 'out.crt');
  run('openssl', ['pkcs12', '-in', p12, '-passin', `pass:${PASSWORD}`, '-nocerts', '-nodes', '-out', keyOut]);
  run('openssl', ['pkcs12', '-in', p12, '-passin', `pass:${PASSWORD}`, '-clcerts', '-nokeys', '-out', certOut]);
  const pub = opensslPubOfKey(keyOut);
  assert.match(pub, /BEGIN PUBLIC KEY/);
  assert.equal(opensslPubOfKey(join(dir, 'orig.key')), pub);
  assert.equal(opensslPubOfCert(certOut), pub);
  return out;
}

for (const alg of ['RSA', 'EC'] as const) {
  test(`buildJks ${alg}: PrivateKeyEntry with leaf + intermediate + root`, async () => {
    const c = await makeChain(alg, 'jks.example.com');
    const createdAt = new Date(Date.UTC(2021, 2, 4, 12));
    const jks = buildJks({ keyPem: c.keyPem, certPems: [c.leafPem, c.intermediatePem, c.rootPem], password: PASSWORD, alias: 'JKS.Example.com', createdAt });
    await withTempDir(async (dir) => {
      const out = await checkJks(dir, jks, c.keyPem, 'jks.example.com', 3);
      assert.match(out, /Creation date: Mar 4, 2021/);
      assert.match(out, /Certificate\[3\]:\s*\nOwner: CN=certport test root/);
    });
  });
}

test('buildJks EC P-384 (key and self-signed cert made by openssl, SEC1 key PEM)', async () => {
  await withTempDir(async (dir) => {
    const keyFile = join(dir, 'p384.key');
    run('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', keyFile]);
    const certPem = run('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=p384.example.com', '-days', '30']);
    const keyPem = run('openssl', ['ec', '-in', keyFile]);
    await checkJks(dir, buildJks({ keyPem, certPems: [certPem], password: PASSWORD, alias: 'tomcat' }), keyPem, 'tomcat', 1);
  });
});

test('buildTrustJks: trustedCertEntries for CA certificates', async () => {
  const c = await makeChain('EC', 'ca.example.com');
  const jks = buildTrustJks({ certPems: [c.intermediatePem, c.rootPem], password: PASSWORD, aliasPrefix: 'CA' });
  await withTempDir(async (dir) => {
    const file = join(dir, 'trust.jks');
    await writeFile(file, jks);
    const { entries, out } = keytoolList(file, 'JKS', PASSWORD);
    assert.deepEqual(entries, [
      { alias: 'ca0', type: 'trustedCertEntry', chainLength: null },
      { alias: 'ca1', type: 'trustedCertEntry', chainLength: null },
    ]);
    assert.match(out, /Owner: CN=certport test intermediate EC/);
    assert.match(out, /Owner: CN=certport test root EC/);
    assert.throws(() => keytoolList(file, 'JKS', 'wrong-password'));
  });
});

test('buildJks refuses an empty chain', async () => {
  const c = await makeChain('EC', 'x.example.com');
  assert.throws(() => buildJks({ keyPem: c.keyPem, certPems: [], password: PASSWORD, alias: 'x' }));
});

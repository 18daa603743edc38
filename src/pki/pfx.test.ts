import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPfx, buildPfxDer, generatedKeystoreSecrets, privateKeyPkcs8Der, certificateDer } from './pfx.js';
import { keytoolList, makeChain, opensslPubOfCert, opensslPubOfKey, run, withTempDir } from '../testing/pki-fixtures.js';

const PASS = 'S3cret-pass_42!';
const PASSWORD = PASS;

/** `openssl pkcs12 -info` prints its report on stderr: return stdout + stderr, throw on failure. */
function opensslInfo(file: string, password: string): string {
  const r = spawnSync('openssl', ['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${password}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl pkcs12 -info failed (${r.status}): ${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Checks a PFX with openssl and keytool: encryption parameters, key/cert pairing, chain, wrong password. */
async function checkPfx(dir: string, pfx: Buffer, keyPem: string, alias: string, chainLength: number, PASSWORD = PASS) {
  const file = join(dir, 'store.pfx');
  await writeFile(file, pfx);
  await writeFile(join(dir, 'orig.key'), keyPem);

  const info = opensslInfo(file, PASSWORD);
  assert.match(info, /MAC: sha256, Iteration 2048/);
  assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
  assert.match(info, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
  assert.equal(info.match(/Certificate bag/g)?.length, chainLength);
  assert.throws(() => opensslInfo(file, 'wrong-password'), /failed/);

  // The key and the leaf certificate come back out and belong together (and to the original key).
  const keyOut = join(dir, 'out.key');
  const certOut = join(dir, 'out.crt');
  run('openssl', ['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nocerts', '-nodes', '-out', keyOut]);
  run('openssl', ['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-clcerts', '-nokeys', '-out', certOut]);
  const pub = opensslPubOfKey(keyOut);
  assert.match(pub, /BEGIN PUBLIC KEY/);
  assert.equal(opensslPubOfCert(certOut), pub);
  assert.equal(opensslPubOfKey(join(dir, 'orig.key')), pub);

  // keytool pairs key and chain into a single PrivateKeyEntry under the friendly name.
  const { entries } = keytoolList(file, 'PKCS12', PASSWORD);
  assert.deepEqual(entries, [{ alias, type: 'PrivateKeyEntry', chainLength }]);
  assert.throws(() => keytoolList(file, 'PKCS12', 'wrong-password'));
}

for (const alg of ['RSA', 'EC'] as const) {
  test(`buildPfx ${alg}: leaf + intermediate + root, read by openssl and keytool`, async () => {
    const c = await makeChain(alg, 'pfx.example.com');
    const pfx = await buildPfx({ keyPem: c.keyPem, certPems: [c.leafPem, c.intermediatePem, c.rootPem], password: PASSWORD, friendlyName: 'pfx.example.com' });
    await withTempDir((dir) => checkPfx(dir, pfx, c.keyPem, 'pfx.example.com', 3));
  });
}

test('buildPfx EC P-384 (key and self-signed cert made by openssl, SEC1 key PEM)', async () => {
  await withTempDir(async (dir) => {
    const keyFile = join(dir, 'p384.key');
    run('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', keyFile]);
    const certPem = run('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=p384.example.com', '-days', '30']);
    const keyPem = run('openssl', ['ec', '-in', keyFile]); // "BEGIN EC PRIVATE KEY"
    assert.match(keyPem, /BEGIN EC PRIVATE KEY/);
    const pfx = await buildPfx({ keyPem, certPems: [certPem], password: PASSWORD, friendlyName: 'p384' });
    await checkPfx(dir, pfx, keyPem, 'p384', 1);
  });
});

test('a generated password with secrets derived ahead of time: openssl and keytool read the PFX; no two share a password or salt', async () => {
  const c = await makeChain('RSA', 'spare.example.com');
  const made = Array.from({ length: 7 }, () => generatedKeystoreSecrets()); // more than the spares
  const seen = new Set<string>();
  for (const m of made) for (const v of [m.password, m.pbes2.salt.toString('hex'), m.mac.salt.toString('hex')]) {
    assert.ok(!seen.has(v), 'used once');
    seen.add(v);
  }
  const secrets = made[0]!;
  assert.match(secrets.password, /^[A-Za-z0-9]{16}$/);
  const pfx = buildPfxDer({
    pkcs8: privateKeyPkcs8Der(c.keyPem), certDers: [c.leafPem, c.intermediatePem].map(certificateDer),
    password: secrets.password, friendlyName: 'spare.example.com', secrets,
  });
  await withTempDir((dir) => checkPfx(dir, pfx, c.keyPem, 'spare.example.com', 2, secrets.password));
});

test('buildPfx refuses an empty chain', async () => {
  const c = await makeChain('EC', 'x.example.com');
  await assert.rejects(buildPfx({ keyPem: c.keyPem, certPems: [], password: PASSWORD, friendlyName: 'x' }));
});

test('rehash32 is SHA-256 applied again and again (the PKCS#12 KDF iteration)', async () => {
  const { createHash, randomBytes } = await import('node:crypto');
  const { rehash32 } = await import('./pfx.js');
  for (const times of [0, 1, 2, 2047]) {
    const start = randomBytes(32);
    let want = start;
    for (let i = 0; i < times; i++) want = createHash('sha256').update(want).digest();
    assert.equal(rehash32(start, times).toString('hex'), want.toString('hex'), `${times} rounds`);
  }
});

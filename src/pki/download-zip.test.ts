import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildDownloadZip, downloadFormats } from './download-zip.js';
import { keytoolList, makeChain, opensslPubOfCert, opensslPubOfKey, run, withTempDir } from '../testing/pki-fixtures.js';

/** Every file under dir, as forward-slash paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath ?? e.path, e.name)).split('\\').join('/'));
  }
  return out.sort();
}

/** The names the issue / FACTS ask for, for a cert with key, CSR and an intermediate + root. */
function expectedWithKey(d: string, caNames: string[]): string[] {
  return [
    `Nginx/1_${d}_bundle.crt`, `Nginx/2_${d}.key`,
    'Apache/1_root_bundle.crt', `Apache/2_${d}.crt`, `Apache/3_${d}.key`,
    `IIS/${d}.pfx`, 'IIS/keystorePass.txt', `Tomcat/${d}.jks`, 'Tomcat/keystorePass.txt', `${d}.csr`,
    `${d}_nginx/${d}_bundle.crt`, `${d}_nginx/${d}_bundle.pem`, `${d}_nginx/${d}.key`, `${d}_nginx/${d}.csr`,
    `${d}_apache/root_bundle.crt`, `${d}_apache/${d}.crt`, `${d}_apache/${d}.key`,
    `${d}_iis/${d}.pfx`, `${d}_iis/keystorePass.txt`,
    `${d}_tomcat/${d}.jks`, `${d}_tomcat/${d}.pfx`, `${d}_tomcat/keystorePass.txt`,
    `${d}_jks/${d}.jks`, `${d}_jks/keystorePass.txt`,
    ...caNames.map((n) => `${d}_root/${n}`), `${d}_root/root_bundle.crt`,
    `${d}_other/${d}.crt`, `${d}_other/${d}_chain.crt`, `${d}_other/${d}_fullchain.pem`, `${d}_other/${d}.key`,
  ].sort();
}

const isKeyFile = (n: string) => /\.(key|pfx|jks)$|keystorePass\.txt$/.test(n);

async function unzipTo(dir: string, zip: Buffer): Promise<string> {
  const zipFile = join(dir, 'download.zip');
  await writeFile(zipFile, zip);
  assert.match(run('unzip', ['-t', zipFile]), /No errors detected/);
  const out = join(dir, 'x');
  run('unzip', ['-q', zipFile, '-d', out]);
  return out;
}

for (const alg of ['RSA', 'EC'] as const) {
  test(`buildDownloadZip ${alg} wildcard: both layouts, verifiable chain, matching key, keystores`, async () => {
    const domain = '*.zip-test.example.com';
    const d = '_.zip-test.example.com';
    const c = await makeChain(alg, domain);
    const password = 'Given-Pass-123';
    const res = await buildDownloadZip({
      domain,
      leafPem: c.leafPem.replace(/\n/g, '\r\n'), // CRLF input must come out as LF
      chainPems: [c.intermediatePem], rootPems: [c.rootPem], keyPem: c.keyPem, csrPem: c.csrPem, password,
    });
    assert.equal(res.password, password);
    const caNames = [`certport_test_intermediate_${alg}.crt`, `certport_test_root_${alg}.crt`];
    assert.deepEqual([...res.files].sort(), expectedWithKey(d, caNames));

    await withTempDir(async (dir) => {
      const x = await unzipTo(dir, res.zip);
      const names = await listFiles(x);
      assert.deepEqual(names, expectedWithKey(d, caNames));
      assert.ok(names.every((n) => !n.includes('*')));
      const f = (n: string) => join(x, n);
      const text = (n: string) => readFile(f(n), 'utf8');

      for (const n of names.filter((n) => !/\.(pfx|jks)$/.test(n))) {
        const t = await text(n);
        assert.ok(!t.includes('\r'), `${n} has CR`);
        if (!n.endsWith('.txt')) assert.ok(t.endsWith('-----\n'), `${n} must end with a newline`);
      }
      for (const n of names.filter((n) => n.endsWith('keystorePass.txt'))) assert.equal(await text(n), password);

      // Contents: leaf, bundle = leaf + intermediate, root bundle = intermediate + root, key as given.
      assert.equal(await text(`${d}_apache/${d}.crt`), c.leafPem);
      assert.equal(await text(`Nginx/1_${d}_bundle.crt`), c.leafPem + c.intermediatePem);
      assert.equal(await text(`${d}_nginx/${d}_bundle.pem`), c.leafPem + c.intermediatePem);
      assert.equal(await text(`${d}_other/${d}_fullchain.pem`), c.leafPem + c.intermediatePem);
      assert.equal(await text(`${d}_other/${d}_chain.crt`), c.intermediatePem);
      assert.equal(await text('Apache/1_root_bundle.crt'), c.intermediatePem + c.rootPem);
      assert.equal(await text(`${d}_root/${caNames[1]}`), c.rootPem);
      assert.equal(await text(`${d}_nginx/${d}.key`), c.keyPem);
      assert.equal(await text(`${d}.csr`), c.csrPem);

      // The chain verifies with openssl, from each layout's files.
      await writeFile(join(dir, 'root.pem'), c.rootPem);
      for (const [leaf, untrusted] of [
        [`${d}_apache/${d}.crt`, `${d}_other/${d}_chain.crt`],
        [`Apache/2_${d}.crt`, 'Apache/1_root_bundle.crt'],
        [`${d}_nginx/${d}_bundle.crt`, `${d}_nginx/${d}_bundle.crt`],
      ]) {
        assert.match(run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(dir, 'root.pem'), '-untrusted', f(untrusted), f(leaf)]), /: OK/);
      }
      // Keys match the certificate.
      const pub = opensslPubOfCert(f(`${d}_apache/${d}.crt`));
      for (const k of [`Nginx/2_${d}.key`, `Apache/3_${d}.key`, `${d}_nginx/${d}.key`, `${d}_apache/${d}.key`, `${d}_other/${d}.key`]) {
        assert.equal(opensslPubOfKey(f(k)), pub, k);
      }
      // Keystores open with the password, hold one PrivateKeyEntry with leaf + intermediate + root.
      for (const p of [`IIS/${d}.pfx`, `${d}_iis/${d}.pfx`, `${d}_tomcat/${d}.pfx`]) {
        assert.deepEqual(keytoolList(f(p), 'PKCS12', password).entries, [{ alias: d, type: 'PrivateKeyEntry', chainLength: 3 }], p);
        const key = run('openssl', ['pkcs12', '-in', f(p), '-passin', `pass:${password}`, '-nocerts', '-nodes']);
        assert.equal(run('openssl', ['pkey', '-pubout'], key), pub);
      }
      for (const j of [`Tomcat/${d}.jks`, `${d}_tomcat/${d}.jks`, `${d}_jks/${d}.jks`]) {
        assert.deepEqual(keytoolList(f(j), 'JKS', password).entries, [{ alias: d, type: 'PrivateKeyEntry', chainLength: 3 }], j);
        assert.throws(() => keytoolList(f(j), 'JKS', 'not-the-password'));
      }
    });
  });
}

test('buildDownloadZip without a password makes a random 16-char one, written to every keystorePass.txt', async () => {
  const c = await makeChain('EC', 'nopass.example.com');
  const res = await buildDownloadZip({ domain: 'nopass.example.com', leafPem: c.leafPem, chainPems: [c.intermediatePem], keyPem: c.keyPem, password: '' });
  assert.match(res.password ?? '', /^[A-Za-z0-9]{16}$/);
  assert.ok(!res.files.some((n) => n.endsWith('.csr')), 'no CSR given, no .csr file');
  const other = await buildDownloadZip({ domain: 'nopass.example.com', leafPem: c.leafPem, chainPems: [c.intermediatePem], keyPem: c.keyPem });
  assert.notEqual(other.password, res.password);
  await withTempDir(async (dir) => {
    const x = await unzipTo(dir, res.zip);
    const passFiles = (await listFiles(x)).filter((n) => n.endsWith('keystorePass.txt'));
    assert.equal(passFiles.length, 5); // IIS, Tomcat, _iis, _tomcat, _jks
    for (const n of passFiles) assert.equal(await readFile(join(x, n), 'utf8'), res.password);
    assert.equal(keytoolList(join(x, 'nopass.example.com_jks/nopass.example.com.jks'), 'JKS', res.password!).entries[0].chainLength, 2);
    // No root given: the root bundle holds just the intermediate.
    assert.equal(await readFile(join(x, 'Apache/1_root_bundle.crt'), 'utf8'), c.intermediatePem);
  });
});

test('buildDownloadZip without a key: no key, PFX, JKS or password files; password null', async () => {
  const c = await makeChain('RSA', 'nokey.example.com');
  const res = await buildDownloadZip({ domain: 'nokey.example.com', leafPem: c.leafPem, chainPems: [c.intermediatePem], rootPems: [c.rootPem], keyPem: null, csrPem: null, password: 'ignored' });
  assert.equal(res.password, null);
  await withTempDir(async (dir) => {
    const x = await unzipTo(dir, res.zip);
    const names = await listFiles(x);
    assert.deepEqual(names, [...res.files].sort());
    assert.deepEqual(names.filter(isKeyFile), []);
    assert.deepEqual(names.filter((n) => n.endsWith('.csr')), []);
    const d = 'nokey.example.com';
    for (const n of [`Nginx/1_${d}_bundle.crt`, `Apache/2_${d}.crt`, 'Apache/1_root_bundle.crt', `${d}_nginx/${d}_bundle.crt`, `${d}_apache/${d}.crt`,
      `${d}_root/root_bundle.crt`, `${d}_other/${d}.crt`, `${d}_other/${d}_fullchain.pem`]) assert.ok(names.includes(n), n);
  });
});

test('buildDownloadZip with an SM2 key: PEM key files but no PFX/JKS', async () => {
  const c = await makeChain('EC', 'sm2.example.com');
  const sm2Key = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const res = await buildDownloadZip({ domain: 'sm2.example.com', leafPem: c.leafPem, chainPems: [c.intermediatePem], keyPem: sm2Key });
  assert.equal(res.password, null);
  assert.ok(res.files.includes('sm2.example.com_nginx/sm2.example.com.key'));
  assert.deepEqual(res.files.filter((n) => /\.(pfx|jks)$|keystorePass/.test(n)), []);
});

test('downloadFormats', () => {
  const all = { NGINX: true, APACHE: true, IIS: true, TOMCAT: true, JKS: true, OTHER: true, ROOT: true };
  const noKeystores = { ...all, IIS: false, TOMCAT: false, JKS: false };
  assert.deepEqual(downloadFormats(true, false, false), all);
  assert.deepEqual(downloadFormats(false, false, false), noKeystores);
  assert.deepEqual(downloadFormats(true, true, false), noKeystores);
  assert.deepEqual(downloadFormats(true, false, true), noKeystores);
});

test('chain facts kept at upload split a stored chain exactly as parsing it does, in any order', async () => {
  const { chainFactsOf, splitChain, storedChainParts } = await import('./certificate.js');
  const { makeChain: make } = await import('../testing/pki-fixtures.js');
  const c = await make('EC', 'facts.example.com');
  for (const pem of [c.leafPem + c.intermediatePem + c.rootPem, c.rootPem + c.intermediatePem + c.leafPem, c.intermediatePem + c.leafPem, c.leafPem]) {
    const parsed = splitChain(pem);
    const facts = JSON.parse(JSON.stringify(chainFactsOf(pem, null))) as ReturnType<typeof chainFactsOf>;
    const parts = storedChainParts(pem, facts);
    assert.equal(parts.leafPem, parsed.leaf.pem);
    assert.equal(parts.leafCn, 'facts.example.com');
    assert.deepEqual(parts.intermediatePems, parsed.intermediatePems);
    assert.deepEqual(parts.rootPems, parsed.rootPems);
  }
  // The encryption certificate's fingerprint (SM2 double certificates) is kept with them.
  assert.equal(chainFactsOf(c.leafPem, c.intermediatePem).encryptSha1, splitChain(c.intermediatePem).leaf.sha1);
});

// DownloadCertificate end to end: the SDK downloads, unzip unpacks, and openssl, keytool and a
// real nginx on loopback check every file a user would install.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { keytoolList, makeChain, run, withTempDir, type TestChain } from '../testing/pki-fixtures.js';
import { expectCode, sdkClient, startTestService, type TestService } from '../testing/harness.js';
import { freePort, waitPort } from '../testing/net.js';

/** Serves TLS with the unzipped Nginx files in a real nginx; returns what s_client saw. */
async function nginxServes(dir: string, domain: string, bundle: string, key: string, rootFile: string): Promise<string> {
  const port = await freePort();
  const prefix = path.join(dir, 'nginx');
  await mkdir(path.join(prefix, 'logs'), { recursive: true });
  const conf = path.join(prefix, 'nginx.conf');
  await writeFile(conf, `worker_processes 1;
error_log ${prefix}/logs/error.log;
pid ${prefix}/nginx.pid;
events { worker_connections 16; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp; proxy_temp_path ${prefix}/tmp; fastcgi_temp_path ${prefix}/tmp;
  uwsgi_temp_path ${prefix}/tmp; scgi_temp_path ${prefix}/tmp;
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${domain};
    ssl_certificate ${bundle};
    ssl_certificate_key ${key};
    location / { return 200 "ok\\n"; }
  }
}
`);
  const child = spawn('nginx', ['-p', prefix, '-c', conf, '-g', 'daemon off; master_process off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  try {
    await waitPort(port).catch((e: Error) => { throw new Error(`${e.message}: ${err}`); });
    const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', domain, '-CAfile', rootFile,
      '-verify_return_error', '-verify_hostname', domain, '-brief'], { input: '', encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, `s_client failed: ${r.stdout}\n${r.stderr}`);
    return r.stdout + r.stderr;
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGTERM');
    await exited;
  }
}

const pub = (file: string, kind: 'x509' | 'pkey') => run('openssl', kind === 'x509' ? ['x509', '-in', file, '-noout', '-pubkey'] : ['pkey', '-in', file, '-pubout']);

describe('DownloadCertificate', () => {
  let t: TestService;
  const chains: Record<string, TestChain> = {};
  before(async () => {
    t = await startTestService('sqlite');
    chains.RSA = await makeChain('RSA', 'shop.download.test');
    chains.EC = await makeChain('EC', '*.download.test');
  });
  after(async () => { await t.close(); });

  for (const alg of ['RSA', 'EC'] as const) {
    test(`${alg}: every folder of the ZIP installs and verifies`, async () => {
      const ch = chains[alg]!;
      const domain = alg === 'RSA' ? 'shop.download.test' : '*.download.test';
      const d = alg === 'RSA' ? 'shop.download.test' : '_.download.test';
      const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
      const listed = (await t.client.DescribeCertificates({ CertIds: [id] })).Certificates![0]!;
      assert.equal(listed.AllowDownload, true);
      assert.deepEqual(listed.SupportDownloadType, { NGINX: true, APACHE: true, IIS: true, TOMCAT: true, JKS: true, OTHER: true, ROOT: true });
      const r = await t.client.DownloadCertificate({ CertificateId: id });
      assert.equal(r.ContentType, 'application/zip');
      await withTempDir(async (dir) => {
        const zip = path.join(dir, 'cert.zip');
        await writeFile(zip, Buffer.from(r.Content!, 'base64'));
        run('unzip', ['-t', '-q', zip]);
        run('unzip', ['-q', zip, '-d', path.join(dir, 'x')]);
        const x = (...p: string[]) => path.join(dir, 'x', ...p);
        for (const f of [`${d}_nginx/${d}_bundle.crt`, `${d}_nginx/${d}_bundle.pem`, `${d}_nginx/${d}.key`,
          `${d}_apache/root_bundle.crt`, `${d}_apache/${d}.crt`, `${d}_apache/${d}.key`,
          `${d}_iis/${d}.pfx`, `${d}_iis/keystorePass.txt`, `${d}_tomcat/${d}.jks`, `${d}_tomcat/keystorePass.txt`,
          `${d}_jks/${d}.jks`, `${d}_jks/keystorePass.txt`,
          `Nginx/1_${d}_bundle.crt`, `Nginx/2_${d}.key`, `Apache/1_root_bundle.crt`, `Apache/2_${d}.crt`, `Apache/3_${d}.key`,
          `IIS/${d}.pfx`, `IIS/keystorePass.txt`, `Tomcat/${d}.jks`, `Tomcat/keystorePass.txt`]) {
          assert.ok(existsSync(x(f)), `missing ${f}`);
        }
        const rootFile = path.join(dir, 'root.pem');
        await writeFile(rootFile, ch.rootPem);
        // The bundle is leaf then intermediate, and verifies to the root.
        const bundle = x(`${d}_nginx`, `${d}_bundle.crt`);
        run('openssl', ['verify', '-CAfile', rootFile, '-untrusted', bundle, x(`${d}_apache`, `${d}.crt`)]);
        run('openssl', ['verify', '-CAfile', rootFile, '-untrusted', x(`${d}_apache`, 'root_bundle.crt'), x(`${d}_apache`, `${d}.crt`)]);
        assert.equal(pub(x(`${d}_apache`, `${d}.crt`), 'x509'), pub(x(`${d}_nginx`, `${d}.key`), 'pkey'));
        assert.equal(pub(bundle, 'x509'), pub(x('Nginx', `2_${d}.key`), 'pkey'));
        // Keystores open with the password from keystorePass.txt.
        const pass = (await readFile(x(`${d}_iis`, 'keystorePass.txt'), 'utf8')).trim();
        assert.ok(pass.length >= 12);
        const info = spawnSync('openssl', ['pkcs12', '-info', '-noout', '-passin', `pass:${pass}`, '-in', x(`${d}_iis`, `${d}.pfx`)], { encoding: 'utf8' });
        assert.equal(info.status, 0, info.stderr);
        const p12 = keytoolList(x(`${d}_iis`, `${d}.pfx`), 'PKCS12', pass);
        assert.equal(p12.entries.length, 1);
        assert.equal(p12.entries[0]!.type, 'PrivateKeyEntry');
        const jksPass = (await readFile(x(`${d}_jks`, 'keystorePass.txt'), 'utf8')).trim();
        const jks = keytoolList(x(`${d}_jks`, `${d}.jks`), 'JKS', jksPass);
        assert.equal(jks.entries[0]!.type, 'PrivateKeyEntry');
        assert.equal(jks.entries[0]!.chainLength, 2);
        assert.throws(() => keytoolList(x(`${d}_jks`, `${d}.jks`), 'JKS', 'wrong-password'));
        // A real nginx serves the Nginx folder's files, and a strict client accepts it.
        const seen = await nginxServes(dir, alg === 'RSA' ? domain : 'www.download.test', bundle, x(`${d}_nginx`, `${d}.key`), rootFile);
        assert.match(seen, /Verification: OK/);
      });
    });
  }

  test('DescribeDownloadCertificateUrl: a signed, expiring link to one server type\'s files', async () => {
    const ch = chains.RSA!;
    const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
    const r = await t.client.DescribeDownloadCertificateUrl({ CertificateId: id, ServiceType: 'apache' });
    assert.equal(r.DownloadFilename, 'shop.download.test_apache.zip');
    const url = new URL(r.DownloadCertificateUrl!);
    assert.equal(url.pathname, `/download/${id}`);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    await withTempDir(async (dir) => {
      const zip = path.join(dir, 'a.zip');
      writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
      const names = run('unzip', ['-Z1', zip]).trim().split('\n').sort();
      assert.deepEqual(names, ['Apache/1_root_bundle.crt', 'Apache/2_shop.download.test.crt', 'Apache/3_shop.download.test.key',
        'shop.download.test_apache/root_bundle.crt', 'shop.download.test_apache/shop.download.test.crt', 'shop.download.test_apache/shop.download.test.key']);
    });
    // Altered, forged or unsigned links are refused; so is an unknown ServiceType.
    const tampered = new URL(url);
    tampered.searchParams.set('type', 'nginx');
    assert.equal((await fetch(tampered)).status, 403);
    const otherAccount = new URL(url);
    otherAccount.searchParams.set('a', '100000000001');
    assert.equal((await fetch(otherAccount)).status, 403);
    const late = new URL(url);
    late.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 10));
    assert.equal((await fetch(late)).status, 403);
    await expectCode(t.client.DescribeDownloadCertificateUrl({ CertificateId: id, ServiceType: 'exe' }), 'InvalidParameterValue');
    const nginx = await t.client.DescribeDownloadCertificateUrl({ CertificateId: id });
    assert.match(nginx.DownloadFilename!, /_nginx\.zip$/);
  });

  test('a KeyPassword given at upload is the PFX and JKS password', async () => {
    const ch = chains.EC!;
    const encrypted = run('openssl', ['pkcs8', '-topk8', '-v2', 'aes256', '-passout', 'pass:Upl0aded-pw'], ch.keyPem);
    const id = (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: encrypted, KeyPassword: 'Upl0aded-pw' })).CertificateId!;
    assert.equal((await t.client.DescribeCertificates({ CertIds: [id] })).Certificates![0]!.KeyPasswordCustomFlag, true);
    const r = await t.client.DownloadCertificate({ CertificateId: id });
    await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'c.zip'), Buffer.from(r.Content!, 'base64'));
      run('unzip', ['-q', path.join(dir, 'c.zip'), '-d', path.join(dir, 'x')]);
      const d = '_.download.test';
      assert.equal((await readFile(path.join(dir, 'x', `${d}_iis`, 'keystorePass.txt'), 'utf8')).trim(), 'Upl0aded-pw');
      assert.equal(keytoolList(path.join(dir, 'x', `${d}_jks`, `${d}.jks`), 'JKS', 'Upl0aded-pw').entries[0]!.type, 'PrivateKeyEntry');
    });
  });

  test('CA certificates download without key formats; errors; downloads are logged', async () => {
    const ch = chains.RSA!;
    const ca = (await t.client.UploadCertificate({ CertificatePublicKey: ch.intermediatePem + ch.rootPem, CertificateType: 'CA' })).CertificateId!;
    const item = (await t.client.DescribeCertificates({ CertIds: [ca] })).Certificates![0]!;
    assert.equal(item.SupportDownloadType!.IIS, false);
    assert.equal(item.SupportDownloadType!.JKS, false);
    const r = await t.client.DownloadCertificate({ CertificateId: ca });
    const names = await withTempDir(async (dir) => {
      await writeFile(path.join(dir, 'c.zip'), Buffer.from(r.Content!, 'base64'));
      return run('unzip', ['-Z1', path.join(dir, 'c.zip')]);
    });
    assert.doesNotMatch(names, /\.key|\.pfx|\.jks/);
    await expectCode(t.client.DownloadCertificate({ CertificateId: 'missing1' }), 'FailedOperation.CertificateNotFound');
    const other = sdkClient(t.port, await t.newAccount());
    await expectCode(other.DownloadCertificate({ CertificateId: ca }), 'FailedOperation.CertificateNotFound');
    // A certificate still awaiting issuance cannot be downloaded.
    const caller = { accountUin: t.cred.accountUin, userUin: t.cred.accountUin };
    const pending = { ...(await t.svc.core.services.certificates.get(caller, ca)), id: 'pending1', status: 0, fingerprintSha1: 'f'.repeat(40) };
    await t.svc.core.stores.certificates.insertCertificate(pending, { accountUin: caller.accountUin, userUin: caller.userUin, certId: 'pending1', type: 'apply', action: 'test', createdAt: Date.now() });
    await expectCode(t.client.DownloadCertificate({ CertificateId: 'pending1' }), 'FailedOperation.InvalidCertificateStatusCode');
    const p = (await t.client.DescribeCertificates({ CertIds: ['pending1'] })).Certificates![0]!;
    assert.equal(p.AllowDownload, false);
    const logs = await t.client.DescribeCertificateOperateLogs({ Limit: 100 });
    assert.ok(logs.OperateLogs!.some((l) => l.Type === 'download' && l.CertId === ca));
  });
});

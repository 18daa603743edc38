// The HTTPS listener (issue 23): tools that hard-code Tencent's https endpoints reach certport
// through a hosts entry (here: an agent or curl --resolve to 127.0.0.1) and trust its root.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../config/config.js';
import { startService, type RunningService } from '../main.js';
import { expectCode, startTestService, type TestService } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { signV1, tc3Headers } from '../testing/raw-client.js';
import { runCli } from '../testing/cli.js';
import { LoopbackAgent, sClient, servedSerial, sslOverTls, tagOverTls } from '../testing/tls.js';

const run = promisify(execFile);
const until = async (what: string, fn: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('HTTPS listener with a certificate from certport\'s CA', () => {
  let t: TestService;
  let port: number;
  let root: string;
  let dir: string;
  let agent: LoopbackAgent;
  before(async () => {
    t = await startTestService('sqlite', { env: { CERTPORT_TLS_PORT: '0', CERTPORT_TLS_RELOAD_MS: '200', CERTPORT_API_HOSTNAMES: 'certport.example.test' } });
    port = t.svc.tls!.port;
    root = t.svc.core.ca.rootPem;
    dir = await mkdtemp(path.join(tmpdir(), 'certport-tls-'));
    await writeFile(path.join(dir, 'root.pem'), root);
    agent = new LoopbackAgent(port, root);
  });
  after(async () => {
    agent?.destroy();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the certificate names the Tencent hosts, the public URL\'s and the configured ones, and lives 90 days', () => {
    const x = new X509Certificate(t.svc.tls!.current!.certPem);
    const names = x.subjectAltName!.split(', ').map((s) => s.replace(/^DNS:/, ''));
    for (const n of ['ssl.tencentcloudapi.com', 'ssl.intl.tencentcloudapi.com', 'tag.tencentcloudapi.com', 'wss.api.qcloud.com', 'certport.example.test']) {
      assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    }
    const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86_400_000;
    assert.ok(days <= 90.01 && days > 89, `lives ${days} days`);
    assert.ok(x.verify(new X509Certificate(t.svc.core.ca.files.get('ecc-intermediate.pem')!.body).publicKey), 'signed by the ECC intermediate');
  });

  test('the official SDK on https://ssl.tencentcloudapi.com: list, upload, an error code', async () => {
    const c = sslOverTls(t.cred, agent);
    const chain = await makeChain('EC', 'tls-sdk.example.com');
    const up = await c.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem, Alias: 'over-tls' });
    assert.match(up.CertificateId!, /^[A-Za-z0-9]{8}$/);
    const list = await c.DescribeCertificates({ Limit: 100 });
    assert.ok(list.Certificates!.some((x) => x.CertificateId === up.CertificateId && x.Alias === 'over-tls'));
    await expectCode(c.DescribeCertificateDetail({ CertificateId: 'nosuchid' }), 'FailedOperation.CertificateNotFound');
    // Signed for the international host too.
    const intl = sslOverTls(t.cred, agent, 'ssl.intl.tencentcloudapi.com');
    assert.equal((await intl.DescribeCertificate({ CertificateId: up.CertificateId! })).Alias, 'over-tls');
  });

  test('the SDK without the root refuses the connection; with NODE_EXTRA_CA_CERTS (a child process) it works', async () => {
    const bare = sslOverTls(t.cred, new LoopbackAgent(port));
    await assert.rejects(bare.DescribeCertificates({}), /certificate|self.signed|issuer/i);
    const helper = fileURLToPath(new URL('../testing/tls.js', import.meta.url));
    const script = `import { LoopbackAgent, sslOverTls } from ${JSON.stringify(helper)};
const c = sslOverTls(${JSON.stringify(t.cred)}, new LoopbackAgent(${port}));
const r = await c.DescribeCertificates({ Limit: 1 });
console.log(JSON.stringify({ total: r.TotalCount }));
process.exit(0);`;
    const file = path.join(path.dirname(helper), `tls-child-${process.pid}.mjs`);
    await writeFile(file, script);
    try {
      const { stdout } = await run(process.execPath, [file], { env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'root.pem') } });
      assert.ok(JSON.parse(stdout).total >= 0);
    } finally {
      await rm(file, { force: true });
    }
  });

  test('curl --resolve ssl.tencentcloudapi.com over HTTP/2: exact Content-Type, signed for the host', async () => {
    const body = '{"Limit":1}';
    const headers = tc3Headers(t.cred, { host: 'ssl.tencentcloudapi.com', action: 'DescribeCertificates', body });
    const { stdout } = await run('curl', ['-sS', '--resolve', `ssl.tencentcloudapi.com:${port}:127.0.0.1`, '--cacert', path.join(dir, 'root.pem'),
      '-D', '-', '-w', '\nHTTP_VERSION=%{http_version}', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
      '--data-binary', body, `https://ssl.tencentcloudapi.com:${port}/`]);
    assert.match(stdout, /HTTP_VERSION=2$/);
    assert.match(stdout, /^content-type: application\/json\r$/m);
    const json = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1));
    assert.equal(json.Response.Error, undefined, JSON.stringify(json));
    assert.equal(typeof json.Response.TotalCount, 'number');
    // A wrong key is refused with the code, over HTTP/2 too.
    const bad = tc3Headers({ ...t.cred, secretKey: 'x'.repeat(32) }, { host: 'ssl.tencentcloudapi.com', action: 'DescribeCertificates', body });
    const r2 = await run('curl', ['-sS', '--resolve', `ssl.tencentcloudapi.com:${port}:127.0.0.1`, '--cacert', path.join(dir, 'root.pem'),
      ...Object.entries(bad).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), '--data-binary', body, `https://ssl.tencentcloudapi.com:${port}/`]);
    assert.equal(JSON.parse(r2.stdout).Response.Error.Code, 'AuthFailure.SignatureFailure');
  });

  test('curl: the legacy API on https://wss.api.qcloud.com/v2/index.php (HTTP/1.1 and HTTP/2)', async () => {
    for (const proto of ['--http1.1', '--http2']) {
      const pairs = signV1(port, t.cred, { action: 'CertGetList', path: '/v2/index.php', host: 'wss.api.qcloud.com' });
      const url = `https://wss.api.qcloud.com:${port}/v2/index.php?${new URLSearchParams(pairs).toString()}`;
      const { stdout } = await run('curl', ['-sS', proto, '--resolve', `wss.api.qcloud.com:${port}:127.0.0.1`, '--cacert', path.join(dir, 'root.pem'), url]);
      const json = JSON.parse(stdout);
      assert.equal(json.code, 0, stdout);
      assert.ok(Array.isArray(json.data.list));
    }
  });

  test('the Tag API on https://tag.tencentcloudapi.com, the Terraform provider\'s calls', async () => {
    const c = sslOverTls(t.cred, agent);
    const chain = await makeChain('EC', 'tls-tag.example.com');
    const { CertificateId: id } = await c.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    const tagc = tagOverTls(t.cred, agent);
    await tagc.ModifyResourceTags({ Resource: `qcs::ssl:ap-guangzhou:uin/:certificate/${id}`, ReplaceTags: [{ TagKey: 'env', TagValue: 'prod' }], DeleteTags: [] });
    const r = await tagc.DescribeResourceTagsByResourceIds({ ServiceType: 'ssl', ResourcePrefix: 'certificate', ResourceIds: [id!] } as never);
    assert.deepEqual(r.Tags!.map((x) => [x.TagKey, x.TagValue, x.ResourceId]), [['env', 'prod', id]]);
  });

  test('ALPN: h2 and http/1.1 are offered; TLS 1.0 and 1.1 are refused, 1.2 and 1.3 accepted', async () => {
    const h2 = await sClient(port, ['-alpn', 'h2']);
    assert.match(h2.out, /ALPN protocol: h2/);
    const h1 = await sClient(port, ['-alpn', 'http/1.1']);
    assert.match(h1.out, /ALPN protocol: http\/1.1/);
    // Debian's openssl.cnf stops the client itself below TLS 1.2: an empty config lets it offer 1.1,
    // so that the refusal seen is the server's.
    const empty = path.join(dir, 'empty.cnf');
    await writeFile(empty, '');
    for (const v of ['-tls1_1', '-tls1']) {
      const old = await sClient(port, [v, '-cipher', 'DEFAULT:@SECLEVEL=0'], { OPENSSL_CONF: empty });
      assert.notEqual(old.code, 0, old.out);
      assert.match(old.out, /alert protocol version|unsupported protocol|no protocols available/i, old.out);
    }
    for (const v of ['-tls1_2', '-tls1_3']) {
      const ok = await sClient(port, [v], { OPENSSL_CONF: empty });
      // The summary line (the session block may come after stdin's end with TLS 1.3 tickets).
      assert.match(ok.out, new RegExp(`New, TLSv1\\.${v === '-tls1_2' ? 2 : 3}`), ok.out);
    }
    // The same from Node's own TLS, which can still speak 1.1.
    await assert.rejects(new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'ssl.tencentcloudapi.com', ca: root, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }, () => resolve(s.end()));
      s.on('error', reject);
    }), /version|protocol/i);
  });

  test('`certport tls renew`: a new certificate on new connections; an open connection keeps working', async () => {
    // A kept-alive HTTP/1.1 connection, opened before the renewal.
    const keep = new LoopbackAgent(port, root);
    const c = sslOverTls(t.cred, keep);
    await c.DescribeCertificates({ Limit: 1 });
    const sockets = Object.values((keep as any).freeSockets as Record<string, tls.TLSSocket[]>).flat();
    assert.equal(sockets.length, 1, 'one idle kept-alive socket');
    const held = sockets[0]!;
    const oldSerial = held.getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, '');
    assert.equal(await servedSerial(port), oldSerial);

    const r = await runCli(t.env, 'tls', 'renew', '--json');
    assert.equal(r.code, 0, r.stderr);
    const renewed = JSON.parse(r.stdout) as { Serial: string; Hostnames: string[] };
    assert.notEqual(renewed.Serial, oldSerial);
    assert.ok(renewed.Hostnames.includes('certport.example.test'), 'the stored names are kept');
    await until('the new certificate on new connections', async () => (await servedSerial(port)) === renewed.Serial);

    // The held connection is reused (no new handshake) and still answers.
    await c.DescribeCertificates({ Limit: 1 });
    const after = Object.values((keep as any).freeSockets as Record<string, tls.TLSSocket[]>).flat();
    assert.equal(after.length, 1);
    assert.equal(after[0], held, 'the same socket served the request');
    assert.equal(held.getPeerCertificate().serialNumber.toLowerCase().replace(/^0+/, ''), oldSerial);
    keep.destroy();
    const show = await runCli(t.env, 'tls', 'show', '--json');
    assert.equal(JSON.parse(show.stdout).Serial, renewed.Serial);
  });

  test('renewal at two thirds of its life, by the running server', async () => {
    const current = t.svc.tls!.current!;
    const x = new X509Certificate(current.certPem);
    const life = Date.parse(x.validTo) - Date.parse(x.validFrom);
    const stored = await t.svc.core.stores.tlsServing.getServing('default');
    // Backdate the stored certificate's dates (what the server judges its age by): as if 61 days old.
    await t.svc.core.stores.kysely.updateTable('tls_serving')
      .set({ not_before: stored!.notBefore - Math.ceil(life * 0.68), not_after: stored!.notAfter - Math.ceil(life * 0.68), serial_hex: stored!.serialHex + '0' }).execute();
    await until('a renewal', async () => t.svc.tls!.current!.serialHex !== current.serialHex && t.svc.tls!.current!.serialHex !== stored!.serialHex + '0');
    const now = await t.svc.core.stores.tlsServing.getServing('default');
    assert.ok(now!.notAfter > Date.now() + 89 * 86_400_000, 'a fresh 90-day certificate');
  });
});

describe('HTTPS listener with an operator\'s files', () => {
  let svc: RunningService;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'certport-tlsfiles-'));
  });
  after(async () => {
    await svc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('served, and replaced files are picked up within the reload interval; a mismatched pair is not', async () => {
    const a = await makeChain('EC', 'ssl.tencentcloudapi.com');
    const b = await makeChain('EC', 'ssl.tencentcloudapi.com');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    await writeFile(cert, a.leafPem + a.intermediatePem);
    await writeFile(key, a.keyPem);
    svc = await startService(loadConfig({
      CERTPORT_DATA_DIR: dir, CERTPORT_PORT: String(await freePort()), CERTPORT_LOG_LEVEL: 'silent', CERTPORT_TLS_PORT: '0',
      CERTPORT_TLS_CERT_FILE: cert, CERTPORT_TLS_KEY_FILE: key, CERTPORT_TLS_RELOAD_MS: '200',
    }));
    const port = svc.tls!.port;
    const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, '');
    assert.equal(await servedSerial(port), serialOf(a.leafPem));
    // Half replaced: b's certificate with a's key is refused, a stays.
    await writeFile(cert, b.leafPem + b.intermediatePem);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await servedSerial(port), serialOf(a.leafPem));
    await writeFile(key, b.keyPem);
    await until('the new files', async () => (await servedSerial(port)) === serialOf(b.leafPem), 10_000);
    // Trusting b's root, a request goes through.
    const agent = new LoopbackAgent(port, b.rootPem);
    const r = await new Promise<string>((resolve, reject) => {
      https.get({ host: 'ssl.tencentcloudapi.com', path: '/healthz', agent }, (res) => {
        let s = '';
        res.on('data', (d: Buffer) => { s += d; });
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    agent.destroy();
    assert.equal(r, '{"status":"ok"}');
  });
});

describe('HTTPS listener serving a certificate certport manages', () => {
  let t: TestService;
  let svc: RunningService;
  after(async () => {
    await svc?.close();
    await t?.close();
  });

  test('by CERTPORT_TLS_CERTIFICATE_ID, with its stored key', async () => {
    t = await startTestService('sqlite');
    const chain = await makeChain('EC', 'ssl.tencentcloudapi.com');
    const { CertificateId: id } = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem });
    svc = await startService(loadConfig({ ...t.env, CERTPORT_PORT: String(await freePort()), CERTPORT_TLS_PORT: '0', CERTPORT_TLS_CERTIFICATE_ID: id! }));
    assert.equal(await servedSerial(svc.tls!.port), new X509Certificate(chain.leafPem).serialNumber.toLowerCase().replace(/^0+/, ''));
    await assert.rejects(startService(loadConfig({ ...t.env, CERTPORT_PORT: String(await freePort()), CERTPORT_TLS_PORT: '0', CERTPORT_TLS_CERTIFICATE_ID: 'nosuchid' })),
      /no certificate nosuchid/);
  });
});

test('CERTPORT_TLS_* settings', () => {
  assert.equal(loadConfig({}).tls, null);
  assert.throws(() => loadConfig({ CERTPORT_API_HOSTNAMES: 'a.example' }), /CERTPORT_API_HOSTNAMES needs CERTPORT_TLS_PORT/);
  const c = loadConfig({ CERTPORT_TLS_PORT: '8443', CERTPORT_PUBLIC_URL: 'https://certs.example.com', CERTPORT_API_HOSTNAMES: 'A.example, b.example' });
  assert.deepEqual(c.tls!.hostnames, ['ssl.tencentcloudapi.com', 'ssl.intl.tencentcloudapi.com', 'tag.tencentcloudapi.com', 'wss.api.qcloud.com', 'certs.example.com', 'a.example', 'b.example']);
  assert.equal(c.tls!.reloadMs, 5000);
  assert.deepEqual(loadConfig({ CERTPORT_TLS_PORT: '8443', CERTPORT_API_HOSTNAMES_DEFAULTS: '0', CERTPORT_API_HOSTNAMES: 'a.example' }).tls!.hostnames, ['a.example']);
  assert.throws(() => loadConfig({ CERTPORT_TLS_PORT: '8443', CERTPORT_TLS_CERT_FILE: '/x' }), /must be set together/);
  assert.throws(() => loadConfig({ CERTPORT_TLS_PORT: '8443', CERTPORT_API_HOSTNAMES: 'bad name' }), /must list DNS names/);
  assert.throws(() => loadConfig({ CERTPORT_TLS_PORT: '8443', CERTPORT_TLS_RELOAD_MS: '60000' }), /CERTPORT_TLS_RELOAD_MS must be between/);
});

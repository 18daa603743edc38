// The `ssh` deployer against a real sshd on loopback (the test's own process, its own host
// key): files and modes over SFTP, the reload command over exec, its stderr, the pinned host
// key refusing a mismatch before anything is written, wrong credentials, the dry run.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { sshKind } from './ssh.js';
import { startSshd, type Sshd } from '../testing/sshd.js';
import { servedFingerprint, startNginx, waitServed, type Nginx } from '../testing/nginx.js';
import { waitRecord, type RecordDetails } from '../testing/sdk.js';
import { startTestService, type TestService } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { DeployConfigError, DeployError, type CertificateMaterial, type DeployContext } from './types.js';

let chain: TestChain;
let m: CertificateMaterial;
let sshd: Sshd;
let dir: string;
const ctx: DeployContext = { deliveryId: 't-1', resource: { id: 'clb-1', name: 'web', type: 'clb', region: '', domains: ['ssh.test'] } };

before(async () => {
  [chain, sshd] = await Promise.all([makeChain('EC', 'ssh.test'), startSshd()]);
  m = {
    certId: 'AbCd1234', domain: 'ssh.test', leafPem: chain.leafPem, chainPems: [chain.intermediatePem], rootPem: chain.rootPem,
    keyPem: chain.keyPem, sha256: new X509Certificate(chain.leafPem).fingerprint256.replace(/:/g, '').toLowerCase(), notAfter: Date.now() + 86_400_000,
  };
  dir = await mkdtemp(path.join(tmpdir(), 'certport-ssh-'));
});
after(async () => {
  await sshd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const base = () => ({ host: '127.0.0.1', port: sshd.port, username: sshd.username, hostKey: sshd.hostKeyFingerprint, timeoutMs: 5000 });
const deployer = (config: Record<string, unknown>, secrets: unknown = { privateKey: sshd.clientKey }) => {
  const { config: c, secrets: s } = sshKind.parse({ ...base(), ...config }, secrets);
  return sshKind.create(c, s);
};
const sub = (name: string) => {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
};

describe('ssh deployer', () => {
  test('writes a PEM bundle and key over SFTP with their modes, replaces old files, runs the reload', async () => {
    const d0 = sub('ok');
    const f = (n: string) => path.join(d0, n);
    writeFileSync(f('site.pem'), 'old contents');
    const d = deployer({
      files: [{ path: f('site.pem'), format: 'bundle', mode: '0640' }, { path: f('site.key'), format: 'key' }, { path: f('full.pem'), format: 'fullchain' }],
      reload: `touch ${f('reloaded')}`,
    });
    const out = await d.deploy(m, ctx);
    assert.equal(out.note, `wrote 3 file(s) on ${sshd.username}@127.0.0.1:${sshd.port} and reloaded`);
    assert.equal(readFileSync(f('site.pem'), 'utf8'), chain.leafPem + chain.intermediatePem + chain.keyPem);
    assert.equal(readFileSync(f('site.key'), 'utf8'), chain.keyPem);
    assert.equal(readFileSync(f('full.pem'), 'utf8'), chain.leafPem + chain.intermediatePem);
    assert.equal(statSync(f('site.pem')).mode & 0o777, 0o640);
    assert.equal(statSync(f('site.key')).mode & 0o777, 0o600);
    assert.equal(statSync(f('full.pem')).mode & 0o777, 0o644);
    assert.ok(existsSync(f('reloaded')), 'the reload command ran');
    assert.deepEqual(readdirSync(d0).filter((n) => n.includes('.tmp')), []);

    // An argv reload is quoted for the remote shell.
    const argv = deployer({ files: [{ path: f('site.key'), format: 'key' }], reload: ['/bin/sh', '-c', `echo "a b" > ${f('argv')}`] });
    await argv.deploy(m, ctx);
    assert.equal(readFileSync(f('argv'), 'utf8'), 'a b\n');
  });

  test('a failing reload command fails with its stderr (the old files are put back)', async () => {
    const d0 = sub('fail');
    const file = path.join(d0, 'c.pem');
    const fresh = path.join(d0, 'new.pem');
    writeFileSync(file, 'the old certificate');
    chmodSync(file, 0o640);
    const d = deployer({ files: [{ path: file, format: 'cert' }, { path: fresh, format: 'chain' }], reload: 'echo "config test failed: line 3" >&2; exit 3' });
    await assert.rejects(d.deploy(m, ctx), (e: Error) => e instanceof DeployError && !e.transient
      && e.message === 'the reload command exited with status 3: config test failed: line 3');
    assert.equal(readFileSync(file, 'utf8'), 'the old certificate', 'the old file is put back');
    assert.equal(statSync(file).mode & 0o777, 0o640, 'with its mode');
    assert.equal(existsSync(fresh), false, 'a file that was not there before is removed');
    assert.deepEqual(readdirSync(d0).filter((n) => n.startsWith('.')), [], 'no backup or temporary file is left');
    const marker = path.join(dir, 'fail', 'grandchild-survived');
    const slow = deployer({ files: [{ path: file, format: 'cert' }], reload: `(sleep 2; touch ${marker}) & sleep 30`, timeoutMs: 300 });
    const t0 = Date.now();
    await assert.rejects(slow.deploy(m, ctx), /the reload command timed out after 300 ms/);
    assert.ok(Date.now() - t0 < 5000, 'timed out in time');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(existsSync(marker), false, 'the remote command was killed with its group');
  });

  test('a wrong pinned host key refuses before writing anything', async () => {
    const d0 = sub('pinned');
    const file = path.join(d0, 'c.pem');
    const wrong = 'SHA256:' + 'A'.repeat(43);
    const d = deployer({ hostKey: wrong, files: [{ path: file, format: 'cert' }], reload: `touch ${path.join(d0, 'reloaded')}` });
    await assert.rejects(d.deploy(m, ctx), (e: Error) => e instanceof DeployError && !e.transient
      && e.message.includes(`host key mismatch: the server presented ${sshd.hostKeyFingerprint}, but ${wrong} is pinned`));
    assert.deepEqual(readdirSync(d0), [], 'nothing written, nothing run');
    const lines = await d.test(ctx);
    assert.match(lines[0]!, /^FAIL: .*host key mismatch/);
  });

  test('wrong credentials fail clearly', async () => {
    const d0 = sub('creds');
    const file = path.join(d0, 'c.pem');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other_key')]);
    const other = readFileSync(path.join(dir, 'other_key'), 'utf8');
    const key = deployer({ files: [{ path: file, format: 'cert' }] }, { privateKey: other });
    await assert.rejects(key.deploy(m, ctx), /ssh to .*: authentication failed \(private key rejected\)/);
    const pw = deployer({ files: [{ path: file, format: 'cert' }] }, { password: 'not-the-password' });
    await assert.rejects(pw.deploy(m, ctx), /ssh to .*: authentication failed \(password rejected\)/);
    assert.deepEqual(readdirSync(d0), []);
  });

  test('an unreachable host is a transient failure', async () => {
    const d = deployer({ port: 1, files: [{ path: '/tmp/x.pem', format: 'cert' }] });
    await assert.rejects(d.deploy(m, ctx), (e: Error) => e instanceof DeployError && e.transient && /ECONNREFUSED/.test(e.message));
  });

  test('the dry run: login, folders, reload executable; changes nothing', async () => {
    const d0 = sub('dry');
    const d = deployer({ files: [{ path: path.join(d0, 'c.pem'), format: 'cert' }, { path: path.join(dir, 'missing', 'k.pem'), format: 'key' }], reload: ['/bin/true'] });
    const lines = await d.test(ctx);
    assert.match(lines[0]!, /^ok: logged in to .* host key SHA256:/);
    assert.match(lines[1]!, /^ok: .*dry exists/);
    assert.match(lines[2]!, /^FAIL: .*missing on 127\.0\.0\.1: No such file/);
    assert.equal(lines[3], 'ok: reload runs /bin/true');
    const missing = deployer({ files: [{ path: path.join(d0, 'c.pem'), format: 'cert' }], reload: ['/no/such/binary'] });
    assert.match((await missing.test(ctx)).at(-1)!, /^FAIL: \/no\/such\/binary is not executable/);
    assert.deepEqual(readdirSync(d0), []);
  });

  test('refuses settings that cannot work', () => {
    const ok = { ...base(), files: [{ path: '/x.pem' }] };
    const bad = (config: unknown, secrets: unknown, re: RegExp) => assert.throws(() => sshKind.parse(config, secrets), (e: Error) => e instanceof DeployConfigError && re.test(e.message));
    bad({ ...ok, host: undefined }, { password: 'x' }, /ssh\.host is required/);
    bad({ ...ok, hostKey: 'ab:cd' }, { password: 'x' }, /hostKey must be the host key fingerprint/);
    bad(ok, {}, /privateKey .* or password/);
    bad(ok, { privateKey: 'nope' }, /privateKey cannot be used: .*OpenSSH or PEM private key/);
    bad({ ...ok, files: [{ path: 'rel.pem' }] }, { password: 'x' }, /absolute path/);
    bad({ ...ok, files: [{ path: '/x.pem', owner: 'www-data' }] }, { password: 'x' }, /owner must be a numeric id/);
    bad({ ...ok, files: [{ path: '/x.pfx', format: 'pfx' }] }, { password: 'x' }, /keystorePassword/);
    bad({ ...ok, user: 'root' }, { password: 'x' }, /ssh\.user is not a known setting/);
    assert.equal(sshKind.parse(ok, { password: 'x' }).config.port, sshd.port);
    assert.equal(sshKind.needsPrivateKey(sshKind.parse(ok, { password: 'x' }).config), false);
  });
});

describe('UpdateCertificateInstance to nginx over the ssh deployer (sqlite)', () => {
  const NAME = 'www.ssh-deploy.test';
  const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
  const flat = (d: RecordDetails) => (d.RecordDetailList ?? []).flatMap((g) => g.List ?? []);
  let t: TestService;
  let nginx: Nginx;
  let oldChain: TestChain;
  let newChain: TestChain;
  let port: number;
  let oldId: string;
  let newId: string;
  let resourceId: string;
  let certs: string;

  before(async () => {
    [oldChain, newChain] = await Promise.all([makeChain('EC', NAME), makeChain('RSA', NAME)]);
    t = await startTestService('sqlite', { deployment: { retryDelay: () => 100 } });
    certs = sub('nginx-certs');
    writeFileSync(path.join(certs, 'site.pem'), oldChain.leafPem + oldChain.intermediatePem);
    writeFileSync(path.join(certs, 'site.key'), oldChain.keyPem, { mode: 0o600 });
    port = await freePort();
    nginx = await startNginx([{ name: NAME, port, certFile: path.join(certs, 'site.pem'), keyFile: path.join(certs, 'site.key') }], sub('nginx'));
    const c = t.client;
    oldId = (await c.UploadCertificate({ CertificatePublicKey: oldChain.leafPem + oldChain.intermediatePem, CertificatePrivateKey: oldChain.keyPem, Alias: 'old' })).CertificateId!;
    newId = (await c.UploadCertificate({ CertificatePublicKey: newChain.leafPem + newChain.intermediatePem, CertificatePrivateKey: newChain.keyPem, Alias: 'new' })).CertificateId!;
    const r = await t.svc.core.services.resources.addResource({
      accountUin: t.cred.accountUin, name: 'web-ssh', type: 'clb', region: 'ap-test', domains: [NAME],
      probe: `127.0.0.1:${port}`, sni: NAME, deployer: 'ssh', certId: oldId,
      config: {
        ...base(), timeoutMs: 10_000,
        files: [{ path: path.join(certs, 'site.pem'), format: 'fullchain' }, { path: path.join(certs, 'site.key'), format: 'key' }],
        reload: nginx.reloadArgv,
      },
      secrets: { privateKey: sshd.clientKey },
    });
    resourceId = r.id;
  });
  after(async () => {
    await nginx?.stop();
    await t?.close();
  });

  test('the new certificate reaches nginx over SSH; a broken reload fails with nginx\'s stderr', async () => {
    const c = t.client;
    assert.equal(await servedFingerprint(port, NAME), fp(oldChain.leafPem));
    const u = await c.UpdateCertificateInstance({ OldCertificateId: oldId, CertificateId: newId, ResourceTypes: ['clb'] });
    assert.equal(u.DeployStatus, 1);
    const d = await waitRecord(c, u.DeployRecordId!);
    assert.equal(d.SuccessTotalCount, 1, JSON.stringify(flat(d)));
    const [item] = flat(d);
    assert.equal(item!.InstanceId, resourceId);
    assert.equal(item!.ErrorMsg, '');
    await waitServed(port, NAME, fp(newChain.leafPem));
    assert.equal(statSync(path.join(certs, 'site.key')).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(certs, 'site.pem')).mode & 0o777, 0o644);

    nginx.writeConf({ broken: true });
    const u2 = await c.UpdateCertificateInstance({ OldCertificateId: newId, CertificateId: oldId, ResourceTypes: ['clb'] });
    const d2 = await waitRecord(c, u2.DeployRecordId!);
    assert.equal(d2.FailedTotalCount, 1);
    assert.match(flat(d2)[0]!.ErrorMsg!, /reload command exited with status 1: .*unknown directive "certport_broken_directive"/s);
    assert.equal(await servedFingerprint(port, NAME), fp(newChain.leafPem));
    // The files nginx serves were put back: its next reload keeps serving them, as the record says.
    assert.equal(readFileSync(path.join(certs, 'site.pem'), 'utf8'), newChain.leafPem + newChain.intermediatePem);
    nginx.writeConf();
    await nginx.reload();
    assert.equal(await servedFingerprint(port, NAME), fp(newChain.leafPem));
  });
});

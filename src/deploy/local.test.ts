// The `local` deployer on its own: file formats, modes and owners, atomic replacement, the
// reload command's timeout and stderr, and the settings it refuses.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { keytoolList, makeChain, run, withTempDir, type TestChain } from '../testing/pki-fixtures.js';
import { localKind } from './local.js';
import { DeployConfigError, DeployError, type CertificateMaterial, type DeployContext } from './types.js';

let chain: TestChain;
let m: CertificateMaterial;
const ctx: DeployContext = { deliveryId: 't-1', resource: { id: 'clb-1', name: 'web', type: 'clb', region: '', domains: ['local.test'] } };

before(async () => {
  chain = await makeChain('EC', 'local.test');
  m = {
    certId: 'AbCd1234', domain: 'local.test', leafPem: chain.leafPem, chainPems: [chain.intermediatePem], rootPem: chain.rootPem,
    keyPem: chain.keyPem, sha256: new X509Certificate(chain.leafPem).fingerprint256.replace(/:/g, '').toLowerCase(), notAfter: Date.now() + 86_400_000,
  };
});

const deployer = (config: unknown, secrets: unknown = {}) => {
  const { config: c, secrets: s } = localKind.parse(config, secrets);
  return localKind.create(c, s);
};

describe('local deployer', () => {
  test('writes every format with its mode, atomically, leaving no temporary file', () => withTempDir(async (dir) => {
    const f = (n: string) => path.join(dir, n);
    writeFileSync(f('fullchain.pem'), 'old contents');
    const d = deployer({
      files: [
        { path: f('fullchain.pem'), format: 'fullchain' }, { path: f('cert.pem'), format: 'cert' }, { path: f('chain.pem'), format: 'chain' },
        { path: f('key.pem'), format: 'key' }, { path: f('bundle.pem'), format: 'bundle', mode: '0640' }, { path: f('root.pem'), format: 'root' },
        { path: f('site.pfx'), format: 'pfx' }, { path: f('site.jks'), format: 'jks', owner: String(process.getuid!()), group: String(process.getgid!()) },
      ],
    }, { keystorePassword: 'changeit' });
    const out = await d.deploy(m, ctx);
    assert.equal(out.note, 'wrote 8 file(s)');
    assert.equal(readFileSync(f('fullchain.pem'), 'utf8'), chain.leafPem + chain.intermediatePem);
    assert.equal(readFileSync(f('cert.pem'), 'utf8'), chain.leafPem);
    assert.equal(readFileSync(f('chain.pem'), 'utf8'), chain.intermediatePem);
    assert.equal(readFileSync(f('root.pem'), 'utf8'), chain.rootPem);
    assert.equal(readFileSync(f('key.pem'), 'utf8'), chain.keyPem);
    assert.equal(readFileSync(f('bundle.pem'), 'utf8'), chain.leafPem + chain.intermediatePem + chain.keyPem);
    assert.equal(statSync(f('key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(f('bundle.pem')).mode & 0o777, 0o640);
    assert.equal(statSync(f('cert.pem')).mode & 0o777, 0o644);
    assert.equal(statSync(f('site.pfx')).mode & 0o777, 0o600);
    run('openssl', ['pkcs12', '-in', f('site.pfx'), '-info', '-noout', '-passin', 'pass:changeit']);
    const jks = keytoolList(f('site.jks'), 'JKS', 'changeit');
    assert.equal(jks.entries[0]!.type, 'PrivateKeyEntry');
    assert.equal(jks.entries[0]!.chainLength, 2);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp')), []);
  }));

  test('the reload command: stderr of a failure, a timeout that kills the whole process group', () => withTempDir(async (dir) => {
    const file = path.join(dir, 'c.pem');
    const fresh = path.join(dir, 'new.pem');
    writeFileSync(file, 'the old certificate', { mode: 0o640 });
    chmodSync(file, 0o640);
    const fail = deployer({ files: [{ path: file, format: 'cert' }, { path: fresh, format: 'chain' }], reload: 'echo "config test failed: line 3" >&2; exit 3' });
    await assert.rejects(fail.deploy(m, ctx), (e: Error) => e instanceof DeployError && !e.transient
      && e.message === 'the reload command exited with status 3: config test failed: line 3');
    // The server's next reload must find what it served: the old file with its mode, no new one.
    assert.equal(readFileSync(file, 'utf8'), 'the old certificate', 'the old file is put back');
    assert.equal(statSync(file).mode & 0o777, 0o640, 'with its mode');
    assert.equal(existsSync(fresh), false, 'a file that was not there before is removed');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no backup or temporary file is left');

    const marker = path.join(dir, 'grandchild-survived');
    const slow = deployer({ files: [{ path: file, format: 'cert' }], reload: `(sleep 2; touch ${marker}) & sleep 30`, timeoutMs: 300 });
    const t0 = Date.now();
    await assert.rejects(slow.deploy(m, ctx), /the reload command timed out after 300 ms/);
    assert.ok(Date.now() - t0 < 5000);
    await new Promise((r) => setTimeout(r, 2500));
    assert.throws(() => statSync(marker), 'the background child was killed with its group');

    const argv = deployer({ files: [{ path: file, format: 'cert' }], reload: ['/bin/sh', '-c', 'exit 0'] });
    assert.equal((await argv.deploy(m, ctx)).note, 'wrote 1 file(s) and reloaded');
    const missing = deployer({ files: [{ path: file, format: 'cert' }], reload: ['/no/such/binary'] });
    await assert.rejects(missing.deploy(m, ctx), /cannot run the reload command: spawn \/no\/such\/binary ENOENT/);
  }));

  test('an unwritable folder fails with its reason and leaves nothing behind', () => withTempDir(async (dir) => {
    const d = deployer({ files: [{ path: path.join(dir, 'missing', 'c.pem'), format: 'cert' }] });
    await assert.rejects(d.deploy(m, ctx), /cannot write in .*missing: ENOENT/);
    const lines = await d.test(ctx);
    assert.match(lines[0]!, /^FAIL: .* is not writable: ENOENT/);
  }));

  test('refuses settings that cannot work', () => {
    const bad = (config: unknown, secrets: unknown, re: RegExp) => assert.throws(() => localKind.parse(config, secrets), (e: Error) => e instanceof DeployConfigError && re.test(e.message));
    bad({}, {}, /local\.files must be a non-empty list/);
    bad({ files: [{ path: 'relative.pem' }] }, {}, /absolute path/);
    bad({ files: [{ path: '/x.pem', format: 'der' }] }, {}, /format must be one of/);
    bad({ files: [{ path: '/x.pfx', format: 'pfx' }] }, {}, /keystorePassword/);
    bad({ files: [{ path: '/x.pem' }], reloadCmd: 'x' }, {}, /reloadCmd is not a known setting/);
    bad({ files: [{ path: '/x.pem' }, { path: '/x.pem' }] }, {}, /listed twice/);
    assert.equal(localKind.needsPrivateKey(localKind.parse({ files: [{ path: '/x.pem' }] }, {}).config), false);
    assert.equal(localKind.needsPrivateKey(localKind.parse({ files: [{ path: '/x.key', format: 'key' }] }, {}).config), true);
  });
});

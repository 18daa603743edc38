// `certport resource add|list|test|remove` as a child process on a throw-away data dir.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../testing/pki-fixtures.js';
import { startNginx, type Nginx } from '../testing/nginx.js';
import { runCli } from '../testing/cli.js';
import { freePort } from '../testing/net.js';
import { writeFileSync } from 'node:fs';


describe('certport resource', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let nginx: Nginx;
  let port: number;
  const cli = (...args: string[]) => runCli(env, ...args);


  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'certport-cli-res-'));
    env = { CERTPORT_DATA_DIR: dataDir, CERTPORT_LOG_LEVEL: 'silent' };
    const chain = await makeChain('EC', 'cli.deploy.test');
    writeFileSync(path.join(dataDir, 'c.pem'), chain.leafPem);
    writeFileSync(path.join(dataDir, 'c.key'), chain.keyPem);
    port = await freePort();
    nginx = await startNginx([{ name: 'cli.deploy.test', port, certFile: path.join(dataDir, 'c.pem'), keyFile: path.join(dataDir, 'c.key') }]);
  });
  after(async () => {
    await nginx?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('add, list, test (dry run and TLS probe), remove; bad settings are refused by name', async () => {
    const acc = JSON.parse((await cli('account', 'create', '--json')).stdout) as { Uin: string };
    const config = JSON.stringify({ files: [{ path: path.join(dataDir, 'out.pem'), format: 'fullchain' }], reload: 'true' });
    const add = await cli('resource', 'add', '--account', acc.Uin, '--name', 'web', '--type', 'clb', '--region', 'ap-test',
      '--domains', 'cli.deploy.test,www.cli.deploy.test', '--deployer', 'local', '--config', config,
      '--probe', `127.0.0.1:${port}`, '--sni', 'cli.deploy.test', '--json');
    assert.equal(add.code, 0, add.stderr);
    const r = JSON.parse(add.stdout) as { id: string; domains: string[]; hasSecrets: boolean };
    assert.match(r.id, /^clb-[0-9a-z]{10}$/);
    assert.deepEqual(r.domains, ['cli.deploy.test', 'www.cli.deploy.test']);

    const list = JSON.parse((await cli('resource', 'list', '--account', acc.Uin, '--json')).stdout) as { id: string }[];
    assert.deepEqual(list.map((x) => x.id), [r.id]);

    const tested = await cli('resource', 'test', r.id);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout, /^ok: .* is writable/m);
    assert.match(tested.stdout, new RegExp(`^ok: 127\\.0\\.0\\.1:${port} presents cli\\.deploy\\.test sha256 [0-9a-f]{64}`, 'm'));

    // update: what is given changes, checked as on add; the rest stays.
    const renamed = await cli('resource', 'update', r.id, '--name', 'web-renamed', '--domains', 'a.deploy.test,B.deploy.test', '--json');
    assert.equal(renamed.code, 0, renamed.stderr);
    const after = JSON.parse(renamed.stdout) as { name: string; domains: string[]; deployer: string; probe: { address: string } | null };
    assert.equal(after.name, 'web-renamed');
    assert.deepEqual(after.domains, ['a.deploy.test', 'b.deploy.test']);
    assert.equal(after.deployer, 'local');
    assert.equal(after.probe?.address, `127.0.0.1:${port}`, 'the probe stays');
    // --config is a JSON merge patch (RFC 7396): the files stay, null removes the reload.
    const merged = await cli('resource', 'update', r.id, '--config', '{"reload":null}', '--json');
    assert.equal(merged.code, 0, merged.stderr);
    const mergedConfig = (JSON.parse(merged.stdout) as { config: { files: { path: string }[]; reload?: unknown } }).config;
    assert.deepEqual(mergedConfig.files.map((x) => x.path), [path.join(dataDir, 'out.pem')]);
    assert.equal(mergedConfig.reload, undefined);
    const badUpdate = await cli('resource', 'update', r.id, '--config', '{"files":[]}');
    assert.equal(badUpdate.code, 1);
    assert.match(badUpdate.stderr, /^certport: /);
    assert.match((await cli('resource', 'update', 'clb-nosuch000', '--name', 'x')).stderr, /no resource clb-nosuch000/);
    assert.equal((JSON.parse((await cli('resource', 'list', '--json')).stdout) as { name: string }[]).find((x) => x.name === 'web-renamed') !== undefined, true);

    const bad = await cli('resource', 'add', '--account', acc.Uin, '--name', 'x', '--type', 'clb', '--deployer', 'webhook', '--config', '{"url":"ftp://x"}');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /certport: webhook\.url must be an http\(s\) URL\./);
    const badType = await cli('resource', 'add', '--account', acc.Uin, '--name', 'x', '--type', 'nginx', '--deployer', 'local', '--config', config);
    assert.match(badType.stderr, /unknown resource type "nginx"/);

    const dead = await freePort();
    const add2 = await cli('resource', 'add', '--account', acc.Uin, '--name', 'down', '--type', 'cdn', '--deployer', 'local', '--config', config, '--probe', `127.0.0.1:${dead}`);
    const failed = await cli('resource', 'test', add2.stdout.trim());
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /^FAIL: probe 127\.0\.0\.1:\d+: ECONNREFUSED/m);

    assert.equal((await cli('resource', 'remove', r.id)).code, 0);
    assert.match((await cli('resource', 'remove', r.id)).stderr, /no resource/);
    assert.equal((JSON.parse((await cli('resource', 'list', '--json')).stdout) as unknown[]).length, 1);
  });
});

// The real `certport` CLI as a child process: first-start bootstrap, serve, account and key
// administration. Every process started here is stopped by its PID.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_ARGS, runCli } from '../testing/cli.js';
import { expectCode, sdkClient } from '../testing/harness.js';
import { freePort } from '../testing/net.js';


const cli = runCli;

async function waitHealthy(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.status === 200) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become healthy');
}

describe('certport CLI', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let child: ChildProcess | undefined;
  let output = '';
  let port: number;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'certport-cli-'));
    port = await freePort();
    env = { CERTPORT_DATA_DIR: dataDir, CERTPORT_PORT: String(port), CERTPORT_RATE_LIMIT: '0' };
    child = spawn(process.execPath, [...CLI_ARGS, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    await waitHealthy(port, child);
  });

  after(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test('first start writes bootstrap credentials once, mode 0600, never printing the SecretKey', async () => {
    const file = path.join(dataDir, 'bootstrap-credentials.json');
    const st = await stat(file);
    assert.equal(st.mode & 0o777, 0o600);
    const cred = JSON.parse(await readFile(file, 'utf8')) as { Uin: string; SecretId: string; SecretKey: string };
    assert.match(cred.Uin, /^\d{12}$/);
    assert.ok(!output.includes(cred.SecretKey), 'SecretKey printed');
    assert.ok(!output.includes(cred.SecretId), 'SecretId printed in full');
    const master = await stat(path.join(dataDir, 'master.key'));
    assert.equal(master.mode & 0o777, 0o600);
    const r = await sdkClient(port, { accountUin: cred.Uin, ...cred, secretId: cred.SecretId, secretKey: cred.SecretKey }).DescribeCertificates({});
    assert.equal(r.TotalCount, 0);
  });

  test('account create --json, key list/create/disable/enable against the running server', async () => {
    const made = await cli(env, 'account', 'create', '--json');
    assert.equal(made.code, 0, made.stderr);
    const acct = JSON.parse(made.stdout) as { Uin: string; SecretId: string; SecretKey: string };
    assert.deepEqual(Object.keys(acct), ['Uin', 'SecretId', 'SecretKey']);
    const client = sdkClient(port, { accountUin: acct.Uin, secretId: acct.SecretId, secretKey: acct.SecretKey });
    assert.equal((await client.DescribeCertificates({})).TotalCount, 0);

    const second = JSON.parse((await cli(env, 'key', 'create', '--account', acct.Uin, '--json')).stdout) as { SecretId: string; SecretKey: string };
    const third = await cli(env, 'key', 'create', '--account', acct.Uin, '--json');
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /2 API keys/);
    const listed = JSON.parse((await cli(env, 'key', 'list', '--account', acct.Uin, '--json')).stdout) as { SecretId: string; Status: string }[];
    assert.deepEqual(listed.map((k) => k.SecretId).sort(), [acct.SecretId, second.SecretId].sort());
    assert.ok(!JSON.stringify(listed).includes(acct.SecretKey));

    // A key never used by the server is not cached there: disabling it takes effect at once.
    assert.equal((await cli(env, 'key', 'disable', second.SecretId)).code, 0);
    const disabled = sdkClient(port, { accountUin: acct.Uin, secretId: second.SecretId, secretKey: second.SecretKey });
    await expectCode(disabled.DescribeCertificates({}), 'AuthFailure.SecretIdNotFound');
    assert.equal((await cli(env, 'key', 'enable', second.SecretId)).code, 0);
    await new Promise((r) => setTimeout(r, 5200)); // the server's 5 s credential cache
    assert.equal((await disabled.DescribeCertificates({})).TotalCount, 0);

    const sub = JSON.parse((await cli(env, 'user', 'create', '--account', acct.Uin, '--json')).stdout) as { SubAccountUin: string };
    const subKey = await cli(env, 'key', 'create', '--account', acct.Uin, '--user', sub.SubAccountUin, '--json');
    assert.equal(subKey.code, 0, subKey.stderr);
  });

  test('ca show prints the root the server publishes at /ca/root.pem, its key stored sealed', async () => {
    const shown = await cli(env, 'ca', 'show');
    assert.equal(shown.code, 0, shown.stderr);
    const served = await (await fetch(`http://127.0.0.1:${port}/ca/root.pem`)).text();
    assert.equal(shown.stdout, served);
    assert.match(served, /^-----BEGIN CERTIFICATE-----\n/);
    const chain = await cli(env, 'ca', 'show', '--chain');
    assert.equal((chain.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, 'root and both intermediates');
    const der = await fetch(`http://127.0.0.1:${port}/ca/rsa-intermediate.der`);
    assert.equal(der.headers.get('content-type'), 'application/pkix-cert');
    assert.equal((await fetch(`http://127.0.0.1:${port}/ca/nothing.pem`)).status, 404);
    // The CA's private keys are not in the database in the clear.
    const db = await readFile(path.join(dataDir, 'certport.db'));
    assert.ok(!db.includes(Buffer.from('PRIVATE KEY')), 'a private key in the clear in the database');
  });

  test('bad configuration stops with a message naming the variable', async () => {
    const r = await cli({ ...env, CERTPORT_PORT: 'eighty' }, 'account', 'list');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /CERTPORT_PORT/);
    const m = await cli({ ...env, CERTPORT_MASTER_KEY: 'short' }, 'account', 'list');
    assert.match(m.stderr, /CERTPORT_MASTER_KEY/);
  });
});

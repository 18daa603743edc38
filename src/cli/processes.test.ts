// `certport serve` with CERTPORT_PROCESSES=2 on SQLite: two processes share the port; a write
// answered by one is read by the other at once (page cache included), ACME nonces are kept in
// the database so either process accepts them, and SIGTERM stops every process. Requests are
// sent on new connections (the primary hands them to the processes in turn).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { BACKENDS, type Cred } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { CLI_ARGS } from '../testing/cli.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { rawRequest, tc3Request } from '../testing/raw-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after its last ')'.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

describe('certport serve, CERTPORT_PROCESSES=2 on SQLite', { skip: !BACKENDS.includes('sqlite') && 'SQLite is not among CERTPORT_TEST_BACKENDS' }, () => {
  const cred: Cred = { accountUin: '', secretId: 'AKIDproc' + randomBytes(12).toString('hex'), secretKey: randomBytes(16).toString('hex') };
  let dataDir: string;
  let port: number;
  let child: ChildProcess;
  let log = '';
  const call = async (action: string, params: object) => {
    const r = await tc3Request(port, cred, { action, body: JSON.stringify(params), headers: { Connection: 'close' } });
    assert.equal(r.json?.Response?.Error, undefined, r.body);
    return r.json.Response;
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'certport-processes-'));
    port = await freePort();
    child = spawn(process.execPath, [...CLI_ARGS, 'serve'], {
      env: {
        ...process.env, CERTPORT_DATA_DIR: dataDir, CERTPORT_PORT: String(port), CERTPORT_PROCESSES: '2', CERTPORT_RATE_LIMIT: '0',
        CERTPORT_LOG_LEVEL: 'warn', CERTPORT_BOOTSTRAP_SECRET_ID: cred.secretId, CERTPORT_BOOTSTRAP_SECRET_KEY: cred.secretKey,
        CERTPORT_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => { log = (log + d.toString()).slice(-20_000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${log}`);
      if (i > 300) throw new Error(`serve did not become healthy: ${log}`);
      // Both processes answer once the primary says so.
      if (/2 processes/.test(log)) break;
      await sleep(100);
    }
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  test('two processes answer on one port', () => {
    assert.equal(childrenOf(child.pid!).length, 2, log);
  });

  test('a write answered by one process is read by the next request on any (the page cache too)', async () => {
    // Each of the first pages asked twice on each process: the page cache keeps them.
    for (let i = 0; i < 8; i++) assert.equal((await call('DescribeCertificates', { Limit: 10 })).TotalCount, 0);
    const chain = await makeChain('EC', 'processes.example.com');
    const { CertificateId } = await call('UploadCertificate', { CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem });
    for (let i = 0; i < 8; i++) {
      const r = await call('DescribeCertificates', { Limit: 10 });
      assert.equal(r.TotalCount, 1, `request ${i}`);
      assert.equal(r.Certificates[0].CertificateId, CertificateId);
    }
  });

  test('ACME nonces are kept in the database, where either process finds them', async () => {
    const nonces: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await rawRequest(port, { method: 'HEAD', path: '/acme/new-nonce', headers: { Connection: 'close' } });
      nonces.push(r.headers['replay-nonce'] as string);
    }
    const db = new SQLite(path.join(dataDir, 'certport.db'), { readonly: true });
    try {
      const stored = new Set((db.prepare('select nonce from acme_srv_nonces').pluck().all() as string[]));
      for (const n of nonces) assert.ok(stored.has(n), `nonce ${n} in the table`);
    } finally {
      db.close();
    }
  });

  test('SIGTERM stops the primary and every process', async () => {
    const kids = childrenOf(child.pid!);
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const pid of kids) {
      let alive = true;
      for (let i = 0; i < 50 && alive; i++) {
        try {
          process.kill(pid, 0);
          await sleep(100);
        } catch {
          alive = false;
        }
      }
      assert.equal(alive, false, `process ${pid} stopped`);
    }
  });
});

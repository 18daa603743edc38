// Scale-out: two certport processes (`certport serve`, different ports) on one PostgreSQL
// schema and one Redis, with the same master key, as behind a load balancer; both run
// background jobs. Driven with the official SDK; DNS validation through pebble-challtestsrv.
// Every process started here is stopped by its PID; the schema is dropped at the end.
//
// The last test SIGKILLs a node while it holds job leases and waits for them to run out
// (JobRunner's lease: 60 s, not configurable), so this file takes a little over a minute.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { makeChain } from '../testing/pki-fixtures.js';
import { dropPgSchema } from '../store/db.js';
import { BACKENDS, PG_URL, sdkClient, type Cred, type SslClient } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';
import { CLI_ARGS } from '../testing/cli.js';

const REDIS_URL = process.env.CERTPORT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RATE_LIMIT = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codeOf = (e: unknown) => (e as { code?: string }).code;

interface Node {
  name: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  client: SslClient;
}

/** The SDK does not retry RequestLimitExceeded (Go's does); these tests share 5/s per action. */
async function call<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (codeOf(e) !== 'RequestLimitExceeded' || i >= 40) throw e;
      await sleep(250);
    }
  }
}

describe('two certport nodes on one PostgreSQL and one Redis', { skip: !BACKENDS.includes('postgres') && 'needs PostgreSQL' }, () => {
  const schema = 'scale_' + randomBytes(6).toString('hex');
  const cred: Cred = { accountUin: '', secretId: 'AKIDscale' + randomBytes(12).toString('hex'), secretKey: randomBytes(16).toString('hex') };
  const dataDirs: string[] = [];
  let dns: ChallTestSrv;
  let env: Record<string, string>;
  let a: Node;
  let b: Node;
  let db: pg.Client;

  async function startNode(name: string): Promise<Node> {
    const dataDir = await mkdtemp(path.join(tmpdir(), `certport-scale-${name}-`));
    dataDirs.push(dataDir);
    const port = await freePort();
    const child = spawn(process.execPath, [...CLI_ARGS, 'serve'], {
      env: { ...process.env, ...env, CERTPORT_DATA_DIR: dataDir, CERTPORT_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const keep = (d: Buffer) => { log = (log + d.toString()).slice(-20_000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`node ${name} exited with ${child.exitCode}: ${log}`);
      if (i > 300) throw new Error(`node ${name} did not become healthy: ${log}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) break;
      } catch { /* not yet */ }
      await sleep(100);
    }
    return { name, port, child, output: () => log, client: sdkClient(port, cred) };
  }

  async function stop(n: Node | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = n?.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid, signal);
    const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** Publishes nothing: applies for a DNS-validated free certificate and reads what to publish. */
  async function apply(n: Node, domain: string): Promise<{ id: string; key: string; value: string }> {
    const { CertificateId: id } = await call(() => n.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain }));
    const d = (await call(() => n.client.DescribeCertificate({ CertificateId: id! }))).DvAuthDetail!;
    return { id: id!, key: d.DvAuthKey!, value: d.DvAuthValue! };
  }

  /** Polls (through `n`) until every certificate is issued. */
  async function allIssued(n: Node, ids: string[], ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const list = (await call(() => n.client.DescribeCertificates({ CertIds: ids, Limit: 100 }))).Certificates!;
      if (list.length === ids.length && list.every((c) => c.Status === 1)) return;
      if (Date.now() > deadline) {
        const jobs = await db.query('select subject, state, attempts, lease_owner, lease_until, last_error from jobs where subject = any($1)', [ids]);
        throw new Error(`not all issued: ${JSON.stringify(list.map((c) => [c.CertificateId, c.Status, c.AwaitingValidationMsg]))}\njobs: ${JSON.stringify(jobs.rows)}`);
      }
      await sleep(400);
    }
  }

  async function issuedLogEntries(n: Node, ids: string[]): Promise<Map<string, number>> {
    const logs = (await call(() => n.client.DescribeCertificateOperateLogs({ Limit: 1000 }))).OperateLogs ?? [];
    return new Map(ids.map((id) => [id, logs.filter((l) => l.CertId === id && l.Type === 'issued').length]));
  }

  /** Every validation job of these certificates is settled (done), none left leased. */
  async function jobsDone(ids: string[]): Promise<void> {
    let rows: { state: string; lease_owner: string | null }[] = [];
    for (let i = 0; i < 50; i++) {
      rows = (await db.query<{ state: string; lease_owner: string | null }>('select state, lease_owner from jobs where subject = any($1)', [ids])).rows;
      if (rows.length === ids.length && rows.every((j) => j.state === 'done' && j.lease_owner === null)) return;
      await sleep(100); // the job settles just after it stored the certificate
    }
    assert.deepEqual(rows.map((j) => [j.state, j.lease_owner]), ids.map(() => ['done', null]));
  }

  before(async () => {
    dns = await startChallTestSrv();
    env = {
      CERTPORT_DATABASE_URL: PG_URL,
      CERTPORT_DATABASE_SCHEMA: schema,
      CERTPORT_REDIS_URL: REDIS_URL,
      CERTPORT_MASTER_KEY: randomBytes(32).toString('hex'),
      // Nodes share the CA key like the master key (each has its own data dir, so no ca.key file).
      CERTPORT_CA_KEY: randomBytes(32).toString('hex'),
      CERTPORT_BOOTSTRAP_SECRET_ID: cred.secretId,
      CERTPORT_BOOTSTRAP_SECRET_KEY: cred.secretKey,
      CERTPORT_RATE_LIMIT: String(RATE_LIMIT),
      CERTPORT_LOG_LEVEL: 'warn',
      CERTPORT_DNS_RESOLVERS: dns.dns,
      CERTPORT_VALIDATION_INTERVAL_MS: '500',
    };
    // One after the other: the first creates the schema, the CA and the bootstrap account.
    a = await startNode('a');
    b = await startNode('b');
    db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await db.connect();
    cred.accountUin = (await db.query<{ uin: string }>('select uin from accounts')).rows[0]!.uin;
  });

  after(async () => {
    await stop(a);
    await stop(b);
    await db?.end();
    await dns?.stop();
    await dropPgSchema(PG_URL, schema);
    for (const d of dataDirs) await rm(d, { recursive: true, force: true });
  });

  test('a certificate uploaded on one node is listed, with its key, on the other', async () => {
    const chain = await makeChain('EC', 'shared.scale.test');
    const { CertificateId: id } = await call(() => a.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: 'uploaded on a' }));
    const listed = await call(() => b.client.DescribeCertificates({ SearchKey: 'uploaded on a' }));
    assert.equal(listed.TotalCount, 1);
    assert.equal(listed.Certificates![0]!.CertificateId, id);
    assert.equal(listed.Certificates![0]!.Domain, 'shared.scale.test');
    // The same master key: node b opens the key node a sealed.
    const detail = await call(() => b.client.DescribeCertificateDetail({ CertificateId: id! }));
    assert.equal(detail.CertificatePrivateKey?.trim(), chain.keyPem.trim());
    // And the other way round: a change on b shows on a.
    await call(() => b.client.ModifyCertificateAlias({ CertificateId: id!, Alias: 'renamed on b' }));
    assert.equal((await call(() => a.client.DescribeCertificate({ CertificateId: id! }))).Alias, 'renamed on b');
  });

  test(`the per-action rate limit (${RATE_LIMIT}/s per account) holds across both nodes together`, async (t) => {
    // A fresh account, so no earlier call counts; made with the CLI on the same database.
    const made = await promisify(execFile)(process.execPath, [...CLI_ARGS, 'account', 'create', '--json'],
      { env: { ...process.env, ...env, CERTPORT_DATA_DIR: dataDirs[0]! } });
    const acct = JSON.parse(made.stdout) as { Uin: string; SecretId: string; SecretKey: string };
    const other = { accountUin: acct.Uin, secretId: acct.SecretId, secretKey: acct.SecretKey };
    const clients = [sdkClient(a.port, other), sdkClient(b.port, other)];
    for (let attempt = 1; ; attempt++) {
      // Twice the limit at once, half to each node: one node alone would let them all through.
      const started = Date.now();
      const results = await Promise.allSettled(Array.from({ length: 2 * RATE_LIMIT }, (_, i) => clients[i % 2]!.DescribeCertificates({})));
      const elapsed = Date.now() - started;
      const ok = results.map((r, i) => (r.status === 'fulfilled' ? i % 2 : -1)).filter((x) => x >= 0);
      const refused = results.filter((r) => r.status === 'rejected' && codeOf(r.reason) === 'RequestLimitExceeded').length;
      assert.equal(ok.length + refused, 2 * RATE_LIMIT, JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))));
      // The window is one second from the first request: a burst crossing it may get a second one.
      if (elapsed > 800 && attempt < 3) {
        await sleep(1100);
        continue;
      }
      const split = `${ok.length} of ${2 * RATE_LIMIT} answered (a: ${ok.filter((x) => x === 0).length}, b: ${ok.filter((x) => x === 1).length}) within ${elapsed} ms`;
      assert.equal(ok.length, RATE_LIMIT, split);
      t.diagnostic(split);
      break;
    }
    // A second later both nodes answer again.
    await sleep(1100);
    assert.equal((await clients[1]!.DescribeCertificates({})).TotalCount, 0);
    assert.equal((await clients[0]!.DescribeCertificates({})).TotalCount, 0);
  });

  test('DNS-validated free certificates are issued exactly once although both nodes run jobs', async () => {
    const orders = [];
    for (let i = 0; i < 6; i++) orders.push(await apply(i % 2 ? b : a, `n${i}-${randomBytes(3).toString('hex')}.once.scale.test`));
    for (const o of orders) await dns.setTxt(o.key, o.value);
    const ids = orders.map((o) => o.id);
    await allIssued(b, ids, 60_000);
    for (const [id, n] of await issuedLogEntries(a, ids)) assert.equal(n, 1, `certificate ${id} has ${n} issued entries`);
    await jobsDone(ids);
  });

  test('a node SIGKILLed while working holds leases that run out; the other node finishes every job', { timeout: 180_000 }, async (t) => {
    const orders = [];
    for (let i = 0; i < 8; i++) orders.push(await apply(i % 2 ? b : a, `k${i}-${randomBytes(3).toString('hex')}.kill.scale.test`));
    const ids = orders.map((o) => o.id);
    // Hold the certificates' rows: a job that finds its record published then waits inside
    // its first write, holding its lease, until this transaction ends.
    const blocker = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select id from certificates where id = any($1) for update', [ids]);
      for (const o of orders) await dns.setTxt(o.key, o.value);
      // Wait until node a is mid-work: it holds leases on some of these jobs.
      const ownerA = `node-${a.child.pid}-%`;
      let heldByA = 0;
      for (let i = 0; i < 100 && heldByA === 0; i++) {
        await sleep(100);
        heldByA = Number((await db.query('select count(*) as n from jobs where subject = any($1) and lease_owner like $2 and lease_until > $3',
          [ids, ownerA, Date.now()])).rows[0].n);
      }
      assert.ok(heldByA > 0, `node a never took one of these jobs: ${a.output()}`);
      const leased = (await db.query('select count(*) as n from jobs where subject = any($1) and lease_owner is not null', [ids])).rows[0].n;
      t.diagnostic(`node a holds ${heldByA} of ${leased} leased jobs (${ids.length} orders) when it is killed`);
      await stop(a, 'SIGKILL');
      assert.equal(a.child.signalCode, 'SIGKILL');
      await blocker.query('rollback');
    } finally {
      await blocker.end();
    }
    // Node a's half-done work died with its connections (rolled back); b takes its jobs over
    // once their leases (60 s) run out.
    const killedAt = Date.now();
    await allIssued(b, ids, 120_000);
    t.diagnostic(`node b issued all ${ids.length} ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
    for (const [id, n] of await issuedLogEntries(b, ids)) assert.equal(n, 1, `certificate ${id} has ${n} issued entries`);
    await jobsDone(ids);
    // Node b is fine throughout.
    assert.equal(b.child.exitCode, null);
  });
});

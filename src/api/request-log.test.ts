// What `certport serve` logs at info for signed API calls: one line each (Fastify's own
// "incoming request" / "request completed" lines are switched off for the API route; they cost
// two synchronous writes per call), with the action, outcome and response time, and never the
// credentials. Other routes keep Fastify's lines. The process is stopped by its PID.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CLI_ARGS } from '../testing/cli.js';
import { expectCode, sdkClient, type Cred } from '../testing/harness.js';
import { freePort } from '../testing/net.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let child: ChildProcess;
let dataDir: string;
let port: number;
let out = '';
const cred: Cred = { accountUin: '', secretId: 'AKIDlog' + randomBytes(12).toString('hex'), secretKey: randomBytes(16).toString('hex') };

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'certport-log-'));
  port = await freePort();
  child = spawn(process.execPath, [...CLI_ARGS, 'serve'], {
    env: {
      ...process.env, CERTPORT_DATA_DIR: dataDir, CERTPORT_PORT: String(port), CERTPORT_LOG_LEVEL: 'info',
      CERTPORT_RATE_LIMIT: '0', CERTPORT_AUTH_FAILURE_LIMIT: '0',
      CERTPORT_BOOTSTRAP_SECRET_ID: cred.secretId, CERTPORT_BOOTSTRAP_SECRET_KEY: cred.secretKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`certport exited with ${child.exitCode}: ${out}`);
    if (i > 300) throw new Error(`certport did not become healthy: ${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) break;
    } catch { /* not yet */ }
    await sleep(100);
  }
});

after(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid, 'SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

test('a signed API call logs one line at info: ok with its action, refused with its code; no secret in the log', async () => {
  await sleep(200); // the health probe's own lines (other routes keep Fastify's) land first
  const mark = out.length;
  const client = sdkClient(port, cred);
  await client.DescribeCertificates({ Limit: 5 });
  await expectCode(sdkClient(port, { ...cred, secretKey: 'wrong' + cred.secretKey }).DescribeCertificates({}), 'AuthFailure.SignatureFailure');
  await sleep(200); // pino writes stdout asynchronously
  const lines = out.slice(mark).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const api = lines.filter((l) => (l.req as { url?: string } | undefined)?.url === '/' || l.action !== undefined || l.code !== undefined);
  assert.equal(api.length, 2, JSON.stringify(lines));
  assert.equal(api[0]!.msg, 'ok');
  assert.equal(api[0]!.action, 'DescribeCertificates');
  assert.equal(typeof api[0]!.responseTime, 'number');
  assert.equal(api[1]!.msg, 'refused');
  assert.equal(api[1]!.code, 'AuthFailure.SignatureFailure');
  assert.ok(!lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed'), JSON.stringify(lines));
  assert.ok(!out.includes(cred.secretKey));
});

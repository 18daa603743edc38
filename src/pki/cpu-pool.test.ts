import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { Fault } from '../domain/errors.js';
import { costChain, encryptedKeyDer, type CostChain } from '../testing/cost-fixtures.js';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { CpuPool, inlineCpu, type CpuRunner } from './cpu-pool.js';
import { UPLOAD_LIMITS } from './limits.js';
import { toPem } from './pem.js';

let worst: CostChain;
let rsa: TestChain;
before(async () => {
  worst = costChain({ cas: UPLOAD_LIMITS.chainCertificates - 1, sans: UPLOAD_LIMITS.subjectAltNames });
  rsa = await makeChain('RSA', 'pool.example.com');
});

/** The longest the calling thread's event loop waited while `n` worst-case uploads were read through `cpu`. */
async function stallWhileReading(cpu: CpuRunner, n: number): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  await new Promise((r) => setTimeout(r, 20));
  await Promise.all(Array.from({ length: n }, () => cpu.run('readUpload', { publicKey: worst.pems.join(''), privateKey: worst.keyPem })));
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  return h.max / 1e6;
}

describe('CpuPool', () => {
  let pool: CpuPool;
  before(() => {
    pool = new CpuPool({ size: 1 });
    pool.warm();
  });
  after(() => pool.close());

  test('work runs on a worker thread: the calling thread keeps answering', async () => {
    await pool.run('readUpload', { publicKey: worst.pems.join('') }); // the worker has loaded its modules
    const inline = await stallWhileReading(inlineCpu, 10);
    const pooled = await stallWhileReading(pool, 10);
    assert.ok(pooled < inline / 3, `longest stall: ${pooled.toFixed(0)} ms through the pool, ${inline.toFixed(0)} ms inline`);
    assert.ok(pooled < 150, `longest stall through the pool: ${pooled.toFixed(0)} ms`);
  });

  test('results come back as they are made: plain data, Buffers as Buffers', async () => {
    const r = await pool.run('readUpload', { publicKey: worst.pems.join(''), privateKey: worst.keyPem });
    assert.deepEqual(r, await inlineCpu.run('readUpload', { publicKey: worst.pems.join(''), privateKey: worst.keyPem }).then((x) => ({ ...x, key: { ...x.key!, pkcs8Pem: r.key!.pkcs8Pem } })));
    const zip = await pool.run('downloadZip', { certPem: rsa.leafPem + rsa.intermediatePem + rsa.rootPem, issuerRootPem: null, domain: '', fallbackName: 'x', keyPem: rsa.keyPem, password: 'pw' });
    assert.ok(Buffer.isBuffer(zip.zip) && zip.zip.subarray(0, 2).toString() === 'PK');
    assert.ok(zip.files.includes('pool.example.com_iis/pool.example.com.pfx'), 'the leaf CN names the files');
  });

  test('a Fault on a worker arrives as a Fault of its kind; other errors as Errors', async () => {
    await assert.rejects(pool.run('readUpload', { publicKey: 'not PEM' }), (e) => e instanceof Fault && e.kind === 'unparsable');
    await assert.rejects(pool.run('readUpload', { publicKey: costChain({ cas: UPLOAD_LIMITS.chainCertificates }).pems.join('') }),
      (e) => e instanceof Fault && e.kind === 'invalidValue');
    await assert.rejects(pool.run('downloadZip', { certPem: rsa.leafPem, issuerRootPem: null, domain: 'x', fallbackName: 'x', keyPem: 'garbage', password: 'pw' }),
      (e) => e instanceof Error && !(e instanceof Fault));
    assert.equal((await pool.run('leafFingerprint', rsa.leafPem)).length, 40, 'the worker still serves');
  });

  test('keys take turns: one account queueing many tasks does not go ahead of another', async () => {
    const done: string[] = [];
    const task = (key: string, n: number) => pool.run('readUpload', { publicKey: worst.pems.join('') }, key).then(() => { done.push(`${key}${n}`); });
    const all = [1, 2, 3, 4, 5, 6].map((n) => task('a', n));
    all.push(task('b', 1));
    await Promise.all(all);
    assert.ok(done.indexOf('b1') < done.indexOf('a5'), `order: ${done.join(' ')}`);
    assert.equal(pool.waiting, 0);
  });

  test('a task over its time limit fails, and a new worker takes the next one', async () => {
    const quick = new CpuPool({ size: 1, taskTimeoutMs: 150 });
    try {
      // The key derivation runs its 1,000,000 rounds (the limit) before the decryption fails: ~0.2-0.7 s.
      const slowKey = toPem('ENCRYPTED PRIVATE KEY', encryptedKeyDer({ rounds: UPLOAD_LIMITS.keyDerivationRounds }));
      await assert.rejects(quick.run('readUpload', { publicKey: rsa.leafPem, privateKey: slowKey, keyPassword: 'pw' }), /ran over 150 ms/);
      // A fresh worker takes the next task. On a loaded machine a fresh worker's first task can
      // itself miss 150 ms (and is replaced in turn): a few tries, one of which must succeed.
      let fingerprint: string | null = null;
      for (let i = 0; i < 4 && fingerprint === null; i++) {
        fingerprint = await quick.run('leafFingerprint', rsa.leafPem).catch((e: Error) => {
          assert.match(e.message, /ran over 150 ms/);
          return null;
        });
      }
      assert.equal(fingerprint?.length, 40);
    } finally {
      await quick.close();
    }
  });

  test('closing fails what waits; size 0 runs on the calling thread', async () => {
    const p = new CpuPool({ size: 1 });
    const waiting = Promise.allSettled([1, 2, 3].map(() => p.run('readUpload', { publicKey: worst.pems.join('') })));
    await p.close();
    for (const w of await waiting) assert.match(w.status === 'rejected' ? String(w.reason) : 'fulfilled', /closed/);
    await assert.rejects(p.run('leafFingerprint', rsa.leafPem), /closed/);
    const inline = new CpuPool({ size: 0 });
    assert.equal((await inline.run('leafFingerprint', rsa.leafPem)).length, 40);
  });
});

// SQLite shared by several processes (OpenOptions.sharedFile, CERTPORT_PROCESSES > 1): a
// transaction that reads, then writes after another connection committed, still commits. A
// deferred BEGIN failed it with SQLITE_BUSY_SNAPSHOT; BEGIN IMMEDIATE makes the other writer
// wait for it instead. The other writer is a worker thread with its own connection.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { openDb, sql } from './db.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SQLite sharedFile: a read-then-write transaction commits while another connection writes', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'certport-shared-'));
  const file = path.join(dir, 'shared.db');
  const db = openDb(`sqlite:${file}`, { sharedFile: true });
  try {
    await sql`create table counter (n integer not null)`.execute(db.kysely);
    await sql`insert into counter values (0)`.execute(db.kysely);
    const started = await db.kysely.transaction().execute(async (tx) => {
      const before = (await sql<{ n: number }>`select n from counter`.execute(tx)).rows[0]!.n;
      // Another connection writes now (it waits for this transaction with IMMEDIATE).
      const worker = new Worker(`
        const { workerData, parentPort } = require('node:worker_threads');
        const SQLite = require(workerData.lib);
        const db = new SQLite(workerData.file);
        db.pragma('busy_timeout = 5000');
        parentPort.postMessage('writing');
        db.prepare('update counter set n = n + 100').run();
        db.close();`, { eval: true, workerData: { file, lib: createRequire(import.meta.url).resolve('better-sqlite3') } });
      const done = new Promise<void>((ok, fail) => worker.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`worker exited ${code}`)))));
      await new Promise((ok) => worker.once('message', ok));
      await sleep(200);
      await sql`update counter set n = ${before + 1}`.execute(tx);
      return { done };
    });
    await started.done;
    assert.equal((await sql<{ n: number }>`select n from counter`.execute(db.kysely)).rows[0]!.n, 101);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
});

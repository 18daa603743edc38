// The job store's settle on both backends: a job enqueued again while it runs (a renewal noticed
// during a hosting step, a "run now") is not pushed back by the run's own outcome; it stays
// pending at the time that enqueue asked for, while a plain settle still does what it says.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPgSchema, dropPgSchema } from './db.js';
import { openStores, type Stores } from './open.js';
import { BACKENDS, PG_URL } from '../testing/harness.js';

for (const backend of BACKENDS) {
  describe(`job store: settle after an enqueue during the run (${backend})`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'certport-jobs-'));
    const schema = 't_' + randomBytes(6).toString('hex');
    let stores: Stores;
    before(async () => {
      if (backend === 'postgres') await createPgSchema(PG_URL, schema);
      stores = backend === 'postgres' ? await openStores(PG_URL, { schema, poolSize: 2 }) : await openStores(`sqlite:${path.join(dir, 'jobs.db')}`);
    });
    after(async () => {
      await stores.close();
      if (backend === 'postgres') await dropPgSchema(PG_URL, schema);
      rmSync(dir, { recursive: true, force: true });
    });

    const now = 5_000_000;
    for (const outcome of [{ state: 'done' }, { state: 'failed' }, { state: 'pending', runAt: now + 900_000, error: 'later' }] as const) {
      test(`enqueued while running, then settled ${outcome.state}: pending at the enqueue's time, lease free`, async () => {
        const subject = `c-${outcome.state}`;
        await stores.jobs.enqueueJob({ kind: 'step', subject, runAt: now }, now);
        assert.equal(await stores.jobs.claimJob('step', subject, 'node-a', now, 60_000), true);
        await stores.jobs.enqueueJob({ kind: 'step', subject, runAt: now + 10 }, now + 10);
        assert.equal(await stores.jobs.settleJob('step', subject, 'node-a', now + 20, outcome), true);
        const j = await stores.jobs.getJob('step', subject);
        assert.deepEqual([j!.state, j!.runAt, j!.leaseOwner, j!.lastError], ['pending', now + 10, null, null]);
        assert.deepEqual((await stores.jobs.dueJobs(now + 30, 10)).map((d) => d.subject).filter((s) => s === subject), [subject], 'due again at once');
        // The next run, not woken, settles as it says.
        assert.equal(await stores.jobs.claimJob('step', subject, 'node-a', now + 30, 60_000), true);
        assert.equal(await stores.jobs.settleJob('step', subject, 'node-a', now + 40, outcome), true);
        const k = await stores.jobs.getJob('step', subject);
        assert.equal(k!.state, outcome.state);
        if (outcome.state === 'pending') assert.deepEqual([k!.runAt, k!.lastError], [outcome.runAt, outcome.error]);
      });
    }
  });
}

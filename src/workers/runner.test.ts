// The job runner on a real (SQLite) job store: a job whose lease runs out while its handler is
// still working (the clock stepped forward, or a long stall) is not started a second time beside
// itself on the same node; it runs again only after the first run has settled.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openStores } from '../store/open.js';
import { JobRunner } from './runner.js';

describe('JobRunner', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'certport-runner-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a job whose lease ran out under its handler is not started beside itself', async () => {
    const stores = await openStores(`sqlite:${path.join(dir, 'jobs.db')}`);
    let now = 1_000_000;
    const runner = new JobRunner({ store: stores.jobs, clock: () => now, pollMs: 10, leaseMs: 60_000 });
    let inside = 0;
    let most = 0;
    let runs = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    try {
      await stores.jobs.enqueueJob({ kind: 'step', subject: 'c1', runAt: now }, now);
      runner.start({
        step: async () => {
          runs++;
          inside++;
          most = Math.max(most, inside);
          if (runs === 1) {
            // The clock jumps a day while the first run works: its lease is now long past.
            now += 86_400_000;
            await stores.jobs.enqueueJob({ kind: 'step', subject: 'c1', runAt: now }, now);
            runner.kick();
            await held;
          }
          inside--;
          return runs === 1 ? now : null;
        },
      });
      // Many polls happen while the first run is held.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(runs, 1, 'no second run while the first one works');
      release();
      for (let i = 0; i < 100 && runs < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(runs, 2, 'the job runs again once the first run has settled');
      assert.equal(most, 1);
    } finally {
      release();
      await runner.stop();
      await stores.close();
    }
  });
});

// JobStore in memory, with the same upsert semantics as store/jobs.ts.
import type { JobRecord, NewJob } from '../../domain/job.js';
import type { JobStore } from '../../domain/stores.js';
import { copy, type MemoryDb } from './memory.js';

const keyOf = (kind: string, subject: string) => `${kind}\n${subject}`;

const newJob = (j: NewJob): JobRecord => ({
  kind: j.kind, subject: j.subject, state: 'pending', runAt: j.runAt, attempts: 0, leaseOwner: null, leaseUntil: 0, lastError: null,
  payload: j.payload ?? null,
});

/** Creates the job, or makes an existing one pending again at runAt, tries and error reset (its lease is left alone). */
export function upsertJob(db: MemoryDb, j: NewJob): void {
  const cur = db.jobs.get(keyOf(j.kind, j.subject));
  if (!cur) db.jobs.set(keyOf(j.kind, j.subject), newJob(j));
  else Object.assign(cur, { state: 'pending', runAt: j.runAt, attempts: 0, payload: j.payload ?? null, lastError: null });
}

export class FakeJobStore implements JobStore {
  constructor(private readonly db: MemoryDb) {}

  async enqueueJob(j: NewJob) {
    this.db.write(() => upsertJob(this.db, j));
  }

  async ensureJob(j: NewJob) {
    this.db.write(() => {
      const cur = this.db.jobs.get(keyOf(j.kind, j.subject));
      if (!cur) this.db.jobs.set(keyOf(j.kind, j.subject), newJob(j));
      else if (cur.state !== 'pending') Object.assign(cur, { state: 'pending', runAt: j.runAt });
    });
  }

  async dueJobs(now: number, limit: number) {
    return [...this.db.jobs.values()].filter((j) => j.state === 'pending' && j.runAt <= now && j.leaseUntil < now)
      .sort((a, b) => a.runAt - b.runAt).slice(0, limit).map(copy);
  }

  async claimJob(kind: string, subject: string, owner: string, now: number, leaseMs: number) {
    const j = this.db.jobs.get(keyOf(kind, subject));
    if (!j || j.state !== 'pending' || j.leaseUntil >= now) return false;
    this.db.write(() => Object.assign(j, { leaseOwner: owner, leaseUntil: now + leaseMs, attempts: j.attempts + 1 }));
    return true;
  }

  async settleJob(kind: string, subject: string, owner: string, _now: number,
    outcome: { state: 'done' | 'failed' } | { state: 'pending'; runAt: number; error?: string }) {
    const j = this.db.jobs.get(keyOf(kind, subject));
    if (!j || j.leaseOwner !== owner) return false;
    // Enqueued again while it ran (attempts reset to 0): pending at that enqueue's time (as store/jobs.ts).
    const woken = j.attempts === 0;
    this.db.write(() => Object.assign(j, {
      state: woken ? 'pending' : outcome.state, leaseOwner: null, leaseUntil: 0,
      ...(outcome.state === 'pending' && !woken ? { runAt: outcome.runAt, lastError: outcome.error ?? null } : {}),
    }));
    return true;
  }

  async getJob(kind: string, subject: string) {
    const j = this.db.jobs.get(keyOf(kind, subject));
    return j ? copy(j) : null;
  }
}

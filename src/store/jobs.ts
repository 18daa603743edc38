// Durable jobs: the `jobs` table, one row per (kind, subject). upsertJob is THE way a job is
// enqueued: every store that enqueues work with a write of its own calls it in its transaction.
import { sql, type Kysely } from 'kysely';
import type { Database, JobRow } from './schema.js';
import type { JobRecord, NewJob } from '../domain/job.js';
import type { JobStore } from '../domain/stores.js';
import type { Q } from './db.js';

const jobRecord = (r: JobRow): JobRecord => ({
  kind: r.kind,
  subject: r.subject,
  state: r.state as JobRecord['state'],
  runAt: Number(r.run_at),
  attempts: r.attempts,
  leaseOwner: r.lease_owner,
  leaseUntil: Number(r.lease_until),
  lastError: r.last_error,
  payload: r.payload,
});

/** A new job's row: pending at runAt, never tried, no lease. */
const newJobRow = (j: NewJob, now: number): JobRow => ({
  kind: j.kind, subject: j.subject, state: 'pending', run_at: j.runAt, attempts: 0, lease_owner: null, lease_until: 0,
  last_error: null, payload: j.payload ?? null, created_at: now, updated_at: now,
});

/** Creates the job, or makes an existing one (kind, subject) pending again at runAt (inside the caller's transaction). */
export async function upsertJob(q: Q, j: NewJob, now: number): Promise<void> {
  await q.insertInto('jobs').values(newJobRow(j, now)).onConflict((oc) => oc.columns(['kind', 'subject']).doUpdateSet({
    state: 'pending', run_at: j.runAt, attempts: 0, payload: j.payload ?? null, last_error: null, updated_at: now,
  })).execute();
}

export class SqlJobStore implements JobStore {
  constructor(private readonly db: Kysely<Database>) {}

  async enqueueJob(j: NewJob, now: number) {
    await upsertJob(this.db, j, now);
  }

  async ensureJob(j: NewJob, now: number) {
    await this.db.insertInto('jobs').values(newJobRow(j, now))
      .onConflict((oc) => oc.columns(['kind', 'subject']).doUpdateSet({ state: 'pending', run_at: j.runAt, updated_at: now })
        .where('jobs.state', '<>', 'pending')).execute();
  }

  async dueJobs(now: number, limit: number) {
    const rows = await this.db.selectFrom('jobs').selectAll()
      .where('state', '=', 'pending').where('run_at', '<=', now).where('lease_until', '<', now)
      .orderBy('run_at').limit(limit).execute();
    return rows.map(jobRecord);
  }

  async claimJob(kind: string, subject: string, owner: string, now: number, leaseMs: number) {
    const r = await this.db.updateTable('jobs')
      .set((eb) => ({ lease_owner: owner, lease_until: now + leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('kind', '=', kind).where('subject', '=', subject)
      .where('state', '=', 'pending').where('lease_until', '<', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async settleJob(kind: string, subject: string, owner: string, now: number,
    outcome: { state: 'done' | 'failed' } | { state: 'pending'; runAt: number; error?: string }) {
    // attempts = 0 under a lease: the job was enqueued again while it ran (upsertJob resets the
    // tries; claimJob made them >= 1), so it stays pending at the time that enqueue asked for.
    const woken = sql<boolean>`attempts = 0`;
    const r = await this.db.updateTable('jobs')
      .set({
        state: sql`case when ${woken} then 'pending' else ${outcome.state} end`, lease_owner: null, lease_until: 0, updated_at: now,
        ...(outcome.state === 'pending' ? {
          run_at: sql`case when ${woken} then run_at else ${outcome.runAt} end`,
          last_error: sql`case when ${woken} then last_error else ${outcome.error ?? null} end`,
        } : {}),
      })
      .where('kind', '=', kind).where('subject', '=', subject).where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async getJob(kind: string, subject: string) {
    const r = await this.db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('subject', '=', subject).executeTakeFirst();
    return r ? jobRecord(r) : null;
  }
}

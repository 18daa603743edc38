// The job runner: every node runs one. It polls the jobs table for due work, takes a lease on
// each job with a compare-and-set (so on a shared PostgreSQL only one node works a job at a
// time), runs the handler for its kind, and settles the job: done, or pending again later.
// A node that dies mid-job leaves a lease that simply runs out; another node then takes over.
import { randomBytes } from 'node:crypto';
import type { JobStore } from '../domain/stores.js';
import type { JobHandler, JobRecord } from '../domain/job.js';
import type { Log } from '../domain/log.js';

export interface JobRunnerOptions {
  store: JobStore;
  clock: () => number;
  /** Pause between polls when nothing is due; default 1000 ms. */
  pollMs?: number;
  /** How long a taken job stays ours without renewal; default 60 s. */
  leaseMs?: number;
  /** Jobs run at once by this node; default 4. */
  concurrency?: number;
  /** Retry delay after a handler throws, by attempt; default 5 s doubling to 10 min. */
  retryDelay?: (attempt: number) => number;
  log?: Log;
}

export class JobRunner {
  readonly owner = `node-${process.pid}-${randomBytes(4).toString('hex')}`;
  #timer: NodeJS.Timeout | null = null;
  #running = new Set<Promise<void>>();
  /** kind + subject of the jobs this node is working: a lease can run out under a handler (a
   * clock stepped forward, a long stall), and the same job must not then start beside itself. */
  #working = new Set<string>();
  #stopped = true;
  #polling: Promise<void> | null = null;
  #again = false;
  #handlers: Readonly<Record<string, JobHandler>> = {};

  /** Built before the services, so that they can wake it (`kick`); it gets their handlers when it starts. */
  constructor(private readonly o: JobRunnerOptions) {
    this.kick = this.kick.bind(this);
  }

  /** Works jobs of the kinds in `handlers` until stop(). */
  start(handlers: Readonly<Record<string, JobHandler>>): void {
    if (!this.#stopped) return;
    this.#handlers = handlers;
    this.#stopped = false;
    this.kick();
  }

  /** Poll now (a job was just enqueued on this node). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#polling) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#startPoll(), 0);
  }

  #startPoll(): void {
    this.#timer = null;
    if (this.#stopped || this.#polling) return;
    this.#polling = this.#poll().finally(() => {
      this.#polling = null;
      if (!this.#stopped && !this.#timer) this.#timer = setTimeout(() => this.#startPoll(), this.o.pollMs ?? 1000);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // A poll in flight may still take a job; wait for it, then for every job it started.
    await this.#polling;
    await Promise.allSettled([...this.#running]);
  }

  async #poll(): Promise<void> {
    try {
      do {
        this.#again = false;
        const free = (this.o.concurrency ?? 4) - this.#running.size;
        if (free <= 0) break;
        const due = await this.o.store.dueJobs(this.o.clock(), free * 2);
        for (const job of due) {
          if (this.#stopped || this.#running.size >= (this.o.concurrency ?? 4)) break;
          const key = `${job.kind}\0${job.subject}`;
          if (this.#working.has(key)) continue;
          if (!(await this.o.store.claimJob(job.kind, job.subject, this.owner, this.o.clock(), this.o.leaseMs ?? 60_000))) continue;
          this.#working.add(key);
          const p = this.#run({ ...job, attempts: job.attempts + 1 }).finally(() => {
            this.#working.delete(key);
            this.#running.delete(p);
            this.kick();
          });
          this.#running.add(p);
        }
      } while (this.#again && !this.#stopped);
    } catch (e) {
      this.o.log?.warn({ err: e }, 'job poll failed');
    }
  }

  async #run(job: JobRecord): Promise<void> {
    const handler = Object.hasOwn(this.#handlers, job.kind) ? this.#handlers[job.kind] : undefined;
    const { store, clock } = this.o;
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      const next = await handler(job);
      await store.settleJob(job.kind, job.subject, this.owner, clock(), next === null ? { state: 'done' } : { state: 'pending', runAt: next });
    } catch (e) {
      // Never dropped: handlers own their deadlines (a DV order fails when its time is up), so
      // an error here is retried with backoff and logged, not given up on.
      const message = (e as Error)?.message ?? String(e);
      this.o.log?.warn({ kind: job.kind, subject: job.subject, attempt: job.attempts, error: message }, 'job failed; will retry');
      const delay = (this.o.retryDelay ?? ((n) => Math.min(600_000, 5000 * 2 ** Math.min(n - 1, 10))))(job.attempts);
      await store.settleJob(job.kind, job.subject, this.owner, clock(), { state: 'pending', runAt: clock() + delay, error: message })
        .catch((err) => this.o.log?.error({ err, kind: job.kind, subject: job.subject }, 'could not reschedule a failed job'));
    }
  }
}

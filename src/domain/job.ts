// Durable background work: one job per (kind, subject) for the whole cluster.
export interface JobRecord {
  kind: string;
  subject: string;
  state: 'pending' | 'done' | 'failed';
  runAt: number;
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: number;
  lastError: string | null;
  payload: string | null;
}

export interface NewJob { kind: string; subject: string; runAt: number; payload?: string | null }

/** What a handler returns: null when the job is finished, or when to run it again. */
export type JobHandler = (job: JobRecord) => Promise<number | null>;

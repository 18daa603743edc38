// CPU-heavy pki work off the request thread (issue 22): a pool of worker threads, sized to the
// cores, that runs the tasks of ./cpu-tasks.ts (parsing uploads, PKCS#12 / JKS / ZIP packaging).
// While a worker parses or packages, the request thread keeps answering (/healthz, every other
// account). Tasks queue per key (the account) and are taken round-robin between keys, so one
// account sending many costly requests waits behind its own, not in front of everyone else's.
// RSA key generation needs no worker: node:crypto's async generateKeyPair already runs on
// libuv's thread pool (pki/keys.ts generateKeyPairAsync).
//
// This file is also the workers' entry point: a worker started with `certportCpuPool` in its
// workerData serves tasks instead.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Fault, isFault, type FaultKind } from '../domain/errors.js';
import type { CpuTask, TaskInput, TaskOutput } from './cpu-tasks.js';

/** What services take: run a task of ./cpu-tasks.ts, queued under `key` (the account). */
export interface CpuRunner {
  run<K extends CpuTask>(task: K, input: TaskInput<K>, key?: string): Promise<TaskOutput<K>>;
}

// The tasks' modules (x509, PKCS#12, JKS, ZIP) load on first use: a CLI command that never parses
// a certificate does not pay for them.
const call = async <K extends CpuTask>(task: K, input: TaskInput<K>) =>
  ((await import('./cpu-tasks.js')).CPU_TASKS[task] as (i: TaskInput<K>) => TaskOutput<K> | Promise<TaskOutput<K>>)(input);

/** Runs tasks on the calling thread: for services built by hand in tests and tools. */
export const inlineCpu: CpuRunner = {
  async run<K extends CpuTask>(task: K, input: TaskInput<K>): Promise<TaskOutput<K>> {
    return call(task, input);
  },
};

export interface CpuPoolOptions {
  /** Worker threads; 0 runs every task on the calling thread. */
  size: number;
  /** A task running longer has its worker stopped and fails (a defence; the limits keep tasks to milliseconds). */
  taskTimeoutMs?: number;
  /** Each worker's old-generation heap, MiB. */
  heapMb?: number;
}

interface Job {
  task: CpuTask;
  input: unknown;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  /** It has loaded its modules and takes tasks (a task's time limit never counts the start). */
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

type Reply = { ready: true } | { ok: true; value: unknown } | { ok: false; fault?: { kind: FaultKind; message: string }; error?: string };

/** Buffers arrive from a worker as plain Uint8Arrays: give the top-level ones back their Buffer face. */
function revive(v: unknown): unknown {
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x instanceof Uint8Array && !Buffer.isBuffer(x)) (v as Record<string, unknown>)[k] = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    }
  }
  return v;
}

export class CpuPool implements CpuRunner {
  readonly size: number;
  readonly #timeoutMs: number;
  readonly #heapMb: number;
  readonly #slots: Slot[] = [];
  /** Waiting jobs by key, keys in the order they are served next (a Map keeps insertion order). */
  readonly #queues = new Map<string, Job[]>();
  #waiting = 0;
  #closed = false;

  constructor(opts: CpuPoolOptions) {
    this.size = Math.max(0, Math.floor(opts.size));
    this.#timeoutMs = opts.taskTimeoutMs ?? 60_000;
    this.#heapMb = opts.heapMb ?? 256;
  }

  /** Tasks waiting for a worker (for tests and metrics). */
  get waiting(): number {
    return this.#waiting;
  }

  run<K extends CpuTask>(task: K, input: TaskInput<K>, key = ''): Promise<TaskOutput<K>> {
    if (this.#closed) return Promise.reject(new Error('the CPU pool is closed'));
    if (this.size === 0) return inlineCpu.run(task, input);
    return new Promise<TaskOutput<K>>((resolve, reject) => {
      const queue = this.#queues.get(key);
      const job: Job = { task, input, resolve: resolve as (v: unknown) => void, reject };
      if (queue) queue.push(job);
      else this.#queues.set(key, [job]);
      this.#waiting++;
      this.#pump();
    });
  }

  /** Starts every worker now (a server, before it takes requests), rather than on first use. */
  warm(): void {
    while (!this.#closed && this.#slots.length < this.size) this.#spawn();
  }

  /** Stops the workers; waiting and running tasks fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new Error('the CPU pool is closed');
    for (const jobs of this.#queues.values()) for (const j of jobs) j.reject(closed);
    this.#queues.clear();
    this.#waiting = 0;
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      if (s.timer) clearTimeout(s.timer);
      s.job?.reject(closed);
      s.job = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** The next job: the first key's first job; that key then goes to the back (round-robin). */
  #take(): Job | undefined {
    const next = this.#queues.entries().next();
    if (next.done) return undefined;
    const [key, jobs] = next.value;
    const job = jobs.shift();
    this.#queues.delete(key);
    if (jobs.length) this.#queues.set(key, jobs);
    this.#waiting--;
    return job;
  }

  #pump(): void {
    if (this.#closed) return;
    for (const slot of this.#slots) {
      if (this.#waiting === 0) return;
      if (slot.ready && !slot.job) this.#start(slot, this.#take()!);
    }
    // Workers for what still waits beyond those starting, up to the size.
    let starting = this.#slots.filter((s) => !s.ready).length;
    for (; this.#waiting > starting && this.#slots.length < this.size; starting++) this.#spawn();
  }

  #spawn(): Slot {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { certportCpuPool: true },
      resourceLimits: { maxOldGenerationSizeMb: this.#heapMb },
    });
    // An idle worker never keeps the process alive (the CLI exits when its work is done).
    worker.unref();
    const slot: Slot = { worker, ready: false, job: null, timer: null };
    worker.on('message', (m: Reply) => this.#settle(slot, m));
    worker.on('error', (e) => this.#lose(slot, e));
    worker.on('exit', (code) => this.#lose(slot, new Error(`a CPU worker stopped (exit code ${code})`)));
    this.#slots.push(slot);
    return slot;
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      this.#lose(slot, new Error(`CPU task ${job.task} ran over ${this.#timeoutMs} ms`));
      void slot.worker.terminate();
    }, this.#timeoutMs);
    slot.worker.postMessage({ task: job.task, input: job.input });
  }

  #settle(slot: Slot, m: Reply): void {
    if ('ready' in m) {
      slot.ready = true;
      this.#pump();
      return;
    }
    const job = slot.job;
    if (!job) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = null;
    slot.timer = null;
    slot.worker.unref();
    if (m.ok) job.resolve(revive(m.value));
    else job.reject(m.fault ? new Fault(m.fault.kind, m.fault.message) : new Error(m.error ?? 'CPU task failed'));
    this.#pump();
  }

  /** A worker died (crashed, ran out of heap, timed out): its task fails, a new worker takes the queue. */
  #lose(slot: Slot, e: Error): void {
    const i = this.#slots.indexOf(slot);
    if (i < 0) return;
    this.#slots.splice(i, 1);
    if (slot.timer) clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = null;
    job?.reject(e);
    if (slot.ready) {
      this.#pump();
      return;
    }
    // It died starting: so would the next one. What waits fails now rather than never.
    for (const jobs of this.#queues.values()) for (const j of jobs) j.reject(e);
    this.#queues.clear();
    this.#waiting = 0;
  }
}

async function serve(): Promise<void> {
  const { prepareWorker } = await import('./cpu-tasks.js');
  parentPort!.on('message', async ({ task, input }: { task: CpuTask; input: never }) => {
    let reply: Reply;
    try {
      reply = { ok: true, value: await call(task, input) };
    } catch (e) {
      reply = isFault(e) ? { ok: false, fault: { kind: e.kind, message: e.message } } : { ok: false, error: (e as Error)?.message ?? String(e) };
    }
    try {
      parentPort!.postMessage(reply);
    } catch (e) {
      parentPort!.postMessage({ ok: false, error: `the result of ${task} cannot be sent back: ${(e as Error).message}` } satisfies Reply);
    }
  });
  // Every module is loaded by now (awaited above).
  parentPort!.postMessage({ ready: true } satisfies Reply);
  prepareWorker();
}

if (!isMainThread && (workerData as { certportCpuPool?: boolean } | null)?.certportCpuPool) void serve();

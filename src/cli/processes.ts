// `certport serve` as several processes sharing its ports (CERTPORT_PROCESSES, node:cluster):
// one process answers on one core; a listing request is ~0.7 ms of CPU on SQLite, so a busy
// node needs more cores to answer more (issue 27). Each process is a node of a cluster on the
// same database: what a node shares through the database (jobs, the page cache's change token,
// ACME nonces, see OpenOptions.sharedFile) works the same; what a node keeps in memory (rate
// limits, replayed signatures) is shared only through Redis, as between nodes.
import cluster, { type Worker } from 'node:cluster';

/** Tells the primary that this process answers (sent once startService has resolved). */
export const READY = 'certport-ready';

/**
 * The primary: starts the first process, and the others once it answers, so that migrations,
 * the master key and the first account are made once; background jobs run in the first only
 * (CERTPORT_WORKERS=0 in the others: one process's runner is enough, and the others' polling
 * would only add writers). A process that dies is started again; SIGTERM/SIGINT stop them all.
 */
export async function servePrimary(processes: number, log: (msg: string) => void): Promise<void> {
  let stopping = false;
  const start = (env: Record<string, string>) => new Promise<Worker>((ok, fail) => {
    const w = cluster.fork(env);
    const onMessage = (m: unknown) => {
      if (m === READY) {
        w.off('exit', onEarlyExit);
        ok(w);
      }
    };
    const onEarlyExit = (code: number | null) => fail(new Error(`certport serve process exited with ${code} before it answered`));
    w.on('message', onMessage);
    w.once('exit', onEarlyExit);
    w.once('exit', (code, signal) => {
      if (stopping) return;
      log(`certport serve process ${w.process.pid} exited (${signal ?? code}); starting another`);
      setTimeout(() => { if (!stopping) start(env).catch((e: Error) => log(e.message)); }, 1000).unref();
    });
  });
  const first = {};
  await start(first);
  const rest = { CERTPORT_WORKERS: '0' };
  await Promise.all(Array.from({ length: processes - 1 }, () => start(rest)));
  log(`certport serve: ${processes} processes`);
  const stop = () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.process.exitCode === null);
    if (workers.length === 0) process.exit(0);
    let left = workers.length;
    for (const w of workers) {
      w.process.once('exit', () => --left === 0 && process.exit(0));
      w.process.kill('SIGTERM');
    }
    setTimeout(() => {
      for (const w of workers) if (w.process.exitCode === null) w.process.kill('SIGKILL');
    }, 15_000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export const isProcessOfMany = () => cluster.isWorker;

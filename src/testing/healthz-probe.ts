// Times GET /healthz from a worker thread while a test or benchmark loads the server: the
// probe's own event loop is not the server's, so a server stalled by CPU work shows as a late
// answer even when the server runs in the same process. A probe is due every `intervalMs` and
// goes out then, answered or not the one before (an open loop, as wrk2 measures): a stall
// counts once for every probe it held back, and a slow answer never delays the next probe.
import http from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

export interface ProbeReport {
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Answers other than 200. */
  failures: number;
}

export interface HealthzProbe {
  stop(): Promise<ProbeReport>;
}

export const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export function startHealthzProbe(port: number, intervalMs = 20): HealthzProbe {
  const worker = new Worker(new URL(import.meta.url), { workerData: { healthzProbe: { port, intervalMs } } });
  const done = new Promise<ProbeReport>((resolve, reject) => {
    worker.once('message', (r: ProbeReport) => resolve(r));
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await done;
      await worker.terminate();
      return r;
    },
  };
}

async function probe(port: number, intervalMs: number): Promise<void> {
  // Open loop: a probe goes out when it is due whether or not the last one has been answered
  // (each on its own keep-alive socket when needed), so one slow answer never delays the next.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let stopping = false;
  parentPort!.on('message', () => { stopping = true; });
  const lat: number[] = [];
  let failures = 0;
  const get = (due: number) => new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
      res.resume();
      res.on('end', () => {
        lat.push(performance.now() - due);
        if (res.statusCode !== 200) failures++;
        resolve();
      });
    });
    req.on('error', () => {
      lat.push(performance.now() - due);
      failures++;
      resolve();
    });
  });
  const pending: Promise<void>[] = [];
  let due = performance.now();
  while (!stopping) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(get(due));
    due += intervalMs;
  }
  await Promise.all(pending);
  agent.destroy();
  lat.sort((a, b) => a - b);
  parentPort!.postMessage({ count: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? 0, failures } satisfies ProbeReport);
}

const job = !isMainThread ? (workerData as { healthzProbe?: { port: number; intervalMs: number } } | null)?.healthzProbe : undefined;
if (job) await probe(job.port, job.intervalMs);

// SQLite listings on a thread of their own (issue 27). A varied DescribeCertificates on SQLite
// spent ~85 µs of the request thread's ~330 in SQLite and in building its statements (the
// change token, the read transaction, the page by kept rowids, its side facts): the one thread
// that also parses, authenticates, presents and writes every request. A reader thread with a
// connection of its own to the same file reads pages as the request thread did
// (listCertificatesNow, its own kept positions) and hands back the page as JSON text (~15 µs of
// the request thread to post and parse), so that SQLite works on the second core meanwhile.
// Its connection is read-only (query_only) and sees what was committed when each listing's read
// transaction began, as any other connection to the file (a process's own write is committed
// before its answer is sent). Pages with their material (PEM, sealed keys) stay on the request
// thread. Should the thread fail, listings go back to the request thread.
//
// This file is also the thread's entry point (started with `certportListingReader` in workerData).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CompiledQuery } from 'kysely';
import type { CertificateQuery } from '../../domain/certificate.js';
import type { Listed } from './plan.js';

interface Ask { id: number; q: CertificateQuery }
type Answer = { id: number; json: string } | { id: number; error: string };

export class ListingReader {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (l: Listed | null) => void }>();
  #next = 0;
  #failed = false;

  /** `url`: sqlite:<file> (not :memory:, which another connection cannot open). */
  constructor(url: string) {
    this.#worker = new Worker(new URL(import.meta.url), { workerData: { certportListingReader: url } });
    this.#worker.unref();
    this.#worker.on('message', (a: Answer) => {
      const w = this.#waiting.get(a.id);
      if (!w) return;
      this.#waiting.delete(a.id);
      w.resolve('json' in a ? (JSON.parse(a.json) as Listed) : null);
    });
    const fail = () => {
      this.#failed = true;
      for (const w of this.#waiting.values()) w.resolve(null);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', fail);
  }

  /** The listing read on the reader thread, or null when it cannot read it (then read it here). */
  list(q: CertificateQuery): Promise<Listed | null> {
    if (this.#failed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const id = this.#next++;
      this.#waiting.set(id, { resolve });
      this.#worker.postMessage({ id, q } satisfies Ask);
    });
  }

  async close(): Promise<void> {
    this.#failed = true;
    await this.#worker.terminate();
  }
}

if (!isMainThread && (workerData as { certportListingReader?: string } | null)?.certportListingReader) {
  const url = (workerData as { certportListingReader: string }).certportListingReader;
  const { openDb, sqliteNow } = await import('../db.js');
  const { listCertificatesNow } = await import('./plan.js');
  const { sqliteListing } = await import('./sqlite.js');
  const db = openDb(url);
  // Never writes: a statement that would is refused rather than run on a second writer.
  await db.kysely.executeQuery(CompiledQuery.raw('pragma query_only = 1'));
  const now = sqliteNow(db.kysely)!;
  const backend = sqliteListing();
  parentPort!.on('message', ({ id, q }: Ask) => {
    try {
      const l = listCertificatesNow(db.kysely, now, q, backend);
      parentPort!.postMessage(l ? { id, json: JSON.stringify(l) } : { id, error: 'busy' });
    } catch (e) {
      parentPort!.postMessage({ id, error: String((e as Error)?.message ?? e) });
    }
  });
}

// Shared by the benchmarks: TC3 signing of raw requests, a small wrk-style load generator
// (N keep-alive connections, each sends its next request as soon as the last answer is in),
// latency percentiles, resident-memory sampling and bulk seeding of certificates.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { tc3CanonicalRequest, tc3Signature, utcDate } from '../src/api/signature.js';
import { sql, type Kysely } from 'kysely';
import type { SqlCertificateStore } from '../src/store/certificates.js';
import { materialRow, tagRows, toRow } from '../src/store/certificate-rows.js';
import { spkiSha256OfPem } from '../src/pki/revocation.js';
import type { CertificateRecord } from '../src/domain/certificate.js';

export interface Cred { secretId: string; secretKey: string }

/** One TC3-HMAC-SHA256 signed POST as raw HTTP/1.1 bytes (TC3 accepts a replay within 300 s). */
export function signedRequest(port: number, cred: Cred, action: string, params: object, timestamp = Math.floor(Date.now() / 1000)): Buffer {
  const body = Buffer.from(JSON.stringify(params));
  const host = `127.0.0.1:${port}`;
  const contentType = 'application/json';
  const date = utcDate(timestamp);
  const canonical = tc3CanonicalRequest('POST', '', [['content-type', contentType], ['host', host]],
    createHash('sha256').update(body).digest('hex'));
  const signature = tc3Signature(cred.secretKey, date, 'ssl', String(timestamp), canonical);
  const head = [
    'POST / HTTP/1.1',
    `Host: ${host}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${body.length}`,
    `X-TC-Action: ${action}`,
    'X-TC-Version: 2019-12-05',
    `X-TC-Timestamp: ${timestamp}`,
    `Authorization: TC3-HMAC-SHA256 Credential=${cred.secretId}/${date}/ssl/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
    '', '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head), body]);
}

/** A plain (unsigned) JSON POST, for reference servers. */
export function plainRequest(port: number, path: string, params: object): Buffer {
  const body = Buffer.from(JSON.stringify(params));
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * One keep-alive HTTP/1.1 connection sending one request at a time. Enough HTTP for our own
 * servers: answers carry Content-Length (Fastify sets it) or are chunked.
 */
export class Connection {
  #socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (r: { status: number; body: Buffer }) => void; reject: (e: Error) => void } | null = null;
  readonly ready: Promise<void>;

  /** `connect`: another transport (a TLS socket, ready on 'secureConnect'). */
  constructor(port: number, connect?: () => { socket: net.Socket; readyEvent: string }) {
    const made = connect?.();
    this.#socket = made?.socket ?? net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.ready = new Promise((ok, fail) => {
      this.#socket.once(made?.readyEvent ?? 'connect', ok);
      this.#socket.once('error', fail);
    });
    this.#socket.on('data', (d: Buffer) => {
      this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
      this.#parse();
    });
    this.#socket.on('error', (e) => this.#waiting?.reject(e));
    this.#socket.on('close', () => this.#waiting?.reject(new Error('connection closed')));
  }

  #parse() {
    if (!this.#waiting) return;
    const end = this.#buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.#buf.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: Buffer;
    let used: number;
    if (m) {
      const len = Number(m[1]);
      if (this.#buf.length < end + 4 + len) return;
      body = this.#buf.subarray(end + 4, end + 4 + len);
      used = end + 4 + len;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let p = end + 4;
      for (;;) {
        const eol = this.#buf.indexOf('\r\n', p);
        if (eol < 0) return;
        const size = parseInt(this.#buf.subarray(p, eol).toString('latin1'), 16);
        if (this.#buf.length < eol + 2 + size + 2) return;
        if (size === 0) { used = eol + 4; break; }
        parts.push(this.#buf.subarray(eol + 2, eol + 2 + size));
        p = eol + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      this.#waiting.reject(new Error(`answer without a length: ${head}`));
      return;
    }
    this.#buf = this.#buf.subarray(used);
    const w = this.#waiting;
    this.#waiting = null;
    w.resolve({ status, body });
  }

  send(req: Buffer): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(req);
    });
  }

  close() {
    this.#socket.destroy();
  }
}

export interface LoadResult { requests: number; errors: number; seconds: number; rps: number; p50: number; p99: number; firstError: string | null }

/**
 * wrk-style closed loop: `connections` keep-alive connections, each sending `next(conn)` as
 * soon as its previous answer arrived, for `seconds` (after `warmup` seconds not counted).
 * An answer is an error unless it is HTTP 200 without `"Error"` in the body.
 */
export async function load(port: number, o: { connections: number; seconds: number; warmup?: number; next: (conn: number) => Buffer; connect?: () => { socket: net.Socket; readyEvent: string } }): Promise<LoadResult> {
  const conns = Array.from({ length: o.connections }, () => new Connection(port, o.connect));
  await Promise.all(conns.map((c) => c.ready));
  try {
    return await closedLoop(o, (i) => conns[i]!.send(o.next(i)));
  } finally {
    for (const c of conns) c.close();
  }
}

/** The measuring loop of `load` and `loadNewConnections`: `send(conn)` timed, `connections` at once. */
async function closedLoop(o: { connections: number; seconds: number; warmup?: number }, send: (conn: number) => Promise<{ status: number; body: Buffer }>): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const start = performance.now();
  const measureFrom = start + (o.warmup ?? 0) * 1000;
  const stopAt = measureFrom + o.seconds * 1000;
  let counted = 0;
  await Promise.all(Array.from({ length: o.connections }, async (_, i) => {
    while (performance.now() < stopAt) {
      const s = performance.now();
      const r = await send(i);
      const e = performance.now();
      if (s < measureFrom) continue;
      counted++;
      lat.push(e - s);
      if (r.status !== 200 || r.body.includes('"Error"')) {
        errors++;
        firstError ??= `${r.status} ${r.body.subarray(0, 300).toString()}`;
      }
    }
  }));
  const seconds = (performance.now() - measureFrom) / 1000;
  const p = percentiles(lat);
  return { requests: counted, errors, seconds, rps: counted / seconds, p50: p.p50, p99: p.p99, firstError };
}

export function percentiles(samples: number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? NaN };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number = process.pid): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

/**
 * The benchmark population: `rows` certificates copied from `template` (an uploaded one) in
 * one account, with distinct ids, names, aliases, projects, expiry spread over 400 days
 * (20 days in the past to 380 ahead), one second apart in creation time, and a `team` tag on
 * one in 50. Ids are `b` + 7 base-36 digits.
 */
export function benchRow(template: CertificateRecord, j: number, rows: number, now: number): CertificateRecord {
  const day = 86_400_000;
  const name = `host${j}.bench${j % 100}.example.com`;
  return {
    ...template, id: benchId(j), domain: name, sans: [name],
    alias: `cert ${j}`, projectId: j % 10, notAfter: now + ((j % 400) - 20) * day, createdAt: now - (rows - j) * 1000,
    fingerprintSha1: j.toString(16).padStart(40, '0'), tags: j % 50 === 0 ? [{ key: 'team', value: `t${j % 7}` }] : [],
  };
}

export const benchId = (j: number) => 'b' + j.toString(36).padStart(7, '0');

/** Seeds through SqlCertificateStore.bulkInsertCertificates, 5,000 rows per transaction. */
export async function seed(store: SqlCertificateStore, template: CertificateRecord, rows: number, now = Date.now(), progress?: (done: number) => void,
  tweak?: (r: CertificateRecord) => CertificateRecord): Promise<void> {
  for (let i = 0; i < rows; i += 5000) {
    const batch: CertificateRecord[] = [];
    for (let j = i; j < Math.min(rows, i + 5000); j++) {
      const r = benchRow(template, j, rows, now);
      batch.push(tweak ? tweak(r) : r);
    }
    await store.bulkInsertCertificates(batch);
    if (progress && (i / 5000) % 20 === 19) progress(i + 5000);
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 100 ticks a second). */
export function cpuSeconds(pid: number = process.pid): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let s = (Number(fields[11]) + Number(fields[12])) / 100;
  // A server's own processes too (CERTPORT_PROCESSES: the primary's children answer).
  if (pid !== process.pid) {
    for (const child of childPids(pid)) {
      try {
        s += cpuSeconds(child);
      } catch { /* gone */ }
    }
  }
  return s;
}

/**
 * CPU seconds of each PostgreSQL backend serving a process (and its children), by backend pid:
 * the server processes at the other end of its established connections to port 5432 (`ss`).
 * Empty where `ss` is missing. Two readings around a run give the database's CPU per request.
 */
export function pgBackendCpu(pid: number): Map<number, number> {
  const mine = new Set([pid, ...childPids(pid)]);
  const out = spawnSync('ss', ['-tnpH', 'state', 'established'], { encoding: 'utf8' }).stdout ?? '';
  const ports = new Set<string>();
  const backends = new Map<string, number>();
  for (const line of out.split('\n')) {
    const [, , local, peer, users] = line.trim().split(/\s+/);
    if (!local || !peer || !users) continue;
    const owner = Number(/pid=(\d+)/.exec(users)?.[1]);
    if (peer.endsWith(':5432') && mine.has(owner)) ports.add(local.slice(local.lastIndexOf(':') + 1));
    if (local.endsWith(':5432')) backends.set(peer.slice(peer.lastIndexOf(':') + 1), owner);
  }
  const cpu = new Map<number, number>();
  for (const port of ports) {
    const b = backends.get(port);
    if (b === undefined) continue;
    try {
      cpu.set(b, cpuSeconds(b));
    } catch { /* gone */ }
  }
  return cpu;
}

/** CPU seconds the backends of `after` spent since `before` (a backend new since then: all of its). */
export const pgCpuBetween = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((s, [b, t]) => s + t - (before.get(b) ?? 0), 0);

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Like `load`, but every request on a new TCP connection announcing `Connection: close` (as
 * clients of a server that closes after each answer do: moto's Werkzeug server, FACTS.md).
 */
export async function loadNewConnections(port: number, o: { connections: number; seconds: number; warmup?: number; next: (conn: number) => Buffer }): Promise<LoadResult> {
  return closedLoop(o, async (i) => {
    const req = withConnectionClose(o.next(i));
    const c = new Connection(port);
    try {
      await c.ready;
      return await c.send(req);
    } finally {
      c.close();
    }
  });
}

/** The request with a `Connection: close` header added (the signature covers no such header). */
export function withConnectionClose(req: Buffer): Buffer {
  const end = req.indexOf(HEADER_END);
  return Buffer.concat([req.subarray(0, end), Buffer.from('\r\nConnection: close'), req.subarray(end)]);
}

/** `n` requests one after another on one keep-alive connection; latencies in ms. */
export async function sequential(port: number, n: number, next: (i: number) => Buffer, check = true): Promise<number[]> {
  const c = new Connection(port);
  await c.ready;
  const lat: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const req = next(i);
      const s = performance.now();
      const r = await c.send(req);
      lat.push(performance.now() - s);
      if (check && (r.status !== 200 || r.body.includes('"Error"'))) throw new Error(`request ${i}: ${r.status} ${r.body.subarray(0, 300).toString()}`);
    }
  } finally {
    c.close();
  }
  return lat;
}

/** The load averages, for each figure printed (the machine is shared). */
export const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** moto's version when `moto_server` (the AWS ACM emulator issue 27 compares with) can run here, else null. */
export function motoVersion(): string | null {
  const r = spawnSync('python3', ['-c', 'import moto, shutil; assert shutil.which("moto_server"); print(moto.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** An AWS JSON 1.1 request to moto's ACM (moto routes by the credential scope's service and checks no signature). */
export function acmRequest(port: number, target: string, params: object): Buffer {
  const body = Buffer.from(JSON.stringify(params));
  return Buffer.concat([Buffer.from([
    'POST / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: application/x-amz-json-1.1', `Content-Length: ${body.length}`,
    `X-Amz-Target: CertificateManager.${target}`,
    'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=00',
    '', '',
  ].join('\r\n')), body]);
}

/**
 * A varied population for the listing benchmarks: benchRow's names, projects, expiry and tags,
 * and spread over what DescribeCertificates filters by, so that each filter matches many, few
 * or none of an account's rows: status (mostly issued, 2% each of 0, 2, 4, 7, 10; issued ones
 * 5% past notAfter), 5% CA, 20% bought (source embedded), 10% without a private key, and 1%
 * SM only in the first account (`smShare`: 0 elsewhere, so IsSM=1 matches nothing there).
 */
export function variedRow(template: CertificateRecord, j: number, rows: number, now: number, accountUin: string, smShare: number): CertificateRecord {
  const r = benchRow(template, j, rows, now);
  const s = j % 50;
  return {
    ...r, accountUin,
    status: s === 1 ? 0 : s === 2 ? 2 : s === 3 ? 4 : s === 4 ? 7 : s === 5 ? 10 : 1,
    certificateType: j % 20 === 7 ? 'CA' : 'SVR',
    source: j % 5 === 3 ? 'embedded' : 'upload',
    isSm: smShare > 0 && j % Math.round(1 / smShare) === 11 % Math.round(1 / smShare),
    privateKeySealed: j % 10 === 9 ? null : template.privateKeySealed,
  };
}

/**
 * PostgreSQL: rows as the store writes them (toRow, materialRow, tagRows), each table's batch
 * in one statement from one JSON parameter (json_populate_recordset), the SPKI hash computed
 * once per PEM. 1M rows through the store's 200-row INSERTs took minutes; this is the same
 * rows at a fraction of it. Statement-level triggers keep the counts as for any insert.
 */
export function pgBulkInserter(db: Kysely<any>): (list: CertificateRecord[]) => Promise<void> {
  const spki = new Map<string, string | null>();
  const material = (c: CertificateRecord) => {
    let h = spki.get(c.certPem ?? '');
    if (h === undefined) spki.set(c.certPem ?? '', h = spkiSha256OfPem(c.certPem));
    return { ...materialRow({ ...c, certPem: '' }), cert_pem: c.certPem, spki_sha256: h };
  };
  // The rows' own columns only: a column they leave out keeps its default.
  const into = (table: string, rows: object[]) => {
    const cols = sql.join(Object.keys(rows[0]!).map((c) => sql.id(c)));
    return sql`insert into ${sql.table(table)} (${cols})
      select ${cols} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`;
  };
  return (list) => db.transaction().execute(async (tx) => {
    await into('certificates', list.map(toRow)).execute(tx);
    await into('certificate_material', list.map(material)).execute(tx);
    const tags = list.flatMap(tagRows);
    if (tags.length) await into('certificate_tags', tags).execute(tx);
  });
}

/** Seeds `rows` varied certificates (variedRow) into one account, 5,000 per transaction; ids from `first` of `total`. */
export async function seedVaried(store: SqlCertificateStore, template: CertificateRecord, accountUin: string, first: number, rows: number,
  total: number, smShare: number, now = Date.now(), progress?: (done: number) => void,
  insert: (list: CertificateRecord[]) => Promise<void> = (list) => store.bulkInsertCertificates(list)): Promise<void> {
  for (let i = 0; i < rows; i += 5000) {
    const batch: CertificateRecord[] = [];
    for (let j = i; j < Math.min(rows, i + 5000); j++) batch.push(variedRow(template, first + j, total, now, accountUin, smShare));
    await insert(batch);
    if (progress && (i / 5000) % 20 === 19) progress(i + 5000);
  }
}

/** The machine's load averages (1, 5, 15 min) as printed by the benchmarks. */
export const loadAvg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

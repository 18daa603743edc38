// Benchmark support: a certport node as its own process, as in production (`certport serve`,
// the compiled CLI when this file is compiled, src/cli/index.ts through tsx otherwise), on a
// throw-away data dir (SQLite) or PostgreSQL schema holding `stored` certificates seeded in
// bulk beforehand; and other servers as child processes. Every process is stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { bootstrap, openCore } from '../src/main.js';
import { makeChain } from '../src/testing/pki-fixtures.js';
import { dropPgSchema } from '../src/store/db.js';
import { openDatabase } from '../src/storage.js';
import { PG_URL, type Backend } from '../src/testing/harness.js';
import { freePort } from '../src/testing/net.js';
import { parseMasterKey } from '../src/config/config.js';
import type { CertificateRecord } from '../src/domain/certificate.js';
import { aad } from '../src/secrets/aad.js';
import { Sealer } from '../src/secrets/sealer.js';
import { pgBulkInserter, seed, seedVaried, type Cred } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const COMPILED = !fileURLToPath(import.meta.url).endsWith('.ts');
export const CLI = COMPILED ? path.join(HERE, '..', 'src', 'cli', 'index.js') : path.join(HERE, '..', 'src', 'cli', 'index.ts');
/** How to run a module of this folder (or the CLI) with the same loader as this process. */
export const nodeArgs = (file: string) => (file.endsWith('.ts') ? ['--import', 'tsx', file] : [file]);
/** Another build's CLI (CERTPORT_BENCH_BASE_DIST: its dist folder) to measure beside this one, in alternating rounds. */
export const BASE_CLI = process.env.CERTPORT_BENCH_BASE_DIST ? path.join(process.env.CERTPORT_BENCH_BASE_DIST, 'src', 'cli', 'index.js') : null;
export const benchFile = (name: string) => path.join(HERE, COMPILED ? `${name}.js` : `${name}.ts`);

/** The stored certificates' template: key algorithm, the chain stored with it, a key every row opens. */
export interface TemplateOptions { alg?: 'RSA' | 'EC'; withChain?: boolean; ownKeys?: boolean; varied?: Population }

export interface PreparedData {
  backend: Backend;
  env: Record<string, string>;
  cred: Cred & { accountUin: string };
  /** The uploaded template's id (the seeded rows are benchId(0 … stored - 2)). */
  templateId: string;
  /** With `varied`: every account's credential and how many certificates it holds (the first is `cred`'s). */
  accounts: (Cred & { accountUin: string; stored: number })[];
  cleanup(): Promise<void>;
}

/**
 * `varied`: instead of `stored` copies in one account, `stored` certificates spread over
 * `accounts` accounts (shares 4:3:2:1 for four) with variedRow's mix of statuses, types,
 * sources, SM and keys.
 */
export interface Population { accounts: number }

/** The PostgreSQL database benchmarks seed into (a schema each): CERTPORT_BENCH_PG_URL, else the tests'. */
export const BENCH_PG_URL = process.env.CERTPORT_BENCH_PG_URL ?? PG_URL;

/**
 * A data dir (and schema) with the first account and `stored` certificates in it.
 * CERTPORT_BENCH_KEEP=<file prefix>: the data set is kept after the run and described in
 * `<prefix>.<backend>.<stored>[.varied<n>].json`; a later run with the same prefix and shape
 * reuses it instead of seeding (a million rows on PostgreSQL take minutes). Delete the data
 * dir and schema named in that file (and the file) by hand when done.
 */
export async function prepareData(backend: Backend, stored: number, extraEnv: Record<string, string> = {},
  progress?: (done: number) => void, opts: TemplateOptions = {}): Promise<PreparedData> {
  const keep = process.env.CERTPORT_BENCH_KEEP;
  if (!keep) return seedData(backend, stored, extraEnv, progress, opts);
  const file = `${keep}.${backend}.${stored}${opts.varied ? `.varied${opts.varied.accounts}` : ''}${opts.alg ? `.${opts.alg}` : ''}${opts.withChain ? '.chain' : ''}${opts.ownKeys ? '.ownkeys' : ''}.json`;
  const kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Omit<PreparedData, 'cleanup'>, () => null);
  const data = kept ? { ...kept, env: { ...kept.env, ...extraEnv } } : await seedData(backend, stored, extraEnv, progress, opts);
  if (!kept) {
    const { cleanup: _, ...described } = data as PreparedData;
    await writeFile(file, JSON.stringify(described, null, 1));
  }
  return { ...data, cleanup: async () => {} };
}

async function seedData(backend: Backend, stored: number, extraEnv: Record<string, string>,
  progress: ((done: number) => void) | undefined, opts: TemplateOptions): Promise<PreparedData> {
  const varied = opts.varied;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'certport-bench-'));
  const schema = backend === 'postgres' ? 'bench_' + randomBytes(5).toString('hex') : null;
  const cred = { secretId: 'AKIDbench' + randomBytes(12).toString('hex'), secretKey: randomBytes(16).toString('hex') };
  const env: Record<string, string> = {
    CERTPORT_DATA_DIR: dataDir,
    CERTPORT_LOG_LEVEL: 'silent',
    CERTPORT_RATE_LIMIT: '0',
    CERTPORT_MASTER_KEY: randomBytes(32).toString('hex'),
    CERTPORT_BOOTSTRAP_SECRET_ID: cred.secretId,
    CERTPORT_BOOTSTRAP_SECRET_KEY: cred.secretKey,
    ...(schema ? { CERTPORT_DATABASE_URL: BENCH_PG_URL, CERTPORT_DATABASE_SCHEMA: schema } : {}),
    ...extraEnv,
  };
  const core = await openCore(loadConfig(env));
  let accountUin: string;
  let templateId: string;
  const accounts: PreparedData['accounts'] = [];
  try {
    await bootstrap(core, () => {});
    accountUin = (await core.stores.accounts.listAccounts())[0]!.uin;
    const caller = { accountUin, userUin: accountUin };
    const chain = await makeChain(opts.alg ?? 'EC', 'bench.example.com');
    const { certificateId } = await core.services.certificates.upload(caller, {
      publicKey: opts.withChain ? chain.leafPem + chain.intermediatePem + chain.rootPem : chain.leafPem, privateKey: chain.keyPem,
    });
    const template = await core.services.certificates.get(caller, certificateId);
    templateId = certificateId;
    // A sealed key opens only under its own certificate's id (secrets/aad.ts): each copy gets
    // the template's key sealed again for its id, so reads that open the key work on every row.
    const sealer = new Sealer(parseMasterKey(env.CERTPORT_MASTER_KEY!));
    const keyPem = template.privateKeySealed ? sealer.openString(template.privateKeySealed, aad.certKey(template.id)) : null;
    const tweak = opts.ownKeys && keyPem ? (r: CertificateRecord) => ({ ...r, privateKeySealed: sealer.seal(keyPem, aad.certKey(r.id)) }) : undefined;
    if (varied) {
      const n = varied.accounts;
      const weights = Array.from({ length: n }, (_, i) => n - i);
      const sum = weights.reduce((a, b) => a + b, 0);
      const now = Date.now();
      let first = 0;
      for (let i = 0; i < n; i++) {
        const a = i === 0 ? { ...cred, accountUin } : await core.services.accounts.createAccount(`bench${i}`);
        // The first account holds the uploaded template too.
        const rows = i === n - 1 ? stored - 1 - first : Math.floor(((stored - 1) * weights[i]!) / sum);
        await seedVaried(core.stores.certificates, template, a.accountUin, first, rows, stored, i === 0 ? 0.01 : 0, now,
          progress && ((d) => progress(first + d)), backend === 'postgres' ? pgBulkInserter(core.stores.kysely) : undefined);
        accounts.push({ secretId: a.secretId, secretKey: a.secretKey, accountUin: a.accountUin, stored: rows + (i === 0 ? 1 : 0) });
        first += rows;
      }
    } else if (stored > 1) await seed(core.stores.certificates, template, stored - 1, Date.now(), progress, tweak);
    await sql`${sql.raw(backend === 'postgres' ? 'vacuum analyze' : 'analyze')}`.execute(core.stores.kysely);
    // The seed's dirty pages written now, not by a checkpoint in the middle of the measurements
    // (the seed leaves a million rows' pages dirty; a service in steady state has no such backlog).
    if (backend === 'postgres') await sql`checkpoint`.execute(core.stores.kysely).catch(() => {});
  } finally {
    await core.close();
  }
  return {
    backend, env, cred: { ...cred, accountUin }, templateId, accounts,
    async cleanup() {
      if (schema) await dropPgSchema(BENCH_PG_URL, schema);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Child {
  pid: number;
  port: number;
  process: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a child process and waits until GET http://127.0.0.1:<port>/<ready> answers 200. */
export async function startChild(args: string[], env: Record<string, string>, port: number, ready = '/healthz', nodeFlags: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...nodeFlags, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => { log = (log + b.toString()).slice(-8000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    process.kill(child.pid, signal);
    const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && child.pid && process.kill(child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}: ${log}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}${ready}`)).status === 200) {
        return { pid: child.pid!, port, process: child, output: () => log, stop };
      }
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop('SIGKILL');
  throw new Error(`${args.join(' ')} did not become ready: ${log}`);
}

/** `certport serve` on the prepared data, on a free port. */
export async function startNode(data: PreparedData, env: Record<string, string> = {}, nodeFlags: string[] = [], cli = CLI): Promise<Child> {
  const port = await freePort();
  const own = cli !== CLI && data.backend === 'sqlite' && !env.CERTPORT_DATABASE_URL ? await baseCopy(data, cli) : null;
  const child = await startChild([...nodeArgs(cli), 'serve'], { ...data.env, ...(own ? { CERTPORT_DATA_DIR: own } : {}), CERTPORT_PORT: String(port), ...env },
    port, '/healthz', nodeFlags);
  if (!own) return child;
  return { ...child, stop: async (signal) => { await child.stop(signal); await rm(own, { recursive: true, force: true }); } };
}

/**
 * Another build (BASE_CLI) on SQLite: a copy of the data dir (SQLite's backup API: the first
 * node may be writing) in which the migrations that build does not have are forgotten, so
 * that it opens a database migrated by this one (their columns, indexes and triggers stay,
 * unused by it). Its directory, removed when it stops.
 */
async function baseCopy(data: PreparedData, cli: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'certport-bench-base-'));
  const known = new Set((await readdir(path.join(path.dirname(cli), '..', 'store', 'migrations'))).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)));
  const SQLite = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const from = new SQLite(path.join(data.env.CERTPORT_DATA_DIR!, 'certport.db'), { readonly: true });
  try {
    await from.backup(path.join(dir, 'certport.db'));
  } finally {
    from.close();
  }
  for (const f of await readdir(data.env.CERTPORT_DATA_DIR!)) {
    if (!f.startsWith('certport.db')) await copyFile(path.join(data.env.CERTPORT_DATA_DIR!, f), path.join(dir, f)).catch(() => {});
  }
  const copy = new SQLite(path.join(dir, 'certport.db'));
  try {
    const names = (copy.prepare('select name from kysely_migration').pluck().all() as string[]).filter((n) => !known.has(n));
    for (const n of names) copy.prepare('delete from kysely_migration where name = ?').run(n);
  } finally {
    copy.close();
  }
  return dir;
}

/**
 * Waits (up to `maxMs`) until the node has no due background job left: a fresh node sweeps the
 * seeded certificates for expiry notices (thousands of writes), which would otherwise be measured
 * with the first requests. Returns how long it waited.
 */
export async function settle(data: PreparedData, maxMs = 120_000): Promise<number> {
  const t0 = Date.now();
  const stores = await openDatabase(loadConfig(data.env));
  try {
    while (Date.now() - t0 < maxMs) {
      const now = Date.now();
      const r = await stores.kysely.selectFrom('jobs').select((e) => e.fn.countAll().as('n'))
        .where('state', '=', 'pending').where('run_at', '<=', now).executeTakeFirst();
      if (Number(r?.n ?? 0) === 0) break;
      await new Promise((ok) => setTimeout(ok, 500));
    }
  } finally {
    await stores.close();
  }
  return Date.now() - t0;
}

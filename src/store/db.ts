// Opens the database named by the configuration: SQLite (better-sqlite3, WAL) by default or
// PostgreSQL (pg). Everything above this folder sees only Kysely and the store interfaces.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { createRequire } from 'node:module';
import type pgTypes from 'pg';
import { CompiledQuery, Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { SqliteSynchronous } from '../config/config.js';

export type Dialect = 'sqlite' | 'postgres';
/** The database or a transaction: what the stores' shared statements run on. */
export type Q = Kysely<Database> | Transaction<Database>;

/** A LIKE pattern (with `escape '\\'`) matching text that contains `s`, lowercased. */
export const likeContaining = (s: string) => '%' + s.toLowerCase().replace(/[\\%_]/g, (m) => '\\' + m) + '%';
/**
 * A hot read written out once per dialect (issue 27): no query builder per request (Kysely's
 * builder and compiler cost ~0.1–0.2 ms a query, more than the read itself), one SQL text
 * whatever the parameters (SQLite keeps the prepared statement; lists are one parameter:
 * `(select value from json_each(?))` on SQLite, `any($n::text[])` on PostgreSQL, see `listParam`).
 */
export interface HotRead { sqlite: string; postgres: string }

/**
 * A statement starting with this comment comes back from SQLite as arrays of values in select
 * order, not objects (better-sqlite3's raw mode): it builds an object property by property
 * through V8's API, ~0.5 µs per column, 0.18 ms for a listing page of 10 wide rows (issue 27).
 * PostgreSQL ignores the comment and answers objects.
 */
export const ROWS_AS_ARRAYS = '/* arrays */ ';

/**
 * A statement starting with this comment comes back from SQLite as its first column's values
 * only, one per row (better-sqlite3's pluck mode): no array or object per row. A listing's kept
 * set of 40,000 rowids took 24 ms read as 3-cell arrays (most of it making the arrays) against
 * 5.4 ms as values (issue 27). PostgreSQL ignores the comment and answers objects.
 */
export const FIRST_VALUES = '/* values */ ';

/**
 * A statement starting with this comment (after ROWS_AS_ARRAYS, if any) is a named prepared
 * statement on PostgreSQL, named after its text: each pool connection parses it once, and
 * after five runs PostgreSQL keeps a generic plan when one costs no more than planning anew.
 * Planning the listing's page statement (side facts, tags, the count) took ~0.6–0.8 ms of the
 * server's CPU a request, about as much as running it (issue 27). For statements of a bounded
 * number of texts whose plan hardly depends on the values, selecting named columns (`t.*`
 * would fail the statement once a column is added); SQLite ignores it (it keeps every
 * statement prepared anyway).
 */
export const PREPARED = '/* prepared */ ';

export const isPostgres = (q: Q) => q.getExecutor().adapter instanceof PostgresAdapter;

/** A list as one parameter of a HotRead: a JSON array on SQLite, an array on PostgreSQL. */
export const listParam = (pg: boolean, values: readonly (string | number)[]) => (pg ? values : JSON.stringify(values));

export async function hotRead<R>(q: Q, read: HotRead, params: (pg: boolean) => unknown[]): Promise<R[]> {
  // SQLite: on the connection itself when nothing holds it (SqliteNow).
  const now = NOW.get(q);
  const rows = now?.all<R>(read.sqlite, params(false));
  if (rows) return rows;
  const pg = isPostgres(q);
  return (await q.executeQuery<R>(CompiledQuery.raw(pg ? read.postgres : read.sqlite, params(pg)))).rows;
}

/**
 * SQLite's connection itself, for the hottest reads (issue 27): statements run synchronously
 * on the cached prepared statements, without Kysely's executor (its connection mutex and ~10
 * promise hops a statement, a sixth of a listing's CPU). Kysely's transactions stay safe: a
 * transaction open on the connection (a Kysely one waits between its statements, holding it)
 * makes these answer null, and the caller reads through Kysely, after it, as before.
 */
export interface SqliteNow {
  /** The statement's rows (`?` parameters; arrays where the text starts with ROWS_AS_ARRAYS, values with FIRST_VALUES), or null while a transaction is open. */
  all<R>(text: string, params: readonly unknown[]): R[] | null;
  /**
   * `f` in one read transaction, within this turn (so nothing else uses the connection in
   * between), or null while a transaction is open. `all` runs a statement in it. One snapshot:
   * another process (the CLI) committing to the file in WAL mode between two statements is
   * seen by neither or by both.
   */
  snapshot<T>(f: (all: <R>(text: string, params: readonly unknown[]) => R[]) => T): T | null;
}

/** The SqliteNow of a SQLite database's Kysely handle (not of its transactions). */
const NOW = new WeakMap<object, SqliteNow>();
export const sqliteNow = (q: Q): SqliteNow | undefined => NOW.get(q);

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /**
   * A value that changes whenever anything in the database may have changed since it was
   * last read: equal tokens mean nothing was committed in between (see SqlCertificateStore.changeToken).
   */
  changeToken(): Promise<string>;
  /**
   * SQLite: refreshes the planner's statistics of tables that grew or shrank a lot since they
   * were last analysed (`PRAGMA optimize`, bounded by analysis_limit so it costs milliseconds
   * at a million rows). Stale statistics from an ANALYZE of a tiny table turned an id lookup
   * into a full scan (issue 27). PostgreSQL's autovacuum keeps its own: a no-op there.
   */
  optimize(): Promise<void>;
  close(): Promise<void>;
  /** SQLite: its connection, for the hottest reads (SqliteNow). */
  now?: SqliteNow;
}

/** How often a SQLite node refreshes its statistics (PRAGMA optimize) while it runs. */
export const SQLITE_OPTIMIZE_MS = 60 * 60 * 1000;

// int8 and numeric come back as strings from pg; our bigints are epoch milliseconds and counts,
// well inside Number's safe range.
let pgLib: typeof pgTypes | null = null;
/** pg, loaded on first use (a SQLite deployment never needs it; it costs a CLI command ~70 ms). */
function pgModule(): typeof pgTypes {
  if (!pgLib) {
    pgLib = createRequire(import.meta.url)('pg') as typeof pgTypes;
    pgLib.types.setTypeParser(20, (v) => Number(v));
  }
  return pgLib;
}

export interface OpenOptions {
  /** PostgreSQL: the schema (search_path). */
  schema?: string;
  /** PostgreSQL: connections in the pool. */
  poolSize?: number;
  /**
   * SQLite: FULL (the default) syncs the WAL at every commit, so an acknowledged write (an
   * issued certificate, its key) survives a power loss; NORMAL syncs at checkpoints only and
   * may lose the last commits (never corrupts). bench/sync.ts measures the difference.
   */
  synchronous?: SqliteSynchronous;
  /**
   * SQLite: other processes of this node write to the file too (CERTPORT_PROCESSES > 1). Kysely's
   * transactions then begin IMMEDIATE (taking the write lock first, waiting up to busy_timeout):
   * a deferred one that read before another process committed could not write afterwards
   * (SQLITE_BUSY_SNAPSHOT, returned at once, not waited for). Memory-held state (ACME nonces)
   * goes to the database, as between PostgreSQL nodes.
   */
  sharedFile?: boolean;
  /** SQLite: list pages without their material on a reader thread (listing/reader.ts). */
  listingThread?: boolean;
}

/**
 * How long a PostgreSQL pool connection is kept unused before it is closed (pg-pool's default:
 * 10 s). Each connection holds its own prepared statements (PREPARED), and PostgreSQL plans a
 * named statement with its values for its first five runs on a connection before it settles
 * on the generic plan: a DescribeCertificates page statement's custom plan costs ~2–3 ms of the
 * server's CPU against ~0.4 ms run on its generic plan. With ~40 listing texts on 8
 * connections, a pool closed after every 10 s pause replanned ~1,700 statements when traffic
 * came back (issue 27: bench/throughput.ts's rounds pause 20 s between a node's runs).
 */
export const PG_IDLE_MS = 10 * 60_000;

export function openDb(url: string, opts: OpenOptions = {}): Db {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const database = new SQLite(file);
    database.pragma('journal_mode = WAL');
    database.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // 64 MiB of page cache for the one connection (SQLite's default is 2 MiB): deep listing
    // pages and random-id reads of wide rows were page reads. A random-Offset page of 100,000
    // rows: 2.1–2.5 ms against 4.8–7.4 ms with the default (alternating runs, issue 27).
    database.pragma('cache_size = -65536');
    const prepare = statementCache(database, opts.sharedFile ? { begin: 'begin immediate' } : {});
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database, prepare) }) });
    const now = sqliteNowOf(database, prepare);
    NOW.set(kysely, now);
    // This connection's row changes (its own writes, whatever transaction they are in) and
    // data_version (commits by any other connection, e.g. a CLI command on the same file).
    // Two statements: the table-valued pragma_data_version prepares a PRAGMA statement each time it is read.
    const changes = database.prepare('select total_changes()').pluck();
    const dataVersion = database.prepare('pragma data_version').pluck();
    // Each table's statistics sampled from at most this many index rows.
    database.pragma('analysis_limit = 1000');
    let optimizer: NodeJS.Timeout | null = null;
    return {
      kysely, dialect: 'sqlite', now,
      changeToken: async () => `${changes.get() as number}:${dataVersion.get() as number}`,
      async optimize() {
        // 0x10002: every table, not only those this connection used (the recommended call on open).
        database.pragma('optimize = 0x10002');
        optimizer ??= setInterval(() => {
          try {
            database.pragma('optimize');
          } catch { /* busy: the next round */ }
        }, SQLITE_OPTIMIZE_MS).unref();
      },
      close: () => {
        if (optimizer) clearInterval(optimizer);
        return kysely.destroy();
      },
    };
  }
  const pool = new (pgModule().Pool)({
    connectionString: url,
    max: opts.poolSize ?? 10,
    idleTimeoutMillis: PG_IDLE_MS,
    // Idle connections never keep a process alive (a CLI command ends when its work does).
    allowExitOnIdle: true,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }) });
  // The cluster's current snapshot (xmin:xmax:in-progress xids): any commit anywhere, by any
  // node, changes it. Named, so each connection parses it once.
  const snapshot = { name: 'certport_change_token', text: 'select pg_current_snapshot()::text', rowMode: 'array' as const };
  return {
    kysely, dialect: 'postgres',
    changeToken: sharedAfterCall(async () => String((await pool.query<[string]>(snapshot)).rows[0]![0])),
    optimize: async () => {},
    close: () => kysely.destroy(),
  };
}

/**
 * Kysely prepares every query anew; SQLite then parses and plans the same few hundred
 * statements over and over. Reusing prepared statements (better-sqlite3 statements are
 * reusable, and SQLite re-prepares them itself after a schema change) saves that per query.
 */
function statementCache(db: SQLite.Database, instead: Record<string, string> = {}): (source: string) => SQLite.Statement {
  const cache = new Map<string, SQLite.Statement>();
  return (source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      // Generated SQL is bounded (parameters are bound, not inlined); the cap guards the rest.
      if (cache.size >= 2000) cache.clear();
      stmt = db.prepare(Object.hasOwn(instead, source) ? instead[source]! : source);
      if (source.startsWith(ROWS_AS_ARRAYS)) stmt.raw(true);
      else if (source.startsWith(FIRST_VALUES)) stmt.pluck(true);
      cache.set(source, stmt);
    }
    return stmt;
  };
}

function withStatementCache(db: SQLite.Database, prepare: (source: string) => SQLite.Statement): SQLite.Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return prepare;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function sqliteNowOf(db: SQLite.Database, prepare: (source: string) => SQLite.Statement): SqliteNow {
  const begin = db.prepare('begin');
  const commit = db.prepare('commit');
  const rollback = db.prepare('rollback');
  const all = <R>(text: string, params: readonly unknown[]) => prepare(text).all(params) as R[];
  return {
    all: (text, params) => (db.inTransaction ? null : all(text, params)),
    snapshot(f) {
      if (db.inTransaction) return null;
      begin.run();
      try {
        const v = f(all);
        commit.run();
        return v;
      } catch (e) {
        if (db.inTransaction) rollback.run();
        throw e;
      }
    },
  };
}

/** At most this many texts are named (PREPARED): each is kept prepared on every connection that ran it. */
const PREPARED_TEXTS = 500;

/** The pool as Kysely sees it: its clients send PREPARED statements as named ones. */
function withPreparedStatements(pool: pgTypes.Pool): pgTypes.Pool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text); // '' once it was refused
    if (name === undefined && names.size < PREPARED_TEXTS) {
      name = 'certport_' + createHash('sha256').update(text).digest('base64url').slice(0, 24);
      names.set(text, name);
    }
    return name;
  };
  const patched = new WeakSet<pgTypes.PoolClient>();
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'connect') {
        return async () => {
          const client = await target.connect();
          if (!patched.has(client)) {
            patched.add(client);
            const query = client.query.bind(client) as (...a: unknown[]) => unknown;
            // Kysely calls query(text, values) for a promise; pg's own Pool.query passes a callback too.
            client.query = ((...args: unknown[]) => {
              const [text, values] = args;
              if (args.length <= 2 && typeof values !== 'function' && typeof text === 'string'
                && (text.startsWith(PREPARED) || text.startsWith(ROWS_AS_ARRAYS + PREPARED))) {
                const name = nameOf(text);
                if (name) {
                  return (query({ name, text, values }) as Promise<unknown>).catch((e: unknown) => {
                    // A table's columns changed under it (another node migrated the schema): the
                    // text is sent unnamed from now on, and this once again.
                    if ((e as { code?: string }).code !== '0A000' || !/cached plan must not change result type/.test(String((e as Error).message))) throw e;
                    names.set(text, '');
                    return query(text, values);
                  });
                }
              }
              return query(...args);
            }) as typeof client.query;
          }
          return client;
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/**
 * Callers of `read` share one call of `f`, but only one that starts after they call: a read
 * already under way may have begun before a commit the caller has seen, so latecomers wait for
 * the next one, which starts when it ends. Under load this is one round trip per round trip
 * time instead of one per request.
 */
export function sharedAfterCall<T>(f: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const p = f();
    running = p;
    const clear = () => {
      if (running === p) running = null;
    };
    p.then(clear, clear);
    return p;
  };
  return () => {
    if (next) return next;
    if (!running) return start();
    const after = running.then(() => undefined, () => undefined).then(() => {
      next = null;
      return start();
    });
    next = after;
    return after;
  };
}

/**
 * Held shared while a PostgreSQL database migrates and exclusively while a schema is dropped
 * (dropPgSchema): Kysely's migrator reads the catalog of every schema, and a schema dropped
 * in the middle of that read fails it with "schema … does not exist".
 */
export const SCHEMA_DDL_LOCK = 0x63657274; // 'cert'


export async function createPgSchema(url: string, schema: string): Promise<void> {
  const c = new (pgModule().Client)({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await c.end();
  }
}

export async function dropPgSchema(url: string, schema: string): Promise<void> {
  const c = new (pgModule().Client)({ connectionString: url });
  await c.connect();
  try {
    // Never while another database migrates: its migrator reads every schema's catalog.
    await c.query('SELECT pg_advisory_lock($1)', [SCHEMA_DDL_LOCK]);
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

export { sql };

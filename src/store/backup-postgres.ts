// PostgreSQL backup and restore through the PostgreSQL client tools, so that a backup is an
// ordinary pg_dump archive that operators can also list and restore by hand:
//   backup:  pg_dump --format=custom --schema=<schema> --snapshot=<id> --file=<file>
//            (the schema certport uses only; the snapshot is exported by a REPEATABLE READ
//            transaction that also counts the rows, so the counts are the archive's)
//   restore: pg_restore --use-list=<list> --no-owner --no-privileges --exit-on-error
//            --single-transaction [--clean --if-exists] --dbname=<url> <file>
//            (the list leaves out CREATE SCHEMA, which is made first; owners and grants are
//            those of the restoring role; all or nothing)
// pg_dump must be of the server's major version or newer. The password in the URL is passed
// in PGPASSWORD, not on the command line (where `ps` would show it).
import { execFile } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { SCHEMA_DDL_LOCK } from './db.js';
import { TABLES, TargetNotEmpty, keysCountSql, partialName, syncDir, type Counts } from './backup.js';

const ident = (s: string) => '"' + s.replace(/"/g, '""') + '"';

/** Runs a PostgreSQL client tool with the URL's password in the environment. */
async function tool(name: 'pg_dump' | 'pg_restore', args: string[], url: string | null): Promise<string> {
  const env = { ...process.env };
  if (url !== null) {
    const u = new URL(url);
    if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
    u.password = '';
    args = [...args, `--dbname=${u.toString()}`];
  }
  try {
    return (await promisify(execFile)(name, args, { env, maxBuffer: 64 << 20 })).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(`${name} was not found on PATH: install the PostgreSQL client tools (the server's major version or newer), or use your own tooling (README: Backup and restore)`);
    }
    throw new Error(`${name} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

/** The schema certport's tables live in: the configured one, else the server's default (public). */
async function schemaOf(c: pg.Client, schema: string | null): Promise<string> {
  return schema ?? (await c.query<{ s: string | null }>('select current_schema() as s')).rows[0]?.s ?? 'public';
}

async function tablesIn(c: pg.Client, schema: string): Promise<string[]> {
  return (await c.query<{ t: string }>('select tablename as t from pg_tables where schemaname = $1', [schema])).rows.map((r) => r.t);
}

/** Rows per certport table in `schema`, read on `c` (inside its transaction, if any). */
async function countPg(c: pg.Client, schema: string): Promise<Counts> {
  const present = new Set(await tablesIn(c, schema));
  const counts: Counts = {};
  for (const t of TABLES) {
    if (present.has(t)) counts[t] = Number((await c.query<{ n: string }>(`select count(*) as n from ${ident(schema)}.${ident(t)}`)).rows[0]!.n);
  }
  if (present.has('certificate_material')) {
    counts.certificate_keys = Number((await c.query<{ n: string }>(keysCountSql(`${ident(schema)}.certificate_material`))).rows[0]!.n);
  }
  return counts;
}

/** Dumps certport's schema at one snapshot into `out` (written beside it first, renamed when complete). */
export async function backupPostgres(url: string, schema: string | null, out: string): Promise<Counts> {
  const c = await connect(url);
  const tmp = partialName(out);
  try {
    const s = await schemaOf(c, schema);
    if (!(await tablesIn(c, s)).includes('certificates')) throw new Error(`the schema ${s} holds no certport database`);
    await c.query('begin isolation level repeatable read read only');
    const snapshot = (await c.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
    const counts = await countPg(c, s);
    // pg_dump's --schema takes a pattern: quoted, the name is taken as it is.
    await tool('pg_dump', ['--format=custom', `--schema=${ident(s)}`, `--snapshot=${snapshot}`, `--file=${tmp}`], url);
    await c.query('commit');
    renameSync(tmp, out);
    syncDir(path.dirname(out));
    return counts;
  } finally {
    rmSync(tmp, { force: true });
    await c.end();
  }
}

/** The one schema whose tables the archive holds (from `pg_restore --list`). */
function archiveSchema(list: string, file: string): string {
  const schemas = new Set<string>();
  for (const line of list.split('\n')) {
    const m = /^\d+; \d+ \d+ TABLE (?!DATA )(\S+) /.exec(line);
    if (m) schemas.add(m[1]!);
  }
  if (schemas.size !== 1) throw new Error(`${file} is not a certport backup (tables in ${schemas.size} schemas)`);
  return [...schemas][0]!;
}

/**
 * Restores the archive `file` into the database at `url`, in the schema it was taken from
 * (pg_restore cannot rename one; `schema` must name the same). A schema with tables is
 * replaced only with `force`: a named schema is dropped first, `public` is cleaned of the
 * archive's objects (pg_restore --clean) and keeps whatever else it holds.
 */
export async function restorePostgres(file: string, url: string, schema: string | null, force: boolean): Promise<Counts> {
  const list = await tool('pg_restore', ['--list', file], null);
  const from = archiveSchema(list, file);
  const c = await connect(url);
  const listFile = path.join(tmpdir(), `certport-restore-${process.pid}.list`);
  try {
    const s = await schemaOf(c, schema);
    if (s !== from) {
      throw new Error(`${file} holds the schema ${from} and the target is ${s}: set CERTPORT_DATABASE_SCHEMA=${from} (pg_restore cannot rename a schema)`);
    }
    const tables = (await tablesIn(c, s)).length;
    if (tables > 0 && !force) {
      throw new TargetNotEmpty(`the schema ${s} already holds ${tables} tables: restore into an empty database or schema, or pass --force to replace it (stop the service first)`);
    }
    const clean = tables > 0 && s === 'public';
    if (tables > 0 && !clean) {
      // Not while a node migrates: its migrator reads every schema's catalog (see dropPgSchema).
      await c.query('select pg_advisory_lock($1)', [SCHEMA_DDL_LOCK]);
      await c.query(`drop schema ${ident(s)} cascade`);
      await c.query('select pg_advisory_unlock($1)', [SCHEMA_DDL_LOCK]);
    }
    await c.query(`create schema if not exists ${ident(s)}`);
    // The search index needs pg_trgm, installed where migration 0006 puts it.
    if (/ INDEX \S+ certs_search_trgm /.test(list)) {
      await c.query('create extension if not exists pg_trgm with schema public').catch(() => c.query('create extension if not exists pg_trgm')).catch(() => {});
    }
    // The schema exists by now: leave its CREATE (and COMMENT) out of the list.
    const schemaEntry = new RegExp(`^\\d+; \\d+ \\d+ (SCHEMA - |COMMENT - SCHEMA )${from.replace(/[^\w]/g, '\\$&')} `);
    writeFileSync(listFile, list.split('\n').map((l) => (schemaEntry.test(l) ? ';' + l : l)).join('\n'));
    await tool('pg_restore', [`--use-list=${listFile}`, '--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction',
      ...(clean ? ['--clean', '--if-exists'] : []), file], url);
    return await countPg(c, s);
  } finally {
    rmSync(listFile, { force: true });
    await c.end();
  }
}

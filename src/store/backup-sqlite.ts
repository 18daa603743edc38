// SQLite backup and restore through SQLite's online backup API (better-sqlite3's db.backup) on
// a connection of its own: a consistent copy while the server writes (WAL: the copy reads one
// snapshot and writers go on). A plain file copy of a live database is not (it lost 8 of 411
// acknowledged certificates in one trial, issue 22). The backup is one self-contained file
// (rollback-journal mode, no -wal beside it); a restore copies it back the same way.
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { TABLES, keysCountSql, TargetNotEmpty, partialName, syncDir, type Counts } from './backup.js';

/**
 * Copies every page in one step: a step copying part of the file starts over when another
 * connection writes in between, so under steady writes a paged copy might never finish; one
 * step reads one snapshot and holds no lock writers wait for.
 */
async function copyDatabase(from: SQLite.Database, to: string): Promise<void> {
  rmSync(to, { force: true });
  await from.backup(to, { progress: () => 0x7fffffff });
}

/** Rows per certport table in the database at `file` (opened read-only). */
export function countSqlite(file: string): Counts {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const present = new Set((db.prepare(`select name from sqlite_master where type = 'table'`).pluck().all() as string[]));
    const counts: Counts = {};
    for (const t of TABLES) {
      if (present.has(t)) counts[t] = Number(db.prepare(`select count(*) from "${t}"`).pluck().get());
    }
    if (present.has('certificate_material')) counts.certificate_keys = Number((db.prepare(keysCountSql('certificate_material')).get() as { n: number }).n);
    return counts;
  } finally {
    db.close();
  }
}

/** Copies the live database at `dbFile` to `out` (written beside it first, renamed when complete). */
export async function backupSqlite(dbFile: string, out: string): Promise<Counts> {
  if (!existsSync(dbFile)) throw new Error(`there is no database at ${dbFile}`);
  const tmp = partialName(out);
  try {
    const source = new SQLite(dbFile, { fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      await copyDatabase(source, tmp);
    } finally {
      source.close();
    }
    const copy = new SQLite(tmp, { fileMustExist: true });
    try {
      // One file that any sqlite3 opens read-only, with nothing beside it to lose.
      copy.pragma('journal_mode = DELETE');
      checkCertportDatabase(copy, out);
    } finally {
      copy.close();
    }
    const counts = countSqlite(tmp);
    renameSync(tmp, out);
    syncDir(path.dirname(out));
    return counts;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Tables in the database at `file`: 0 when there is no file or it is empty. */
function tablesIn(file: string): number {
  if (!existsSync(file) || statSync(file).size === 0) return 0;
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare(`select count(*) from sqlite_master where type = 'table'`).pluck().get());
  } finally {
    db.close();
  }
}

/** A backup must be a sound certport database: intact pages, and the tables every one has. */
function checkCertportDatabase(db: SQLite.Database, name: string): void {
  const check = db.pragma('quick_check', { simple: true });
  if (check !== 'ok') throw new Error(`${name} is damaged (quick_check: ${String(check)})`);
  const has = db.prepare(`select count(*) from sqlite_master where type = 'table' and name in ('certificates', 'ca_material')`).pluck().get();
  if (Number(has) !== 2) throw new Error(`${name} is an SQLite database but not a certport one`);
}

/**
 * Restores the backup `file` as the database `dbFile`. An existing database with tables is
 * replaced only with `force` (the service must be stopped: a running one would keep its old file).
 */
export async function restoreSqlite(file: string, dbFile: string, force: boolean): Promise<Counts> {
  const tables = tablesIn(dbFile);
  if (tables > 0 && !force) {
    throw new TargetNotEmpty(`${dbFile} already holds a database (${tables} tables): restore onto a fresh data dir, or pass --force to replace it (stop the service first)`);
  }
  mkdirSync(path.dirname(dbFile), { recursive: true, mode: 0o700 });
  const tmp = partialName(dbFile);
  try {
    const source = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      checkCertportDatabase(source, file);
      await copyDatabase(source, tmp);
    } finally {
      source.close();
    }
    const counts = countSqlite(tmp);
    // The old database's WAL would otherwise be replayed onto the restored file.
    for (const f of [`${dbFile}-wal`, `${dbFile}-shm`, `${dbFile}-journal`]) rmSync(f, { force: true });
    renameSync(tmp, dbFile);
    syncDir(path.dirname(dbFile));
    return counts;
  } finally {
    rmSync(tmp, { force: true });
  }
}

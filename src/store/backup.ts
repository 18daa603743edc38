// Backup and restore of a whole certport database: what both backends share (the tables
// counted, the error a non-empty target gets, telling the two kinds of backup file apart).
// The SQLite and PostgreSQL mechanics are in backup-sqlite.ts and backup-postgres.ts.
// Sealed values are copied as they are: the master key is not in a backup.
import { closeSync, fsyncSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Database } from './schema.js';

/** Rows per table (every certport table present), plus `certificate_keys`: stored private keys. */
export type Counts = Record<string, number>;

/** Every certport table: counted after a backup and after a restore. */
export const TABLES = [
  'certificates', 'certificate_material', 'certificate_downloads', 'certificate_tags', 'accounts', 'users', 'api_keys', 'projects', 'operation_logs',
  'ca_material', 'dv_orders', 'paid_orders', 'jobs', 'acme_accounts', 'csrs', 'companies', 'managers',
  'deploy_resources', 'deploy_records', 'deploy_details', 'deploy_bind_tasks', 'cert_notification_switch',
  'cert_delete_tasks', 'notices', 'notification_channels', 'cert_hosting', 'master_keys', 'tls_serving', 'key_checks',
  'acme_srv_nonces', 'acme_srv_eab', 'acme_srv_accounts', 'acme_srv_orders', 'acme_srv_authzs', 'acme_srv_policies',
  'acme_srv_issuances',
  'revocations', 'blocked_keys', 'crls',
  'console_passwords', 'console_sessions',
  'console_operators',
  'packages', 'package_usages',
] as const satisfies readonly (keyof Database)[];
// A table added to Database and not listed above fails to compile here.
const allListed: Exclude<keyof Database, (typeof TABLES)[number]> extends never ? true : never = true;
void allListed;

/** The query counting stored private keys: rows of `material` (certificate_material, qualified as needed) with a sealed key. */
export const keysCountSql = (material: string) => `select count(*) as n from ${material} where private_key_sealed is not null`;

/** What a restore refuses to overwrite without --force. */
export class TargetNotEmpty extends Error {}

export type BackupKind = 'sqlite' | 'postgres';

/** The backend a backup file was made from, by its first bytes; null when it is neither. */
export function backupKind(file: string): BackupKind | null {
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') === 'SQLite format 3\0') return 'sqlite';
  if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'postgres';
  return null;
}

/** Makes a rename into `dir` durable (the new name survives a power loss). */
export function syncDir(dir: string): void {
  const fd = openSync(path.resolve(dir), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `<file>.partial-<pid>`: where a copy is written before it is renamed into place. */
export const partialName = (file: string) => `${file}.partial-${process.pid}`;

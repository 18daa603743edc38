// The state the in-memory fakes share, as the stores share one database: a write that spans
// aggregates (an order with its certificate, its log entry and its first job) lands in all of
// them at once. Records go in and come out as copies, as rows would.
import type { ProjectRecord } from '../../domain/account.js';
import type { CertificateRecord, OperationLogRecord } from '../../domain/certificate.js';
import type { BindTask, DeleteTask, DeployDetail, DeployRecord, ResourceRecord } from '../../domain/deployment.js';
import type { DvOrderRecord } from '../../domain/dv-order.js';
import type { HostingRecord } from '../../domain/hosting.js';
import type { JobRecord } from '../../domain/job.js';
import type { PaidOrderRecord } from '../../domain/paid-order.js';
import type { KeptDownload } from '../../domain/stores.js';

export class MemoryDb {
  readonly accounts = new Set<string>();
  readonly certificates = new Map<string, CertificateRecord>();
  /** By `${accountUin}\n${projectId}`. */
  readonly projects = new Map<string, ProjectRecord>();
  readonly dvOrders = new Map<string, DvOrderRecord>();
  readonly paidOrders = new Map<string, PaidOrderRecord>();
  /** By `${kind}\n${subject}`. */
  readonly jobs = new Map<string, JobRecord>();
  /** In insertion order (the log's id). */
  readonly logs: OperationLogRecord[] = [];
  readonly resources = new Map<string, ResourceRecord>();
  readonly records = new Map<number, DeployRecord>();
  readonly details = new Map<number, DeployDetail>();
  readonly bindTasks = new Map<string, BindTask>();
  readonly expirySwitch = new Map<string, { accountUin: string; ignore: boolean; updatedAt: number }>();
  readonly deleteTasks = new Map<string, DeleteTask>();
  readonly hosting = new Map<string, HostingRecord>();
  /** Kept DownloadCertificate archives, by certificate id. */
  readonly downloads = new Map<string, KeptDownload>();
  #serial = 0;
  #version = 0;

  /** The next id of an auto-increment column (deploy records and details). */
  nextId(): number {
    return ++this.#serial;
  }

  /** Runs a write; the change token moves with every one. */
  write<T>(f: () => T): T {
    this.#version++;
    return f();
  }

  get version(): number {
    return this.#version;
  }
}

export const copy = <T>(v: T): T => structuredClone(v);

/** Inserts into a keyed table, refusing a key already there (as a primary key would). */
export function insertNew<K, V>(table: Map<K, V>, key: K, value: V, what: string): void {
  if (table.has(key)) throw new Error(`duplicate ${what} ${String(key)}`);
  table.set(key, copy(value));
}

/** Fields of `patch` that are set (undefined means "leave alone", as in the stores). */
export const defined = <T extends object>(patch: T): Partial<T> =>
  Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;

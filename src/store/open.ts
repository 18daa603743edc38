// Opens the database, brings its schema up to date, and hands out one store per aggregate.
// main.ts (the composition root) gives each service the stores it needs.
import { sql, type Kysely } from 'kysely';
import { ListingReader } from './listing/reader.js';
import { openDb, type Dialect, type OpenOptions } from './db.js';
import type { Database } from './schema.js';
import { migrate } from './migrations/index.js';
import { SqlAccountStore } from './accounts.js';
import { SqlAcmeAccountStore } from './acme-accounts.js';
import { SqlCaStore } from './ca-material.js';
import { SqlCertificateStore } from './certificates.js';
import { SqlConsoleStore } from './console.js';
import { SqlCsrStore } from './csrs.js';
import { SqlDeployStore } from './deployments.js';
import { SqlDvOrderStore } from './dv-orders.js';
import { SqlHostingStore } from './hosting.js';
import { SqlJobStore } from './jobs.js';
import { SqlMasterKeyStore } from './master-keys.js';
import { SqlMetricsStore } from './metrics.js';
import { SqlNoticeStore } from './notices.js';
import { SqlOperationLogStore } from './operation-log.js';
import { SqlOrgStore } from './organizations.js';
import { SqlPaidOrderStore } from './paid-orders.js';
import { SqlProjectStore } from './projects.js';
import { SqlTagStore } from './tags.js';
import { SqlTlsServingStore } from './tls-serving.js';
import { SqlAcmeServerStore } from './acme-server.js';
import { SqlRevocationStore } from './revocations.js';
import { SqlPackageStore } from './packages.js';

export interface Stores {
  accounts: SqlAccountStore;
  projects: SqlProjectStore;
  certificates: SqlCertificateStore;
  operationLog: SqlOperationLogStore;
  dvOrders: SqlDvOrderStore;
  paidOrders: SqlPaidOrderStore;
  jobs: SqlJobStore;
  ca: SqlCaStore;
  acmeAccounts: SqlAcmeAccountStore;
  csrs: SqlCsrStore;
  deployments: SqlDeployStore;
  hosting: SqlHostingStore;
  notices: SqlNoticeStore;
  organizations: SqlOrgStore;
  metrics: SqlMetricsStore;
  /** The key ring and every sealed column (master-key rotation). */
  masterKeys: SqlMasterKeyStore;
  /** Certificate tags as the Tag API sees them. */
  tags: SqlTagStore;
  /** The HTTPS listener's own certificate. */
  tlsServing: SqlTlsServingStore;
  /** certport's own ACME server. */
  acmeServer: SqlAcmeServerStore;
  revocations: SqlRevocationStore;
  /** Console passwords and sessions. */
  console: SqlConsoleStore;
  /** Packages: the operator's grants of paid-certificate units. */
  packages: SqlPackageStore;
  readonly dialect: Dialect;
  /** The handle itself, for benchmarks and tests that read or seed tables directly. */
  readonly kysely: Kysely<Database>;
  /** Plain SELECT 1, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** `url`: sqlite:<file> or a PostgreSQL URL; `opts`: see OpenOptions (schema, pool, SQLite's synchronous). */
export async function openStores(url: string, opts: OpenOptions = {}): Promise<Stores> {
  const db = openDb(url, opts);
  await migrate(db.kysely, db.dialect);
  // Statistics fresh from the start (a database that grew since it was last analysed), then hourly.
  await db.optimize();
  const k = db.kysely;
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : null;
  const reader = opts.listingThread && file && file !== ':memory:' ? new ListingReader(url) : undefined;
  return {
    accounts: new SqlAccountStore(k),
    projects: new SqlProjectStore(k),
    certificates: new SqlCertificateStore(db, reader),
    operationLog: new SqlOperationLogStore(k),
    dvOrders: new SqlDvOrderStore(k),
    paidOrders: new SqlPaidOrderStore(k),
    jobs: new SqlJobStore(k),
    ca: new SqlCaStore(k),
    acmeAccounts: new SqlAcmeAccountStore(k),
    csrs: new SqlCsrStore(k),
    deployments: new SqlDeployStore(k),
    hosting: new SqlHostingStore(k),
    notices: new SqlNoticeStore(k),
    organizations: new SqlOrgStore(k),
    metrics: new SqlMetricsStore(k),
    masterKeys: new SqlMasterKeyStore(k),
    tags: new SqlTagStore(k),
    tlsServing: new SqlTlsServingStore(k),
    acmeServer: new SqlAcmeServerStore(k, { memoryNonces: db.dialect === 'sqlite' && !opts.sharedFile }),
    revocations: new SqlRevocationStore(k),
    console: new SqlConsoleStore(k),
    packages: new SqlPackageStore(k),
    dialect: db.dialect,
    kysely: k,
    async ping() {
      await sql`select 1`.execute(k);
    },
    async close() {
      await reader?.close();
      await db.close();
    },
  };
}

type Joined<T extends object[]> = T extends [infer H, ...infer R extends object[]] ? H & Joined<R> : unknown;

/**
 * One object answering for several stores (their methods bound to them), for a service that
 * takes the ports it needs as one parameter (e.g. CertificateStore & DvOrderStore & JobStore).
 * Two stores with a method of the same name are refused.
 */
export function joinStores<T extends object[]>(...stores: T): Joined<T> {
  const out: Record<string, unknown> = {};
  for (const store of stores) {
    for (let proto = Object.getPrototypeOf(store); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, name)!;
        if (name === 'constructor' || typeof d.value !== 'function') continue;
        if (name in out) throw new Error(`joinStores: two stores answer ${name}`);
        out[name] = d.value.bind(store);
      }
    }
  }
  return out as Joined<T>;
}

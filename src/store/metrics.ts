// Cluster-wide figures for /metrics, read from the database every node shares (each node's own
// counters would see only its own work). Read-only; each query is a GROUP BY over an index or
// an index probe per account, so a scrape stays cheap with millions of certificates:
//  - certificates by status and source: index-only over certs_status_source_expiry (0012);
//  - the nearest expiry per account: one probe of certs_account_status_expiry_f per account;
//  - issuance outcomes: the 'issued'/'failed' operation-log entries, over oplog_type (0012);
//  - pending validations: the few certificates at status 0/4 (certs_status_source_expiry)
//    joined to their orders by primary key;
//  - deployment details by status and resource type (deploy_details stays small next to
//    certificates: one row per resource a deployment touched).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { MetricsSnapshot } from '../domain/metrics.js';
import type { MetricsStore } from '../domain/stores.js';

/** The statuses an issued certificate may be in: 1, and 11 while it is being reissued. */
const LIVE = [1, 11];
export const ISSUANCE_LOG_TYPES = ['issued', 'failed'];

export class SqlMetricsStore implements MetricsStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Everything /metrics shows from the database, as of `now` (epoch ms). */
  async snapshot(now: number): Promise<MetricsSnapshot> {
    // One after another: a scrape takes one pooled connection, never the whole pool.
    const certificates = await this.certificatesByStatus(now);
    const nearestExpiry = await this.nearestExpiry(now);
    const issuance = await this.issuance();
    const pendingValidations = await this.pendingValidations();
    const deployments = await this.deployments();
    return { certificates, nearestExpiry, issuance, pendingValidations, deployments };
  }

  async certificatesByStatus(now: number): Promise<MetricsSnapshot['certificates']> {
    // Streams the index in (status, source) order; the expired part of status 1 is then a
    // range count per source, which reads only the expired certificates' index entries.
    const rows = await this.db.selectFrom('certificates')
      .select(['status', 'source', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['status', 'source'])
      .execute();
    const out: MetricsSnapshot['certificates'] = [];
    for (const r of rows) {
      const status = Number(r.status);
      const n = Number(r.n);
      if (status !== 1) {
        out.push({ status, source: r.source, expired: false, n });
        continue;
      }
      const e = await this.db.selectFrom('certificates')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 1).where('source', '=', r.source).where('not_after', '<', now)
        .executeTakeFirstOrThrow();
      const expired = Number(e.n);
      out.push({ status, source: r.source, expired: false, n: n - expired });
      if (expired > 0) out.push({ status, source: r.source, expired: true, n: expired });
    }
    return out;
  }

  async nearestExpiry(now: number): Promise<MetricsSnapshot['nearestExpiry']> {
    // A correlated MIN per (account, status) is one index probe each; a GROUP BY over
    // account_uin would read every issued certificate instead.
    const rows = await this.db.selectFrom('accounts as a')
      .select((eb) => {
        const soonest = (status: number) => eb.selectFrom('certificates as c')
          .select((e) => e.fn.min('c.not_after').as('m'))
          .whereRef('c.account_uin', '=', 'a.uin')
          .where('c.status', '=', status)
          .where('c.not_after', '>=', now);
        return ['a.uin', soonest(LIVE[0]!).as('s1'), soonest(LIVE[1]!).as('s11')];
      })
      .orderBy('a.uin')
      .execute();
    const out: MetricsSnapshot['nearestExpiry'] = [];
    for (const r of rows) {
      const times = [r.s1, r.s11].filter((x): x is number => x !== null && x !== undefined).map(Number);
      if (times.length) out.push({ accountUin: r.uin, notAfter: Math.min(...times) });
    }
    return out;
  }

  async issuance(): Promise<MetricsSnapshot['issuance']> {
    const rows = await this.db.selectFrom('operation_logs')
      .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
      .where('type', 'in', ISSUANCE_LOG_TYPES)
      .groupBy('type')
      .execute();
    return rows.map((r) => ({ type: r.type, n: Number(r.n) }));
  }

  async pendingValidations(): Promise<MetricsSnapshot['pendingValidations']> {
    const rows = await this.db.selectFrom('certificates as c')
      .innerJoin('dv_orders as o', 'o.cert_id', 'c.id')
      .select(['o.method', (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.min(eb.fn.coalesce('o.last_check_at', 'o.created_at')).as('oldest')])
      .where('c.status', 'in', [0, 4])
      .groupBy('o.method')
      .execute();
    return rows.map((r) => ({ method: r.method, n: Number(r.n), oldestCheckAt: Number(r.oldest) }));
  }

  async deployments(): Promise<MetricsSnapshot['deployments']> {
    const rows = await this.db.selectFrom('deploy_details')
      .select(['status', 'resource_type', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['status', 'resource_type'])
      .execute();
    return rows.map((r) => ({ status: Number(r.status), resourceType: r.resource_type, n: Number(r.n) }));
  }
}

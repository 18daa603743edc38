// Prometheus metrics: one registry per service instance (never prom-client's global one, so
// that several services in one process keep apart), with the process's default metrics and the
// cluster-wide figures read from the shared database at scrape time.
//
// Database figures are gauges (and one counter) filled in prom-client `collect()` callbacks from
// one snapshot, read at most once per `cacheMs` (10 s), or per 50 × the last read's duration
// if that is longer (a read never takes more than 2% of the time): scrapes in between, from
// Prometheus or from several Prometheus servers, are answered from memory; scrapes arriving
// while a read is in flight share it. If the read fails the database series are left out (not shown stale) and
// certport_metrics_database_up is 0.
//
// Labels stay bounded: statuses, sources, methods and resource types are closed sets; the one
// per-account series (nearest expiry) is asked for by operators; never a certificate id.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsSnapshot } from '../domain/metrics.js';
import type { MetricsStore } from '../domain/stores.js';
import type { Clock } from '../domain/clock.js';
import { DETAIL } from '../domain/deployment.js';

/** Where the database figures come from. */
export type MetricsSource = MetricsStore;

export interface MetricsOptions {
  /** How long one database snapshot serves scrapes at least; default 10 s. */
  cacheMs?: number;
  /** Monotonic milliseconds for the cache (tests inject one); default performance.now. */
  monotonic?: () => number;
}

/** Certificate statuses of the API (spec CertificateStatus), as label values. */
export const STATUS_STATE: Record<number, string> = {
  0: 'pending', 1: 'issued', 2: 'failed', 3: 'expired', 4: 'dns_record_added', 5: 'pending_submission',
  6: 'cancelling', 7: 'cancelled', 8: 'pending_confirmation_letter', 9: 'revoking', 10: 'revoked',
  11: 'reissuing', 12: 'pending_revocation_letter',
};

const DETAIL_STATE: Record<number, string> = Object.fromEntries(Object.entries({
  pending: DETAIL.pending, succeeded: DETAIL.ok, failed: DETAIL.failed, running: DETAIL.running,
  rolled_back: DETAIL.rolledBack, rollback_failed: DETAIL.rollbackFailed, nothing_to_roll_back: DETAIL.nothing,
}).map(([name, code]) => [code, name]));

const ISSUANCE_OUTCOME: Record<string, string> = { issued: 'issued', failed: 'failed' };

export class Metrics {
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  readonly #monotonic: () => number;
  #cached: { at: number; now: number; snap: MetricsSnapshot | null } | null = null;
  #reading: Promise<{ now: number; snap: MetricsSnapshot | null }> | null = null;
  #lastReadSeconds = 0;
  /** Database reads so far (tests check the cache with it). */
  reads = 0;
  /** Told when a database read fails (the HTTP layer logs it). */
  onError: (err: unknown) => void = () => {};

  constructor(source: MetricsSource, clock: Clock, opts: MetricsOptions = {}) {
    this.#source = source;
    this.#clock = clock;
    this.#cacheMs = opts.cacheMs ?? 10_000;
    this.#monotonic = opts.monotonic ?? (() => performance.now());
    collectDefaultMetrics({ register: this.registry });

    const metrics = this;
    const registers = [this.registry];
    new Gauge({
      name: 'certport_certificates',
      help: 'Certificates stored, by status (the API\'s StatusCode and its name) and source (upload, embedded, embedded-sm2, acme); all nodes.',
      labelNames: ['status', 'state', 'source'] as const,
      registers,
      async collect() {
        this.reset();
        const s = await metrics.#snapshot();
        for (const c of s.snap?.certificates ?? []) {
          const status = c.expired ? 3 : c.status;
          this.inc({ status: String(status), state: STATUS_STATE[status] ?? 'other', source: c.source }, c.n);
        }
      },
    });
    new Gauge({
      name: 'certport_certificate_nearest_expiry_seconds',
      help: 'Per account, seconds until the soonest end of validity of an issued certificate not yet expired; all nodes.',
      labelNames: ['account'] as const,
      registers,
      async collect() {
        this.reset();
        const s = await metrics.#snapshot();
        for (const e of s.snap?.nearestExpiry ?? []) this.set({ account: e.accountUin }, (e.notAfter - s.now) / 1000);
      },
    });
    new Counter({
      name: 'certport_issuance_outcomes_total',
      help: 'Certificate orders that ended: issued, or failed (validation timed out, the CA refused); all nodes, all time.',
      labelNames: ['outcome'] as const,
      registers,
      async collect() {
        this.reset();
        const s = await metrics.#snapshot();
        if (!s.snap) return;
        for (const outcome of Object.values(ISSUANCE_OUTCOME)) this.inc({ outcome }, 0);
        for (const r of s.snap.issuance) this.inc({ outcome: ISSUANCE_OUTCOME[r.type] ?? 'other' }, r.n);
      },
    });
    new Gauge({
      name: 'certport_validation_pending',
      help: 'DV orders waiting for domain validation (status 0 or 4), by method (DNS, FILE, DNS_AUTO); all nodes.',
      labelNames: ['method'] as const,
      registers,
      async collect() {
        this.reset();
        const s = await metrics.#snapshot();
        for (const v of s.snap?.pendingValidations ?? []) this.set({ method: v.method }, v.n);
      },
    });
    new Gauge({
      name: 'certport_validation_oldest_check_age_seconds',
      help: 'Seconds since the least recently checked pending DV order was last checked (or placed), by method: grows when validation jobs stall.',
      labelNames: ['method'] as const,
      registers,
      async collect() {
        this.reset();
        const s = await metrics.#snapshot();
        for (const v of s.snap?.pendingValidations ?? []) this.set({ method: v.method }, Math.max(0, (s.now - v.oldestCheckAt) / 1000));
      },
    });
    new Gauge({
      name: 'certport_deployments',
      help: 'Deployments of a certificate to one resource (deployment record details), by status and resource type; all nodes.',
      labelNames: ['status', 'resource_type'] as const,
      registers,
      async collect() {
        this.reset();
        const s = await metrics.#snapshot();
        for (const d of s.snap?.deployments ?? []) {
          this.inc({ status: DETAIL_STATE[d.status] ?? 'other', resource_type: d.resourceType }, d.n);
        }
      },
    });
    new Gauge({
      name: 'certport_metrics_database_up',
      help: '1 when the last read of the database figures for /metrics succeeded.',
      registers,
      async collect() {
        this.set((await metrics.#snapshot()).snap ? 1 : 0);
      },
    });
    new Gauge({
      name: 'certport_metrics_database_read_seconds',
      help: 'How long the last read of the database figures for /metrics took.',
      registers,
      async collect() {
        await metrics.#snapshot();
        this.set(metrics.#lastReadSeconds);
      },
    });
  }

  /** The text exposition (Prometheus text format 0.0.4). */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #snapshot(): Promise<{ now: number; snap: MetricsSnapshot | null }> {
    const c = this.#cached;
    const ttl = Math.max(this.#cacheMs, this.#lastReadSeconds * 1000 * 50);
    if (c && this.#monotonic() - c.at < ttl) return Promise.resolve(c);
    this.#reading ??= this.#read().finally(() => {
      this.#reading = null;
    });
    return this.#reading;
  }

  async #read(): Promise<{ now: number; snap: MetricsSnapshot | null }> {
    const started = this.#monotonic();
    const now = this.#clock();
    let snap: MetricsSnapshot | null = null;
    this.reads++;
    try {
      snap = await this.#source.snapshot(now);
    } catch (e) {
      this.onError(e);
    }
    const at = this.#monotonic();
    this.#lastReadSeconds = (at - started) / 1000;
    this.#cached = { at, now, snap };
    return this.#cached;
  }
}

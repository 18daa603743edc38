// The registry and its database collectors, with a fake snapshot source and a fake monotonic
// clock: what the series say, how often the database is read, and what a failed read shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricsSnapshot } from '../domain/metrics.js';
import { parsePrometheusText, samples, value } from '../testing/prometheus.js';
import { DETAIL } from '../domain/deployment.js';
import { Metrics, type MetricsSource } from './metrics.js';

const NOW = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function snapshot(): MetricsSnapshot {
  return {
    certificates: [
      { status: 1, source: 'upload', expired: false, n: 7 },
      { status: 1, source: 'upload', expired: true, n: 2 },
      { status: 3, source: 'upload', expired: false, n: 1 },
      { status: 2, source: 'acme', expired: false, n: 4 },
      { status: 42, source: 'embedded', expired: false, n: 1 },
    ],
    nearestExpiry: [{ accountUin: '100001', notAfter: NOW + 3 * DAY }, { accountUin: '100002', notAfter: NOW + 1000 }],
    issuance: [{ type: 'issued', n: 12 }],
    pendingValidations: [{ method: 'DNS_AUTO', n: 3, oldestCheckAt: NOW - 90_000 }],
    deployments: [
      { status: DETAIL.ok, resourceType: 'clb', n: 5 }, { status: DETAIL.failed, resourceType: 'clb', n: 2 },
      { status: DETAIL.rollbackFailed, resourceType: 'cdn', n: 1 },
    ],
  };
}

class FakeSource implements MetricsSource {
  reads = 0;
  fail = false;
  delayMs = 0;
  snap = snapshot();
  async snapshot(now: number): Promise<MetricsSnapshot> {
    assert.equal(now, NOW, 'reads at the injected clock');
    this.reads++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw new Error('database down');
    return this.snap;
  }
}

function setup(cacheMs = 10_000) {
  const source = new FakeSource();
  let mono = 1_000;
  const metrics = new Metrics(source, () => NOW, { cacheMs, monotonic: () => mono });
  return { source, metrics, advance: (ms: number) => { mono += ms; }, scrape: async () => parsePrometheusText((await metrics.scrape()).body) };
}

describe('Metrics', () => {
  test('shows the database figures as labelled series; expired issued certificates count as status 3', async () => {
    const { scrape } = setup();
    const f = await scrape();
    assert.equal(value(f, 'certport_certificates', { status: '1', state: 'issued', source: 'upload' }), 7);
    assert.equal(value(f, 'certport_certificates', { status: '3', state: 'expired', source: 'upload' }), 3, '2 past notAfter + 1 stored as 3');
    assert.equal(value(f, 'certport_certificates', { status: '2', state: 'failed', source: 'acme' }), 4);
    assert.equal(value(f, 'certport_certificates', { status: '42', source: 'embedded' }), 1);
    assert.equal(samples(f, 'certport_certificates', { status: '42' })[0]!.labels.state, 'other');
    assert.equal(value(f, 'certport_certificate_nearest_expiry_seconds', { account: '100001' }), 3 * 86_400);
    assert.equal(value(f, 'certport_certificate_nearest_expiry_seconds', { account: '100002' }), 1);
    assert.equal(value(f, 'certport_issuance_outcomes_total', { outcome: 'issued' }), 12);
    assert.equal(value(f, 'certport_issuance_outcomes_total', { outcome: 'failed' }), 0, 'both outcomes are always there');
    assert.equal(value(f, 'certport_validation_pending', { method: 'DNS_AUTO' }), 3);
    assert.equal(value(f, 'certport_validation_oldest_check_age_seconds', { method: 'DNS_AUTO' }), 90);
    assert.equal(value(f, 'certport_deployments', { status: 'succeeded', resource_type: 'clb' }), 5);
    assert.equal(value(f, 'certport_deployments', { status: 'failed', resource_type: 'clb' }), 2);
    assert.equal(value(f, 'certport_deployments', { status: 'rollback_failed', resource_type: 'cdn' }), 1);
    assert.equal(value(f, 'certport_metrics_database_up'), 1);
    assert.ok(samples(f, 'process_cpu_user_seconds_total').length === 1, 'default process metrics');
    assert.ok(samples(f, 'nodejs_eventloop_lag_seconds').length === 1, 'default Node.js metrics');
    const types = new Map(f.map((x) => [x.name, x.type]));
    assert.equal(types.get('certport_certificates'), 'gauge');
    assert.equal(types.get('certport_issuance_outcomes'), 'counter');
  });

  test('reads the database once per cache window, whatever the number of scrapes', async () => {
    const { source, metrics, advance, scrape } = setup(10_000);
    await scrape();
    await scrape();
    advance(9_000);
    await scrape();
    assert.equal(source.reads, 1, 'within 10 s the snapshot is reused');
    source.snap = { ...snapshot(), issuance: [{ type: 'issued', n: 13 }] };
    advance(1_500);
    const f = await scrape();
    assert.equal(source.reads, 2, 'after 10 s the database is read again');
    assert.equal(value(f, 'certport_issuance_outcomes_total', { outcome: 'issued' }), 13, 'and the new figures are shown');
    assert.equal(metrics.reads, 2);
  });

  test('concurrent scrapes share one database read', async () => {
    const { source, metrics } = setup();
    source.delayMs = 30;
    const bodies = await Promise.all([metrics.scrape(), metrics.scrape(), metrics.scrape()]);
    assert.equal(source.reads, 1);
    for (const b of bodies) assert.equal(value(parsePrometheusText(b.body), 'certport_validation_pending', { method: 'DNS_AUTO' }), 3);
  });

  test('a failed read leaves the database series out, says database_up 0, and is reported', async () => {
    const { source, metrics, advance, scrape } = setup();
    const errors: unknown[] = [];
    metrics.onError = (e) => errors.push(e);
    await scrape();
    source.fail = true;
    advance(11_000);
    const f = await scrape();
    assert.equal(value(f, 'certport_metrics_database_up'), 0);
    for (const name of ['certport_certificates', 'certport_certificate_nearest_expiry_seconds', 'certport_issuance_outcomes_total', 'certport_deployments']) {
      assert.equal(samples(f, name).length, 0, `${name} is not shown stale`);
    }
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /database down/);
    assert.ok(samples(f, 'process_resident_memory_bytes').length === 1, 'the rest of the scrape still works');
  });

  test('two instances in one process keep separate registries', async () => {
    const a = setup();
    const b = setup();
    b.source.snap = { ...snapshot(), issuance: [{ type: 'failed', n: 99 }] };
    assert.equal(value(await a.scrape(), 'certport_issuance_outcomes_total', { outcome: 'failed' }), 0);
    assert.equal(value(await b.scrape(), 'certport_issuance_outcomes_total', { outcome: 'failed' }), 99);
  });
});

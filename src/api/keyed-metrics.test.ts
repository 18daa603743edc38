import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { KeyedCounter, KeyedHistogram } from './keyed-metrics.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const OBSERVED: [string, string, number][] = [
  ['POST', 'DescribeCertificates', 0.003], ['POST', 'DescribeCertificates', 0.04], ['GET', 'other', 0.01],
  ['POST', 'DescribeCertificates', 12], ['POST', '', 0.005], ['GET', 'other', 0.3], ['POST', 'a"b\\c', 1],
];

test('the keyed histogram and counter export exactly what prom-client\'s export for the same observations', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({ name: 'd_seconds', help: 'help "x"', labelNames: ['method', 'action'] as const, buckets: BUCKETS, registers: [theirs] });
  const c = new Counter({ name: 'n_total', help: 'n', labelNames: ['action', 'code'] as const, registers: [theirs] });
  const kh = new KeyedHistogram('d_seconds', 'help "x"', BUCKETS, ours);
  const kc = new KeyedCounter('n_total', 'n', ours);
  for (const [method, action, v] of OBSERVED) {
    h.observe({ method, action }, v);
    kh.observe(`${method}\n${action}`, () => ({ method, action }), v);
    c.inc({ action, code: 'Success' });
    kc.inc(`${action}\nSuccess`, () => ({ action, code: 'Success' }));
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  assert.throws(() => kh.observe('x', () => ({}), Number.NaN), TypeError);
  ours.resetMetrics();
  theirs.resetMetrics();
  assert.equal(await ours.metrics(), await theirs.metrics());
});

// formatTime keeps a day's text and computes the time of day: it must write exactly what
// toISOString does, at every instant it takes the short way and at the edges where it does not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTime, parseTime } from './time.js';

const viaIso = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

test('formatTime writes what toISOString writes, and parseTime reads it back', () => {
  const samples = [0, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 1_700_000_000_123,
    253_402_300_799_999 /* 9999-12-31 23:59:59.999 */, 253_402_300_800_000, -1, -86_400_001];
  for (let i = 0; i < 5000; i++) samples.push(Math.floor(Math.random() * 4_102_444_800_000)); // to 2100
  for (const ms of samples) {
    assert.equal(formatTime(ms), viaIso(ms), String(ms));
    if (ms >= 0 && ms < 253_402_300_800_000) assert.equal(parseTime(formatTime(ms)!), ms - (ms % 1000));
  }
  assert.equal(formatTime(null), null);
  assert.equal(formatTime(undefined), null);
  assert.throws(() => formatTime(Number.NaN), RangeError);
});

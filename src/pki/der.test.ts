import test from 'node:test';
import assert from 'node:assert/strict';
import * as der from './der.js';

test('tlv writes short and long lengths in their shortest form, in one piece', () => {
  for (const [len, head] of [[0, '3000'], [127, '307f'], [128, '308180'], [255, '3081ff'], [256, '30820100'], [65535, '3082ffff'], [65536, '3083010000']] as const) {
    const out = der.tlv(0x30, Buffer.alloc(len >> 1, 1), Buffer.alloc(len - (len >> 1), 2));
    assert.equal(out.subarray(0, head.length / 2).toString('hex'), head);
    assert.equal(out.length, head.length / 2 + len);
    assert.equal(der.headerSize(len), head.length / 2);
    const node = der.readNodeStrict(out);
    assert.deepEqual([node.contentStart, node.end], [head.length / 2, out.length]);
  }
});

test('readNodeStrict refuses lengths that are not in their shortest form', () => {
  assert.deepEqual(der.readNode(Buffer.from('30810100', 'hex')).end, 4);
  assert.throws(() => der.readNodeStrict(Buffer.from('30810100', 'hex')), /shortest form/);
  assert.throws(() => der.readNodeStrict(Buffer.from('3082000100', 'hex')), /shortest form/);
});

test('time: UTCTime from 1950 through 2049, GeneralizedTime otherwise, whole seconds in Zulu', () => {
  const enc = (iso: string) => der.time(new Date(iso)).toString('latin1');
  assert.equal(enc('2026-01-02T03:04:05.678Z'), '\x17\x0d260102030405Z');
  assert.equal(enc('1950-01-01T00:00:00Z'), '\x17\x0d500101000000Z');
  assert.equal(enc('2049-12-31T23:59:59Z'), '\x17\x0d491231235959Z');
  assert.equal(enc('2050-01-01T00:00:00Z'), '\x18\x0f20500101000000Z');
  assert.equal(enc('1949-12-31T23:59:59Z'), '\x18\x0f19491231235959Z');
  assert.equal(enc('0999-07-08T09:10:11Z'), '\x18\x0f09990708091011Z');
});

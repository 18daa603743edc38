import test from 'node:test';
import assert from 'node:assert/strict';
import { NameError, normalizeDomain, parentZoneGuess, zoneCandidates } from './names.js';
import { Fault } from '../domain/errors.js';

const good: [input: string, expected: string, allowWildcard?: boolean][] = [
  ['example.com', 'example.com'],
  ['  Shop.EXAMPLE.com \n', 'shop.example.com'],
  ['a-b.c0.example.com', 'a-b.c0.example.com'],
  ['123.example.com', '123.example.com'],
  ['example.xn--p1ai', 'example.xn--p1ai'],
  ['bücher.example', 'xn--bcher-kva.example'],
  ['BÜCHER.example', 'xn--bcher-kva.example'],
  ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ['*.example.com', '*.example.com', true],
  ['*.bücher.example', '*.xn--bcher-kva.example', true],
  [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
  [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`, `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`],
];

const bad: [input: string, message: RegExp, allowWildcard?: boolean][] = [
  ['', /is empty/],
  ['   ', /is empty/],
  ['a..b.com', /domain "a..b.com" has an empty label/],
  ['.example.com', /empty label/],
  ['example.com.', /ends with a dot/],
  ['localhost', /at least two labels/],
  ['com', /at least two labels/],
  ['example.123', /all-numeric top-level domain/],
  ['1.2.3.4', /is an IP address/],
  ['::1', /is an IP address/],
  ['[2001:db8::1]', /is an IP address/],
  ['2001:db8::1', /is an IP address/],
  ['１２７.０.０.１', /is an IP address/],
  ['under_score.example.com', /contains "_"/],
  ['space here.example.com', /contains " "/],
  ['-lead.example.com', /starts or ends with a hyphen/],
  ['trail-.example.com', /starts or ends with a hyphen/],
  [`${'a'.repeat(64)}.com`, /label longer than 63/],
  [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(59)}.com`, /longer than 253/],
  ['ab--cd.example.com', /reserved format/],
  ['xn--zz.example.com', /invalid punycode label/],
  ['*.example.com', /is a wildcard, which is not allowed/],
  ['*.*.example.com', /more than one wildcard/, true],
  ['www.*.example.com', /not the whole leftmost label/, true],
  ['*example.com', /not the whole leftmost label/, true],
  ['f*o.example.com', /not the whole leftmost label/, true],
  ['*', /not the whole leftmost label|more than one wildcard/, true],
  ['*.com', /wildcard directly on a top-level domain/, true],
  ['http://example.com/', /contains ":"/],
];

test('accepts and normalises names a public CA accepts', () => {
  for (const [input, expected, allowWildcard] of good) {
    assert.equal(normalizeDomain(input, { allowWildcard: !!allowWildcard }), expected, input);
  }
});

test('refuses names a public CA refuses, saying why', () => {
  for (const [input, message, allowWildcard] of bad) {
    assert.throws(() => normalizeDomain(input, { allowWildcard: !!allowWildcard }), (e: unknown) => {
      assert.ok(e instanceof NameError, `${input}: NameError`);
      // A Fault of kind invalidValue: InvalidParameterValue at the API edge.
      assert.ok(e instanceof Fault);
      assert.equal(e.kind, 'invalidValue');
      assert.match(e.message, message, input);
      return true;
    }, input);
  }
});

test('guesses the parent zone as the last two labels', () => {
  assert.equal(parentZoneGuess('shop.example.com'), 'example.com');
  assert.equal(parentZoneGuess('*.a.b.example.com'), 'example.com');
  assert.equal(parentZoneGuess('example.com'), 'example.com');
  assert.equal(parentZoneGuess('shop.example.co.uk'), 'co.uk', 'the documented simplification');
  assert.deepEqual(zoneCandidates('*.a.example.co.uk'), ['a.example.co.uk', 'example.co.uk', 'co.uk']);
});

// IDNA2008 (RFC 5891/5892) on top of UTS #46 non-transitional mapping, as Boulder's policy
// package requires: code points IDNA2008 disallows (emoji, symbols) are refused in either form.
test('IDNA2008: emoji and symbol labels are refused, as U-labels and as A-labels', () => {
  const refused: [string, RegExp][] = [
    ['💥.example.com', /U\+1F4A5.*not allowed in IDNA2008/],
    ['xn--hs8h.example.com', /U\+1F4A5.*not allowed in IDNA2008/],
    ['shop💥.example.com', /not allowed in IDNA2008/],
    ['☃.example.com', /U\+2603/],
    ['xn--n3h.example.com', /U\+2603/],
    ['a\u00a0b.example.com', /./],
    ['x\u200db.example.com', /./], // ZWJ outside its CONTEXTJ rule
    ['\u0300abc.example.com', /./], // a label may not start with a combining mark
    ['abc\u0640.example.com', /U\+0640/], // Arabic tatweel: DISALLOWED by RFC 5892's exceptions
    ['l\u00b7a.example.com', /U\+00B7/], // middle dot outside l·l (CONTEXTO)
    ['\u05d0\u0031a.example.com', /./], // Bidi rule (RFC 5893)
  ];
  for (const [input, message] of refused) {
    assert.throws(() => normalizeDomain(input, { allowWildcard: true }), (e: unknown) => {
      assert.ok(e instanceof NameError, `${input}: NameError, got ${String(e)}`);
      assert.match(e.message, message, input);
      return true;
    }, input);
  }
});

test('IDNA2008: valid IDNs pass in either form, with UTS #46 non-transitional mapping', () => {
  const ok: [string, string][] = [
    ['bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['faß.de', 'xn--fa-hia.de'], // non-transitional: ß stays ß (transitional would give fass.de)
    ['ελληνικά.example', 'xn--hxargifdar.example'],
    ['παράδειγμα.δοκιμή', 'xn--hxajbheg2az3al.xn--jxalpdlp'],
    ['пример.рф', 'xn--e1afmkfd.xn--p1ai'],
    ['l·l.example.com', 'xn--ll-0ea.example.com'], // Catalan ela geminada: CONTEXTO satisfied
    ['日本語.jp', 'xn--wgv71a119e.jp'],
    ['ＥＸＡＭＰＬＥ.com', 'example.com'], // full-width letters are mapped
  ];
  for (const [input, expected] of ok) assert.equal(normalizeDomain(input, { allowWildcard: false }), expected, input);
});

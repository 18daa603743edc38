import assert from 'node:assert/strict';
import test from 'node:test';
import { canonicalIp, inPrefix, ipBytes, ipText, parsePrefix, reverseName } from './ip.js';

test('canonical text: dotted decimal, and RFC 5952 section 4 for IPv6', () => {
  const cases: [string, string][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // the first of two equal runs (4.2.3)
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group stays (4.2.2)
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run (4.2.3)
    ['fe80::', 'fe80::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // IPv4-mapped: section 5's mixed form
    ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
});

test('refuses what is not one address', () => {
  for (const bad of ['', '127.1', '01.2.3.4', '1.2.3.4/32', '192.0.2.0/24', '[::1]', '::1%lo', 'fe80::1%eth0', '*.1.2.3.4', '1.2.3.*',
    '1.2.3.4:80', 'example.com', '1.2.3.4.5', '::g', ' 1.2.3.4']) {
    assert.equal(canonicalIp(bad), null, bad);
  }
});

test('octets round trip; other lengths have no text', () => {
  assert.deepEqual([...ipBytes('192.0.2.1')!], [192, 0, 2, 1]);
  assert.equal(ipBytes('2001:db8::1')!.toString('hex'), '20010db8000000000000000000000001');
  assert.equal(ipText(Buffer.from('20010db8000000000000000000000001', 'hex')), '2001:db8::1');
  assert.equal(ipText(Buffer.alloc(5)), null);
});

test('reverse-DNS names for tls-alpn-01 (RFC 8738 section 6)', () => {
  assert.equal(reverseName('127.0.0.1'), '1.0.0.127.in-addr.arpa');
  assert.equal(reverseName('::1'), `1.${'0.'.repeat(31)}ip6.arpa`);
  assert.equal(reverseName('2001:db8::567:89ab'), 'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'); // RFC 8738's example
});

test('CIDR prefixes: canonical, host bits zero, one family', () => {
  assert.equal(parsePrefix('192.0.2.0/24')!.text, '192.0.2.0/24');
  assert.equal(parsePrefix('2001:DB8:0::/32')!.text, '2001:db8::/32');
  assert.equal(parsePrefix('192.0.2.7')!.text, '192.0.2.7/32');
  assert.equal(parsePrefix('0.0.0.0/0')!.text, '0.0.0.0/0');
  for (const bad of ['192.0.2.1/24', '192.0.2.0/33', '::/129', 'x/8', '192.0.2.0/']) assert.equal(parsePrefix(bad), null, bad);
  const p = parsePrefix('192.0.2.128/25')!;
  assert.ok(inPrefix('192.0.2.200', p));
  assert.ok(!inPrefix('192.0.2.127', p));
  assert.ok(!inPrefix('::1', p));
  assert.ok(inPrefix('2001:db8:ffff::1', parsePrefix('2001:db8::/32')!));
  assert.ok(!inPrefix('2001:db9::1', parsePrefix('2001:db8::/32')!));
  assert.ok(inPrefix('203.0.113.9', parsePrefix('0.0.0.0/0')!));
});

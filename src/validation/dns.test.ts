import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { checkDnsCname, checkDnsTxt, lookupTxt } from './dns.js';
import { startBind, startChallTestSrv, type Bind, type ChallTestSrv } from '../testing/dns-servers.js';

let cts: ChallTestSrv;
let bind: Bind;

/**
 * A CNAME chain of `hops` links alternating between two zones, so that BIND (which chases
 * CNAMEs only inside one zone) hands out one link per answer; the TXT sits at the end.
 */
function chain(prefix: string, hops: number): { 'example.com': string[]; 'other.net': string[] } {
  const zoneOf = (i: number) => (i % 2 === 0 ? 'example.com' : 'other.net');
  const out = { 'example.com': [] as string[], 'other.net': [] as string[] };
  for (let i = 0; i < hops; i++) out[zoneOf(i)].push(`${prefix}${i} IN CNAME ${prefix}${i + 1}.${zoneOf(i + 1)}.`);
  out[zoneOf(hops)].push(`${prefix}${hops} IN TXT "end-of-${prefix}"`);
  return out;
}

before(async () => {
  const ok8 = chain('ok', 8);
  const long9 = chain('long', 9);
  [cts, bind] = await Promise.all([
    startChallTestSrv(),
    startBind({
      'example.com': [
        '_dnsauth.shop IN CNAME _dnsauth.shop.validation.other.net.', // out of zone: BIND answers with the CNAME only
        'inzone IN CNAME target',
        'target IN TXT "in-zone-value"',
        'split IN TXT "part-one-" "part-two"',
        'loop IN CNAME loop.other.net.',
        ...ok8['example.com'],
        ...long9['example.com'],
      ].join('\n'),
      'other.net': [
        '_dnsauth.shop.validation IN TXT "from-the-other-zone"',
        'loop IN CNAME loop.example.com.',
        ...ok8['other.net'],
        ...long9['other.net'],
      ].join('\n'),
    }),
  ]);
});

after(async () => {
  await Promise.all([cts?.stop(), bind?.stop()]);
});

const opts = () => ({ resolvers: [cts.dns], timeoutMs: 1000 });

test('finds the expected TXT value at _dnsauth', async () => {
  await cts.setTxt('_dnsauth.shop.example.com', '202611230000001abcdefgh');
  assert.deepEqual(await lookupTxt('_dnsauth.shop.example.com', opts()), ['202611230000001abcdefgh']);
  const r = await checkDnsTxt('_dnsauth.shop.example.com.', '202611230000001abcdefgh', opts());
  assert.deepEqual(r, { ok: true, detail: 'TXT record at _dnsauth.shop.example.com matches', found: ['202611230000001abcdefgh'] });
  // a value pasted with its quotes still counts
  await cts.setTxt('_dnsauth.quoted.example.com', '"quoted-value"');
  assert.equal((await checkDnsTxt('_dnsauth.quoted.example.com', 'quoted-value', opts())).ok, true);
});

test('reports a wrong value and what was found', async () => {
  await cts.setTxt('_dnsauth.wrong.example.com', 'someone-elses-token');
  const r = await checkDnsTxt('_dnsauth.wrong.example.com', 'expected-token', opts());
  assert.equal(r.ok, false);
  assert.match(r.detail, /does not match: found "someone-elses-token"/);
});

test('reports a missing record', async () => {
  const r = await checkDnsTxt('_dnsauth.missing.example.com', 'expected-token', opts());
  assert.deepEqual(r, { ok: false, detail: 'no TXT record at _dnsauth.missing.example.com' });
  assert.deepEqual(await lookupTxt('_dnsauth.missing.example.com', opts()), []);
});

test('picks the expected value among several records and after it is replaced', async () => {
  await cts.setTxt('_dnsauth.multi.example.com', 'first');
  await cts.setTxt('_dnsauth.multi.example.com', 'second');
  assert.deepEqual((await lookupTxt('_dnsauth.multi.example.com', opts())).sort(), ['first', 'second']);
  assert.equal((await checkDnsTxt('_dnsauth.multi.example.com', 'second', opts())).ok, true);
  await cts.clearTxt('_dnsauth.multi.example.com');
  assert.equal((await checkDnsTxt('_dnsauth.multi.example.com', 'second', opts())).ok, false, 'no stale cached answer');
});

test('turns a SERVFAIL into a failed check, and a dead resolver into a timeout', async () => {
  await cts.setServfail('_dnsauth.broken.example.com');
  const r = await checkDnsTxt('_dnsauth.broken.example.com', 'x', opts());
  assert.equal(r.ok, false);
  assert.match(r.detail, /DNS lookup of _dnsauth.broken.example.com failed \(ESERVFAIL\)/);
  await assert.rejects(lookupTxt('_dnsauth.broken.example.com', opts()), /ESERVFAIL/);
  const dead = await checkDnsTxt('x.example.com', 'x', { resolvers: ['127.0.0.1:9'], timeoutMs: 200 });
  assert.equal(dead.ok, false);
  assert.match(dead.detail, /failed \((ETIMEOUT|ECONNREFUSED)\)/);
});

test('follows a CNAME that the server chases itself (challtestsrv)', async () => {
  await cts.setCname('_dnsauth.delegated.example.com', 'token.acme-dns.example.net');
  await cts.setTxt('token.acme-dns.example.net', 'delegated-value');
  const r = await checkDnsTxt('_dnsauth.delegated.example.com', 'delegated-value', opts());
  assert.equal(r.ok, true, r.detail);
});

test('follows a CNAME into another zone when the authoritative server answers with the CNAME alone (BIND)', async () => {
  const o = { resolvers: [bind.dns], timeoutMs: 1000 };
  assert.deepEqual(await lookupTxt('_dnsauth.shop.example.com', o), ['from-the-other-zone']);
  const r = await checkDnsTxt('_dnsauth.shop.example.com', 'from-the-other-zone', o);
  assert.deepEqual(r, { ok: true, detail: 'TXT record at _dnsauth.shop.example.com (via CNAME _dnsauth.shop.validation.other.net) matches', found: ['from-the-other-zone'] });
  assert.deepEqual(await lookupTxt('inzone.example.com', o), ['in-zone-value']);
  assert.deepEqual(await lookupTxt('split.example.com', o), ['part-one-part-two'], 'character-strings are joined');
});

test('follows up to 8 CNAMEs, and gives up on longer chains and loops', async () => {
  const o = { resolvers: [bind.dns], timeoutMs: 1000 };
  const eight = await checkDnsTxt('ok0.example.com', 'end-of-ok', o);
  assert.equal(eight.ok, true, eight.detail);
  assert.match(eight.detail, /via CNAME ok1.other.net -> ok2.example.com -> .* -> ok8.example.com\)/);
  const nine = await checkDnsTxt('long0.example.com', 'end-of-long', o);
  assert.deepEqual(nine, { ok: false, detail: 'DNS lookup of long0.example.com failed (more than 8 CNAMEs)' });
  const loop = await checkDnsTxt('loop.example.com', 'x', o);
  assert.deepEqual(loop, { ok: false, detail: 'DNS lookup of loop.example.com failed (CNAME loop at loop.example.com)' });
});

test('checks a CNAME-type validation record', async () => {
  await cts.setCname('_abc123.shop.example.com', 'abc.def.trust-provider.example');
  assert.equal((await checkDnsCname('_abc123.shop.example.com', 'ABC.def.trust-provider.example.', opts())).ok, true);
  const wrong = await checkDnsCname('_abc123.shop.example.com', 'other.example', opts());
  assert.equal(wrong.ok, false);
  assert.match(wrong.detail, /points to abc.def.trust-provider.example, not other.example/);
  assert.equal((await checkDnsCname('_none.shop.example.com', 'x.example', opts())).detail, 'no CNAME record at _none.shop.example.com');
});

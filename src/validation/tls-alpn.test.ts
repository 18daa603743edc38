// tls-alpn-01 for IP address identifiers (RFC 8738 section 6) against a real TLS server: the
// SNI is the reverse-DNS name, the one SAN must be the iPAddress, the acmeIdentifier critical.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createSecureContext, createServer, type Server } from 'node:tls';
import { run, withTempDir } from '../testing/pki-fixtures.js';
import { checkTlsAlpn } from './tls-alpn.js';

const KEY_AUTH = 'token.thumbprint';
const digest = createHash('sha256').update(KEY_AUTH).digest('hex');

/** A self-made challenge certificate (openssl): `san` as openssl writes it, the acmeIdentifier with `value` (hex). */
function challengeCert(san: string, value = digest, critical = true): Promise<{ cert: string; key: string }> {
  return withTempDir(async (dir) => {
    const [key, cert] = [join(dir, 'k.pem'), join(dir, 'c.pem')];
    run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=acme', '-days', '1',
      '-addext', `subjectAltName=${san}`, '-addext', `1.3.6.1.5.5.7.1.31=${critical ? 'critical,' : ''}DER:0420${value}`, '-keyout', key, '-out', cert]);
    return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
  });
}

let current: { cert: string; key: string };
const sni: string[] = [];
const servers: Server[] = [];
let port4: number;
let port6: number | null = null;

async function listen(host: string): Promise<number | null> {
  const s = createServer({
    ALPNProtocols: ['acme-tls/1'],
    SNICallback: (name, cb) => {
      sni.push(name);
      cb(null, createSecureContext(current));
    },
    ...current,
  });
  servers.push(s);
  return new Promise((ok) => {
    s.once('error', () => ok(null)); // no ::1 on this machine
    s.listen(0, host, () => ok((s.address() as AddressInfo).port));
  });
}
before(async () => {
  current = await challengeCert('IP:127.0.0.1');
  port4 = (await listen('127.0.0.1'))!;
  port6 = await listen('::1');
});
after(() => {
  for (const s of servers) s.close();
});

const check = (domain: string, port: number, extra = {}) =>
  checkTlsAlpn({ domain, isAddress: true, keyAuthorization: KEY_AUTH, port, allowPrivate: true, timeoutMs: 2000, ...extra });

test('accepts the challenge certificate of an IPv4 address, asked for by its in-addr.arpa name', async () => {
  sni.length = 0;
  const r = await check('127.0.0.1', port4);
  assert.deepEqual(r, { ok: true, detail: '127.0.0.1: tls-alpn-01 certificate matches' });
  assert.deepEqual(sni, ['1.0.0.127.in-addr.arpa']);
});

test('an IPv6 address: SNI in ip6.arpa, the SAN compared as octets', async (t) => {
  if (port6 === null) return t.skip('no ::1 here');
  current = await challengeCert('IP:0:0:0:0:0:0:0:1');
  sni.length = 0;
  const r = await check('::1', port6);
  assert.equal(r.ok, true, r.detail);
  assert.deepEqual(sni, [`1.${'0.'.repeat(31)}ip6.arpa`]);
});

test('refuses a DNS SAN, a second SAN, another address, a wrong digest, a non-critical extension, and private addresses unless allowed', async () => {
  const cases: [string, string | undefined, boolean, RegExp][] = [
    ['DNS:1.0.0.127.in-addr.arpa', undefined, true, /not exactly the IP address 127.0.0.1/],
    ['IP:127.0.0.1,IP:127.0.0.2', undefined, true, /has 2 name\(s\)/],
    ['IP:127.0.0.2', undefined, true, /not exactly the IP address/],
    ['IP:127.0.0.1', '00'.repeat(32), true, /does not hold the key authorization's digest/],
    ['IP:127.0.0.1', undefined, false, /not critical/],
  ];
  for (const [san, value, critical, want] of cases) {
    current = await challengeCert(san, value, critical);
    const r = await check('127.0.0.1', port4);
    assert.equal(r.ok, false, san);
    assert.match(r.detail, want, san);
  }
  current = await challengeCert('IP:127.0.0.1');
  sni.length = 0;
  assert.deepEqual(await check('127.0.0.1', port4, { allowPrivate: false }), { ok: false, detail: '127.0.0.1 is a private or reserved address' });
  assert.equal(sni.length, 0, 'no connection was made');
  assert.match((await check('1.2.3.4/32', port4)).detail, /not an IP address/);
});

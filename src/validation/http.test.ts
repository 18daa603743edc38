import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { EmbeddedIssuer } from '../ca/embedded/issuer.js';
import { createCaMaterial } from '../ca/embedded/material.js';
import { generateKeyPair } from '../pki/keys.js';
import { checkHttpFile, isPublicAddress } from './http.js';
import { freePort, startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';

const PATH = '/.well-known/pki-validation/fileauth.txt';
const TOKEN = '202611230000001abcdefgh\ntrustasia.com\n20261123abcdef';

let cts: ChallTestSrv;
let http: Server;
let https: Server;
let httpPort: number;
let httpsPort: number;
const seen: { host: string; path: string; sni?: string; tls: boolean }[] = [];

function handler(req: IncomingMessage, res: ServerResponse) {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const tls = !!(req.socket as TLSSocket).encrypted;
  seen.push({ host: req.headers.host ?? '', path: req.url ?? '', sni: tls ? ((req.socket as TLSSocket).servername || undefined) : undefined, tls });
  const redirect = (code: number, location: string) => res.writeHead(code, { Location: location }).end();
  // An IP address identifier (RFC 8738): Host is the address itself.
  if (host === '127.0.0.1') {
    if (req.url === '/ip/tohttps') return redirect(302, `https://127.0.0.1:${httpsPort}${PATH}`);
    if (req.url === '/ip/toother') return redirect(302, `http://127.0.0.2:${httpPort}${PATH}`);
    if (req.url === '/ip/toname') return redirect(302, `http://shop.example.com:${httpPort}${PATH}`);
  }
  const hop = /^\/r\/(\d+)$/.exec(req.url ?? '');
  if (hop) {
    const n = Number(hop[1]);
    return n > 0 ? redirect(302, `/r/${n - 1}`) : redirect(302, `http://shop.example.com:${httpPort}${PATH}`);
  }
  if (req.url !== PATH) return res.writeHead(404).end('not found');
  switch (host) {
    case 'shop.example.com':
    case '127.0.0.1':
      return res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`\uFEFF${TOKEN.replace(/\n/g, '\r\n')}\r\n`);
    case 'wrong.example.com':
      return res.writeHead(200).end('not-the-token');
    case 'missing.example.com':
      return res.writeHead(404).end();
    case 'chain.example.com': // 1 + 8 + 1 = 10 redirects: the limit
      return redirect(301, '/r/8');
    case 'toolong.example.com': // 11 redirects
      return redirect(302, '/r/9');
    case 'tohttps.example.com':
      return redirect(301, `https://tlsonly.example.com:${httpsPort}${PATH}`);
    case 'tlsonly.example.com':
      return tls ? res.writeHead(200).end(TOKEN) : res.writeHead(403).end();
    case 'otherport.example.com':
      return redirect(302, `http://shop.example.com:1${PATH}`);
    case 'toip.example.com':
      return redirect(302, `http://127.0.0.1:${httpPort}${PATH}`);
    case 'toftp.example.com':
      return redirect(302, 'ftp://shop.example.com/fileauth.txt');
    case 'big.example.com':
      return res.writeHead(200).end('x'.repeat(100 * 1024));
    case 'slow.example.com':
      return void res.writeHead(200).write('partial'); // never ends
    default:
      return res.writeHead(500).end();
  }
}

const listen = (s: Server) => new Promise<number>((ok) => s.listen(0, '127.0.0.1', () => ok((s.address() as AddressInfo).port)));

before(async () => {
  cts = await startChallTestSrv(); // answers A queries for every name with 127.0.0.1
  // A TLS certificate from the embedded CA, which the checker does not trust: it must not care.
  const keys = generateKeyPair('ECC');
  const cert = await new EmbeddedIssuer(await createCaMaterial({})).issue({
    publicKeyPem: keys.publicKeyPem, domains: ['tlsonly.example.com', 'shop.example.com'], validityDays: 1,
  });
  http = createHttpServer(handler);
  https = createHttpsServer({ key: keys.privateKeyPem, cert: cert.certPem + cert.chainPems.join('') }, handler);
  [httpPort, httpsPort] = await Promise.all([listen(http), listen(https)]);
});

after(async () => {
  http?.closeAllConnections();
  https?.closeAllConnections();
  await Promise.all([cts?.stop(), new Promise((ok) => http?.close(ok)), new Promise((ok) => https?.close(ok))]);
});

const check = (domain: string, extra: Partial<Parameters<typeof checkHttpFile>[0]> = {}) =>
  checkHttpFile({ domain, path: PATH, expected: TOKEN, httpPort, httpsPort, resolvers: [cts.dns], allowPrivate: true, timeoutMs: 2000, ...extra });

test('finds the file over http, sending Host = the domain, despite BOM and CRLF', async () => {
  seen.length = 0;
  const r = await check('Shop.Example.com');
  assert.deepEqual(r, { ok: true, detail: `http://shop.example.com:${httpPort}${PATH}: has the expected content`, found: [TOKEN] });
  assert.deepEqual(seen, [{ host: `shop.example.com:${httpPort}`, path: PATH, sni: undefined, tls: false }]);
});

test('fails on different content, a 404, a DNS failure and an invalid name', async () => {
  const wrong = await check('wrong.example.com');
  assert.equal(wrong.ok, false);
  assert.match(wrong.detail, /has different content \("not-the-token"\)/);
  const missing = await check('missing.example.com');
  assert.equal(missing.ok, false);
  assert.match(missing.detail, /answered HTTP 404/);
  await cts.setServfail('dead.example.com');
  const dead = await check('dead.example.com');
  assert.deepEqual(dead, { ok: false, detail: `http://dead.example.com:${httpPort}${PATH}: DNS: DNS lookup of dead.example.com failed (ESERVFAIL)` });
  const invalid = await check('_x.example.com');
  assert.deepEqual(invalid, { ok: false, detail: 'domain "_x.example.com" contains "_"; only letters, digits and hyphens are allowed' });
  assert.match((await check('*.example.com')).detail, /wildcard, which is not allowed/);
});

test('follows a chain of exactly 10 redirects across names', async () => {
  seen.length = 0;
  const r = await check('chain.example.com');
  assert.equal(r.ok, true, r.detail);
  assert.equal(seen.length, 11);
  assert.equal(seen.at(-1)!.host, `shop.example.com:${httpPort}`);
});

test('gives up after more than 10 redirects', async () => {
  const r = await check('toolong.example.com');
  assert.equal(r.ok, false);
  assert.match(r.detail, /more than 10 redirects/);
  assert.equal((await check('chain.example.com', { maxRedirects: 9 })).ok, false);
});

test('follows a redirect to https and accepts an untrusted certificate, with SNI = the domain', async () => {
  seen.length = 0;
  const r = await check('tohttps.example.com');
  assert.deepEqual(r, { ok: true, detail: `https://tlsonly.example.com:${httpsPort}${PATH}: has the expected content`, found: [TOKEN] });
  assert.equal(seen[1].sni, 'tlsonly.example.com');
  assert.equal(seen[1].tls, true);
});

test('falls back to https when http fails', async () => {
  const closed = await freePort();
  const r = await check('tlsonly.example.com', { httpPort: closed });
  assert.equal(r.ok, true, r.detail);
  const both = await check('wrong.example.com', { httpsPort: closed });
  assert.equal(both.ok, false);
  assert.match(both.detail, /^http:.*different content.*; https:.*cannot connect to wrong.example.com port \d+ \(127.0.0.1: connect ECONNREFUSED/);
});

test('refuses redirects to other ports, IP addresses and other schemes', async () => {
  assert.match((await check('otherport.example.com')).detail, /redirect to port 1 is not allowed/);
  assert.match((await check('toip.example.com')).detail, /redirect to the IP address 127.0.0.1 is not allowed/);
  assert.match((await check('toftp.example.com')).detail, /redirect to ftp: URL/);
});

test('an IP address identifier: fetched from the address with Host = the address, no DNS; redirects to it (https: no SNI) or to names only', async () => {
  seen.length = 0;
  const r = await check('127.0.0.1', { isAddress: true, resolvers: ['127.0.0.1:1'] }); // a dead resolver: DNS is never asked
  assert.equal(r.ok, true, r.detail);
  assert.equal(r.detail, `http://127.0.0.1:${httpPort}${PATH}: has the expected content`);
  assert.deepEqual(seen, [{ host: `127.0.0.1:${httpPort}`, path: PATH, sni: undefined, tls: false }]);
  seen.length = 0;
  const https = await check('127.0.0.1', { isAddress: true, path: '/ip/tohttps' });
  assert.equal(https.ok, true, https.detail);
  assert.deepEqual(seen.map((x) => [x.host, x.tls, x.sni]), [[`127.0.0.1:${httpPort}`, false, undefined], [`127.0.0.1:${httpsPort}`, true, undefined]]);
  assert.match((await check('127.0.0.1', { isAddress: true, path: '/ip/toother' })).detail, /redirect to the IP address 127.0.0.2 is not allowed.*\(or the address 127.0.0.1 itself\)/);
  assert.equal((await check('127.0.0.1', { isAddress: true, path: '/ip/toname' })).ok, true);
  seen.length = 0;
  assert.deepEqual(await check('127.0.0.1', { isAddress: true, allowPrivate: false }), { ok: false, detail: `http://127.0.0.1:${httpPort}${PATH}: 127.0.0.1 is a private or reserved address` });
  assert.equal(seen.length, 0, 'nothing was fetched');
  assert.match((await check('127.1', { isAddress: true })).detail, /is not an IP address/);
  // A DV (name) check still refuses an address as the domain.
  assert.match((await check('127.0.0.1')).detail, /is an IP address/);
});

test('caps the body and times out a stalled response', async () => {
  assert.match((await check('big.example.com')).detail, /sent more than 65536 bytes/);
  const started = Date.now();
  const slow = await check('slow.example.com', { timeoutMs: 300 });
  assert.equal(slow.ok, false);
  assert.match(slow.detail, /timed out after 300 ms/);
  assert.ok(Date.now() - started < 2000);
});

test('refuses private and reserved addresses unless allowed, without connecting', async () => {
  seen.length = 0;
  const r = await check('shop.example.com', { allowPrivate: false });
  assert.deepEqual(r, { ok: false, detail: `http://shop.example.com:${httpPort}${PATH}: shop.example.com resolves only to private or reserved addresses (127.0.0.1)` });
  assert.equal(seen.length, 0);
  await cts.addA('lan.example.com', ['10.1.2.3']);
  await cts.addAaaa('lan.example.com', ['fd00::1']);
  assert.match((await check('lan.example.com', { allowPrivate: false })).detail, /private or reserved addresses \(10.1.2.3, fd00::1\)/);
});

test('classifies addresses like a public CA', () => {
  for (const ip of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700::1111', '2a00:1450:4001:82a::200e']) assert.equal(isPublicAddress(ip), true, ip);
  for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '192.0.2.1', '198.18.0.1', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:127.0.0.1',
    '64:ff9b::a00:1', '2001:db8::1', 'ff02::1', 'not-an-ip']) assert.equal(isPublicAddress(ip), false, ip);
  assert.equal(isPublicAddress('172.32.0.1'), true, 'just outside 172.16/12');
});

// IP address identifiers (RFC 8738) in certport's ACME server, end to end, against a real
// certport with CERTPORT_ACME_SERVER_IP_IDENTIFIERS=1 over its HTTPS listener: acme-client (its
// low-level API, with its own tls-alpn-01 certificate) obtains certificates for 127.0.0.1 and
// ::1 by http-01 and by tls-alpn-01; lego does too where it orders addresses as `ip`
// identifiers (Debian 12's lego 4.9.1 sends them as `dns`, which is refused: those tests skip
// and say so). The certificates verify against certport's root (openssl -verify_ip), carry the
// address as an iPAddress SAN and are listed (and found by SearchKey) in DescribeCertificates.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as acme from 'acme-client';
import { BACKENDS, sdkClient, startTestService, type TestService } from '../../testing/harness.js';
import { startAcmeWorld, type AcmeWorld } from '../../testing/acme-world.js';
import { lego, RawAcme } from '../../testing/acme-clients.js';
import { runCli } from '../../testing/cli.js';
import { thumbprint } from './jws.js';

const run = promisify(execFile);
const ERR = 'urn:ietf:params:acme:error:';

/** An http-01 responder on host:port answering `keyAuth(token)` (404 for null), until closed; `seen`: Host and path of each request. */
async function http01Server(host: string, port: number, keyAuth: (token: string) => string | null): Promise<{ seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.url}`);
    const m = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    const body = m ? keyAuth(m[1]!) : null;
    if (body === null) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, host, () => ok()));
  return { seen, close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }) };
}

/** A tls-alpn-01 responder on host:port presenting `cert` to ALPN acme-tls/1; `sni`: the names asked for. */
async function alpnServer(host: string, port: number, key: string, cert: string): Promise<{ sni: string[]; close(): Promise<void> }> {
  const sni: string[] = [];
  const server = createTlsServer({
    key, cert, ALPNProtocols: ['acme-tls/1'],
    SNICallback: (name, cb) => { sni.push(name); cb(null, createSecureContext({ key, cert })); },
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, host, () => ok()));
  return { sni, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

/** lego 4.9.1 (Debian 12) orders an address as a dns identifier; a lego that sends `ip` gets through. */
const OLD_LEGO = /rejectedIdentifier.*is an IP address/;

for (const backend of BACKENDS) {
  describe(`ACME server: IP address identifiers, RFC 8738 (${backend})`, () => {
    let w: AcmeWorld;
    let t: TestService;

    /** The bound account's certificate for the address: listed, from the ACME server, found by SearchKey. */
    async function listed(ip: string) {
      const r = await sdkClient(t.port, w.bound).DescribeCertificates({ Limit: 1000, SearchKey: ip });
      const hit = r.Certificates!.find((c) => c.SubjectAltName!.includes(ip));
      assert.ok(hit, `DescribeCertificates (SearchKey ${ip}) lists a certificate for it`);
      assert.equal(hit.From, 'acme-server');
      assert.equal(hit.Status, 1);
      assert.equal(hit.Domain, ip);
      assert.deepEqual(hit.SubjectAltName, [ip]);
      return hit;
    }

    /** acme-client's low-level API: an order for `ip`, its `type` challenge answered on the address, the certificate (PEM). */
    async function obtain(ip: string, type: 'http-01' | 'tls-alpn-01'): Promise<{ pem: string; seen: string[] }> {
      const client = await w.client(w.bound);
      await client.createAccount({ termsOfServiceAgreed: true });
      const order = await client.createOrder({ identifiers: [{ type: 'ip', value: ip }] });
      const [authz] = await client.getAuthorizations(order);
      assert.deepEqual(authz!.identifier, { type: 'ip', value: ip });
      assert.deepEqual(authz!.challenges.map((c) => c.type).sort(), ['http-01', 'tls-alpn-01'], 'no dns-01 for an address');
      const ch = authz!.challenges.find((c) => c.type === type)!;
      const keyAuthorization = await client.getChallengeKeyAuthorization(ch);
      let responder: { seen?: string[]; sni?: string[]; close(): Promise<void> };
      if (type === 'http-01') {
        responder = await http01Server(ip, w.httpPort, (token) => (token === ch.token ? keyAuthorization : null));
      } else {
        const [key, cert] = await acme.crypto.createAlpnCertificate(authz!, keyAuthorization);
        responder = await alpnServer(ip, w.httpsPort, key.toString(), cert.toString());
      }
      try {
        await client.completeChallenge(ch);
        await client.waitForValidStatus(ch);
      } finally {
        await responder.close();
      }
      const [, csr] = await acme.crypto.createCsr({ altNames: [ip] });
      const pem = await client.getCertificate(await client.finalizeOrder(order, csr));
      return { pem, seen: responder.seen ?? responder.sni! };
    }

    before(async () => {
      w = await startAcmeWorld(backend, { CERTPORT_ACME_SERVER_IP_IDENTIFIERS: '1' });
      t = w.t;
    });
    after(async () => {
      await w?.close();
    });

    it('acme-client, http-01 for 127.0.0.1: fetched from the address with Host = the address; an iPAddress SAN, listed in DescribeCertificates', async () => {
      const { pem, seen } = await obtain('127.0.0.1', 'http-01');
      assert.deepEqual(seen.map((x) => x.split(' ')[0]), [`127.0.0.1:${w.httpPort}`]);
      const text = await w.verifies(pem, '127.0.0.1');
      assert.match(text, /Subject Alternative Name: \n\s+IP Address:127.0.0.1\n/);
      assert.match(text, /Subject: CN = 127.0.0.1\n/);
      await listed('127.0.0.1');
    });

    it('acme-client, tls-alpn-01 for 127.0.0.1: SNI 1.0.0.127.in-addr.arpa, the challenge certificate\'s SAN the address', async () => {
      const { pem, seen } = await obtain('127.0.0.1', 'tls-alpn-01');
      assert.deepEqual(seen, ['1.0.0.127.in-addr.arpa']);
      assert.match(await w.verifies(pem, '127.0.0.1'), /IP Address:127.0.0.1\n/);
    });

    it('acme-client, http-01 and tls-alpn-01 for ::1 (IPv6: Host [::1], SNI in ip6.arpa)', async () => {
      const h = await obtain('::1', 'http-01');
      assert.deepEqual(h.seen.map((x) => x.split(' ')[0]), [`[::1]:${w.httpPort}`]);
      assert.match(await w.verifies(h.pem, '::1'), /IP Address:0:0:0:0:0:0:0:1\n/);
      await listed('::1');
      const a = await obtain('::1', 'tls-alpn-01');
      assert.deepEqual(a.seen, [`1.${'0.'.repeat(31)}ip6.arpa`]);
      await w.verifies(a.pem, '::1');
    });

    it('lego run --http for 127.0.0.1: an iPAddress SAN, verified by openssl, listed in DescribeCertificates', async (tc) => {
      const b = await w.eab(w.bound);
      const d = path.join(w.dir, 'lego-http');
      const r = await lego({ dir: d, directory: w.directory, caFile: w.tlsCaFile, port: w.httpPort, domains: ['127.0.0.1'], kid: b.kid, hmacKey: b.hmacKey }).catch((e: Error) => e);
      if (r instanceof Error && OLD_LEGO.test(r.message)) return tc.skip('this lego orders addresses as dns identifiers (lego 4.9.1): refused as RFC 8738 says');
      if (r instanceof Error) throw r;
      const text = await w.verifies(await readFile(path.join(d, 'certificates/127.0.0.1.crt'), 'utf8'), '127.0.0.1');
      assert.match(text, /Subject Alternative Name: \n\s+IP Address:127.0.0.1\n/);
      assert.match(text, /Subject: CN = 127.0.0.1\n/);
      await listed('127.0.0.1');
    });

    it('lego run --tls for 127.0.0.1 (tls-alpn-01: SNI 1.0.0.127.in-addr.arpa, the challenge certificate\'s SAN the address)', async (tc) => {
      const b = await w.eab(w.bound);
      const d = path.join(w.dir, 'lego-tls');
      const r = await lego({ dir: d, directory: w.directory, caFile: w.tlsCaFile, port: w.httpsPort, domains: ['127.0.0.1'], kid: b.kid, hmacKey: b.hmacKey, challenge: 'tls' }).catch((e: Error) => e);
      if (r instanceof Error && OLD_LEGO.test(r.message)) return tc.skip('this lego orders addresses as dns identifiers (lego 4.9.1): refused as RFC 8738 says');
      if (r instanceof Error) throw r;
      const text = await w.verifies(await readFile(path.join(d, 'certificates/127.0.0.1.crt'), 'utf8'), '127.0.0.1');
      assert.match(text, /IP Address:127.0.0.1/);
    });

    it('refuses malformed addresses (malformed), names an address sent as dns, and offers no dns-01 for an address', async () => {
      const raw = new RawAcme(w.directory, w.tlsCa);
      assert.equal((await raw.register(await w.eab(w.bound))).status, 201);
      const d = await raw.directory();
      for (const value of ['127.1', '10.0.0.0/8', '*.1.2.3.4', '1.2.3.*', '[::1]', 'fe80::1%lo', '1.2.3.4:80', 'localhost']) {
        const r = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value }] });
        assert.equal(r.status, 400, value);
        assert.equal(r.json.type, ERR + 'malformed', value);
        assert.deepEqual(r.json.subproblems.map((s: { type: string; identifier: unknown }) => [s.type, s.identifier]), [[ERR + 'malformed', { type: 'ip', value }]]);
      }
      const mapped = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value: '::ffff:127.0.0.1' }] });
      assert.equal(mapped.json.type, ERR + 'rejectedIdentifier');
      assert.match(mapped.json.detail, /IPv4-mapped/);
      const asDns = await raw.post(d.newOrder, { identifiers: [{ type: 'dns', value: '127.0.0.1' }] });
      assert.equal(asDns.json.type, ERR + 'rejectedIdentifier');
      assert.match(asDns.json.detail, /\{"type":"ip"\}/);

      const o = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value: '127.0.0.1' }] });
      assert.equal(o.status, 201, o.body);
      const authzUrl = o.json.authorizations[0] as string;
      const z = (await raw.post(authzUrl, '')).json;
      assert.deepEqual(z.identifier, { type: 'ip', value: '127.0.0.1' });
      assert.deepEqual(z.challenges.map((c: { type: string }) => c.type), ['http-01', 'tls-alpn-01']);
      const dns01 = await raw.post(authzUrl.replace('/authz/', '/chall/') + '/dns-01', {});
      assert.equal(dns01.status, 404);
      assert.equal(dns01.json.type, ERR + 'malformed');
      // An address written otherwise is the same identifier: the same pending order.
      const v6 = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value: '0:0:0:0:0:0:0:1' }] });
      assert.deepEqual(v6.json.identifiers, [{ type: 'ip', value: '::1' }]);
      const again = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value: '::1' }] });
      assert.equal(again.headers.location, v6.headers.location);
    });

    it('finalize: a CSR for another address, or with the address only in the CN, is badCSR; the right one is issued; the authorization is reused', async () => {
      const raw = new RawAcme(w.directory, w.tlsCa);
      assert.equal((await raw.register(await w.eab(w.bound))).status, 201);
      const d = await raw.directory();
      const ip = '127.0.0.1';
      const o = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value: ip }, { type: 'dns', value: 'ip-mixed.acme.test' }] });
      assert.equal(o.status, 201, o.body);
      const tp = thumbprint(raw.jwk);
      const server = await http01Server('127.0.0.1', w.httpPort, (token) => `${token}.${tp}`);
      try {
        for (const url of o.json.authorizations as string[]) {
          const z = (await raw.post(url, '')).json;
          assert.equal((await raw.post(z.challenges.find((c: { type: string }) => c.type === 'http-01').url, {})).status, 200);
        }
        let order = o.json;
        for (let i = 0; i < 100 && order.status === 'pending'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          order = (await raw.post(o.headers.location as string, '')).json;
        }
        assert.equal(order.status, 'ready', JSON.stringify(order));
        // openssl, since acme-client would copy a CN into the SAN.
        const keyFile = path.join(w.dir, 'csr-key.pem');
        await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
        const csrDer = async (cn: string | undefined, altNames: string[]) => {
          const san = altNames.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
          const { stdout } = await run('openssl', ['req', '-new', '-key', keyFile, '-subj', cn ? `/CN=${cn}` : '/', '-addext', `subjectAltName=${san}`]);
          return Buffer.from(stdout.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64url');
        };
        const other = await raw.post(order.finalize, { csr: await csrDer(undefined, ['ip-mixed.acme.test', '127.0.0.2']) });
        assert.equal(other.json.type, ERR + 'badCSR');
        assert.match(other.json.detail, /not in the order: 127\.0\.0\.2; missing \(addresses as iPAddress SANs\): 127\.0\.0\.1/);
        const cnOnly = await raw.post(order.finalize, { csr: await csrDer(ip, ['ip-mixed.acme.test']) });
        assert.equal(cnOnly.json.type, ERR + 'badCSR');
        assert.match(cnOnly.json.detail, /missing \(addresses as iPAddress SANs\): 127\.0\.0\.1/);
        const cnOther = await raw.post(order.finalize, { csr: await csrDer('127.0.0.3', ['ip-mixed.acme.test', ip]) });
        assert.match(cnOther.json.detail, /not in the order: 127\.0\.0\.3/);
        const good = await raw.post(order.finalize, { csr: await csrDer(ip, ['ip-mixed.acme.test', ip]) });
        assert.equal(good.json.status, 'valid', good.body);
        const pem = (await raw.post(good.json.certificate, '')).body;
        const text = await w.verifies(pem, ip);
        // The CSR's CN (the address) is the certificate's; the SAN holds names, then addresses.
        assert.match(text, /DNS:ip-mixed.acme.test, IP Address:127.0.0.1\n/);
      } finally {
        await server.close();
      }
      // A later order of the same account reuses the address's valid authorization.
      const o2 = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value: ip }] });
      assert.equal(o2.json.status, 'ready', o2.body);
      assert.ok((o.json.authorizations as string[]).includes(o2.json.authorizations[0]));
    });

    it('policy: an account held to domain suffixes gets no address until --ip-ranges lists it; ranges are CIDR prefixes', async () => {
      const acct = await t.newAccount();
      const raw = new RawAcme(w.directory, w.tlsCa);
      assert.equal((await raw.register(await w.eab(acct))).status, 201);
      const d = await raw.directory();
      const order = (value: string) => raw.post(d.newOrder, { identifiers: [{ type: 'ip', value }] });
      assert.equal((await order('192.0.2.10')).status, 201, 'no policy: any address');
      const cli = async (...args: string[]) => {
        const r = await runCli(t.env, 'acme', 'policy', 'set', '--account', acct.accountUin, ...args);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout;
      };
      assert.match(await cli('--suffixes', 'corp.test'), /ip-ranges \(none: not set, suffixes are\)/);
      const held = await order('192.0.2.10');
      assert.equal(held.json.type, ERR + 'rejectedIdentifier');
      assert.match(held.json.subproblems[0].detail, /holds it to domains \(corp\.test\)/);
      assert.match(await cli('--ip-ranges', '192.0.2.0/25,2001:DB8::/32'), /ip-ranges 192\.0\.2\.0\/25,2001:db8::\/32/);
      assert.equal((await order('192.0.2.10')).status, 201);
      assert.equal((await order('2001:db8::5')).status, 201);
      const outside = await order('192.0.2.200');
      assert.equal(outside.json.type, ERR + 'rejectedIdentifier');
      assert.match(outside.json.subproblems[0].detail, /outside this account's allowed address ranges \(192\.0\.2\.0\/25, 2001:db8::\/32\)/);
      const bad = await runCli(t.env, 'acme', 'policy', 'set', '--account', acct.accountUin, '--ip-ranges', '192.0.2.1/24');
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /host bits zero/);
      assert.match(await cli('--ip-ranges', 'none', '--suffixes'), /ip-ranges \(none\)/);
      assert.equal((await order('192.0.2.10')).json.type, ERR + 'rejectedIdentifier');
      const show = await runCli(t.env, 'acme', 'policy', 'show', '--account', acct.accountUin, '--json');
      assert.deepEqual(JSON.parse(show.stdout), { accountUin: acct.accountUin, suffixes: [], wildcard: true, maxDays: 90, ipRanges: [] });
      assert.match(await cli('--ip-ranges', ''), /ip-ranges \(any: not set\)/);
      assert.equal((await order('192.0.2.11')).status, 201);
    });
  });
}

describe('ACME server: IP identifiers and private addresses (sqlite)', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService('sqlite', { env: { CERTPORT_ACME_SERVER_IP_IDENTIFIERS: '1', CERTPORT_DNS_RESOLVERS: '127.0.0.1:1' } });
  });
  after(async () => {
    await t?.close();
  });

  it('a private or reserved address is rejectedIdentifier at newOrder unless CERTPORT_VALIDATION_ALLOW_PRIVATE=1; a public one is ordered', async () => {
    const directory = `http://127.0.0.1:${t.port}/acme/directory`;
    const raw = new RawAcme(directory, '');
    assert.equal((await raw.register(await t.svc.core.acmeServer!.createEab(t.cred.accountUin))).status, 201);
    const d = await raw.directory();
    for (const value of ['127.0.0.1', '10.1.2.3', '::1', 'fd00::1', '192.0.2.1', '169.254.169.254']) {
      const r = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value }] });
      assert.equal(r.json.type, ERR + 'rejectedIdentifier', value);
      assert.match(r.json.detail, /private or reserved address/, value);
    }
    const pub = await raw.post(d.newOrder, { identifiers: [{ type: 'ip', value: '2606:4700:4700:0::1111' }] });
    assert.equal(pub.status, 201, pub.body);
    assert.deepEqual(pub.json.identifiers, [{ type: 'ip', value: '2606:4700:4700::1111' }]);
  });
});

// The ACME server's revokeCert (RFC 8555 7.6), renewal information (RFC 9773), per-account
// policy and rate limits, against a real certport (SQLite; the wire and rules are the same on
// PostgreSQL, whose store the main ACME test covers) with acme-client and hand-made JWS.
// Per-domain limits: example.co.uk and other.co.uk are two registered domains (Public Suffix List).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as acme from 'acme-client';
import { sdkClient, type Cred, type TestService } from '../../testing/harness.js';
import { startAcmeWorld, type AcmeWorld } from '../../testing/acme-world.js';
import { RawAcme } from '../../testing/acme-clients.js';
import { runCli } from '../../testing/cli.js';

const run = promisify(execFile);
const ERR = 'urn:ietf:params:acme:error:';

describe('ACME server: revokeCert, renewalInfo, policy, rate limits (sqlite)', () => {
  let w: AcmeWorld;
  let t: TestService;
  let other: Cred;
  let revokedPem: string;

  /** A certificate for `names` by dns-01 on the test DNS server; `keyPem`: the certificate's key. */
  async function obtain(c: acme.Client, names: string[], keyPem?: string | Buffer): Promise<string> {
    const [, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: names }, keyPem);
    return c.auto({
      csr, termsOfServiceAgreed: true, challengePriority: ['dns-01'], skipChallengeVerification: true,
      challengeCreateFn: async (authz, _c, keyAuthorization) => w.dns.setTxt(`_acme-challenge.${authz.identifier.value}`, keyAuthorization),
      challengeRemoveFn: async (authz) => w.dns.clearTxt(`_acme-challenge.${authz.identifier.value}`),
    });
  }

  async function certId(cred: Cred, name: string): Promise<string> {
    const r = await sdkClient(t.port, cred).DescribeCertificates({ Limit: 1000, SearchKey: name });
    const hit = r.Certificates!.find((c) => c.SubjectAltName!.includes(name));
    assert.ok(hit, `certificate for ${name} listed`);
    return hit.CertificateId!;
  }

  /** RFC 9773 certID, computed with openssl: base64url(AKI keyIdentifier) "." base64url(serial DER). */
  async function ariCertId(pem: string): Promise<string> {
    const f = path.join(w.dir, 'ari.pem');
    await writeFile(f, pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0] + '\n');
    const ext = (await run('openssl', ['x509', '-noout', '-in', f, '-ext', 'authorityKeyIdentifier'])).stdout;
    const aki = Buffer.from(ext.split('\n').slice(1).join('').replace(/keyid:|[\s:]/g, ''), 'hex');
    let serial = Buffer.from((await run('openssl', ['x509', '-noout', '-serial', '-in', f])).stdout.trim().split('=')[1]!, 'hex');
    if (serial[0]! & 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
    assert.equal(aki.length, 20);
    return `${aki.toString('base64url')}.${serial.toString('base64url')}`;
  }

  const leafDer = (pem: string) => Buffer.from(pem.match(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/)![1]!.replace(/\s+/g, ''), 'base64');

  before(async () => {
    w = await startAcmeWorld('sqlite', {
      CERTPORT_ACME_SERVER_ORDERS_PER_HOUR: '20',
      // The other tests here issue 3 certificates under acme.test; the per-domain test uses example.co.uk.
      CERTPORT_ACME_SERVER_CERTS_PER_DOMAIN_PER_WEEK: '4',
    });
    t = w.t;
    other = await t.newAccount();
  });
  after(async () => {
    await w?.close();
  });

  it('revokeCert by the owning account (acme-client): status 10, on the CRL; twice is alreadyRevoked', async () => {
    const c = await w.client(w.bound);
    const pem = revokedPem = await obtain(c, ['rev1.acme.test']);
    const id = await certId(w.bound, 'rev1.acme.test');
    // Another certport account's ACME account may not revoke it.
    const oc = await w.client(other);
    await oc.createAccount({ termsOfServiceAgreed: true });
    await assert.rejects(oc.revokeCertificate(pem), /not issued here to this account/);
    await c.revokeCertificate(pem, { reason: 4 });
    const d = await sdkClient(t.port, w.bound).DescribeCertificateDetail({ CertificateId: id });
    assert.equal(d.Status, 10);
    // The intermediate's CRL lists the serial with reason superseded.
    await writeFile(path.join(w.dir, 'leaf.pem'), pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0] + '\n');
    const s = (await run('openssl', ['x509', '-noout', '-serial', '-in', path.join(w.dir, 'leaf.pem')])).stdout.trim().split('=')[1]!;
    // acme-client's CSR key is RSA by default: the RSA intermediate's CRL.
    const crl = await fetch(`http://127.0.0.1:${t.port}/ca/rsa-intermediate.crl`);
    assert.equal(crl.status, 200);
    await writeFile(path.join(w.dir, 'crl.der'), Buffer.from(await crl.arrayBuffer()));
    const text = (await run('openssl', ['crl', '-inform', 'DER', '-in', path.join(w.dir, 'crl.der'), '-noout', '-text'])).stdout;
    assert.match(text, new RegExp(`Serial Number: ${s}[\\s\\S]*?Superseded`, 'i'));
    // Again: alreadyRevoked, with its type on the wire.
    const raw = new RawAcme(w.directory, w.tlsCa);
    const b = await w.eab(w.bound);
    assert.equal((await raw.register(b)).status, 201);
    const again = await raw.post((await raw.directory()).revokeCert, { certificate: leafDer(pem).toString('base64url') });
    assert.equal(again.status, 400);
    assert.equal(again.json.type, ERR + 'alreadyRevoked');
  });

  it('revokeCert signed by the certificate key (jwk); a reason outside RFC 5280 is badRevocationReason', async () => {
    const holder = new RawAcme(w.directory, w.tlsCa);
    const keyPem = holder.key.export({ type: 'pkcs8', format: 'pem' }) as string;
    const pem = await obtain(await w.client(w.bound), ['rev2.acme.test'], keyPem);
    const id = await certId(w.bound, 'rev2.acme.test');
    const url = (await holder.directory()).revokeCert;
    const certificate = leafDer(pem).toString('base64url');
    const bad = await holder.post(url, { certificate, reason: 7 }, { useJwk: true });
    assert.equal(bad.json.type, ERR + 'badRevocationReason');
    // Some other key may not revoke it.
    const stranger = await new RawAcme(w.directory, w.tlsCa).post(url, { certificate }, { useJwk: true });
    assert.equal(stranger.status, 403);
    assert.equal(stranger.json.type, ERR + 'unauthorized');
    const ok = await holder.post(url, { certificate, reason: 1 }, { useJwk: true });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal((await sdkClient(t.port, w.bound).DescribeCertificateDetail({ CertificateId: id })).Status, 10);
    // keyCompromise blocked the key: a new order finalized with it is refused (badPublicKey).
    await assert.rejects(obtain(await w.client(w.bound), ['rev3.acme.test'], keyPem), /reported compromised/);
  });

  it('renewalInfo (RFC 9773): the middle third of the last third of the life, Retry-After; revoked: renew now', async () => {
    const pem = await obtain(await w.client(w.bound), ['ari.acme.test']);
    const d = await (await fetch(`http://127.0.0.1:${t.port}/acme/directory`)).json() as { renewalInfo: string };
    assert.ok(d.renewalInfo.endsWith('/acme/renewal-info'));
    const r = await fetch(`http://127.0.0.1:${t.port}/acme/renewal-info/${await ariCertId(pem)}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('retry-after'), '21600');
    const win = (await r.json() as { suggestedWindow: { start: string; end: string } }).suggestedWindow;
    const f = path.join(w.dir, 'ari.pem');
    const dates = (await run('openssl', ['x509', '-noout', '-dates', '-in', f])).stdout;
    const nb = Date.parse(/notBefore=(.+)/.exec(dates)![1]!);
    const na = Date.parse(/notAfter=(.+)/.exec(dates)![1]!);
    const life = na - nb;
    assert.ok(Math.abs(Date.parse(win.start) - (nb + life * 7 / 9)) < 2000, `start ${win.start}`);
    assert.ok(Math.abs(Date.parse(win.end) - (nb + life * 8 / 9)) < 2000, `end ${win.end}`);
    const revoked = await (await fetch(`http://127.0.0.1:${t.port}/acme/renewal-info/${await ariCertId(revokedPem)}`)).json() as { suggestedWindow: { end: string } };
    assert.ok(Date.parse(revoked.suggestedWindow.end) < Date.now(), 'a revoked certificate: renew now');
    const [aki] = (await ariCertId(pem)).split('.');
    const unknown = await fetch(`http://127.0.0.1:${t.port}/acme/renewal-info/${aki}.AQID`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { type: string }).type, ERR + 'malformed');
    assert.equal((await fetch(`http://127.0.0.1:${t.port}/acme/renewal-info/nodot`)).status, 400);
  });

  it('policy (`certport acme policy set|show`): suffixes and wildcards at newOrder (rejectedIdentifier), maximum validity at finalize', async () => {
    const pol = await t.newAccount();
    const set = await runCli(t.env, 'acme', 'policy', 'set', '--account', pol.accountUin, '--suffixes', 'allowed.test,.corp.test', '--wildcard', 'no', '--max-days', '30');
    assert.equal(set.code, 0, set.stderr);
    const show = await runCli(t.env, 'acme', 'policy', 'show', '--account', pol.accountUin, '--json');
    assert.deepEqual(JSON.parse(show.stdout), { accountUin: pol.accountUin, suffixes: ['allowed.test', 'corp.test'], wildcard: false, maxDays: 30, ipRanges: null });
    const tooLong = await runCli(t.env, 'acme', 'policy', 'set', '--account', pol.accountUin, '--max-days', '400');
    assert.notEqual(tooLong.code, 0);
    const raw = new RawAcme(w.directory, w.tlsCa);
    assert.equal((await raw.register(await w.eab(pol))).status, 201);
    const newOrder = (await raw.directory()).newOrder;
    const outside = await raw.post(newOrder, { identifiers: [{ type: 'dns', value: 'a.allowed.test' }, { type: 'dns', value: 'evil.test' }, { type: 'dns', value: 'notallowed.test' }] });
    assert.equal(outside.status, 400);
    assert.equal(outside.json.type, ERR + 'rejectedIdentifier');
    assert.deepEqual(outside.json.subproblems.map((s: { identifier: { value: string } }) => s.identifier.value), ['evil.test', 'notallowed.test']);
    const wild = await raw.post(newOrder, { identifiers: [{ type: 'dns', value: '*.allowed.test' }] });
    assert.equal(wild.json.type, ERR + 'rejectedIdentifier');
    assert.match(wild.json.subproblems[0].detail, /Wildcard/);
    // An allowed name is issued for 30 days, not the server's 90.
    const pem = await obtain(await w.client(pol), ['x.corp.test']);
    const f = path.join(w.dir, 'pol.pem');
    await writeFile(f, pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0] + '\n');
    const dates = (await run('openssl', ['x509', '-noout', '-dates', '-in', f])).stdout;
    const days = (Date.parse(/notAfter=(.+)/.exec(dates)![1]!) - Date.parse(/notBefore=(.+)/.exec(dates)![1]!)) / 86_400_000;
    assert.ok(days > 29 && days <= 30.01, `validity ${days} days`);
    // Another account keeps the default: any name, 90 days.
    const dflt = JSON.parse((await runCli(t.env, 'acme', 'policy', 'show', '--account', w.bound.accountUin, '--json')).stdout);
    assert.deepEqual(dflt, { accountUin: w.bound.accountUin, suffixes: [], wildcard: true, maxDays: 90, ipRanges: null });
  });

  it('rate limit per registered domain (CERTPORT_ACME_SERVER_CERTS_PER_DOMAIN_PER_WEEK=4): rateLimited with Retry-After at newOrder and finalize; renewals and other domains pass', async () => {
    const c = await w.client(w.bound);
    await c.createAccount({ termsOfServiceAgreed: true });
    for (const n of ['a.example.co.uk', 'b.x.example.co.uk', 'example.co.uk']) await obtain(c, [n]);
    // An order placed while under the limit, validated, but finalized only after the limit is reached.
    const late = await c.createOrder({ identifiers: [{ type: 'dns', value: 'late.example.co.uk' }] });
    const [authz] = await c.getAuthorizations(late);
    const ch = authz!.challenges.find((x) => x.type === 'dns-01')!;
    await w.dns.setTxt('_acme-challenge.late.example.co.uk', await c.getChallengeKeyAuthorization(ch));
    await c.completeChallenge(ch);
    await c.waitForValidStatus(ch);
    await w.dns.clearTxt('_acme-challenge.late.example.co.uk');
    // The fourth, with two names: a certificate counts once for its registered domain.
    await obtain(c, ['d.example.co.uk', 'e.example.co.uk']);

    const raw = new RawAcme(w.directory, w.tlsCa);
    assert.equal((await raw.register(await w.eab(other))).status, 201);
    const newOrder = (await raw.directory()).newOrder;
    // Any account: the limit is the domain's (as Let's Encrypt's).
    const t0 = Date.now();
    const over = await raw.post(newOrder, { identifiers: [{ type: 'dns', value: 'f.example.co.uk' }, { type: 'dns', value: 'f.other.co.uk' }] });
    assert.equal(over.status, 429, over.body);
    assert.equal(over.json.type, ERR + 'rateLimited');
    assert.match(over.json.detail, /example\.co\.uk/);
    assert.doesNotMatch(over.json.detail, /other\.co\.uk/);
    assert.deepEqual(over.json.subproblems.map((x: { identifier: { value: string } }) => x.identifier.value), ['f.example.co.uk']);
    // Retry-After: when the oldest of the 4 leaves the 7-day window.
    const wait = Number(over.headers['retry-after']);
    assert.ok(wait > 7 * 86_400 - (Date.now() - t0) / 1000 - 120 && wait <= 7 * 86_400, `Retry-After ${over.headers['retry-after']}`);
    // other.co.uk is another registered domain (co.uk is a public suffix): not limited.
    assert.equal((await raw.post(newOrder, { identifiers: [{ type: 'dns', value: 'g.other.co.uk' }] })).status, 201);
    // The order placed in time is refused at finalize.
    const [, csr] = await acme.crypto.createCsr({ commonName: 'late.example.co.uk', altNames: ['late.example.co.uk'] });
    // acme-client honours Retry-After on 429 (here: a week); no retries for this one call.
    const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings;
    const attempts = settings.retryMaxAttempts;
    settings.retryMaxAttempts = 0;
    try {
      await assert.rejects(c.finalizeOrder(late, csr), /at most 4 per registered domain/);
    } finally {
      settings.retryMaxAttempts = attempts;
    }
    // A renewal (exactly the names of an issued certificate) is not held back.
    const renewed = await obtain(c, ['b.x.example.co.uk']);
    assert.match(renewed, /BEGIN CERTIFICATE/);
    const r = await sdkClient(t.port, w.bound).DescribeCertificates({ Limit: 1000, SearchKey: 'b.x.example.co.uk' });
    assert.equal(r.Certificates!.filter((x) => x.SubjectAltName!.includes('b.x.example.co.uk')).length, 2);
  });

  it('rate limit: new orders per certport account and hour (CERTPORT_ACME_SERVER_ORDERS_PER_HOUR=20) answer rateLimited with Retry-After', async () => {
    const rl = await t.newAccount();
    const raw = new RawAcme(w.directory, w.tlsCa);
    assert.equal((await raw.register(await w.eab(rl))).status, 201);
    const newOrder = (await raw.directory()).newOrder;
    for (let i = 0; i < 20; i++) {
      const r = await raw.post(newOrder, { identifiers: [{ type: 'dns', value: `n${i}.rl.acme.test` }] });
      assert.equal(r.status, 201, `order ${i}: ${r.body}`);
    }
    const over = await raw.post(newOrder, { identifiers: [{ type: 'dns', value: 'over.rl.acme.test' }] });
    assert.equal(over.status, 429);
    assert.equal(over.json.type, ERR + 'rateLimited');
    const after = Number(over.headers['retry-after']);
    assert.ok(after >= 1 && after <= 3600, `Retry-After ${over.headers['retry-after']}`);
    // A second ACME account of the same certport account shares the limit; another certport account does not.
    const twin = new RawAcme(w.directory, w.tlsCa);
    assert.equal((await twin.register(await w.eab(rl))).status, 201);
    assert.equal((await twin.post(newOrder, { identifiers: [{ type: 'dns', value: 'twin.rl.acme.test' }] })).status, 429);
    const stranger = new RawAcme(w.directory, w.tlsCa);
    assert.equal((await stranger.register(await w.eab(other))).status, 201);
    assert.equal((await stranger.post(newOrder, { identifiers: [{ type: 'dns', value: 'other.rl.acme.test' }] })).status, 201);
  });
});

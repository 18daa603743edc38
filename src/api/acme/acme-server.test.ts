// certport's ACME server end to end: certbot, lego and acme-client obtain certificates from a
// real certport (its HTTPS listener, its root trusted), validated by certport's own validator
// against a test DNS server and the clients' own challenge servers, all on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as acme from 'acme-client';
import { BACKENDS, sdkClient, type Cred, type TestService } from '../../testing/harness.js';
import { startAcmeWorld, type AcmeWorld } from '../../testing/acme-world.js';
import { certbot, certbotCmd, certbotDnsHooks, lego, RawAcme } from '../../testing/acme-clients.js';
import { runCli } from '../../testing/cli.js';
import { domainCsr } from '../../pki/csr.js';

const run = promisify(execFile);
const ERR = 'urn:ietf:params:acme:error:';

async function listed(t: TestService, cred: Cred, names: string[]): Promise<void> {
  const r = await sdkClient(t.port, cred).DescribeCertificates({ Limit: 1000 });
  const hit = r.Certificates!.find((c) => names.every((n) => c.SubjectAltName!.includes(n)));
  assert.ok(hit, `DescribeCertificates of ${cred.accountUin} lists a certificate for ${names.join(', ')}`);
  assert.equal(hit.From, 'acme-server');
  assert.equal(hit.Status, 1);
}

for (const backend of BACKENDS) {
  describe(`ACME server (${backend})`, () => {
    let w: AcmeWorld;
    let t: TestService;

    before(async () => {
      w = await startAcmeWorld(backend);
      t = w.t;
    });
    after(async () => {
      await w?.close();
    });

    if (backend === 'sqlite') {
      it('certbot certonly --standalone (http-01, EAB made by `certport acme eab create`)', async () => {
        const cli = await runCli(t.env, 'acme', 'eab', 'create', '--account', w.bound.accountUin, '--json');
        assert.equal(cli.code, 0, cli.stderr);
        const b = JSON.parse(cli.stdout) as { kid: string; hmacKey: string };
        assert.equal(Buffer.from(b.hmacKey, 'base64url').length, 32);
        const d = path.join(w.dir, 'certbot');
        await certbot({ dir: d, directory: w.directory, caFile: w.tlsCaFile, httpPort: w.httpPort, domains: ['certbot.acme.test', 'www.certbot.acme.test'], kid: b.kid, hmacKey: b.hmacKey });
        const chain = await readFile(path.join(d, 'config/live/c/fullchain.pem'), 'utf8');
        await w.verifies(chain);
        await listed(t, w.bound, ['certbot.acme.test', 'www.certbot.acme.test']);
      });

      it('certbot renew --force-renewal makes a new certificate record; certbot revoke: status 10, OCSP and CRL say revoked', async () => {
        const d = path.join(w.dir, 'certbot');
        const o = { dir: d, directory: w.directory, caFile: w.tlsCaFile };
        const names = ['certbot.acme.test', 'www.certbot.acme.test'];
        const ids = async () => (await sdkClient(t.port, w.bound).DescribeCertificates({ Limit: 1000 })).Certificates!
          .filter((c) => names.every((n) => c.SubjectAltName!.includes(n))).map((c) => c.CertificateId!);
        const before = await ids();
        assert.equal(before.length, 1, 'the certonly test left one certificate');
        const serial = async () => (await run('openssl', ['x509', '-noout', '-serial', '-in', path.join(d, 'config/live/c/cert.pem')])).stdout.trim().split('=')[1]!;
        const oldSerial = await serial();
        // The renewal configuration certbot wrote keeps the standalone port and address; without a TTY certbot
        // would first sleep up to 8 minutes at random.
        const r = await certbotCmd(o, 'renew', '--force-renewal', '--no-random-sleep-on-renew', '--cert-name', 'c');
        assert.match(r.stdout + r.stderr, /renewed|success/i);
        const newSerial = await serial();
        assert.notEqual(newSerial, oldSerial, 'certbot installed a new certificate');
        await w.verifies(await readFile(path.join(d, 'config/live/c/fullchain.pem'), 'utf8'));
        const after = await ids();
        assert.equal(after.length, 2, `DescribeCertificates of the bound account lists the renewal too: ${after.join(', ')}`);
        const renewedId = after.find((id) => !before.includes(id))!;
        const detail = await sdkClient(t.port, w.bound).DescribeCertificateDetail({ CertificateId: renewedId });
        assert.equal(detail.From, 'acme-server');
        assert.equal(detail.Status, 1);
        const installed = (await readFile(path.join(d, 'config/live/c/cert.pem'), 'utf8')).replace(/\s+/g, '');
        assert.ok(detail.CertificatePublicKey!.replace(/\s+/g, '').includes(installed), 'the record holds the certificate certbot installed');

        // certbot revoke (signed by the account key): the renewed certificate is revoked in certport.
        await certbotCmd(o, 'revoke', '--cert-name', 'c', '--reason', 'superseded', '--no-delete-after-revoke');
        assert.equal((await sdkClient(t.port, w.bound).DescribeCertificateDetail({ CertificateId: renewedId })).Status, 10);
        assert.equal((await sdkClient(t.port, w.bound).DescribeCertificateDetail({ CertificateId: before[0]! })).Status, 1, 'the first certificate stays issued');
        const chain = await readFile(path.join(d, 'config/live/c/fullchain.pem'), 'utf8');
        const blocks = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
        const [leaf, inter] = [path.join(d, 'rleaf.pem'), path.join(d, 'rinter.pem')];
        await writeFile(leaf, blocks[0]!);
        await writeFile(inter, blocks.slice(1).join(''));
        const ocsp = await run('openssl', ['ocsp', '-issuer', inter, '-cert', leaf, '-url', `http://127.0.0.1:${t.port}/ocsp`, '-CAfile', w.rootFile, '-resp_text']);
        assert.match(ocsp.stdout + ocsp.stderr, /Response verify OK/);
        assert.match(ocsp.stdout, /: revoked/);
        assert.match(ocsp.stdout, /Reason: superseded/);
        // certbot's key is ECDSA: the EC intermediate's CRL lists the serial.
        const crl = await fetch(`http://127.0.0.1:${t.port}/ca/ecc-intermediate.crl`);
        assert.equal(crl.status, 200);
        await writeFile(path.join(d, 'crl.der'), Buffer.from(await crl.arrayBuffer()));
        const text = (await run('openssl', ['crl', '-inform', 'DER', '-in', path.join(d, 'crl.der'), '-noout', '-text'])).stdout;
        assert.match(text, new RegExp(`Serial Number: ${newSerial}[\\s\\S]*?Superseded`, 'i'));
      });
    }

    it('certbot certonly --manual, dns-01 by auth and cleanup hooks: a wildcard and its base name', async () => {
      const b = await w.eab(w.bound);
      const d = path.join(w.dir, 'certbot-dns');
      const hooks = await certbotDnsHooks(d, w.dns.managementUrl);
      const names = ['dns.acme.test', '*.dns.acme.test'];
      await certbot({ dir: d, directory: w.directory, caFile: w.tlsCaFile, domains: names, kid: b.kid, hmacKey: b.hmacKey, dnsHooks: hooks });
      const text = await w.verifies(await readFile(path.join(d, 'config/live/c/fullchain.pem'), 'utf8'));
      assert.match(text, /DNS:dns\.acme\.test/);
      assert.match(text, /DNS:\*\.dns\.acme\.test/);
      await listed(t, w.bound, names);
      // One record per authorization, both under the base name's _acme-challenge; cleared afterwards.
      const log = await readFile(hooks.log, 'utf8');
      assert.equal(log.match(/^set-txt _acme-challenge\.dns\.acme\.test$/gm)?.length, 2, log);
      assert.match(log, /^clear-txt _acme-challenge\.dns\.acme\.test$/m);
    });

    it('lego run (http-01, EAB)', async () => {
      const b = await w.eab(w.bound);
      const d = path.join(w.dir, 'lego');
      await lego({ dir: d, directory: w.directory, caFile: w.tlsCaFile, port: w.httpPort, domains: ['lego.acme.test'], kid: b.kid, hmacKey: b.hmacKey });
      const chain = await readFile(path.join(d, 'certificates/lego.acme.test.crt'), 'utf8');
      await w.verifies(chain);
      await listed(t, w.bound, ['lego.acme.test']);
    });

    it('lego run (tls-alpn-01 on the validation HTTPS port)', async () => {
      const b = await w.eab(w.bound);
      const d = path.join(w.dir, 'lego-tls');
      await lego({ dir: d, directory: w.directory, caFile: w.tlsCaFile, port: w.httpsPort, domains: ['alpn.acme.test'], kid: b.kid, hmacKey: b.hmacKey, challenge: 'tls' });
      await w.verifies(await readFile(path.join(d, 'certificates/alpn.acme.test.crt'), 'utf8'));
      await listed(t, w.bound, ['alpn.acme.test']);
    });

    it('acme-client: a wildcard by dns-01 on the test DNS server', async () => {
      const client = await w.client(w.bound);
      const [key, csr] = await acme.crypto.createCsr({ commonName: 'wild.acme.test', altNames: ['wild.acme.test', '*.wild.acme.test'] });
      void key;
      const pem = await client.auto({
        csr, termsOfServiceAgreed: true, challengePriority: ['dns-01'], skipChallengeVerification: true,
        challengeCreateFn: async (authz, _c, keyAuthorization) => w.dns.setTxt(`_acme-challenge.${authz.identifier.value}`, keyAuthorization),
        challengeRemoveFn: async () => {},
      });
      await w.dns.clearTxt('_acme-challenge.wild.acme.test');
      await w.verifies(pem);
      await listed(t, w.bound, ['wild.acme.test', '*.wild.acme.test']);
    });

    it('refuses a bad JWS signature, a replayed nonce and an unknown account', async () => {
      const b = await w.eab(w.bound);
      const raw = new RawAcme(w.directory, w.tlsCa);
      const dirJson = await raw.directory();
      const bad = await raw.post(dirJson.newAccount, { termsOfServiceAgreed: true }, { useJwk: true, tamper: true });
      assert.equal(bad.json.type, ERR + 'malformed');
      assert.match(bad.json.detail, /signature/);
      assert.ok(bad.headers['replay-nonce'], 'a fresh nonce with the problem');
      assert.equal(bad.headers['content-type'], 'application/problem+json');
      const reg = await raw.register(b);
      assert.equal(reg.status, 201, reg.body);
      const ok = await raw.post(raw.kid!, '');
      assert.equal(ok.status, 200);
      const replay = await raw.post(raw.kid!, '', { nonce: raw.lastNonce! });
      assert.equal(replay.status, 400);
      assert.equal(replay.json.type, ERR + 'badNonce');
      assert.ok(replay.headers['replay-nonce']);
      const stranger = new RawAcme(w.directory, w.tlsCa);
      stranger.kid = raw.kid!.replace(/[^/]+$/, 'nosuchaccount');
      const unknown = await stranger.post(dirJson.newOrder, { identifiers: [{ type: 'dns', value: 'x.acme.test' }] });
      assert.equal(unknown.json.type, ERR + 'accountDoesNotExist');
      const existing = await new RawAcme(w.directory, w.tlsCa).post(dirJson.newAccount, { onlyReturnExisting: true }, { useJwk: true });
      assert.equal(existing.json.type, ERR + 'accountDoesNotExist');
      const noEab = await new RawAcme(w.directory, w.tlsCa).register();
      assert.equal(noEab.json.type, ERR + 'externalAccountRequired');
      const reused = await new RawAcme(w.directory, w.tlsCa).register(b);
      assert.equal(reused.json.type, ERR + 'unauthorized');
    });

    it('an ip identifier is unsupportedIdentifier while CERTPORT_ACME_SERVER_IP_IDENTIFIERS is off (the default)', async () => {
      const raw = new RawAcme(w.directory, w.tlsCa);
      assert.equal((await raw.register(await w.eab(w.bound))).status, 201);
      const r = await raw.post((await raw.directory()).newOrder, { identifiers: [{ type: 'ip', value: '127.0.0.1' }] });
      assert.equal(r.status, 400);
      assert.equal(r.json.type, ERR + 'unsupportedIdentifier');
      assert.deepEqual(r.json.subproblems.map((s: { type: string; identifier: unknown }) => [s.type, s.identifier]), [[ERR + 'unsupportedIdentifier', { type: 'ip', value: '127.0.0.1' }]]);
      assert.match(r.json.detail, /use dns\./);
    });

    it('refuses an EAB of a disabled account, and the disabled account\'s ACME keys', async () => {
      const other = await t.newAccount();
      const early = new RawAcme(w.directory, w.tlsCa);
      assert.equal((await early.register(await w.eab(other))).status, 201);
      const b = await w.eab(other);
      assert.equal((await runCli(t.env, 'account', 'disable', other.accountUin)).code, 0);
      try {
        const r = await new RawAcme(w.directory, w.tlsCa).register(b);
        assert.equal(r.json.type, ERR + 'unauthorized');
        assert.match(r.json.detail, /disabled/);
        const order = await early.post((await early.directory()).newOrder, { identifiers: [{ type: 'dns', value: 'off.acme.test' }] });
        assert.equal(order.json.type, ERR + 'unauthorized');
      } finally {
        await t.svc.core.services.accounts.setAccountStatus(other.accountUin, 'active');
      }
    });

    it('a failing challenge makes the order invalid; a CSR with other names is badCSR', async () => {
      const raw = new RawAcme(w.directory, w.tlsCa);
      assert.equal((await raw.register(await w.eab(w.bound))).status, 201);
      const d = await raw.directory();
      // Nothing serves the http-01 file: the challenge, the authorization and the order fail.
      const o = await raw.post(d.newOrder, { identifiers: [{ type: 'dns', value: 'fail.acme.test' }] });
      assert.equal(o.status, 201, o.body);
      const authz = (await raw.post(o.json.authorizations[0], '')).json;
      const http = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
      assert.equal((await raw.post(http.url, {})).status, 200);
      let order = o.json;
      for (let i = 0; i < 100 && order.status === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        order = (await raw.post(o.headers.location as string, '')).json;
      }
      assert.equal(order.status, 'invalid');
      assert.ok(order.error.type.startsWith(ERR));
      const z = (await raw.post(o.json.authorizations[0], '')).json;
      assert.equal(z.status, 'invalid');
      assert.equal(z.challenges.find((c: { type: string }) => c.type === 'http-01').status, 'invalid');

      // dns-01 passes; then the CSR names another name.
      const o2 = await raw.post(d.newOrder, { identifiers: [{ type: 'dns', value: 'csr.acme.test' }] });
      const z2 = (await raw.post(o2.json.authorizations[0], '')).json;
      const dns01 = z2.challenges.find((c: { type: string }) => c.type === 'dns-01');
      const { createHash } = await import('node:crypto');
      const { thumbprint } = await import('./jws.js');
      await w.dns.setTxt('_acme-challenge.csr.acme.test', createHash('sha256').update(`${dns01.token}.${thumbprint(raw.jwk)}`).digest('base64url'));
      await raw.post(dns01.url, {});
      let o2s = o2.json;
      for (let i = 0; i < 100 && o2s.status === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        o2s = (await raw.post(o2.headers.location as string, '')).json;
      }
      assert.equal(o2s.status, 'ready', JSON.stringify(o2s));
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const otherCsr = domainCsr(keyPem, ['csr.acme.test', 'evil.acme.test']);
      const der = Buffer.from(otherCsr.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64url');
      const fin = await raw.post(o2s.finalize, { csr: der });
      assert.equal(fin.json.type, ERR + 'badCSR');
      assert.match(fin.json.detail, /evil\.acme\.test/);
      // The right CSR still finalizes the same order.
      const goodDer = Buffer.from(domainCsr(keyPem, ['csr.acme.test']).replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64url');
      const fin2 = await raw.post(o2s.finalize, { csr: goodDer });
      assert.equal(fin2.json.status, 'valid', fin2.body);
      const cert = await raw.post(fin2.json.certificate, '');
      assert.equal(cert.headers['content-type'], 'application/pem-certificate-chain');
      await w.verifies(cert.body);
    });
  });
}

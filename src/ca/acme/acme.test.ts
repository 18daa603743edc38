// Free certificates from an upstream ACME CA, end to end through the official SDK: a real
// ACME server (Pebble) validating http-01 against a real web server and dns-01 through
// pebble-challtestsrv, certport driving the order from its jobs, openssl checking the chain.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run, withTempDir } from '../../testing/pki-fixtures.js';
import { type FileServer, startFileServer, validationEnv, waitFor } from '../../testing/dv.js';
import { BACKENDS, expectCode, startTestService, type SslClient, type TestService } from '../../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { startPebble, type Pebble } from '../../testing/pebble.js';

const uniq = () => randomBytes(3).toString('hex');

/** openssl verify -purpose sslserver of the stored chain against Pebble's current root. */
async function verifyAgainst(c: SslClient, id: string, rootPem: string): Promise<string> {
  const d = await c.DescribeCertificateDetail({ CertificateId: id });
  const blocks = d.CertificatePublicKey!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
  assert.ok(blocks.length >= 2, 'leaf and the CA chain');
  return withTempDir(async (dir) => {
    const f = (name: string, s: string) => { const p = path.join(dir, name); writeFileSync(p, s); return p; };
    const out = run('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', f('root.pem', rootPem),
      '-untrusted', f('chain.pem', blocks.slice(1).join('')), f('leaf.pem', blocks[0]!)]);
    assert.match(out, /leaf\.pem: OK/);
    return run('openssl', ['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-text']);
  });
}

let dns: ChallTestSrv;
let web: FileServer;
let pebble: Pebble;
before(async () => {
  [dns, web] = await Promise.all([startChallTestSrv(), startFileServer()]);
  pebble = await startPebble({ dnsServer: dns.dns, httpPort: web.port, domainBlocklist: ['blocked.example.test'] });
});
after(async () => {
  await pebble?.dispose();
  await Promise.all([dns?.stop(), web?.stop()]);
});

for (const backend of BACKENDS) {
  describe(`ACME issuer: Pebble (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    before(async () => {
      t = await startTestService(backend, {
        env: {
          CERTPORT_ACME_DIRECTORY_URL: pebble.directoryUrl,
          CERTPORT_ACME_CA_FILE: pebble.tlsCaFile,
          CERTPORT_ACME_EMAIL: 'ops@example.test',
          ...validationEnv(dns.dns, web),
        },
      });
      c = t.client;
    });
    after(async () => { await t.close(); });

    test('http-01 (FILE), RSA: DvAuthDetail is what the CA asks for; the chain verifies against Pebble\'s root', async () => {
      const domain = `web-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: domain });
      const d = await c.DescribeCertificate({ CertificateId: id! });
      assert.equal(d.Status, 0);
      assert.equal(d.From, 'acme');
      const a = d.DvAuthDetail!;
      assert.equal(a.DvAuthPath, '/.well-known/acme-challenge/');
      assert.match(a.DvAuthKey!, /^[A-Za-z0-9_-]{20,}$/, 'the challenge token');
      assert.equal(a.DvAuthValue!.split('.')[0], a.DvAuthKey, 'the key authorization');
      assert.equal(a.DvAuths![0]!.DvAuthVerifyType, 'FILE');
      web.files.set(domain + a.DvAuthPath + a.DvAuthKey, a.DvAuthValue!);
      const issued = await waitFor(c, id!, (x) => x.Status === 1);
      assert.equal(issued.StatusMsg, null);
      const text = await verifyAgainst(c, id!, await pebble.rootPem());
      assert.match(text, new RegExp(`DNS:${domain.replace(/\./g, '\\.')}`));
      assert.match(text, /Public Key Algorithm: rsaEncryption/);
      const detail = await c.DescribeCertificateDetail({ CertificateId: id! });
      assert.match(detail.CertificatePrivateKey!, /BEGIN PRIVATE KEY/);
      assert.equal(detail.RootCert?.Standard ?? null, null, 'the ACME root is not known here');
      const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === id);
      assert.ok(logs.some((l) => l.Type === 'issued' && l.Action?.includes(pebble.directoryUrl)), JSON.stringify(logs));
      // The ACME CA signs no SM2 keys: a reissue asking for one is refused, and nothing is ordered.
      const msg = await expectCode(c.ReplaceCertificate({ CertificateId: id!, ValidType: 'FILE', CsrType: 'Online', CertCSREncryptAlgo: 'SM2' }), 'InvalidParameter.RenewAlgorithmInvalid');
      assert.match(msg, /The ACME CA that issued this certificate cannot issue SM2 certificates/);

      // Revocation (issue 24): at the CA that issued it (RFC 8555 7.6), then 10 here.
      const leaf = detail.CertificatePublicKey!.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n';
      const serial = run('openssl', ['x509', '-noout', '-serial'], leaf).trim().replace(/^serial=/, '').toLowerCase();
      assert.equal((await pebble.certStatus(serial)).Status, 'Valid');
      assert.deepEqual((await c.RevokeCertificate({ CertificateId: id!, Reason: 'superseded' })).RevokeDomainValidateAuths, []);
      assert.equal((await c.DescribeCertificate({ CertificateId: id! })).Status, 10);
      const atCa = await pebble.certStatus(serial);
      assert.equal(atCa.Status, 'Revoked');
      assert.equal(atCa.Reason, 4);
      await expectCode(c.RevokeCertificate({ CertificateId: id!, Reason: 'superseded' }), 'FailedOperation.InvalidCertificateStatusCode');
    });

    test('dns-01 (DNS), ECC, and a wildcard: _acme-challenge TXT records', async () => {
      const base = `dns-${uniq()}.example.test`;
      for (const name of [base, `*.${base}`]) {
        const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: name, CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'prime256v1' });
        const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
        assert.equal(a.DvAuthKey, `_acme-challenge.${base}`);
        assert.equal(a.DvAuthKeySubDomain, `_acme-challenge.${base.split('.')[0]}`);
        assert.equal(a.DvAuthDomain, 'example.test');
        assert.match(a.DvAuthValue!, /^[A-Za-z0-9_-]{43}$/, 'base64url SHA-256 of the key authorization');
        await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
        await waitFor(c, id!, (x) => x.Status === 1);
        const text = await verifyAgainst(c, id!, await pebble.rootPem());
        assert.match(text, /id-ecPublicKey/);
        assert.match(text, new RegExp(`DNS:${name.replace(/\./g, '\\.').replace('*', '\\*')}`));
        // Shared TXT name: cleared only once this order is complete.
        await dns.clearTxt(a.DvAuthKey!);
      }
    });

    test('a CA that refuses the order: status 2 with the CA\'s reason', async () => {
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'blocked.example.test' });
      const d = await c.DescribeCertificate({ CertificateId: id! });
      assert.equal(d.Status, 2);
      assert.match(d.StatusMsg!, /blocked|policy|forbid/i);
      assert.equal((await c.DeleteCertificate({ CertificateId: id! })).DeleteResult, true, 'a failed order can be deleted');
    });

    test('certport restarted mid order picks the order up again', async () => {
      const domain = `cp-restart-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: domain });
      const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
      await t.restart();
      web.files.set(domain + a.DvAuthPath + a.DvAuthKey, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
    });

    test('a CA that forgot certport\'s account (restarted between orders): the next order registers again and is issued', async () => {
      const issue = async (domain: string) => {
        const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: domain });
        const d = await c.DescribeCertificate({ CertificateId: id! });
        assert.equal(d.Status, 0, d.StatusMsg ?? '');
        const a = d.DvAuthDetail!;
        web.files.set(domain + a.DvAuthPath + a.DvAuthKey, a.DvAuthValue!);
        await waitFor(c, id!, (x) => x.Status === 1);
        return id!;
      };
      await issue(`before-reset-${uniq()}.example.test`);
      await pebble.restart(); // a fresh Pebble knows no account: "Account … not found"
      const id = await issue(`after-reset-${uniq()}.example.test`);
      await verifyAgainst(c, id, await pebble.rootPem());
    });

    test('Pebble restarted mid order: the order is placed again and the new challenge is shown', async () => {
      const domain = `ca-restart-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: domain });
      const first = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
      await pebble.stop();
      // While the CA is down the order waits; a new order cannot be placed at all.
      await new Promise((r) => setTimeout(r, 1500));
      const during = await c.DescribeCertificate({ CertificateId: id! });
      assert.equal(during.Status, 0, during.StatusMsg ?? '');
      const msg = await expectCode(c.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: `down-${domain}` }), 'FailedOperation.NetworkError');
      assert.match(msg, /unreachable/);
      await pebble.start();
      const fresh = await waitFor(c, id!, (x) => x.DvAuthDetail?.DvAuthKey !== first.DvAuthKey);
      const a = fresh.DvAuthDetail!;
      web.files.set(domain + a.DvAuthPath + a.DvAuthKey, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      await verifyAgainst(c, id!, await pebble.rootPem());
    });
  });
}

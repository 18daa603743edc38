// Free DV certificates end to end through the official SDK: a real DNS server
// (pebble-challtestsrv) for TXT records and A answers, a real HTTP server for FILE
// validation, a real BIND 9 taking RFC 2136 updates for DNS_AUTO, and openssl checking the
// issued chain against certport's root.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../config/config.js';
import { startService, type RunningService } from '../main.js';
import { run, withTempDir } from '../testing/pki-fixtures.js';
import { BACKENDS, expectCode, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { startFileServer, validationEnv as localValidation, waitFor, type FileServer } from '../testing/dv.js';
import { freePort } from '../testing/net.js';
import { startBind, startChallTestSrv, type Bind, type ChallTestSrv } from '../testing/dns-servers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** openssl verify -x509_strict -purpose sslserver of the issued chain against the root. */
async function verifyChain(t: TestService, id: string) {
  const detail = await t.client.DescribeCertificateDetail({ CertificateId: id });
  const root = await (await fetch(`http://127.0.0.1:${t.port}/ca/root.pem`)).text();
  assert.equal(detail.RootCert?.Standard?.trim(), root.trim(), 'RootCert.Standard is the CA root');
  const blocks = detail.CertificatePublicKey!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
  assert.equal(blocks.length, 2, 'leaf and issuing intermediate');
  return withTempDir(async (dir) => {
    const f = (name: string, s: string) => { const p = path.join(dir, name); writeFileSync(p, s); return p; };
    const out = run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', f('root.pem', root),
      '-untrusted', f('inter.pem', blocks[1]!), f('leaf.pem', blocks[0]!)]);
    assert.match(out, /leaf\.pem: OK/);
    return run('openssl', ['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-text']);
  });
}

let dns: ChallTestSrv;
let web: FileServer;
before(async () => {
  [dns, web] = await Promise.all([startChallTestSrv(), startFileServer()]);
});
after(async () => {
  await Promise.all([dns?.stop(), web?.stop()]);
});

const validationEnv = () => localValidation(dns.dns, web);

for (const backend of BACKENDS) {
  describe(`ApplyCertificate and validation (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    let offset = 0;
    const clock = () => Date.now() + offset;
    const uniq = () => randomBytes(3).toString('hex');
    before(async () => {
      // A known port, so the public URL (and AIA in every leaf) points at this server.
      t = await startTestService(backend, { env: { ...validationEnv(), CERTPORT_PORT: String(await freePort()) }, clock });
      c = t.client;
    });
    after(async () => { await t.close(); });

    test('DNS: pending with exactly what to publish; publishing it issues an RSA certificate that openssl verifies', async () => {
      const domain = `shop-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, Alias: 'shop', ContactEmail: 'ops@example.test' });
      assert.match(id!, /^[0-9A-Za-z]{8}$/);
      const pending = await c.DescribeCertificate({ CertificateId: id! });
      assert.equal(pending.Status, 0);
      assert.equal(pending.StatusMsg, 'pending-dcv');
      assert.equal(pending.VerifyType, 'DNS');
      assert.equal(pending.IsDv, true);
      assert.equal(pending.PackageType, '83');
      const a = pending.DvAuthDetail!;
      assert.equal(a.DvAuthKey, `_dnsauth.${domain}`);
      assert.equal(a.DvAuthDomain, 'example.test');
      assert.equal(a.DvAuthKeySubDomain, `_dnsauth.${domain.split('.')[0]}`);
      assert.match(a.DvAuthValue!, /^\d{14}[0-9a-z]{40}$/);
      assert.deepEqual(a.DvAuths, [{
        DvAuthKey: a.DvAuthKey, DvAuthValue: a.DvAuthValue, DvAuthDomain: 'example.test', DvAuthPath: null,
        DvAuthSubDomain: a.DvAuthKeySubDomain, DvAuthVerifyType: 'TXT',
      }]);
      const listed = (await c.DescribeCertificates({ CertIds: [id!] })).Certificates![0]!;
      assert.equal(listed.Status, 0);
      assert.equal(listed.VerifyType, 'DNS');
      assert.match(listed.DVAuthDeadline!, TIME);
      const deadline = Date.parse(listed.DVAuthDeadline!.replace(' ', 'T') + 'Z');
      assert.ok(Math.abs(deadline - (Date.now() + 72 * HOUR)) < 60_000, 'three days to validate');
      assert.equal(listed.ValidationPassedTime, null);
      assert.equal(listed.AllowDownload, false);
      const detail = await c.DescribeCertificateDetail({ CertificateId: id! });
      assert.equal(detail.CertificatePublicKey, null, 'no certificate before issuance');
      await expectCode(c.DownloadCertificate({ CertificateId: id! }), 'FailedOperation.InvalidCertificateStatusCode');

      // Not published yet: the check says what it found, and the order waits.
      const check = await c.CheckCertificateDomainVerification({ CertificateId: id! });
      assert.equal(check.VerificationResults![0]!.LocalCheck, -1);
      assert.match(check.VerificationResults![0]!.LocalCheckFailReason!, /no TXT record/);

      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      const issued = await waitFor(c, id!, (d) => d.Status === 1);
      assert.equal(issued.StatusMsg, null);
      assert.match(issued.CertBeginTime!, TIME);
      const days = (Date.parse(issued.CertEndTime!.replace(' ', 'T') + 'Z') - Date.parse(issued.CertBeginTime!.replace(' ', 'T') + 'Z')) / DAY;
      assert.ok(days > 89.9 && days <= 90, `90 days, got ${days}`);
      const text = await verifyChain(t, id!);
      assert.match(text, new RegExp(`DNS:${domain.replace(/\./g, '\\.')}`));
      // AIA caIssuers names the issuing intermediate, served here as DER.
      const aia = /CA Issuers - URI:(\S+)/.exec(text)?.[1];
      assert.equal(aia, `http://127.0.0.1:${t.port}/ca/rsa-intermediate.der`);
      const inter = Buffer.from(await (await fetch(aia!)).arrayBuffer());
      const blocks = (await c.DescribeCertificateDetail({ CertificateId: id! })).CertificatePublicKey!.split('-----END CERTIFICATE-----');
      assert.equal(inter.toString('base64'), blocks[1]!.replace(/-----BEGIN CERTIFICATE-----|\s/g, ''));
      const after = (await c.DescribeCertificates({ CertIds: [id!] })).Certificates![0]!;
      assert.match(after.ValidationPassedTime!, TIME);
      assert.equal(after.EncryptAlgorithm, 'RSA 2048');
      assert.equal(after.Deployable, true);
      assert.equal(after.AllowDownload, true);
      const zip = await c.DownloadCertificate({ CertificateId: id! });
      assert.ok(Buffer.from(zip.Content!, 'base64').length > 1000);
      const logs = await c.DescribeCertificateOperateLogs({ Limit: 100 });
      const mine = logs.OperateLogs!.filter((l) => l.CertId === id).map((l) => l.Type);
      assert.ok(mine.includes('apply') && mine.includes('issued'), mine.join(','));
      await dns.clearTxt(a.DvAuthKey!);
    });

    test('FILE: the file under /.well-known/pki-validation/ issues an ECC certificate from the ECDSA chain', async () => {
      const domain = `www-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({
        DvAuthMethod: 'FILE', DomainName: domain.toUpperCase(), CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'prime256v1', CsrKeyPassword: 'pfx-pass',
      });
      const d = await c.DescribeCertificateDetail({ CertificateId: id! });
      assert.equal(d.Domain, domain, 'lower-cased');
      const a = d.DvAuthDetail!;
      assert.equal(a.DvAuthPath, '/.well-known/pki-validation/');
      assert.equal(a.DvAuthKey, 'fileauth.txt');
      assert.equal(a.DvAuthDomain, domain);
      assert.equal(a.DvAuths![0]!.DvAuthVerifyType, 'FILE');
      web.files.set(domain + a.DvAuthPath + a.DvAuthKey, a.DvAuthValue! + '\n');
      await waitFor(c, id!, (x) => x.Status === 1);
      const detail = await c.DescribeCertificateDetail({ CertificateId: id! });
      assert.equal(detail.EncryptAlgorithm, 'ECC 256');
      assert.match(detail.CertificatePrivateKey!, /BEGIN PRIVATE KEY/);
      const text = await verifyChain(t, id!);
      assert.match(text, /ecdsa-with-SHA256/);
      const item = (await c.DescribeCertificates({ CertIds: [id!] })).Certificates![0]!;
      assert.equal(item.KeyPasswordCustomFlag, true, 'CsrKeyPassword protects the PFX/JKS');
    });

    test('wildcard through DNS; a wildcard with FILE is refused', async () => {
      const base = `wild-${uniq()}.example.test`;
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'FILE', DomainName: `*.${base}` }), 'FailedOperation.InvalidParam');
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `*.${base}` });
      const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
      assert.equal(a.DvAuthKey, `_dnsauth.${base}`);
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      const d = await waitFor(c, id!, (x) => x.Status === 1);
      assert.equal(d.IsWildcard, true);
      assert.match(await verifyChain(t, id!), new RegExp(`DNS:\\*\\.${base.replace(/\./g, '\\.')}`));
      await dns.clearTxt(a.DvAuthKey!);
    });

    test('names are checked like a public CA checks them', async () => {
      const bad: [string, RegExp][] = [
        ['exa mple.com', /" "/],
        ['192.0.2.1', /IP address/],
        ['*.*.example.com', /more than one wildcard/],
        ['a.*.example.com', /not the whole leftmost label/],
        ['-bad.example.com', /hyphen/],
        ['localhost', /two labels/],
        ['a'.repeat(64) + '.example.com', /longer than 63/],
        ['ab--cd.example.com', /reserved/],
      ];
      for (const [name, why] of bad) {
        const msg = await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: name }), 'FailedOperation.InvalidParam');
        assert.match(msg, why, name);
      }
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'Bücher.example.test' });
      assert.equal((await c.DescribeCertificate({ CertificateId: id! })).Domain, 'xn--bcher-kva.example.test');
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'EMAIL', DomainName: 'a.example.test' }), 'InvalidParameter');
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.example.test', CsrEncryptAlgo: 'ECC' }), 'InvalidParameter');
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.example.test', CsrEncryptAlgo: 'RSA', CsrKeyParameter: '4096' }), 'InvalidParameter');
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.example.test', PackageType: '2' }), 'InvalidParameter');
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.example.test', DeleteDnsAutoRecord: true }), 'InvalidParameter');
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS_AUTO', DomainName: 'a.example.test' }), 'FailedOperation.InvalidParam');
    });

    test('CancelCertificateOrder: status 7, never issued; settled orders cannot be cancelled; delete rules', async () => {
      const domain = `cancel-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
      // A pending order can be deleted at once (issue 24: spec-fidelity.test.ts); here it is cancelled.
      const r = await c.CancelCertificateOrder({ CertificateId: id! });
      assert.equal(r.CertificateId, id);
      const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await new Promise((ok) => setTimeout(ok, 1500));
      assert.equal((await c.DescribeCertificate({ CertificateId: id! })).Status, 7, 'a cancelled order stays cancelled');
      await expectCode(c.CancelCertificateOrder({ CertificateId: id! }), 'FailedOperation.InvalidCertificateStatusCode');
      await expectCode(c.CancelCertificateOrder({ CertificateId: 'nOsUcH01' }), 'FailedOperation.CertificateNotFound');
      assert.equal((await c.DeleteCertificate({ CertificateId: id! })).DeleteResult, true, 'cancelled orders can be deleted at once');
      await expectCode(c.DescribeCertificate({ CertificateId: id! }), 'FailedOperation.CertificateNotFound');
      await dns.clearTxt(a.DvAuthKey!);
    });

    test('a restart during validation resumes it', async () => {
      const domain = `restart-${uniq()}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
      const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
      await t.restart();
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      await dns.clearTxt(a.DvAuthKey!);
    });

    /** Applies for `domain` by DNS, publishes the record and waits for issuance. */
    async function issued(domain: string, extra: Record<string, string> = {}): Promise<string> {
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, ...extra });
      await publishAndWait(id!);
      return id!;
    }
    async function publishAndWait(id: string) {
      const a = (await c.DescribeCertificate({ CertificateId: id })).DvAuthDetail!;
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id, (x) => x.Status === 1);
      await dns.clearTxt(a.DvAuthKey!);
    }

    test('ReplaceCertificate (Original): a new id through validation again, linked both ways, status 11 meanwhile, once', async () => {
      const domain = `reissue-${uniq()}.example.test`;
      const a = await issued(domain);
      const keyA = (await c.DescribeCertificateDetail({ CertificateId: a })).CertificatePrivateKey;
      const { CertificateId: b } = await c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Original', Reason: 'key rotation drill' });
      assert.notEqual(b, a);
      const orig = await c.DescribeCertificate({ CertificateId: a });
      assert.equal(orig.Status, 11, 'reissue in progress');
      assert.equal(orig.CertificateExtra!.ReplacedBy, b);
      assert.equal((await c.DescribeCertificate({ CertificateId: b! })).CertificateExtra!.ReplacedFor, a);
      await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS' }), 'FailedOperation.OrderAlreadyReplaced');
      await publishAndWait(b!);
      assert.equal((await c.DescribeCertificate({ CertificateId: a })).Status, 1, 'the original is back to issued');
      const detailB = await c.DescribeCertificateDetail({ CertificateId: b! });
      assert.equal(detailB.CertificatePrivateKey, keyA, 'Original reuses the key');
      await verifyChain(t, b!);
      await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS' }), 'FailedOperation.OrderAlreadyReplaced');
      const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === b);
      assert.ok(logs.some((l) => l.Type === 'replace' && /key rotation drill/.test(l.Action ?? '')), JSON.stringify(logs));
    });

    test('ReplaceCertificate (Online): ECC secp384r1 from the ECDSA chain; bad algorithms; cancelling gives the original back', async () => {
      const domain = `online-${uniq()}.example.test`;
      const a = await issued(domain);
      await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Online', CertCSREncryptAlgo: 'DSA' }), 'InvalidParameter.RenewAlgorithmInvalid');
      await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Online', CertCSREncryptAlgo: 'RSA', CertCSRKeyParameter: '1024' }), 'InvalidParameter.RenewAlgorithmInvalid');
      await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Online', CertCSREncryptAlgo: 'ECC', CertCSRKeyParameter: 'secp521r1' }), 'InvalidParameter.RenewAlgorithmInvalid');
      const first = await c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Online', CertCSREncryptAlgo: 'ECC', CertCSRKeyParameter: 'secp384r1' });
      await c.CancelCertificateOrder({ CertificateId: first.CertificateId! });
      assert.equal((await c.DescribeCertificate({ CertificateId: a })).Status, 1);
      const { CertificateId: b } = await c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Online', CertCSREncryptAlgo: 'ECC', CertCSRKeyParameter: 'secp384r1' });
      await publishAndWait(b!);
      const d = await c.DescribeCertificateDetail({ CertificateId: b! });
      assert.equal(d.EncryptAlgorithm, 'ECC 384');
      assert.match(await verifyChain(t, b!), /ecdsa-with-SHA256/, 'signed by the P-256 ECDSA intermediate');
    });

    test('ReplaceCertificate (Upload): the CSR must name the domain; the owner keeps the key', async () => {
      const domain = `upload-${uniq()}.example.test`;
      const a = await issued(domain);
      await withTempDir(async (dir) => {
        const csr = (cn: string) => {
          run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, `${cn}.key`),
            '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`, '-out', path.join(dir, `${cn}.csr`)]);
          return readFileSync(path.join(dir, `${cn}.csr`), 'utf8');
        };
        const msg = await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Upload', CsrContent: csr('other.example.test') }), 'FailedOperation.InvalidParam');
        assert.match(msg, /other\.example\.test/);
        await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Upload' }), 'MissingParameter');
        const { CertificateId: b } = await c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Upload', CsrContent: csr(domain) });
        await publishAndWait(b!);
        const d = await c.DescribeCertificateDetail({ CertificateId: b! });
        assert.equal(d.CertificatePrivateKey, null, 'certport never had this key');
        writeFileSync(path.join(dir, 'leaf.pem'), d.CertificatePublicKey!.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n');
        const pub = (f: string, args: string[]) => run('openssl', [...args, '-in', path.join(dir, f), '-pubout']);
        assert.equal(pub('leaf.pem', ['x509', '-noout', '-pubkey']).trim() || run('openssl', ['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-pubkey']).trim(),
          pub(`${domain}.key`, ['pkey']).trim());
      });
    });

    test('SM2: an Online reissue gives a GM/T signing + encryption pair from the SM2 CA; IsSM finds it; SM2 uploads must match their key type', async () => {
      const domain = `sm2-${uniq()}.example.test`;
      const a = await issued(domain);
      const { CertificateId: b } = await c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Online', CertCSREncryptAlgo: 'SM2' });
      await publishAndWait(b!);
      const d = await c.DescribeCertificateDetail({ CertificateId: b! });
      assert.equal(d.EncryptAlgorithm, 'SM2');
      assert.match(d.EncryptCert!, /BEGIN CERTIFICATE/);
      assert.match(d.EncryptPrivateKey!, /PRIVATE KEY/);
      assert.match(d.EncryptCertFingerprint!, /^[0-9a-f]{40}$/);
      assert.notEqual(d.EncryptCertFingerprint, d.CertFingerprint);
      const sm2Root = await (await fetch(`http://127.0.0.1:${t.port}/ca/sm2-root.pem`)).text();
      assert.equal(d.RootCert!.Sign!.trim(), sm2Root.trim());
      assert.equal(d.RootCert!.Encrypt!.trim(), sm2Root.trim());
      // The download holds the encryption pair beside the signing pair (no PFX/JKS for SM2).
      const zip = await c.DownloadCertificate({ CertificateId: b! });
      await withTempDir(async (zdir) => {
        writeFileSync(path.join(zdir, 'c.zip'), Buffer.from(zip.Content!, 'base64'));
        run('unzip', ['-q', path.join(zdir, 'c.zip'), '-d', zdir]);
        const encCrt = readFileSync(path.join(zdir, `${domain}_nginx`, `${domain}_enc_bundle.crt`), 'utf8');
        assert.equal(encCrt.trim(), d.EncryptCert!.trim());
        assert.equal(readFileSync(path.join(zdir, `${domain}_other`, `${domain}_enc.key`), 'utf8').trim(), d.EncryptPrivateKey!.trim());
        assert.equal(readFileSync(path.join(zdir, `${domain}_nginx`, `${domain}.key`), 'utf8').trim(), d.CertificatePrivateKey!.trim());
        assert.ok(!existsSync(path.join(zdir, `${domain}_iis`)), 'no PFX for SM2');
      });
      const listed = await c.DescribeCertificates({ CertIds: [b!], IsSM: 1 });
      assert.equal(listed.TotalCount, 1);
      assert.equal((await c.DescribeCertificates({ CertIds: [b!], IsSM: 0 })).TotalCount, 0);
      await withTempDir(async (dir) => {
        const [leaf, inter] = d.CertificatePublicKey!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
        const [encLeaf] = d.EncryptCert!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
        writeFileSync(path.join(dir, 'inter.pem'), inter!);
        writeFileSync(path.join(dir, 'leaf.pem'), leaf!);
        writeFileSync(path.join(dir, 'enc.pem'), encLeaf!);
        // OpenSSL 3.0 applies distid to the certificate checked only, so each link is checked alone.
        for (const f of ['leaf.pem', 'enc.pem']) {
          const out = run('openssl', ['verify', '-x509_strict', '-partial_chain', '-vfyopt', 'distid:1234567812345678', '-CAfile', path.join(dir, 'inter.pem'), path.join(dir, f)]);
          assert.match(out, /: OK/);
        }
        assert.match(run('openssl', ['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-text']), /SM2-with-SM3|1\.2\.156\.10197\.1\.501/);
        assert.match(run('openssl', ['x509', '-in', path.join(dir, 'enc.pem'), '-noout', '-text']), /Key Encipherment/);
        // An SM2 certificate uploaded with a P-256 key: the key type does not match.
        run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', path.join(dir, 'sm2.key')]);
        run('openssl', ['req', '-x509', '-new', '-key', path.join(dir, 'sm2.key'), '-sm3', '-subj', '/CN=sm2.example.test', '-days', '30', '-out', path.join(dir, 'sm2.crt')]);
        run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path.join(dir, 'p256.key')]);
        await expectCode(c.UploadCertificate({ CertificatePublicKey: readFileSync(path.join(dir, 'sm2.crt'), 'utf8'), CertificatePrivateKey: readFileSync(path.join(dir, 'p256.key'), 'utf8') }),
          'FailedOperation.CertificateEncryptInvalid');
      });
    });

    test('ReplaceCertificate refuses uploads, pending orders and unknown ids', async () => {
      const { CertificateId: pending } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `pend-${uniq()}.example.test` });
      await expectCode(c.ReplaceCertificate({ CertificateId: pending!, ValidType: 'DNS' }), 'FailedOperation.InvalidCertificateStatusCode');
      await expectCode(c.ReplaceCertificate({ CertificateId: 'nOsUcH01', ValidType: 'DNS' }), 'FailedOperation.CertificateNotFound');
      const a = await issued(`vt-${uniq()}.example.test`);
      await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'EMAIL' }), 'InvalidParameter');
      await expectCode(c.ReplaceCertificate({ CertificateId: a, ValidType: 'DNS', CsrType: 'Original', CertCSREncryptAlgo: 'ECC' }), 'InvalidParameter');
    });

    // From here on the clock moves forward.
    test('renewal: OldCertificateId only in the last 30 days, linked both ways, once', async () => {
      const domain = `renew-${uniq()}.example.test`;
      const { CertificateId: oldId } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
      const a = (await c.DescribeCertificate({ CertificateId: oldId! })).DvAuthDetail!;
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, oldId!, (x) => x.Status === 1);
      assert.equal((await c.DescribeCertificates({ CertIds: [oldId!] })).Certificates![0]!.RenewAble, false);
      const early = await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, OldCertificateId: oldId }), 'FailedOperation.InvalidCertificateStatusCode');
      assert.match(early, /30 days/);
      offset += 65 * DAY;
      assert.equal((await c.DescribeCertificates({ CertIds: [oldId!] })).Certificates![0]!.RenewAble, true);
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `other-${domain}`, OldCertificateId: oldId }), 'FailedOperation.InvalidParam');
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, OldCertificateId: 'nOsUcH01' }), 'FailedOperation.CertificateNotFound');
      const { CertificateId: newId } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, OldCertificateId: oldId });
      const oldNow = (await c.DescribeCertificates({ CertIds: [oldId!] })).Certificates![0]!;
      assert.equal(oldNow.HasRenewOrder, newId);
      assert.equal(oldNow.CertificateExtra!.RenewOrder, newId);
      assert.equal(oldNow.RenewAble, false);
      assert.equal((await c.DescribeCertificate({ CertificateId: newId! })).CertificateExtra!.OriginCertificateId, oldId);
      await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, OldCertificateId: oldId }), 'FailedOperation.InvalidCertificateStatusCode');
      // The renewal validates against its own value; the old record does not pass it.
      const b = (await c.DescribeCertificate({ CertificateId: newId! })).DvAuthDetail!;
      assert.notEqual(b.DvAuthValue, a.DvAuthValue);
      await dns.setTxt(b.DvAuthKey!, b.DvAuthValue!);
      await waitFor(c, newId!, (x) => x.Status === 1);
      offset += 30 * DAY;
      const expired = (await c.DescribeCertificates({ CertIds: [oldId!] })).Certificates![0]!;
      assert.equal(expired.Status, 3, 'past its end date');
      assert.equal((await c.DescribeCertificates({ CertIds: [oldId!], CertificateStatus: [3] })).TotalCount, 1);
      assert.equal((await c.DescribeCertificates({ CertIds: [oldId!], CertificateStatus: [1] })).TotalCount, 0);
      assert.equal((await c.DescribeCertificates({ CertIds: [oldId!], Deployable: 1 })).TotalCount, 0);
      await dns.clearTxt(a.DvAuthKey!);
    });

    test('the deadline passes unvalidated: status 2 with the reason', async () => {
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `late-${uniq()}.example.test` });
      offset += 73 * HOUR;
      await c.CheckCertificateDomainVerification({ CertificateId: id! }).catch(() => {});
      const d = await waitFor(c, id!, (x) => x.Status === 2);
      assert.match(d.StatusMsg!, /timed out/);
      assert.equal((await c.DeleteCertificate({ CertificateId: id! })).DeleteResult, true, 'a failed order can be deleted');
    });
  });
}

describe('quotas', () => {
  let t: TestService;
  before(async () => {
    t = await startTestService(BACKENDS[0]!, { env: { ...validationEnv(), CERTPORT_FREE_CERT_LIMIT: '3', CERTPORT_MAIN_DOMAIN_CERT_LIMIT: '2' } });
  });
  after(async () => { await t.close(); });

  test('per main domain and per account, with the domain and the limit in the message; cancelled orders free the quota', async () => {
    const c = t.client;
    const first = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.quota-one.test' });
    await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'b.quota-one.test' });
    const msg = await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'c.quota-one.test' }), 'FailedOperation.MainDomainCertificateCountLimit');
    assert.match(msg, /\(quota-one\.test\) has reached the upper limit of 2/);
    await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.quota-two.test' });
    await expectCode(c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.quota-three.test' }), 'FailedOperation.ExceedsFreeLimit');
    // Another account has its own quota.
    const other = await t.newAccount();
    const { sdkClient } = await import('../testing/harness.js');
    await sdkClient(t.port, other).ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.quota-three.test' });
    await c.CancelCertificateOrder({ CertificateId: first.CertificateId! });
    await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: 'a.quota-three.test' });
  });
});

describe('DNS_AUTO through RFC 2136 (BIND 9 with TSIG)', () => {
  let bind: Bind;
  let t: TestService;
  const zone = 'auto.test';
  const tsig = { name: 'certport-key', algorithm: 'hmac-sha256' as const, secret: randomBytes(32).toString('base64') };
  const txt = async (name: string) => {
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([bind.dns]);
    return (await r.resolveTxt(name).catch(() => [])).map((x) => x.join(''));
  };
  before(async () => {
    bind = await startBind({ [zone]: 'www IN A 127.0.0.1' }, { tsig });
    t = await startTestService(BACKENDS[0]!, {
      env: {
        CERTPORT_DNS_RESOLVERS: bind.dns,
        CERTPORT_VALIDATION_INTERVAL_MS: '500',
        CERTPORT_DNS_PROVIDERS: JSON.stringify([{ zone, type: 'rfc2136', server: bind.dns, tsig }]),
      },
    });
  });
  after(async () => {
    await t?.close();
    await bind?.stop();
  });

  test('certport writes the TXT record, the order passes (status 4 on the way), and DeleteDnsAutoRecord removes it', async () => {
    const c = t.client;
    const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS_AUTO', DomainName: `www.${zone}`, DeleteDnsAutoRecord: true });
    const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
    assert.equal(a.DvAuthDomain, zone);
    assert.equal(a.DvAuthKeySubDomain, '_dnsauth.www');
    await waitFor(c, id!, (x) => x.Status === 1);
    const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === id).map((l) => l.Type);
    assert.ok(logs.includes('dnsAutoAdded'), logs.join(','));
    const deadline = Date.now() + 10_000;
    while ((await txt(a.DvAuthKey!)).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await txt(a.DvAuthKey!), [], 'the record is removed after issuance');
  });

  test('without DeleteDnsAutoRecord the record stays; a wildcard in the zone works too', async () => {
    const c = t.client;
    const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS_AUTO', DomainName: `*.${zone}` });
    const a = (await c.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
    assert.equal(a.DvAuthKey, `_dnsauth.${zone}`);
    assert.equal(a.DvAuthKeySubDomain, '_dnsauth');
    await waitFor(c, id!, (x) => x.Status === 1);
    assert.deepEqual(await txt(a.DvAuthKey!), [a.DvAuthValue]);
  });

  test('a domain outside every configured zone is refused with a clear error', async () => {
    const msg = await expectCode(t.client.ApplyCertificate({ DvAuthMethod: 'DNS_AUTO', DomainName: 'www.elsewhere.test' }), 'FailedOperation.InvalidParam');
    assert.match(msg, /no(ne is configured| DNS provider)/);
  });
});

if (BACKENDS.includes('postgres')) {
  describe('two nodes on one PostgreSQL', () => {
    let t: TestService;
    let second: RunningService;
    before(async () => {
      t = await startTestService('postgres', { env: validationEnv() });
      second = await startService(loadConfig({ ...t.env, CERTPORT_PORT: '0' }));
    });
    after(async () => {
      await second?.close();
      await t?.close();
    });

    test('both run background jobs; every certificate is issued exactly once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const { CertificateId: id } = await t.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `n${i}-${randomBytes(3).toString('hex')}.twonodes.test` });
        const a = (await t.client.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
        await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
        ids.push(id!);
      }
      for (const id of ids) await waitFor(t.client, id, (x) => x.Status === 1);
      const logs = (await t.client.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!;
      for (const id of ids) assert.equal(logs.filter((l) => l.CertId === id && l.Type === 'issued').length, 1, id);
    });
  });
}

// Revocation end to end (issue 24) through the official SDK on SQLite and PostgreSQL: a real
// DNS server for the DV checks, the served CRL checked with `openssl verify -crl_check`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** openssl as a child process that does not block this process (the server under test answers it). */
const openssl = async (...args: string[]) => {
  const r = await promisify(execFile)('openssl', args);
  return r.stdout + r.stderr;
};
import { makeChain, run, withTempDir } from '../testing/pki-fixtures.js';
import { waitFor } from '../testing/dv.js';
import { BACKENDS, expectCode, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';
import { runCli } from '../testing/cli.js';
import { ORG, png } from '../testing/paid-fixtures.js';
import { sdkClient } from '../testing/harness.js';

const ADMIN = 'admin-' + randomBytes(12).toString('hex');

let dns: ChallTestSrv;
before(async () => { dns = await startChallTestSrv(); });
after(async () => { await dns?.stop(); });

const leafOf = (pem: string) => pem.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n';

for (const backend of BACKENDS) {
  describe(`RevokeCertificate (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    before(async () => {
      // Proof of control is asked of every certificate whose key certport does not hold (0 days).
      t = await startTestService(backend, { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '300', CERTPORT_REVOKE_PROOF_DAYS: '0', CERTPORT_ADMIN_TOKEN: ADMIN } });
      c = t.client;
    });
    after(async () => { await t.close(); });

    async function issued(domain: string): Promise<string> {
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
      const d = await waitFor(c, id!, (x) => !!x.DvAuthDetail?.DvAuths?.length);
      for (const a of d.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      return id!;
    }

    async function crl(): Promise<Buffer> {
      const r = await fetch(`http://127.0.0.1:${t.port}/ca/rsa-intermediate.crl`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/pkix-crl');
      return Buffer.from(await r.arrayBuffer());
    }

    /** `openssl verify -crl_check` of the leaf against the root, its intermediate and the served CRL: its output, or the failure's. */
    async function verifyWithCrl(id: string): Promise<{ ok: boolean; out: string }> {
      const d = await c.DescribeCertificateDetail({ CertificateId: id });
      const chain = d.CertificatePublicKey!;
      const root = await (await fetch(`http://127.0.0.1:${t.port}/ca/root.pem`)).text();
      const der = await crl();
      return withTempDir(async (dir) => {
        const f = (n: string, b: string | Buffer) => { writeFileSync(path.join(dir, n), b); return path.join(dir, n); };
        const inter = chain.slice(leafOf(chain).length);
        const crlPem = run('openssl', ['crl', '-inform', 'DER', '-in', f('crl.der', der)]);
        const args = ['verify', '-crl_check', '-CAfile', f('root.pem', root), '-untrusted', f('inter.pem', inter), '-CRLfile', f('crl.pem', crlPem), f('leaf.pem', leafOf(chain))];
        try {
          return { ok: true, out: run('openssl', args) };
        } catch (e) {
          return { ok: false, out: String((e as Error).message) };
        }
      });
    }

    test('DV, key held here: revoked at once (10) with CertRevokedTime and a log entry; twice, a bad reason and an upload are refused; the CRL lists it and openssl refuses it', async () => {
      const good = await issued(`good-${randomBytes(3).toString('hex')}.example.test`);
      const id = await issued(`revoke-${randomBytes(3).toString('hex')}.example.test`);
      const leaf = leafOf((await c.DescribeCertificateDetail({ CertificateId: id })).CertificatePublicKey!);
      assert.match(run('openssl', ['x509', '-noout', '-text'], leaf), new RegExp(`CRL Distribution Points:[\\s\\S]*URI:http://127\\.0\\.0\\.1:${t.port}/ca/rsa-intermediate\\.crl`));
      await expectCode(c.RevokeCertificate({ CertificateId: id, Reason: 'becauseISaidSo' }), 'InvalidParameterValue');
      await expectCode(c.RevokeCertificate({ CertificateId: id, Reason: '7' }), 'InvalidParameterValue');
      await expectCode(c.RevokeCertificate({ CertificateId: 'nOsUcH01', Reason: 'superseded' }), 'FailedOperation.CertificateNotFound');
      assert.equal((await verifyWithCrl(id)).ok, true, 'good before revocation');

      const r = await c.RevokeCertificate({ CertificateId: id, Reason: 'superseded' });
      assert.deepEqual(r.RevokeDomainValidateAuths, []);
      const d = await c.DescribeCertificate({ CertificateId: id });
      assert.equal(d.Status, 10);
      assert.deepEqual(d.DvRevokeAuthDetail, []);
      const listed = (await c.DescribeCertificates({ CertIds: [id] })).Certificates![0]!;
      assert.equal(listed.Status, 10);
      assert.match(listed.CertRevokedTime ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.equal(listed.Deployable, false);
      await expectCode(c.RevokeCertificate({ CertificateId: id, Reason: '4' }), 'FailedOperation.InvalidCertificateStatusCode');
      const logs = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === id);
      assert.ok(logs.some((l) => l.Type === 'revoke' && /superseded/.test(l.Action ?? '')), JSON.stringify(logs));
      await expectCode(c.ReplaceCertificate({ CertificateId: id, ValidType: 'DNS', CsrType: 'Original' }), 'FailedOperation.InvalidCertificateStatusCode');

      const v = await verifyWithCrl(id);
      assert.equal(v.ok, false);
      assert.match(v.out, /certificate revoked/);
      assert.equal((await verifyWithCrl(good)).ok, true, 'another certificate of the same CA still verifies');
      const text = run('openssl', ['crl', '-inform', 'DER', '-noout', '-text'], await crl());
      assert.match(text, /CRL Number:\s*\n?\s*\d+/);
      assert.match(text, /Authority Key Identifier/);
      assert.match(text, /Superseded/);

      const chain = await makeChain('RSA', 'uploaded.example.test');
      const up = await c.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem });
      await expectCode(c.RevokeCertificate({ CertificateId: up.CertificateId!, Reason: 'superseded' }), 'FailedOperation.InvalidCertificateSource');
    });

    test('DV, key not held here: 9 with DvRevokeAuthDetail until the record is published, then 10; keyCompromise blocks the key for new CSRs', async () => {
      const domain = `proof-${randomBytes(3).toString('hex')}.example.test`;
      const original = await issued(domain);
      const chain = await makeChain('EC', domain);
      const { CertificateId: reissued } = await c.ReplaceCertificate({ CertificateId: original, ValidType: 'DNS', CsrType: 'Upload', CsrContent: chain.csrPem });
      const d0 = await waitFor(c, reissued!, (x) => !!x.DvAuthDetail?.DvAuths?.length);
      for (const a of d0.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, reissued!, (x) => x.Status === 1);

      const r = await c.RevokeCertificate({ CertificateId: reissued!, Reason: 'keyCompromise' });
      const auths = r.RevokeDomainValidateAuths!;
      assert.equal(auths.length, 1);
      assert.equal(auths[0]!.DomainValidateAuthKey, `_dnsauth.${domain}`);
      assert.notEqual(auths[0]!.DomainValidateAuthValue, d0.DvAuthDetail!.DvAuths![0]!.DvAuthValue, 'fresh values');
      const d = await c.DescribeCertificate({ CertificateId: reissued! });
      assert.equal(d.Status, 9);
      assert.equal(d.DvRevokeAuthDetail![0]!.DvAuthValue, auths[0]!.DomainValidateAuthValue);
      assert.equal((await c.DescribeCertificateDetail({ CertificateId: reissued! })).DvRevokeAuthDetail![0]!.DvAuthKey, auths[0]!.DomainValidateAuthKey);
      await expectCode(c.RevokeCertificate({ CertificateId: reissued!, Reason: 'keyCompromise' }), 'FailedOperation.InvalidCertificateStatusCode');

      await dns.setTxt(auths[0]!.DomainValidateAuthKey!, auths[0]!.DomainValidateAuthValue!);
      await waitFor(c, reissued!, (x) => x.Status === 10);
      assert.ok((await c.DescribeCertificates({ CertIds: [reissued!] })).Certificates![0]!.CertRevokedTime);

      // The key is blocked: a reissue for it is refused, whichever certificate is reissued.
      const other = await issued(domain);
      const refused = await expectCode(c.ReplaceCertificate({ CertificateId: other, ValidType: 'DNS', CsrType: 'Upload', CsrContent: chain.csrPem }), 'InvalidParameterValue');
      assert.match(refused, /compromised/);
    });

    test('OV: 12 until UploadRevokeLetter (the rules of the confirmation letter), 9 until an operator confirms (CLI), then 10', async () => {
      const domain = `ov-${randomBytes(3).toString('hex')}.example.test`;
      const id = (await c.CreateCertificate({ ProductId: 43, DomainNum: 1, TimeSpan: 1 })).CertificateIds![0]!;
      await c.SubmitCertificateInformation({ CertificateId: id, CsrType: 'online', CertificateDomain: domain, ...ORG });
      await c.CommitCertificateInformation({ CertificateId: id });
      assert.equal((await runCli(t.env, 'orders', 'approve', id)).code, 0);
      const d0 = await waitFor(c, id, (x) => !!x.DvAuthDetail?.DvAuths?.length);
      for (const a of d0.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id, (x) => x.Status === 1);

      await expectCode(c.UploadRevokeLetter({ CertificateId: id, RevokeLetter: png() }), 'FailedOperation.InvalidCertificateStatusCode');
      const r = await c.RevokeCertificate({ CertificateId: id, Reason: 'cessationOfOperation' });
      assert.deepEqual(r.RevokeDomainValidateAuths, []);
      assert.equal((await c.DescribeCertificate({ CertificateId: id })).Status, 12);
      await expectCode(c.RevokeCertificate({ CertificateId: id, Reason: '5' }), 'FailedOperation.InvalidCertificateStatusCode');
      await expectCode(c.UploadRevokeLetter({ CertificateId: id, RevokeLetter: Buffer.from('%PDF-1.4 tiny').toString('base64') }), 'FailedOperation.ConfirmLetterTooSmall');
      await expectCode(c.UploadRevokeLetter({ CertificateId: id, RevokeLetter: randomBytes(4096).toString('base64') }), 'FailedOperation.InvalidConfirmLetterFormat');
      await expectCode(c.UploadRevokeLetter({ CertificateId: id, RevokeLetter: Buffer.alloc(1.5 * 1024 * 1024, 0x25).toString('base64') }), 'FailedOperation.ConfirmLetterTooLarge');
      await expectCode(c.UploadRevokeLetter({ CertificateId: id, RevokeLetter: 'not base64!' }), 'FailedOperation.InvalidParam');
      assert.equal((await c.UploadRevokeLetter({ CertificateId: id, RevokeLetter: png() })).IsSuccess, true);
      assert.equal((await c.DescribeCertificate({ CertificateId: id })).Status, 9);

      const queue = JSON.parse((await runCli(t.env, 'orders', 'revocations', '--state', 'pending-confirmation', '--json')).stdout) as { CertificateId: string; Letter: string }[];
      assert.equal(queue.find((q) => q.CertificateId === id)?.Letter, 'png');
      const letter = await fetch(`http://127.0.0.1:${t.port}/admin/revocations/${id}/letter`, { headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(letter.headers.get('content-type'), 'image/png');
      const confirmed = await runCli(t.env, 'orders', 'confirm-revoke', id, '--reviewer', 'rita', '--json');
      assert.equal(confirmed.code, 0, confirmed.stderr);
      assert.equal(JSON.parse(confirmed.stdout).State, 'revoked');
      assert.equal((await c.DescribeCertificate({ CertificateId: id })).Status, 10);
      const types = (await c.DescribeCertificateOperateLogs({ Limit: 100 })).OperateLogs!.filter((l) => l.CertId === id).map((l) => l.Type);
      assert.ok(types.includes('revoke') && types.includes('editRevokeLetter') && types.includes('revoked'), types.join(','));
    });

    test('operators: `certport certificates revoke` and the admin endpoint; keyCompromise revokes the certificates of the same key in every account', async () => {
      const domain = `op-${randomBytes(3).toString('hex')}.example.test`;
      const a = await issued(domain);
      const bad = await runCli(t.env, 'certificates', 'revoke', a, '--reason', 'nope');
      assert.notEqual(bad.code, 0);
      const done = await runCli(t.env, 'certificates', 'revoke', a, '--reason', 'privilegeWithdrawn', '--json');
      assert.equal(done.code, 0, done.stderr);
      assert.equal(JSON.parse(done.stdout).ReasonCode, 9);
      assert.equal((await c.DescribeCertificate({ CertificateId: a })).Status, 10);

      // One key in two accounts: the first account's certificate (its key uploaded as a CSR) and the same CSR in another account.
      const chain = await makeChain('RSA', domain);
      const other = await t.newAccount();
      const c2 = sdkClient(t.port, other);
      const ids: string[] = [];
      for (const client of [c, c2]) {
        const { CertificateId: base } = await client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain });
        const d = await waitFor(client, base!, (x) => !!x.DvAuthDetail?.DvAuths?.length);
        for (const x of d.DvAuthDetail!.DvAuths!) await dns.setTxt(x.DvAuthKey!, x.DvAuthValue!);
        await waitFor(client, base!, (x) => x.Status === 1);
        const { CertificateId: re } = await client.ReplaceCertificate({ CertificateId: base!, ValidType: 'DNS', CsrType: 'Upload', CsrContent: chain.csrPem });
        const d2 = await waitFor(client, re!, (x) => !!x.DvAuthDetail?.DvAuths?.length);
        for (const x of d2.DvAuthDetail!.DvAuths!) await dns.setTxt(x.DvAuthKey!, x.DvAuthValue!);
        await waitFor(client, re!, (x) => x.Status === 1);
        ids.push(re!);
      }
      const res = await fetch(`http://127.0.0.1:${t.port}/admin/certificates/${ids[0]}/revoke`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'keyCompromise', operator: 'sec-team' }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { State: string }).State, 'revoked');
      assert.equal((await c.DescribeCertificate({ CertificateId: ids[0]! })).Status, 10);
      assert.equal((await c2.DescribeCertificate({ CertificateId: ids[1]! })).Status, 10, 'the certificate of the key in the other account');
      const again = await fetch(`http://127.0.0.1:${t.port}/admin/certificates/${ids[0]}/revoke`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ reason: 'keyCompromise' }),
      });
      assert.equal(again.status, 409);
    });

    test('OCSP: openssl ocsp says good, then revoked with the time and reason; a GET answer without a nonce, unknown for a serial never issued', async () => {
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: `ocsp-${randomBytes(3).toString('hex')}.example.test`, CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'prime256v1' });
      const d0 = await waitFor(c, id!, (x) => !!x.DvAuthDetail?.DvAuths?.length);
      for (const a of d0.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      const chain = (await c.DescribeCertificateDetail({ CertificateId: id! })).CertificatePublicKey!;
      const root = await (await fetch(`http://127.0.0.1:${t.port}/ca/root.pem`)).text();
      const url = `http://127.0.0.1:${t.port}/ocsp`;
      await withTempDir(async (dir) => {
        const f = (n: string, b: string | Buffer) => { writeFileSync(path.join(dir, n), b); return path.join(dir, n); };
        const leaf = f('leaf.pem', leafOf(chain));
        const inter = f('inter.pem', chain.slice(leafOf(chain).length));
        const ca = f('root.pem', root);
        assert.match(run('openssl', ['x509', '-in', leaf, '-noout', '-ocsp_uri']), new RegExp(`^${url}\\s*$`));
        const ask = () => openssl('ocsp', '-issuer', inter, '-cert', leaf, '-url', url, '-CAfile', ca, '-resp_text');
        let out = await ask();
        assert.match(out, /Response verify OK/);
        assert.match(out, new RegExp(`${leaf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: good`));
        assert.match(out, /WARNING: no nonce|Nonce/i);
        assert.match(out, /OCSP Signing/);

        await c.RevokeCertificate({ CertificateId: id!, Reason: 'affiliationChanged' });
        out = await ask();
        assert.match(out, /: revoked/);
        assert.match(out, /Reason: affiliationChanged/);
        assert.match(out, /Revocation Time:/);

        // GET (RFC 6960 A.1), no nonce: the answer for the same request, revoked too.
        run('openssl', ['ocsp', '-issuer', inter, '-cert', leaf, '-no_nonce', '-reqout', f('req.der', '')]);
        const b64 = (await import('node:fs')).readFileSync(path.join(dir, 'req.der')).toString('base64');
        const got = await fetch(`${url}/${encodeURIComponent(b64)}`);
        assert.equal(got.headers.get('content-type'), 'application/ocsp-response');
        const text = run('openssl', ['ocsp', '-respin', f('resp.der', Buffer.from(await got.arrayBuffer())), '-resp_text', '-noverify']);
        assert.match(text, /Cert Status: revoked/);

        const unknown = await openssl('ocsp', '-issuer', inter, '-serial', '0x0123456789abcdef', '-url', url, '-CAfile', ca);
        assert.match(unknown, /: unknown/);
        // Not a request at all: malformedRequest inside a 200.
        const bad = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: 'nonsense' });
        assert.equal(bad.status, 200);
        assert.deepEqual([...Buffer.from(await bad.arrayBuffer())], [0x30, 0x03, 0x0a, 0x01, 0x01]);
      });
    });
  });
}

// OCSP stapling with a real nginx (Debian's, its own prefix on a loopback port, stopped by its
// PID): nginx fetches certport's OCSP answer for a certport-issued leaf from the URL in the
// leaf's AIA (CERTPORT_PUBLIC_URL on 127.0.0.1, so nginx needs no resolver), verifies it
// against the root and intermediate (ssl_stapling_verify) and staples it; `openssl s_client
// -status` reads it. After RevokeCertificate and a reload (nginx keeps a staple in each worker
// until it nears its end), the answer nginx gets is revoked: nginx 1.22 staples only "good"
// answers it fetches (it logs the revoked status and sends none), and staples certport's
// revoked answer when given it as ssl_stapling_file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../testing/dv.js';
import { BACKENDS, startTestService, type SslClient, type TestService } from '../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../testing/dns-servers.js';
import { startNginx } from '../testing/nginx.js';
import { freePort } from '../testing/net.js';
import { withTempDir } from '../testing/pki-fixtures.js';

/** `openssl s_client -status` against the port: its whole output. */
function sClientStatus(port: number, name: string): Promise<string> {
  return new Promise((resolve) => {
    const p = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-status'], { timeout: 10_000 },
      (err, stdout, stderr) => resolve(stdout + stderr + (err ? `\n${err.message}` : '')));
    p.stdin?.end();
  });
}

/** Polls s_client until `re` matches (nginx fetches the answer after the first handshake that asks for it). */
async function waitStatus(port: number, name: string, re: RegExp, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  let out = '';
  while (Date.now() < deadline) {
    out = await sClientStatus(port, name);
    if (re.test(out)) return out;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`s_client never matched ${re}: ${out.split('\n').filter((l) => /OCSP|Status|Cert|Reason|verify/i.test(l)).join(' | ')}`);
}

const leafOf = (pem: string) => pem.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n';

let dns: ChallTestSrv;
before(async () => { dns = await startChallTestSrv(); });
after(async () => { await dns?.stop(); });

for (const backend of BACKENDS) {
  describe(`OCSP stapling by nginx (${backend})`, () => {
    let t: TestService;
    let c: SslClient;
    before(async () => {
      t = await startTestService(backend, { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_INTERVAL_MS: '300', CERTPORT_OCSP_HOURS: '1' } });
      c = t.client;
    });
    after(async () => { await t.close(); });

    test('nginx staples certport\'s answer: good, then after RevokeCertificate and a reload revoked', async () => {
      assert.match(t.svc.url, /^http:\/\/127\.0\.0\.1:/, 'the AIA URL names 127.0.0.1: no resolver needed');
      const domain = `staple-${randomBytes(3).toString('hex')}.example.test`;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, CsrEncryptAlgo: 'ECC', CsrKeyParameter: 'prime256v1' });
      const d0 = await waitFor(c, id!, (x) => !!x.DvAuthDetail?.DvAuths?.length);
      for (const a of d0.DvAuthDetail!.DvAuths!) await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      await waitFor(c, id!, (x) => x.Status === 1);
      const detail = await c.DescribeCertificateDetail({ CertificateId: id! });
      const chain = detail.CertificatePublicKey!;
      const root = await (await fetch(`http://127.0.0.1:${t.port}/ca/root.pem`)).text();

      await withTempDir(async (dir) => {
        const f = (n: string, b: string) => { writeFileSync(path.join(dir, n), b, { mode: 0o644 }); return path.join(dir, n); };
        const port = await freePort();
        const trusted = f('trusted.pem', root + chain.slice(leafOf(chain).length));
        const site = {
          name: domain, port, certFile: f('chain.pem', chain), keyFile: f('key.pem', detail.CertificatePrivateKey!),
          extra: `ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate ${trusted};`,
        };
        const nginx = await startNginx([site], path.join(dir, 'nginx'));
        try {
          let out = await waitStatus(port, domain, /OCSP Response Status: successful/);
          assert.match(out, /Cert Status: good/);
          assert.match(out, /Response Type: Basic OCSP Response/);
          // The delegated responder (id-kp-OCSPSigning) signed it; nginx verified it before stapling.
          assert.match(out, /Responder Id:/);

          await c.RevokeCertificate({ CertificateId: id!, Reason: 'superseded' });
          await nginx.reload();
          // nginx 1.22 asks certport again, verifies the answer, and staples only a "good" one: a
          // revoked certificate is served with no staple, and the error log says why.
          const errorLog = path.join(dir, 'nginx', 'logs', 'error.log');
          out = await waitStatus(port, domain, /OCSP response: no response sent/);
          for (const deadline = Date.now() + 15_000; !readFileSync(errorLog, 'utf8').includes('certificate status "revoked" in the OCSP response');) {
            if (Date.now() > deadline) assert.fail(`nginx logged no revoked status: ${readFileSync(errorLog, 'utf8')}`);
            await sClientStatus(port, domain);
            await new Promise((r) => setTimeout(r, 250));
          }
          assert.doesNotMatch(out, /Cert Status: good/);

          // Given certport's answer as a file (what a deploy hook can fetch with `openssl ocsp
          // -respout`), nginx staples it as it is: the client sees revoked, with the reason.
          const resp = path.join(dir, 'resp.der');
          await new Promise<void>((ok, fail) => execFile('openssl', ['ocsp', '-issuer', f('inter.pem', chain.slice(leafOf(chain).length)), '-cert', f('leaf.pem', leafOf(chain)),
            '-url', `http://127.0.0.1:${t.port}/ocsp`, '-no_nonce', '-noverify', '-respout', resp], (e) => (e ? fail(e) : ok())));
          site.extra = `ssl_stapling on; ssl_stapling_file ${resp};`;
          nginx.writeConf();
          await nginx.reload();
          out = await waitStatus(port, domain, /Cert Status: revoked/);
          assert.match(out, /OCSP Response Status: successful/);
          assert.match(out, /Revocation Reason: superseded/);
        } finally {
          await nginx.stop();
        }
      });
    });
  });
}

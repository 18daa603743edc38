// DNS_AUTO refused by the DNS server (issue 22): a real BIND 9 that takes updates signed with
// one TSIG key only. A zone updated without a key is REFUSED; one updated with the right key
// name and a wrong secret fails the signature check. Before, the order sat at pending-dcv with
// the reason nowhere; now the reason is in StatusMsg (DescribeCertificateDetail), and one notice
// tells the owner however many times the step is retried.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startBind, type Bind } from '../testing/dns-servers.js';
import { BACKENDS, startTestService, type TestService } from '../testing/harness.js';
import { DV_VALIDATE } from './dv-validation.js';

async function until<T>(what: string, get: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe(`DNS_AUTO refused by the DNS server (${BACKENDS[0]})`, () => {
  let bind: Bind;
  let t: TestService;
  const tsig = { name: 'certport-key', algorithm: 'hmac-sha256' as const, secret: randomBytes(32).toString('base64') };
  const wrong = { ...tsig, secret: randomBytes(32).toString('base64') };
  before(async () => {
    bind = await startBind({ 'refused.test': 'www IN A 127.0.0.1', 'badsig.test': 'www IN A 127.0.0.1' }, { tsig });
    t = await startTestService(BACKENDS[0]!, {
      env: {
        CERTPORT_DNS_RESOLVERS: bind.dns,
        CERTPORT_VALIDATION_INTERVAL_MS: '300',
        CERTPORT_DNS_PROVIDERS: JSON.stringify([
          { zone: 'refused.test', type: 'rfc2136', server: bind.dns },
          { zone: 'badsig.test', type: 'rfc2136', server: bind.dns, tsig: wrong },
        ]),
      },
    });
  });
  after(async () => {
    await t?.close();
    await bind?.stop();
  });

  for (const [zone, answer] of [['refused.test', /\(REFUSED: the server does not allow certport to update this zone\)/], ['badsig.test', /\((BADSIG|NOTAUTH|BADKEY): /]] as const) {
    test(`${zone}: the reason is in StatusMsg, the order stays pending, one notice however many retries`, async () => {
      const c = t.client;
      const { CertificateId: id } = await c.ApplyCertificate({ DvAuthMethod: 'DNS_AUTO', DomainName: `www.${zone}` });
      const d = await until('the refusal in StatusMsg', async () => {
        const x = await c.DescribeCertificateDetail({ CertificateId: id! });
        return x.StatusMsg?.startsWith('DNS_AUTO:') ? x : null;
      });
      assert.equal(d.Status, 0, 'still pending: the step is retried');
      assert.match(d.StatusMsg!, answer);
      assert.match(d.StatusMsg!, new RegExp(`_dnsauth\\.www\\.${zone.replace('.', '\\.')} in zone ${zone.replace('.', '\\.')}`));
      // Neither the server's address nor any TSIG secret reaches the customer.
      for (const secret of [bind.dns, tsig.secret, wrong.secret]) assert.ok(!d.StatusMsg!.includes(secret), secret);

      // Several more tries, still one notice for this certificate and reason.
      await until('three more validation steps', async () => ((await t.svc.core.stores.jobs.getJob(DV_VALIDATE, id!))?.attempts ?? 0) >= 4);
      const notices = (await t.svc.core.notices.listNotices(t.cred.accountUin, { certId: id! })).filter((n) => n.key.startsWith(`dns-auto-refused:${id}:`));
      assert.equal(notices.length, 1, notices.map((n) => n.key).join(', '));
      assert.equal(notices[0]!.kind, 'validation-needed');
      assert.match(notices[0]!.subject, new RegExp(`Validating www\\.${zone.replace('.', '\\.')} \\(${id}\\) is stuck`));
      assert.ok(!notices[0]!.text.includes(wrong.secret) && !notices[0]!.text.includes(tsig.secret));
      assert.equal((await c.DescribeCertificateDetail({ CertificateId: id! })).Status, 0);
    });
  }
});

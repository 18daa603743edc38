// The ACME server's External Account Binding modes against a real certport (SQLite): by default
// an account without a binding is refused (externalAccountRequired); with
// CERTPORT_ACME_SERVER_EAB=optional it belongs to CERTPORT_ACME_SERVER_DEFAULT_ACCOUNT, and one
// with a binding still goes to the binding's account. acme-client obtains the certificates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as acme from 'acme-client';
import { sdkClient, startTestService, type Cred, type TestService } from '../../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { RawAcme } from '../../testing/acme-clients.js';

const ERR = 'urn:ietf:params:acme:error:';

describe('ACME server: EAB required (default) and optional (sqlite)', () => {
  let t: TestService;
  let dns: ChallTestSrv;
  let dflt: Cred;
  let other: Cred;
  let directory: string;

  /** A certificate for `name` by dns-01, with or without a binding; resolves to acme-client's error on refusal. */
  async function obtain(name: string, eab?: { kid: string; hmacKey: string }): Promise<string> {
    const c = new acme.Client({
      directoryUrl: directory, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 100, backoffMax: 500,
      ...(eab ? { externalAccountBinding: eab } : {}),
    });
    const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] });
    return c.auto({
      csr, termsOfServiceAgreed: true, challengePriority: ['dns-01'], skipChallengeVerification: true,
      challengeCreateFn: async (authz, _c, keyAuthorization) => dns.setTxt(`_acme-challenge.${authz.identifier.value}`, keyAuthorization),
      challengeRemoveFn: async (authz) => dns.clearTxt(`_acme-challenge.${authz.identifier.value}`),
    });
  }

  async function holders(name: string): Promise<string[]> {
    const out: string[] = [];
    for (const cred of [t.cred, dflt, other]) {
      const r = await sdkClient(t.port, cred).DescribeCertificates({ Limit: 1000, SearchKey: name });
      if (r.Certificates!.some((c) => c.SubjectAltName!.includes(name) && c.From === 'acme-server' && c.Status === 1)) out.push(cred.accountUin);
    }
    return out;
  }

  before(async () => {
    dns = await startChallTestSrv();
    // The API port is the public URL here (plain http): these tests are about accounts, not TLS.
    t = await startTestService('sqlite', { env: { CERTPORT_DNS_RESOLVERS: dns.dns, CERTPORT_VALIDATION_ALLOW_PRIVATE: '1' } });
    directory = `http://127.0.0.1:${t.port}/acme/directory`;
    dflt = await t.newAccount();
    other = await t.newAccount();
  });
  after(async () => {
    await t?.close();
    await dns?.stop();
  });

  it('default (CERTPORT_ACME_SERVER_EAB=required): no binding is externalAccountRequired, and the directory says so', async () => {
    const d = await (await fetch(directory)).json() as { meta: { externalAccountRequired: boolean } };
    assert.equal(d.meta.externalAccountRequired, true);
    const r = await new RawAcme(directory, '').register();
    assert.equal(r.status, 400);
    assert.equal(r.json.type, ERR + 'externalAccountRequired');
    await assert.rejects(obtain('none.eab.test'), /externalAccountRequired|binds every ACME account/);
    assert.deepEqual(await holders('none.eab.test'), []);
  });

  it('optional with a default account: without a binding the certificate is the default account\'s; with one, the binding\'s account\'s', async () => {
    // The same data, started again in open mode (the default account exists by now).
    t.env.CERTPORT_ACME_SERVER_EAB = 'optional';
    t.env.CERTPORT_ACME_SERVER_DEFAULT_ACCOUNT = dflt.accountUin;
    await t.restart();
    const d = await (await fetch(directory)).json() as { meta: { externalAccountRequired: boolean } };
    assert.equal(d.meta.externalAccountRequired, false);

    const open = await obtain('open.eab.test');
    assert.match(open, /BEGIN CERTIFICATE/);
    assert.deepEqual(await holders('open.eab.test'), [dflt.accountUin], 'only the default account holds it');

    const b = await t.svc.core.acmeServer!.createEab(other.accountUin);
    await obtain('bound.eab.test', b);
    assert.deepEqual(await holders('bound.eab.test'), [other.accountUin], 'the binding decides, not the default');

    // A binding is still checked when one is sent: a wrong key is refused, not taken for "no binding".
    const wrong = await new RawAcme(directory, '').register({ kid: (await t.svc.core.acmeServer!.createEab(other.accountUin)).kid, hmacKey: Buffer.alloc(32, 7).toString('base64url') });
    assert.equal(wrong.json.type, ERR + 'unauthorized');
    // A disabled default account stops the open door too.
    await t.svc.core.services.accounts.setAccountStatus(dflt.accountUin, 'disabled');
    try {
      const r = await new RawAcme(directory, '').register();
      assert.equal(r.json.type, ERR + 'unauthorized');
      assert.match(r.json.detail, /disabled/);
    } finally {
      await t.svc.core.services.accounts.setAccountStatus(dflt.accountUin, 'active');
    }
  });
});

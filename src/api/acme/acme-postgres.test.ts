// certport's ACME server as a cluster: two nodes on one PostgreSQL schema behind one public URL
// (node A's address stands for the load balancer). acme-client obtains a certificate through
// node A; a nonce handed out by one node is accepted by the other, once; an order made on one
// node is read and finalized on the other.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as acme from 'acme-client';
import { dropPgSchema } from '../../store/db.js';
import { BACKENDS, PG_URL, sdkClient, startTestService, type TestService } from '../../testing/harness.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { freePort } from '../../testing/net.js';
import { RawAcme, request } from '../../testing/acme-clients.js';
import { domainCsr } from '../../pki/csr.js';
import { thumbprint } from './jws.js';

const ERR = 'urn:ietf:params:acme:error:';

describe('ACME server on two nodes of one PostgreSQL', { skip: !BACKENDS.includes('postgres') && 'PostgreSQL is not among CERTPORT_TEST_BACKENDS' }, () => {
  const schema = 't_acme2_' + randomBytes(5).toString('hex');
  const nodes: TestService[] = [];
  let dns: ChallTestSrv;
  let publicUrl: string;
  let bUrl: string;
  // The harness's own key is not the bootstrap key when the env names one: these are.
  const secretId = 'AKIDacme2' + randomBytes(10).toString('hex');
  const secretKey = randomBytes(16).toString('hex');

  before(async () => {
    dns = await startChallTestSrv();
    const portA = await freePort();
    publicUrl = `http://127.0.0.1:${portA}`;
    const env = {
      CERTPORT_DATABASE_URL: PG_URL,
      CERTPORT_DATABASE_SCHEMA: schema,
      CERTPORT_MASTER_KEY: randomBytes(32).toString('hex'),
      CERTPORT_CA_KEY: randomBytes(32).toString('hex'),
      CERTPORT_BOOTSTRAP_SECRET_ID: secretId,
      CERTPORT_BOOTSTRAP_SECRET_KEY: secretKey,
      CERTPORT_PUBLIC_URL: publicUrl,
      CERTPORT_DNS_RESOLVERS: dns.dns,
      CERTPORT_VALIDATION_ALLOW_PRIVATE: '1',
    };
    nodes.push(await startTestService('postgres', { env: { ...env, CERTPORT_PORT: String(portA) } }));
    nodes.push(await startTestService('postgres', { env }));
    bUrl = `http://127.0.0.1:${nodes[1]!.port}`;
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await dropPgSchema(PG_URL, schema);
    await dns?.stop();
  });

  it('acme-client obtains a certificate (dns-01) through node A; DescribeCertificates on node B lists it', async () => {
    const [a, b] = nodes as [TestService, TestService];
    const e = await a.svc.core.acmeServer!.createEab(a.cred.accountUin);
    const client = new acme.Client({
      directoryUrl: `${publicUrl}/acme/directory`, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 100, backoffMax: 500,
      externalAccountBinding: { kid: e.kid, hmacKey: e.hmacKey },
    });
    const [, csr] = await acme.crypto.createCsr({ commonName: 'pg.acme.test', altNames: ['pg.acme.test', 'www.pg.acme.test'] });
    const pem = await client.auto({
      csr, termsOfServiceAgreed: true, challengePriority: ['dns-01'], skipChallengeVerification: true,
      challengeCreateFn: async (authz, _c, ka) => dns.setTxt(`_acme-challenge.${authz.identifier.value}`, ka),
      challengeRemoveFn: async (authz) => dns.clearTxt(`_acme-challenge.${authz.identifier.value}`),
    });
    assert.match(pem, /BEGIN CERTIFICATE/);
    const r = await sdkClient(b.port, { accountUin: b.cred.accountUin, secretId, secretKey }).DescribeCertificates({ Limit: 100, SearchKey: 'pg.acme.test' });
    const hit = r.Certificates!.find((c) => c.SubjectAltName!.includes('www.pg.acme.test'));
    assert.ok(hit);
    assert.equal(hit.From, 'acme-server');
    assert.equal(hit.Status, 1);
  });

  it('a nonce from one node is accepted by the other, once; an order made on A is validated and finalized through B', async () => {
    const [a] = nodes as [TestService, TestService];
    const raw = new RawAcme(`${publicUrl}/acme/directory`, '');
    assert.equal((await raw.register(await a.svc.core.acmeServer!.createEab(a.cred.accountUin))).status, 201);
    const d = await raw.directory();
    assert.ok(d.newOrder.startsWith(publicUrl), 'node A hands out the public URL');
    const onB = (u: string) => u.replace(publicUrl, bUrl);
    // Node B's directory names the same public URLs.
    assert.deepEqual((await request(`${bUrl}/acme/directory`, '')).json, d);

    // A nonce of node B, used on node A; a nonce of node A, used on node B.
    const nonceB = (await request(onB(d.newNonce), '', 'HEAD')).headers['replay-nonce'] as string;
    const acct1 = await raw.post(raw.kid!, '', { nonce: nonceB });
    assert.equal(acct1.status, 200, acct1.body);
    const nonceA = (await request(d.newNonce, '', 'HEAD')).headers['replay-nonce'] as string;
    const acct2 = await raw.post(raw.kid!, '', { nonce: nonceA, to: onB(raw.kid!) });
    assert.equal(acct2.status, 200, acct2.body);
    // Used once is used everywhere: replays on either node are badNonce.
    for (const [nonce, to] of [[nonceA, raw.kid!], [nonceB, onB(raw.kid!)], [nonceA, onB(raw.kid!)]] as const) {
      const again = await raw.post(raw.kid!, '', { nonce, to });
      assert.equal(again.status, 400);
      assert.equal(again.json.type, ERR + 'badNonce');
    }

    const o = await raw.post(d.newOrder, { identifiers: [{ type: 'dns', value: 'split.acme.test' }] });
    assert.equal(o.status, 201, o.body);
    const authz = (await raw.post(o.json.authorizations[0], '', { to: onB(o.json.authorizations[0]) })).json;
    const ch = authz.challenges.find((c: { type: string }) => c.type === 'dns-01');
    await dns.setTxt('_acme-challenge.split.acme.test', createHash('sha256').update(`${ch.token}.${thumbprint(raw.jwk)}`).digest('base64url'));
    assert.equal((await raw.post(ch.url, {}, { to: onB(ch.url) })).status, 200);
    let order = o.json;
    for (let i = 0; i < 100 && order.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      order = (await raw.post(o.headers.location as string, '', { to: i % 2 ? o.headers.location as string : onB(o.headers.location as string) })).json;
    }
    assert.equal(order.status, 'ready', JSON.stringify(order));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = domainCsr(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), ['split.acme.test']);
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64url');
    const fin = await raw.post(order.finalize, { csr: der }, { to: onB(order.finalize) });
    assert.equal(fin.json.status, 'valid', fin.body);
    const cert = await raw.post(fin.json.certificate, '');
    assert.equal(cert.headers['content-type'], 'application/pem-certificate-chain');
    assert.match(cert.body, /BEGIN CERTIFICATE/);
  });
});

// The `webhook` deployer against a local receiver that checks the HMAC signature.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { freePort } from '../testing/net.js';
import { startReceiver, type Receiver } from '../testing/webhook-receiver.js';
import { DeployError, type CertificateMaterial, type DeployContext } from './types.js';
import { verifySignature } from '../secrets/webhook-signature.js';
import { webhookKind } from './webhook.js';

const SECRET = 'a-long-enough-hmac-secret';
let chain: TestChain;
let m: CertificateMaterial;
let rx: Receiver;
const ctx: DeployContext = { deliveryId: 'cp-1-1', resource: { id: 'cdn-1', name: 'edge', type: 'cdn', region: '', domains: ['hook.test'] } };

before(async () => {
  chain = await makeChain('EC', 'hook.test');
  m = {
    certId: 'AbCd1234', domain: 'hook.test', leafPem: chain.leafPem, chainPems: [chain.intermediatePem], rootPem: chain.rootPem,
    keyPem: chain.keyPem, sha256: new X509Certificate(chain.leafPem).fingerprint256.replace(/:/g, '').toLowerCase(), notAfter: Date.now() + 86_400_000,
  };
  rx = await startReceiver(SECRET);
});
after(async () => { await rx?.stop(); });

const deployer = (config: Record<string, unknown>, secret = SECRET) => {
  const p = webhookKind.parse(config, { hmacSecret: secret });
  return webhookKind.create(p.config, p.secrets);
};

describe('webhook deployer', () => {
  test('posts the certificate signed with HMAC-SHA256; the key only when includeKey is set', async () => {
    rx.got.length = 0;
    await deployer({ url: rx.url }).deploy({ ...m, keyPem: null }, ctx);
    const [first] = rx.got;
    assert.equal(first!.headers['x-certport-delivery'], 'cp-1-1');
    assert.equal(first!.headers['x-certport-event'], 'certificate.deploy');
    assert.equal(first!.body.certificate.id, 'AbCd1234');
    assert.equal(first!.body.certificate.sha256, m.sha256);
    assert.equal(first!.body.certificate.fullchainPem, chain.leafPem + chain.intermediatePem);
    assert.equal(first!.body.certificate.privateKeyPem, undefined);
    assert.deepEqual(first!.body.resource, ctx.resource);
    await deployer({ url: rx.url, includeKey: true }).deploy(m, ctx);
    assert.equal(rx.got[1]!.body.certificate.privateKeyPem, chain.keyPem);
    assert.equal(webhookKind.needsPrivateKey(webhookKind.parse({ url: rx.url }, { hmacSecret: SECRET }).config), false);
  });

  test('retries 503 and connection failures; a 4xx answer or a wrong secret is final', async () => {
    rx.got.length = 0;
    rx.script.push(503);
    await deployer({ url: rx.url }).deploy(m, ctx);
    assert.equal(rx.got.length, 1, 'the second try went through');

    rx.script.push(503, 503);
    await assert.rejects(deployer({ url: rx.url }).deploy(m, ctx), (e: Error) => e instanceof DeployError && e.transient && /answered 503: try later/.test(e.message));
    rx.script.length = 0;

    rx.script.push(422);
    await assert.rejects(deployer({ url: rx.url }).deploy(m, ctx), (e: Error) => e instanceof DeployError && !e.transient && /answered 422/.test(e.message));

    const before = rx.forged;
    await assert.rejects(deployer({ url: rx.url }, 'another-secret-entirely').deploy(m, ctx), (e: Error) => e instanceof DeployError && !e.transient && /answered 401: bad signature/.test(e.message));
    assert.equal(rx.forged, before + 1);

    const dead = `http://127.0.0.1:${await freePort()}/hook`;
    await assert.rejects(deployer({ url: dead }).deploy(m, ctx), (e: Error) => e instanceof DeployError && e.transient && /ECONNREFUSED/.test(e.message));
  });

  test('signatures: tampered bodies and stale timestamps do not verify', () => {
    const t = Math.floor(Date.now() / 1000);
    const h = `t=${t},v1=` + 'x'.repeat(64);
    assert.equal(verifySignature(SECRET, h, '{}'), false);
    assert.equal(verifySignature(SECRET, undefined, '{}'), false);
  });
});

// The embedded CA's keys in a PKCS#11 token, end to end: a SoftHSM2 token made in a temp dir,
// certport started with it, DV certificates (RSA and ECDSA) issued through the official SDK and
// verified by `openssl verify` against the root; the keys in the token cannot be read out
// (CKA_EXTRACTABLE false, CKA_SENSITIVE true, C_GetAttributeValue of the secret refused), and
// nothing of them is in the database. The token's settings are needed again after a restart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as graphene from 'graphene-pk11';
import { loadConfig } from '../../config/config.js';
import { startService } from '../../main.js';
import { BACKENDS, startTestService, type TestService } from '../../testing/harness.js';
import { startFileServer, validationEnv, waitFor, type FileServer } from '../../testing/dv.js';
import { startChallTestSrv, type ChallTestSrv } from '../../testing/dns-servers.js';
import { freePort } from '../../testing/net.js';
import { run } from '../../testing/pki-fixtures.js';
import { generateKeyPair } from '../../pki/keys.js';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const LABEL = 'certport-ca';
const PIN = '417093';

const work = mkdtempSync(path.join(tmpdir(), 'certport-pkcs11-'));
// SoftHSM2 reads its configuration when the module is initialized: set before anything loads it.
mkdirSync(path.join(work, 'tokens'));
writeFileSync(path.join(work, 'softhsm2.conf'), `directories.tokendir = ${path.join(work, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = path.join(work, 'softhsm2.conf');
const pinFile = path.join(work, 'pin');
writeFileSync(pinFile, PIN + '\n', { mode: 0o600 });

let dns: ChallTestSrv;
let web: FileServer;
let t: TestService;
const backend = BACKENDS[0]!;

before(async () => {
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', PIN, '--so-pin', '8675309'], { stdio: 'pipe' });
  [dns, web] = await Promise.all([startChallTestSrv(), startFileServer()]);
  t = await startTestService(backend, {
    env: { ...validationEnv(dns.dns, web), CERTPORT_CA_PKCS11_MODULE: MODULE, CERTPORT_CA_PKCS11_TOKEN_LABEL: LABEL, CERTPORT_CA_PKCS11_PIN_FILE: pinFile },
  });
});
after(async () => {
  await t?.close();
  await Promise.all([dns?.stop(), web?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

interface TokenRow { rootCertPem: string; rsaIntermediateCertPem: string; ecIntermediateCertPem: string; token: string; keys: Record<'root' | 'rsa' | 'ec', { kind: string; id: string; label: string }> }

describe(`the embedded CA's keys in a PKCS#11 token (SoftHSM2, ${backend})`, () => {
  test('DV certificates signed through the token verify with openssl against the root', async () => {
    assert.deepEqual(t.svc.core.ca.custody, { embedded: 'pkcs11', sm2: 'ca-key' });
    const root = path.join(work, 'root.pem');
    writeFileSync(root, t.svc.core.ca.rootPem);
    for (const [algo, param] of [['RSA', '2048'], ['ECC', 'prime256v1']] as const) {
      const domain = `hsm-${algo.toLowerCase()}-${randomBytes(3).toString('hex')}.example.test`;
      const { CertificateId: id } = await t.client.ApplyCertificate({ DvAuthMethod: 'DNS', DomainName: domain, CsrEncryptAlgo: algo, CsrKeyParameter: param });
      const a = (await t.client.DescribeCertificate({ CertificateId: id! })).DvAuthDetail!;
      await dns.setTxt(a.DvAuthKey!, a.DvAuthValue!);
      const settled = await waitFor(t.client, id!, (d) => d.Status === 1 || d.Status === 2);
      assert.equal(settled.Status, 1, String(settled.StatusMsg));
      const pems = (await t.client.DescribeCertificateDetail({ CertificateId: id! })).CertificatePublicKey!.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
      const leaf = path.join(work, `${algo}.pem`);
      const chain = path.join(work, `${algo}-chain.pem`);
      writeFileSync(leaf, pems[0]! + '\n');
      writeFileSync(chain, pems.slice(1).join('\n') + '\n');
      assert.equal(run('openssl', ['verify', '-CAfile', root, '-untrusted', chain, leaf]).trim(), `${leaf}: OK`);
      assert.match(run('openssl', ['x509', '-in', leaf, '-noout', '-text']), algo === 'RSA' ? /sha256WithRSAEncryption/ : /ecdsa-with-SHA256/);
    }
  });

  test('IP address SANs (the ACME server\'s RFC 8738 certificates) are signed through the token too', async () => {
    const root = path.join(work, 'root-ip.pem');
    writeFileSync(root, t.svc.core.ca.rootPem);
    for (const algo of ['RSA', 'ECC'] as const) {
      const c = await t.svc.core.ca.issuer.issue({ publicKeyPem: generateKeyPair(algo).publicKeyPem, domains: [], ipAddresses: ['127.0.0.1', '::1'], validityDays: 30 });
      const [leaf, chain] = [path.join(work, `ip-${algo}.pem`), path.join(work, `ip-${algo}-chain.pem`)];
      writeFileSync(leaf, c.certPem);
      writeFileSync(chain, c.chainPems.join(''));
      assert.equal(run('openssl', ['verify', '-verify_ip', '127.0.0.1', '-CAfile', root, '-untrusted', chain, leaf]).trim(), `${leaf}: OK`);
      assert.match(run('openssl', ['x509', '-in', leaf, '-noout', '-ext', 'subjectAltName']), /IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
    }
  });

  test('the keys stay in the token: not extractable, sensitive, their secret refused; nothing of them in the database', async () => {
    const row = await t.svc.core.stores.kysely.selectFrom('ca_material').selectAll().where('name', '=', 'embedded').executeTakeFirstOrThrow();
    assert.equal(row.custody, 'pkcs11');
    const m = JSON.parse(row.material_sealed) as TokenRow;
    assert.deepEqual(Object.keys(m).sort(), ['ecIntermediateCertPem', 'keys', 'rootCertPem', 'rsaIntermediateCertPem', 'token']);
    assert.equal(m.token, LABEL);
    assert.doesNotMatch(row.material_sealed, /PRIVATE KEY/);
    if (backend === 'sqlite') {
      const file = t.svc.core.config.databaseUrl.slice('sqlite:'.length);
      // The WAL may hold the latest pages: read both.
      const bytes = Buffer.concat([readFileSync(file), ...[`${file}-wal`].map((f) => { try { return readFileSync(f); } catch { return Buffer.alloc(0); } })]);
      assert.equal(bytes.includes('PRIVATE KEY'), false, 'no private key in the clear anywhere in the database');
    }

    // A second application session on the token (the service keeps its own): what it can see of the keys.
    const mod = graphene.Module.load(MODULE);
    mod.initialize(); // already initialized by the service in this process: a no-op
    const slots = mod.getSlots(true);
    let slot: graphene.Slot | null = null;
    for (let i = 0; i < slots.length; i++) if (slots.items(i).getToken().label.trim() === LABEL) slot = slots.items(i);
    const session = slot!.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
    try {
      try {
        session.login(PIN);
      } catch (e) {
        // The login is per application and token: the service's session logged this process in already.
        assert.match((e as Error).message, /CKR_USER_ALREADY_LOGGED_IN/);
      }
      for (const ref of Object.values(m.keys)) {
        const found = session.find({ class: graphene.ObjectClass.PRIVATE_KEY, id: Buffer.from(ref.id, 'hex') });
        assert.equal(found.length, 1, ref.label);
        const key = found.items(0).toType<graphene.PrivateKey>();
        const attrs = key.getAttribute({ extractable: null, sensitive: null, neverExtractable: null, alwaysSensitive: null, token: null, label: null });
        assert.deepEqual([attrs.extractable, attrs.sensitive, attrs.neverExtractable, attrs.alwaysSensitive, attrs.token, attrs.label], [false, true, true, true, true, ref.label]);
        const secret = ref.kind === 'RSA-2048' ? { privateExponent: null } : { value: null };
        assert.throws(() => key.getAttribute(secret), /CKR_ATTRIBUTE_SENSITIVE/, `${ref.label}: its secret cannot be read`);
        // Nor can it leave wrapped: not extractable means no key may wrap it.
        assert.throws(() => key.setAttribute({ extractable: true }), /CKR_ATTRIBUTE_READ_ONLY|CKR_ACTION_PROHIBITED|CKR_ATTRIBUTE_VALUE_INVALID/);
      }
    } finally {
      session.close(); // no logout: that would log the service's session out too (the login is shared)
    }
  });

  test('after a restart the CA is the token\'s again; without the token\'s settings, or with a wrong PIN, certport stops and says which', async () => {
    const rootPem = t.svc.core.ca.rootPem;
    await t.restart();
    assert.equal(t.svc.core.ca.rootPem, rootPem);
    assert.equal(t.svc.core.ca.custody.embedded, 'pkcs11');
    const base: Record<string, string> = { ...t.env, CERTPORT_PORT: String(await freePort()) };
    const without = Object.fromEntries(Object.entries(base).filter(([k]) => !k.startsWith('CERTPORT_CA_PKCS11_')));
    await assert.rejects(startService(loadConfig(without)), /the embedded CA's keys are in the PKCS#11 token "certport-ca": set CERTPORT_CA_PKCS11_MODULE/);
    const wrongPin = path.join(work, 'wrong-pin');
    writeFileSync(wrongPin, '000000');
    // The service in this process is logged in already (the login is shared), so a wrong PIN shows in a CLI process.
    const { runCli } = await import('../../testing/cli.js');
    // A command that opens the CA (one-row commands open the database alone).
    const cli = await runCli({ ...base, CERTPORT_CA_PKCS11_PIN_FILE: wrongPin }, 'ca', 'show');
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /logging in to the token CERTPORT_CA_PKCS11_TOKEN_LABEL "certport-ca" failed \(check CERTPORT_CA_PKCS11_PIN\): CKR_PIN_INCORRECT/);
    assert.throws(() => loadConfig({ ...base, CERTPORT_CA_PKCS11_PIN_FILE: '' , CERTPORT_CA_PKCS11_PIN: '' }), /needs the token's user PIN/);
  });
});

// Alternate chains (RFC 8555 7.4.2) end to end: another CA ("Other Corp Root", made here with
// openssl) cross-signs certport's ECDSA issuing intermediate and, separately, its root; certport
// started with them in CERTPORT_CA_CROSS_CERTS_FILE links every certificate to one alternate
// chain per cross path that fits it. acme-client and certbot pick the alternate by its root's
// name, and openssl verifies it against the other root alone; a file with a certificate that
// fits none of certport's CA certificates, or an expired one, keeps certport from starting.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as acme from 'acme-client';
import { BACKENDS, type TestService } from '../../testing/harness.js';
import { startAcmeWorld, type AcmeWorld } from '../../testing/acme-world.js';
import { certbot } from '../../testing/acme-clients.js';
import { CLI_ARGS } from '../../testing/cli.js';
import { freePort } from '../../testing/net.js';

const run = promisify(execFile);
const OTHER_ROOT = 'Other Corp Root';
const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;
const blocks = (pem: string) => pem.match(PEM) ?? [];
const subjectOf = async (file: string) => (await run('openssl', ['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253'])).stdout.trim();

/**
 * `certPem` signed again by the other CA, as an operator would have it done: its subject and
 * public key, CA extensions, and its subject key identifier as certport made it, so that a
 * leaf's authority key identifier fits the cross certificate too. `days` -1: expired yesterday.
 */
async function crossSign(dir: string, name: string, certPem: string, days = 20): Promise<string> {
  const [inFile, pub, ext, out] = ['in.pem', 'pub.pem', 'ext', 'pem'].map((x) => path.join(dir, `${name}.${x}`)) as [string, string, string, string];
  await writeFile(inFile, certPem);
  const ski = (await run('openssl', ['x509', '-in', inFile, '-noout', '-ext', 'subjectKeyIdentifier'])).stdout.split('\n')[1]!.trim();
  await writeFile(pub, (await run('openssl', ['x509', '-in', inFile, '-noout', '-pubkey'])).stdout);
  await writeFile(ext, ['[v3]', 'basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature,keyCertSign,cRLSign',
    `subjectKeyIdentifier=${ski}`, 'authorityKeyIdentifier=keyid'].join('\n') + '\n');
  // openssl 3.0's `x509 -CA` re-signs only self-signed input: a new certificate with the same name (UTF8String, as certport writes it) and key.
  const subject = '/' + new X509Certificate(certPem).subject.split('\n').join('/');
  await run('openssl', ['x509', '-new', '-subj', subject, '-force_pubkey', pub, '-CA', path.join(dir, 'other-root.pem'), '-CAkey', path.join(dir, 'other-root.key'),
    '-set_serial', '0x' + Buffer.from(name).toString('hex'), '-days', String(days), '-extfile', ext, '-extensions', 'v3', '-out', out]);
  return readFile(out, 'utf8');
}

/** `openssl verify -CAfile ca -untrusted <the rest> <leaf>`: ok and what openssl said. */
async function opensslVerify(dir: string, caFile: string, chainPem: string): Promise<{ ok: boolean; out: string }> {
  const b = blocks(chainPem);
  const [leaf, rest] = [path.join(dir, 'v-leaf.pem'), path.join(dir, 'v-rest.pem')];
  await writeFile(leaf, b[0]!);
  await writeFile(rest, b.slice(1).join(''));
  try {
    const r = await run('openssl', ['verify', '-CAfile', caFile, '-untrusted', rest, leaf]);
    return { ok: /v-leaf\.pem: OK/.test(r.stdout), out: r.stdout };
  } catch (e) {
    return { ok: false, out: String((e as { stdout?: string }).stdout) + String((e as { stderr?: string }).stderr) };
  }
}

/** `certport serve` with `env` as a child process: its exit code and output, or `timedOut` when it kept running for 30 s. */
async function serve(env: Record<string, string>): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  try {
    await run(process.execPath, [...CLI_ARGS, 'serve'], { env: { ...process.env, ...env }, timeout: 30_000 });
    return { code: 0, stderr: '', timedOut: false };
  } catch (e) {
    const err = e as { code: number | null; stderr: string; killed?: boolean };
    return { code: err.code, stderr: err.stderr, timedOut: !!err.killed };
  }
}

for (const backend of BACKENDS) {
  describe(`ACME server: alternate chains through cross-signed CA certificates (${backend})`, () => {
    let w: AcmeWorld;
    let t: TestService;
    let otherRootFile: string;
    let crossFile: string;
    let ecIntermediate: string;

    before(async () => {
      w = await startAcmeWorld(backend);
      t = w.t;
      otherRootFile = path.join(w.dir, 'other-root.pem');
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-subj', `/O=Other Corp/CN=${OTHER_ROOT}`,
        '-days', '30', '-keyout', path.join(w.dir, 'other-root.key'), '-out', otherRootFile,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
      ecIntermediate = t.svc.core.ca.issuer.signingCas().find((c) => c.name === 'ecc')!.certPem;
      // The intermediate's cross certificate followed by the other root (its chain); the root's alone.
      const crossEc = await crossSign(w.dir, 'cross-ec', ecIntermediate);
      const crossRoot = await crossSign(w.dir, 'cross-root', t.svc.core.ca.rootPem);
      crossFile = path.join(w.dir, 'cross.pem');
      await writeFile(crossFile, crossEc + (await readFile(otherRootFile, 'utf8')) + crossRoot);
      await t.restart({ CERTPORT_CA_CROSS_CERTS_FILE: crossFile });
    });
    after(async () => {
      await w?.close();
    });

    /** An order for `name` by dns-01, finalized with a CSR of `key`: the client, the valid order and its certificate URL. */
    async function issue(name: string, key: Buffer) {
      const client = await w.client(w.bound);
      await client.createAccount({ termsOfServiceAgreed: true });
      const order = await client.createOrder({ identifiers: [{ type: 'dns', value: name }] });
      for (const z of await client.getAuthorizations(order)) {
        const ch = z.challenges.find((c) => c.type === 'dns-01')!;
        await w.dns.setTxt(`_acme-challenge.${z.identifier.value}`, await client.getChallengeKeyAuthorization(ch));
        await client.completeChallenge(ch);
        await client.waitForValidStatus(ch);
      }
      const [, csr] = await acme.crypto.createCsr({ commonName: name }, key);
      const valid = await client.waitForValidStatus(await client.finalizeOrder(order, csr));
      assert.ok(valid.certificate);
      return { client, order: valid, url: valid.certificate };
    }

    it('an ECDSA certificate links to two alternates (intermediate and root cross-signed); acme-client picks the other root\'s; openssl verifies it against that root alone and not the default', async () => {
      const { client, order, url } = await issue('cross.acme.test', await acme.crypto.createPrivateEcdsaKey());
      // Raw answers, through acme-client's signed POST-as-GET.
      const api = (client as unknown as { api: { apiRequest(u: string, p: null, ok: number[]): Promise<{ headers: Record<string, string>; data: string }> } }).api;
      const def = await api.apiRequest(url, null, [200]);
      assert.match(def.headers.link!, new RegExp(`<${url}/1>;rel="alternate"`));
      assert.match(def.headers.link!, new RegExp(`<${url}/2>;rel="alternate"`));
      assert.match(def.headers.link!, /rel="index"/);
      assert.equal(blocks(def.data).length, 2, 'the default stays leaf and intermediate');
      assert.equal(blocks(def.data)[1], blocks(ecIntermediate)[0]);
      const alt1 = await api.apiRequest(`${url}/1`, null, [200]);
      assert.equal(alt1.headers['content-type'], 'application/pem-certificate-chain');
      assert.match(alt1.headers.link!, new RegExp(`<${url}>;rel="alternate"`), 'the alternate links back to the default');
      assert.match(alt1.headers.link!, new RegExp(`<${url}/2>;rel="alternate"`));
      assert.doesNotMatch(alt1.headers.link!, new RegExp(`<${url}/1>`));
      const [leaf] = blocks(def.data);
      const a1 = blocks(alt1.data);
      assert.equal(a1[0], leaf, 'the same leaf');
      assert.equal(a1.length, 3, 'leaf, cross-signed intermediate, other root');
      const alt2 = blocks((await api.apiRequest(`${url}/2`, null, [200])).data);
      assert.deepEqual(alt2.slice(0, 2), blocks(def.data), 'leaf and intermediate, then the cross-signed root');
      assert.equal(alt2.length, 3);
      await assert.rejects(api.apiRequest(`${url}/3`, null, [200]), /No such certificate chain/);

      // acme-client's documented way: getCertificate(order, preferredChain).
      const preferred = await client.getCertificate(order, OTHER_ROOT);
      // Both alternates end at the other root; acme-client takes the one where it is nearest the top.
      assert.ok([alt1.data.trim(), alt2.join('').trim()].includes(preferred.trim()), 'an alternate chain');
      assert.ok((await opensslVerify(w.dir, otherRootFile, preferred)).ok);
      assert.equal((await client.getCertificate(order)).trim(), def.data.trim());
      for (const chain of [alt1.data, alt2.join('')]) {
        const v = await opensslVerify(w.dir, otherRootFile, chain);
        assert.ok(v.ok, v.out);
      }
      const d = await opensslVerify(w.dir, otherRootFile, def.data);
      assert.equal(d.ok, false, 'the default chain does not reach the other root');
      assert.match(d.out, /unable to get (local )?issuer certificate/);
      // And the default still verifies against certport's root.
      await w.verifies(def.data);
    });

    it('an RSA certificate gets only the root\'s alternate (the ECDSA intermediate\'s cross certificate does not fit it)', async () => {
      const { client, url } = await issue('cross-rsa.acme.test', await acme.crypto.createPrivateRsaKey(2048));
      const api = (client as unknown as { api: { apiRequest(u: string, p: null, ok: number[]): Promise<{ headers: Record<string, string>; data: string }> } }).api;
      const def = await api.apiRequest(url, null, [200]);
      assert.match(def.headers.link!, new RegExp(`<${url}/1>;rel="alternate"`));
      assert.doesNotMatch(def.headers.link!, new RegExp(`<${url}/2>`));
      const alt = (await api.apiRequest(`${url}/1`, null, [200])).data;
      assert.deepEqual(blocks(alt).slice(0, 2), blocks(def.data));
      assert.ok((await opensslVerify(w.dir, otherRootFile, alt)).ok);
    });

    it('certbot --preferred-chain "Other Corp Root" installs the alternate chain', async () => {
      const b = await w.eab(w.bound);
      const d = path.join(w.dir, 'certbot-cross');
      await certbot({ dir: d, directory: w.directory, caFile: w.tlsCaFile, httpPort: w.httpPort, domains: ['cb-cross.acme.test'], kid: b.kid, hmacKey: b.hmacKey,
        extra: ['--preferred-chain', OTHER_ROOT] });
      const full = await readFile(path.join(d, 'config/live/c/fullchain.pem'), 'utf8');
      const v = await opensslVerify(w.dir, otherRootFile, full);
      assert.ok(v.ok, v.out);
      const chain = blocks(await readFile(path.join(d, 'config/live/c/chain.pem'), 'utf8'));
      await writeFile(path.join(w.dir, 'cb-top.pem'), chain.at(-1)!);
      assert.match(await subjectOf(path.join(w.dir, 'cb-top.pem')), new RegExp(`CN=${OTHER_ROOT}`));
    });

    it('refuses to start with a certificate that fits none of certport\'s CA certificates, or an expired cross certificate', async () => {
      // The intermediate's name on another key: the name alone does not make a cross certificate.
      const bad = path.join(w.dir, 'bad.pem');
      const subject = '/' + new X509Certificate(ecIntermediate).subject.split('\n').join('/');
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject, '-days', '5',
        '-keyout', path.join(w.dir, 'bad.key'), '-out', bad, '-addext', 'basicConstraints=critical,CA:TRUE']);
      const env = { ...t.env, CERTPORT_PORT: String(await freePort()), CERTPORT_TLS_PORT: String(await freePort()), CERTPORT_LOG_LEVEL: 'silent' };
      const r = await serve({ ...env, CERTPORT_CA_CROSS_CERTS_FILE: bad });
      assert.equal(r.timedOut, false, 'certport started');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /CERTPORT_CA_CROSS_CERTS_FILE: certificate 1 of 1 \(subject "[^"]*Issuing CA[^"]*".*SHA-256 [0-9A-F:]+\) matches none of certport's CA certificates/);

      // Another certificate after a good path that did not sign it is named by its place.
      await writeFile(path.join(w.dir, 'bad2.pem'), (await readFile(crossFile, 'utf8')) + (await readFile(bad, 'utf8')));
      const r2 = await serve({ ...env, CERTPORT_CA_CROSS_CERTS_FILE: path.join(w.dir, 'bad2.pem') });
      assert.match(r2.stderr, /certificate 4 of 4 .*matches none of certport's CA certificates by subject and public key, and did not sign the certificate before it/);

      const expired = await crossSign(w.dir, 'cross-expired', ecIntermediate, -1);
      await writeFile(path.join(w.dir, 'expired.pem'), expired);
      const r3 = await serve({ ...env, CERTPORT_CA_CROSS_CERTS_FILE: path.join(w.dir, 'expired.pem') });
      assert.equal(r3.timedOut, false);
      assert.match(r3.stderr, new RegExp(`CERTPORT_CA_CROSS_CERTS_FILE: certificate 1 of 1 \\(subject "[^"]*", issuer "[^"]*${OTHER_ROOT}[^"]*".*\\) expired`));
    });
  });
}

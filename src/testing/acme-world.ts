// Test support for certport's ACME server end to end (src/api/acme/acme-*.test.ts): a real
// certport whose HTTPS listener serves an operator certificate for 127.0.0.1 (certport's CA
// signs DNS names only; the clients trust it for the connection, certport's root for what
// they get), the test DNS server as its resolver, private addresses allowed for validation,
// and a certport account that ACME accounts are bound to by EAB.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import https from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as acme from 'acme-client';
import { startTestService, type Backend, type Cred, type TestService } from './harness.js';
import { startChallTestSrv, type ChallTestSrv } from './dns-servers.js';
import { freePort } from './net.js';

const run = promisify(execFile);

export interface AcmeWorld {
  t: TestService;
  dns: ChallTestSrv;
  /** A scratch folder, removed on close. */
  dir: string;
  /** The ACME directory URL on the HTTPS listener. */
  directory: string;
  /** The HTTPS listener's certificate (PEM) and its file: what clients trust for the connection. */
  tlsCa: string;
  tlsCaFile: string;
  /** certport's root in a file (openssl verify -CAfile). */
  rootFile: string;
  /** Where certport's validator looks for http-01 and tls-alpn-01 answers on 127.0.0.1. */
  httpPort: number;
  httpsPort: number;
  /** A certport account (not the bootstrap one). */
  bound: Cred;
  /** EAB credentials binding an ACME account to `cred`'s certport account. */
  eab(cred: Cred): Promise<{ kid: string; hmacKey: string }>;
  /** An acme-client client with a new key, bound by EAB to `cred`'s certport account (not registered yet). */
  client(cred: Cred): Promise<acme.Client>;
  /** Verifies the chain (leaf first) against certport's root, as issued for `ip` when given; the leaf as `openssl x509 -text`. */
  verifies(chainPem: string, ip?: string): Promise<string>;
  close(): Promise<void>;
}

/** `env`: more of certport's settings. acme-client (a process-wide setting) trusts the listener's certificate from here on. */
export async function startAcmeWorld(backend: Backend, env: Record<string, string> = {}): Promise<AcmeWorld> {
  const dns = await startChallTestSrv();
  const dir = await mkdtemp(path.join(tmpdir(), 'certport-acme-'));
  let t: TestService | undefined;
  const stop = async () => {
    await t?.close();
    await dns.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const tlsPort = await freePort();
    const [tlsCaFile, tlsKey] = [path.join(dir, 'tls.crt'), path.join(dir, 'tls.key')];
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', tlsKey, '-out', tlsCaFile]);
    const tlsCa = await readFile(tlsCaFile, 'utf8');
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    t = await startTestService(backend, {
      env: {
        CERTPORT_TLS_PORT: String(tlsPort),
        CERTPORT_TLS_CERT_FILE: tlsCaFile,
        CERTPORT_TLS_KEY_FILE: tlsKey,
        CERTPORT_PUBLIC_URL: `https://127.0.0.1:${tlsPort}`,
        CERTPORT_DNS_RESOLVERS: dns.dns,
        CERTPORT_VALIDATION_ALLOW_PRIVATE: '1',
        CERTPORT_VALIDATION_HTTP_PORT: String(httpPort),
        CERTPORT_VALIDATION_HTTPS_PORT: String(httpsPort),
        ...env,
      },
    });
    const rootFile = path.join(dir, 'root.pem');
    await writeFile(rootFile, t.svc.core.ca.rootPem);
    const directory = `https://127.0.0.1:${tlsPort}/acme/directory`;
    acme.axios.defaults.httpsAgent = new https.Agent({ ca: tlsCa });
    const bound = await t.newAccount();
    const service = t;
    const eab = (cred: Cred) => service.svc.core.acmeServer!.createEab(cred.accountUin);
    return {
      t, dns, dir, directory, tlsCa, tlsCaFile, rootFile, httpPort, httpsPort, bound, eab,
      async client(cred) {
        const b = await eab(cred);
        return new acme.Client({
          directoryUrl: directory, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 100, backoffMax: 500,
          externalAccountBinding: { kid: b.kid, hmacKey: b.hmacKey },
        });
      },
      async verifies(chainPem, ip) {
        const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
        assert.ok(blocks.length >= 2, 'leaf and intermediate');
        const [leaf, inter] = [path.join(dir, 'leaf.pem'), path.join(dir, 'inter.pem')];
        await writeFile(leaf, blocks[0]!);
        await writeFile(inter, blocks.slice(1).join('\n'));
        const { stdout } = await run('openssl', ['verify', ...(ip ? ['-verify_ip', ip] : []), '-CAfile', rootFile, '-untrusted', inter, leaf]);
        assert.match(stdout, /leaf\.pem: OK/);
        return (await run('openssl', ['x509', '-in', leaf, '-noout', '-text'])).stdout;
      },
      close: stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// Test-only helpers: a throw-away root → intermediate → leaf chain, plus small
// wrappers around the real CLI tools (openssl, keytool, unzip) used to verify output.
import 'reflect-metadata'; // @peculiar/x509 needs this before it loads
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { toPem as pemOf } from '../pki/pem.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TestChain {
  leafPem: string;
  intermediatePem: string;
  rootPem: string;
  /** leaf private key, PKCS#8 PEM */
  keyPem: string;
  /** CSR for the leaf key, subject CN=domain, SAN dNSName=domain */
  csrPem: string;
}

const DAY = 86_400_000;

function algorithms(alg: 'RSA' | 'EC') {
  return alg === 'RSA'
    ? {
        gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as RsaHashedKeyGenParams,
        sign: { name: 'RSASSA-PKCS1-v1_5' } as Algorithm,
      }
    : {
        gen: { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
        sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
      };
}

/**
 * Builds root → intermediate → leaf, all with the same key algorithm (RSA-2048 or
 * EC P-256), with SKI/AKI so `openssl verify -x509_strict` accepts the chain.
 */
export async function makeChain(alg: 'RSA' | 'EC', domain: string): Promise<TestChain> {
  const { gen, sign } = algorithms(alg);
  const newKeys = () => webcrypto.subtle.generateKey(gen, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  const [rootKeys, interKeys, leafKeys] = await Promise.all([newKeys(), newKeys(), newKeys()]);
  const notBefore = new Date(Date.now() - DAY);
  const caNotAfter = new Date(Date.now() + 3650 * DAY);
  const caUsage = new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true);

  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: `C=CN, O=certport test, CN=certport test root ${alg}`,
    keys: rootKeys, notBefore, notAfter: caNotAfter, signingAlgorithm: sign,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true), caUsage,
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const inter = await x509.X509CertificateGenerator.create({
    subject: `C=CN, O=certport test, CN=certport test intermediate ${alg}`, issuer: root.subject,
    publicKey: interKeys.publicKey, signingKey: rootKeys.privateKey,
    notBefore, notAfter: caNotAfter, signingAlgorithm: sign,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true), caUsage,
      await x509.SubjectKeyIdentifierExtension.create(interKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const san = new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }]);
  const leaf = await x509.X509CertificateGenerator.create({
    subject: `CN=${domain}`, issuer: inter.subject,
    publicKey: leafKeys.publicKey, signingKey: interKeys.privateKey,
    notBefore, notAfter: new Date(Date.now() + 90 * DAY), signingAlgorithm: sign,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        alg === 'RSA' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(interKeys.publicKey),
      san,
    ],
  });
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${domain}`, keys: leafKeys, signingAlgorithm: sign, extensions: [san],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  return {
    leafPem: leaf.toString('pem') + '\n',
    intermediatePem: inter.toString('pem') + '\n',
    rootPem: root.toString('pem') + '\n',
    keyPem: toPem('PRIVATE KEY', pkcs8),
    csrPem: csr.toString('pem') + '\n',
  };
}

export function toPem(label: string, der: Uint8Array): string {
  return pemOf(label, Buffer.from(der));
}

/** Runs fn with a fresh temp dir that is removed afterwards, pass or fail. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'certport-pki-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a CLI tool; throws (with its stderr) on non-zero exit. Returns stdout. */
export function run(cmd: string, args: string[], input?: string | Buffer): string {
  try {
    return execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** Public key (SPKI PEM) of a certificate or private key file, via openssl. */
export function opensslPubOfCert(certFile: string): string {
  return run('openssl', ['x509', '-in', certFile, '-noout', '-pubkey']);
}
export function opensslPubOfKey(keyFile: string, passin?: string): string {
  return run('openssl', ['pkey', '-in', keyFile, '-pubout', ...(passin ? ['-passin', `pass:${passin}`] : [])]);
}

/** Parses `keytool -list -v` output into entries (alias, type, chain length). */
export function keytoolList(file: string, storetype: 'JKS' | 'PKCS12', password: string) {
  const out = run('keytool', ['-list', '-v', '-keystore', file, '-storetype', storetype, '-storepass', password]);
  const entries: { alias: string; type: string; chainLength: number | null }[] = [];
  for (const block of out.split(/^Alias name: /m).slice(1)) {
    entries.push({
      alias: block.split('\n')[0].trim(),
      type: /^Entry type: (\S+)/m.exec(block)?.[1] ?? '',
      chainLength: Number(/^Certificate chain length: (\d+)/m.exec(block)?.[1] ?? NaN) || null,
    });
  }
  return { out, entries };
}

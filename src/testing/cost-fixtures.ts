// Test and benchmark inputs at the edges of what an upload may cost (issue 22): long CA
// chains, leaves with many names and large keys, built by hand with pki/certificate-builder
// (fast enough to make a thousand certificates in well under a second).
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { buildCaCertificate, buildCertificate, extension, newSerial, sanExtension, signerFor } from '../pki/certificate-builder.js';
import * as der from '../pki/der.js';
import { spkiOf, keyIdentifier } from '../pki/keys.js';
import { encodeName } from '../pki/names.js';
import { KEY_USAGE, OID } from '../pki/oids.js';
import { toPem } from '../pki/pem.js';

const DAY = 86_400_000;
const CN = OID.commonName;

export interface CostChain {
  /** Leaf, then its CA certificates from its issuer upwards. */
  pems: string[];
  /** The leaf's private key, PKCS#8 PEM. */
  keyPem: string;
}

const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

/**
 * A leaf under `cas` CA certificates, each issued by the next (the last one self-signed), the
 * leaf carrying `sans` DNS names and a key of `leafKey` (an EC P-256 key by default), or the
 * public key `leafSpki` (no private key goes with it then).
 */
export function costChain(opts: { cas: number; sans?: number; leafKey?: KeyObject; leafSpki?: Buffer; domain?: string }): CostChain {
  const domain = opts.domain ?? 'cost.example.com';
  const now = Date.now();
  const notBefore = new Date(now - DAY);
  const notAfter = new Date(now + 90 * DAY);
  // One CA key for every level: the names chain them, and signing stays cheap.
  const caKey = ecKey();
  const caSpki = spkiOf(caKey);
  const caSigner = signerFor(caKey)!;
  const caName = (i: number) => encodeName([[CN, `certport cost CA ${i}`]]);
  const cas: string[] = [];
  for (let i = 0; i < opts.cas; i++) {
    const last = i === opts.cas - 1;
    cas.push(toPem('CERTIFICATE', buildCaCertificate({
      issuerName: last ? caName(i) : caName(i + 1), subjectName: caName(i), notBefore, notAfter,
      spki: caSpki, signer: caSigner, ...(last ? {} : { issuerSki: keyIdentifier(caSpki) }),
    })));
  }
  const leafKey = opts.leafKey ?? ecKey();
  const names = [domain, ...Array.from({ length: Math.max(0, (opts.sans ?? 1) - 1) }, (_, i) => `n${i}.${domain}`)];
  const leaf = buildCertificate({
    serial: newSerial(randomBytes).der,
    issuerName: opts.cas > 0 ? caName(0) : encodeName([[CN, domain]]),
    subjectName: encodeName([[CN, domain]]),
    notBefore, notAfter,
    spki: opts.leafSpki ?? spkiOf(leafKey),
    extensions: [
      extension(OID.basicConstraints, true, der.seq()),
      extension(OID.keyUsage, true, KEY_USAGE.digitalSignature),
      sanExtension(names, false),
    ],
    signer: opts.cas > 0 ? caSigner : signerFor(leafKey)!,
  });
  return { pems: [toPem('CERTIFICATE', leaf), ...cas], keyPem: leafKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** An RSA key of `bits`, generated once per process per size (8192 bits takes seconds). */
const rsaKeys = new Map<number, KeyObject>();
export function rsaKey(bits: number): KeyObject {
  let k = rsaKeys.get(bits);
  if (!k) {
    k = createPrivateKey(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    rsaKeys.set(bits, k);
  }
  return k;
}

/** An RSA key of `bits` made of random numbers: no key at all, but read as one (what a size check sees). */
export function fakeRsaKey(bits: number): { spki: Buffer; pkcs1Pem: string } {
  const big = (n: number) => {
    const b = randomBytes(n / 8);
    b[0] |= 0x80;
    b[b.length - 1] |= 1;
    return b;
  };
  const n = big(bits);
  const rsa = der.seq(der.seq(der.oid(OID.rsaEncryption), der.nullValue()), der.bitString(der.seq(der.uint(n), der.uint(65537))));
  const half = [1, 2, 3, 4, 5].map(() => der.uint(big(bits / 2)));
  const pkcs1 = der.seq(der.uint(0), der.uint(n), der.uint(65537), der.uint(big(bits)), ...half);
  return { spki: rsa, pkcs1Pem: toPem('RSA PRIVATE KEY', pkcs1) };
}

/**
 * An EncryptedPrivateKeyInfo (DER) under PBES2 with PBKDF2-SHA256 at `rounds`, or scrypt with
 * [N, r, p]; the encrypted bytes are random, so OpenSSL runs the derivation and then fails.
 */
export function encryptedKeyDer(kdf: { rounds: number } | { scrypt: [number, number, number] }): Buffer {
  const salt = der.octets(randomBytes(8));
  const derivation = 'rounds' in kdf
    ? der.seq(der.oid('1.2.840.113549.1.5.12'), der.seq(salt, der.uint(kdf.rounds), der.seq(der.oid('1.2.840.113549.2.9'), der.nullValue())))
    : der.seq(der.oid('1.3.6.1.4.1.11591.4.11'), der.seq(salt, ...kdf.scrypt.map((n) => der.uint(n))));
  const aes256cbc = der.seq(der.oid('2.16.840.1.101.3.4.1.42'), der.octets(randomBytes(16)));
  return der.seq(der.seq(der.oid('1.2.840.113549.1.5.13'), der.seq(derivation, aes256cbc)), der.octets(randomBytes(144)));
}

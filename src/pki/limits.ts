// Cost limits on what users upload (issue 22): every certificate, name, key bit and key
// derivation round an upload carries is work for the server, on that upload and on every later
// read or download of it. The limits sit well above any real certificate, and far below what
// once froze the service (a leaf + 999 CA certificates took 7.5-20 s to upload).
import { Fault } from '../domain/errors.js';
import * as der from './der.js';

export const UPLOAD_LIMITS = {
  /**
   * Certificates in CertificatePublicKey: the certificate and its chain. The longest public
   * chains hold 4-5 (leaf, one or two intermediates, a cross-signed root and its root); 10
   * leaves room for private PKIs with deeper hierarchies.
   */
  chainCertificates: 10,
  /**
   * CertificatePublicKey in characters: 10 certificates of ~6 KiB in PEM. A leaf with 250
   * names, SCTs and an RSA-8192 key is ~12 KiB; a typical chain is 4-7 KiB.
   */
  certificatePem: 64 * 1024,
  /** CertificatePrivateKey in characters: an RSA-8192 key is ~6.4 KiB in PEM, encrypted or not. */
  privateKeyPem: 16 * 1024,
  /**
   * Entries in one certificate's subjectAltName. Commercial multi-domain certificates go to 250
   * (DigiCert, Sectigo: the CN and 249 more); Let's Encrypt's is 100. The CA/B Forum sets none.
   */
  subjectAltNames: 250,
  /** RSA (and DSA) key size in bits, in certificates and private keys: public CAs issue 2048-4096, a few 8192. */
  keyBits: 8192,
  /**
   * PBKDF2 (or PBES1 / PKCS#12 PBE) rounds protecting an encrypted private key: the uploader
   * picks the count, and OpenSSL runs every round (5,000,000 took 3.3 s). Tools use 2,048
   * (OpenSSL) to 600,000 (OWASP's PBKDF2-SHA256 advice).
   */
  keyDerivationRounds: 1_000_000,
  /** scrypt's N × r × p for an encrypted private key (OpenSSL writes 16384 × 8 × 1). */
  scryptCost: 2 ** 20,
} as const;

/** Refuses text longer than `max` characters before anything reads it. */
export function checkPemSize(text: string, max: number, what: string): void {
  if (text.length > max) {
    throw new Fault('tooLarge', `${what} holds ${text.length} characters; certport accepts at most ${max}.`);
  }
}

/** How many PEM certificate blocks the text holds, counted without decoding any. */
export function countCertificateBlocks(text: string): number {
  let n = 0;
  for (let at = text.indexOf('-----BEGIN '); at !== -1; at = text.indexOf('-----BEGIN ', at + 11)) {
    if (/^-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----/.test(text.slice(at, at + 40))) n++;
  }
  return n;
}

/** Refuses a chain of more certificates than UPLOAD_LIMITS.chainCertificates, before any is parsed. */
export function checkChainLength(text: string): void {
  const n = countCertificateBlocks(text);
  if (n > UPLOAD_LIMITS.chainCertificates) {
    throw new Fault('invalidValue', `CertificatePublicKey holds ${n} certificates; certport accepts a certificate and its chain of at most ${UPLOAD_LIMITS.chainCertificates} certificates in all.`);
  }
}

/** Refuses an RSA or DSA key larger than UPLOAD_LIMITS.keyBits. */
export function checkKeyBits(type: string | undefined, bits: number | undefined, what: string): void {
  if ((type === 'rsa' || type === 'rsa-pss' || type === 'dsa') && (bits ?? 0) > UPLOAD_LIMITS.keyBits) {
    throw new Fault('invalidValue', `${what} is a ${bits}-bit ${type.toUpperCase()} key; certport accepts keys of at most ${UPLOAD_LIMITS.keyBits} bits.`);
  }
}

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const SCRYPT = '1.3.6.1.4.1.11591.4.11';
/** PBES1 (PKCS #5) and PKCS #12 PBE schemes: parameters SEQUENCE { salt, iterations }. */
const PBE_PREFIXES = ['1.2.840.113549.1.5.', '1.2.840.113549.1.12.1.'];

/** A DER INTEGER's value, Infinity beyond 2^48 (or when negative: no KDF takes that). */
function integer(buf: Buffer, n: der.Node): number {
  const c = der.content(buf, n);
  if (n.tag !== der.Tag.INTEGER || c.length === 0 || c[0]! & 0x80) return Infinity;
  let i = 0;
  while (i < c.length - 1 && c[i] === 0) i++;
  if (c.length - i > 6) return Infinity;
  return c.subarray(i).reduce((v, b) => v * 256 + b, 0);
}

/**
 * Refuses an encrypted private key (PKCS #8 EncryptedPrivateKeyInfo, DER) whose key derivation
 * would cost more than the limits allow. Anything this does not recognise is left to OpenSSL.
 */
export function checkKeyDerivation(epki: Buffer): void {
  let rounds = 0;
  let scrypt = 0;
  try {
    const [alg] = der.children(epki, der.readNode(epki));
    const [oidNode, params] = der.children(epki, alg!);
    const oid = der.decodeOid(der.content(epki, oidNode!));
    if (oid === PBES2 && params) {
      const [kdf] = der.children(epki, params);
      const [kdfOid, kdfParams] = der.children(epki, kdf!);
      const kdfName = der.decodeOid(der.content(epki, kdfOid!));
      const p = kdfParams ? der.children(epki, kdfParams) : [];
      if (kdfName === PBKDF2) rounds = integer(epki, p[1]!);
      if (kdfName === SCRYPT) scrypt = integer(epki, p[1]!) * integer(epki, p[2]!) * integer(epki, p[3]!);
    } else if (params && PBE_PREFIXES.some((prefix) => oid.startsWith(prefix))) {
      rounds = integer(epki, der.children(epki, params)[1]!);
    }
  } catch {
    return; // not readable here: OpenSSL will say what is wrong with it
  }
  if (rounds > UPLOAD_LIMITS.keyDerivationRounds) {
    throw new Fault('invalidValue', `The private key is encrypted with ${Number.isFinite(rounds) ? rounds : 'over 2^48'} key derivation rounds; certport accepts at most ${UPLOAD_LIMITS.keyDerivationRounds}. Encrypt it with fewer, or upload it without a password.`);
  }
  if (scrypt > UPLOAD_LIMITS.scryptCost) {
    throw new Fault('invalidValue', `The private key is encrypted with scrypt parameters costing N×r×p = ${Number.isFinite(scrypt) ? scrypt : 'over 2^48'}; certport accepts at most ${UPLOAD_LIMITS.scryptCost}. Encrypt it with lower ones, or upload it without a password.`);
  }
}

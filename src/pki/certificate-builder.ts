// X.509 v3 certificates built by hand (RFC 5280) and signed with RSA, ECDSA (node:crypto) or
// SM2 (./sm2.ts). Hand-encoding is what makes the embedded CA fast (FACTS.md: X.509 and keys):
// the TBSCertificate is written once into one buffer and signed where it lies.
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import * as der from './der.js';
import { keyIdentifier } from './keys.js';
import { dnsNames, generalNames } from './names.js';
import { KEY_USAGE, OID } from './oids.js';
import { SM2_SIG_ALG, sm2Sign, type Sm2Private } from './sm2.js';

/** A key that signs, with the AlgorithmIdentifier its signatures carry. */
export interface Signer {
  alg: Buffer;
  /** Bytes: the modulus for RSA; for (EC)DSA-style signatures a DER SEQUENCE of two full-length INTEGERs with a sign octet each. */
  maxSignature: number;
  sign(data: Buffer): Buffer;
}

const nodeSigner = (key: KeyObject, hash: string, alg: Buffer, maxSignature: number): Signer =>
  ({ alg, maxSignature, sign: (data) => sign(hash, data, key) });
/** The longest DER ECDSA signature for a curve of `size` bytes. */
export const ecMax = (size: number) => 8 + 2 * (size + 1);

/** The signature AlgorithmIdentifier a certificate signed this way carries (for keys outside node:crypto, e.g. in a token). */
export function signatureAlgorithm(alg: 'rsa-sha256' | 'ecdsa-sha256' | 'ecdsa-sha384'): Buffer {
  switch (alg) {
    case 'rsa-sha256': return der.seq(der.oid(OID.sha256WithRSA), der.nullValue());
    case 'ecdsa-sha256': return der.seq(der.oid(OID.ecdsaWithSHA256));
    case 'ecdsa-sha384': return der.seq(der.oid(OID.ecdsaWithSHA384));
  }
}

/** RSA (SHA-256) or ECDSA on P-256, P-384 or P-521 (the hash of the curve's size); null for any other key. */
export function signerFor(key: KeyObject): Signer | null {
  if (key.asymmetricKeyType === 'rsa') {
    const bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    return nodeSigner(key, 'sha256', der.seq(der.oid(OID.sha256WithRSA), der.nullValue()), bytes);
  }
  if (key.asymmetricKeyType === 'ec') {
    switch (key.asymmetricKeyDetails?.namedCurve) {
      case 'prime256v1': return nodeSigner(key, 'sha256', der.seq(der.oid(OID.ecdsaWithSHA256)), ecMax(32));
      case 'secp384r1': return nodeSigner(key, 'sha384', der.seq(der.oid(OID.ecdsaWithSHA384)), ecMax(48));
      case 'secp521r1': return nodeSigner(key, 'sha512', der.seq(der.oid(OID.ecdsaWithSHA512)), ecMax(66));
    }
  }
  return null;
}

/** SM2-with-SM3 with the GM/T 0009 default signer ID. */
export const sm2Signer = (key: Sm2Private): Signer => ({ alg: SM2_SIG_ALG, maxSignature: ecMax(32), sign: (data) => sm2Sign(data, key) });

/** The key and algorithm a KeyObject signs with, for messages ("ec prime256v1", "ed25519"). */
export const keyLabel = (key: KeyObject) => [key.asymmetricKeyType ?? 'unknown', key.asymmetricKeyDetails?.namedCurve].filter(Boolean).join(' ');

// ---- pieces ----------------------------------------------------------------------------

export const extension = (id: string, critical: boolean, value: Buffer) =>
  der.seq(der.oid(id), ...(critical ? [der.bool(true)] : []), der.octets(value));

/** subjectAltName with dNSNames, then iPAddresses (4 or 16 octets); critical when the subject is empty (RFC 5280 4.2.1.6). */
export const sanExtension = (names: readonly string[], critical: boolean, ips: readonly Buffer[] = []) =>
  extension(OID.subjectAltName, critical, ips.length ? generalNames(names, ips) : dnsNames(names));

/** certificatePolicies holding one policy identifier. */
export const policyExtension = (policy: string) => extension(OID.certificatePolicies, false, der.seq(der.seq(der.oid(policy))));

/** BR 7.1.2.10.6: subordinate CAs and leaves carry serverAuth and clientAuth. */
export const serverClientEku = () => extension(OID.extKeyUsage, false, der.seq(der.oid(OID.serverAuth), der.oid(OID.clientAuth)));

/** AIA caIssuers pointing at `${publicBaseUrl}/ca/${file}`, or null without a public base URL. */
export function caIssuersExtension(publicBaseUrl: string | null | undefined, file: string): Buffer | null {
  if (!publicBaseUrl) return null;
  // new URL() turns an IDN host into A-labels, so the IA5String stays ASCII.
  const base = new URL(publicBaseUrl).href.replace(/\/+$/, '');
  return extension(OID.authorityInfoAccess, false,
    der.seq(der.seq(der.oid(OID.caIssuers), der.tlv(0x86, Buffer.from(`${base}/ca/${file}`, 'latin1')))));
}

/** 128-bit positive serial: 16 random octets with the top bit set, behind a 00 sign octet. */
export function newSerial(random: (n: number) => Buffer): { der: Buffer; hex: string } {
  const r = Buffer.from(random(16));
  r[0] |= 0x80;
  return { der: der.tlv(der.Tag.INTEGER, Buffer.concat([Buffer.from([0]), r])), hex: r.toString('hex') };
}

/** DER Time drops milliseconds; keep the Date we report identical to what is encoded. */
export const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

export function addYears(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

// ---- assembling --------------------------------------------------------------------------

/** [0] EXPLICIT INTEGER 2: X.509 v3. */
export const V3 = Buffer.from('a003020102', 'hex');
/** Room for a SEQUENCE or BIT STRING header of up to 64 KiB of content. */
const HEADER_ROOM = 4;

/**
 * A Certificate from the TBSCertificate's content octets, in one buffer: the TBSCertificate is
 * written once, signed where it lies, and the signature appended behind it; nothing is concatenated.
 */
export function assembleCertificate(tbsParts: Buffer[], signer: Signer): Buffer {
  let tbsLen = 0;
  for (const b of tbsParts) tbsLen += b.length;
  const tbsSize = der.headerSize(tbsLen) + tbsLen;
  const buf = Buffer.allocUnsafe(HEADER_ROOM + tbsSize + signer.alg.length + HEADER_ROOM + 1 + signer.maxSignature);
  let p = der.writeHeader(buf, HEADER_ROOM, der.Tag.SEQUENCE, tbsLen);
  for (const b of tbsParts) p += b.copy(buf, p);
  const signature = signer.sign(buf.subarray(HEADER_ROOM, p));
  p += signer.alg.copy(buf, p);
  const contentLen = tbsSize + signer.alg.length + der.headerSize(signature.length + 1) + signature.length + 1;
  if (signature.length > signer.maxSignature || der.headerSize(contentLen) > HEADER_ROOM) {
    return der.seq(buf.subarray(HEADER_ROOM, p), der.bitString(signature));
  }
  p = der.writeHeader(buf, p, der.Tag.BIT_STRING, signature.length + 1);
  buf[p++] = 0;
  p += signature.copy(buf, p);
  const start = HEADER_ROOM - der.headerSize(contentLen);
  der.writeHeader(buf, start, der.Tag.SEQUENCE, contentLen);
  return buf.subarray(start, p);
}

export interface CertificateParams {
  serial: Buffer;
  issuerName: Buffer;
  subjectName: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Buffer[];
  signer: Signer;
}

export function buildCertificate(p: CertificateParams): Buffer {
  return assembleCertificate([
    V3,
    p.serial,
    p.signer.alg,
    p.issuerName,
    der.seq(der.time(p.notBefore), der.time(p.notAfter)),
    p.subjectName,
    p.spki,
    der.explicit(3, der.seq(...p.extensions)),
  ], p.signer);
}

/**
 * A CA certificate: a root (self-signed, no path length) or, with `issuerSki`, an issuing
 * intermediate (path length 0, the EKUs it may issue for, the root's key identifier).
 */
export function buildCaCertificate(p: Omit<CertificateParams, 'extensions' | 'serial'> & { issuerSki?: Buffer }): Buffer {
  const { issuerSki, ...params } = p;
  const ski = der.octets(keyIdentifier(p.spki));
  return buildCertificate({
    ...params,
    serial: newSerial(randomBytes).der,
    extensions: issuerSki
      ? [
          extension(OID.basicConstraints, true, der.seq(der.bool(true), der.uint(0))),
          extension(OID.keyUsage, true, KEY_USAGE.certSignCrlSign),
          serverClientEku(),
          extension(OID.subjectKeyIdentifier, false, ski),
          extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, issuerSki))),
        ]
      : [
          extension(OID.basicConstraints, true, der.seq(der.bool(true))),
          extension(OID.keyUsage, true, KEY_USAGE.certSignCrlSign),
          extension(OID.subjectKeyIdentifier, false, ski),
        ],
  });
}

// Reading a leaf's public key (SubjectPublicKeyInfo) as the certificate will carry it.
// createPublicKey costs more than signing the certificate (OpenSSL 3's decoder framework:
// ~0.15 ms a key), so the usual shapes (RSA, uncompressed P-256/P-384 points, in DER) are read
// here and checked in JavaScript; anything else goes through OpenSSL.
import { createPublicKey, KeyObject, type JsonWebKey } from 'node:crypto';
import { Fault } from '../domain/errors.js';
import * as der from './der.js';
import { shapeOf, spkiOf, type KeyShape } from './keys.js';
import { firstPemDer } from './pem.js';

export interface LeafKey {
  /** SubjectPublicKeyInfo, DER. */
  spki: Buffer;
  /** The subjectPublicKey BIT STRING's value, which the key identifier hashes. */
  keyBits: Buffer;
  shape: KeyShape;
  /** The JWK to verify a CSR's signature with (createPublicKey reads a JWK without the decoder), or the KeyObject OpenSSL read. */
  verifier: JsonWebKey | KeyObject;
}

interface Curve { name: string; jwk: string; size: number; p: bigint; b: bigint; spkiPrefix: Buffer }
/** SEC 2 / FIPS 186-4 short Weierstrass curves y² = x³ - 3x + b over GF(p). */
const CURVES: Curve[] = [
  {
    name: 'prime256v1',
    jwk: 'P-256',
    size: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (66 bytes) { 00 ...
    spkiPrefix: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
  },
  {
    name: 'secp384r1',
    jwk: 'P-384',
    size: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    spkiPrefix: Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex'),
  },
];
/** SEQUENCE { rsaEncryption, NULL }. */
const RSA_ALGORITHM = Buffer.from('300d06092a864886f70d0101010500', 'hex');

const bigint = (b: Buffer) => BigInt('0x' + b.toString('hex'));

/** RFC 5480 / SEC 1 3.2.2.1 for a prime-order curve: both coordinates in [0, p) and y² = x³ - 3x + b. */
function onCurve(curve: { p: bigint; b: bigint }, x: bigint, y: bigint): boolean {
  const { p } = curve;
  if (x < 0n || y < 0n || x >= p || y >= p) return false;
  return (y * y - ((x * x % p) * x - 3n * x + curve.b)) % p === 0n;
}

/** A DER INTEGER's content as an unsigned magnitude, or null unless it is positive and minimally encoded. */
function positiveInteger(content: Buffer): Buffer | null {
  if (content.length === 0 || content[0] & 0x80) return null;
  if (content[0] === 0) return content.length > 1 && content[1] & 0x80 ? content.subarray(1) : null;
  return content;
}

/** An RSA SubjectPublicKeyInfo in DER, or null when it is anything else or anything unusual. */
function readRsaSpki(spki: Buffer): LeafKey | null {
  try {
    const top = der.readNodeStrict(spki);
    if (top.tag !== der.Tag.SEQUENCE || top.end !== spki.length) return null;
    const alg = der.readNodeStrict(spki, top.contentStart);
    if (!der.raw(spki, alg).equals(RSA_ALGORITHM)) return null;
    const bits = der.readNodeStrict(spki, alg.end);
    if (bits.tag !== der.Tag.BIT_STRING || bits.end !== top.end || spki[bits.contentStart] !== 0) return null;
    const inner = der.readNodeStrict(spki, bits.contentStart + 1);
    if (inner.tag !== der.Tag.SEQUENCE || inner.end !== bits.end) return null;
    const nNode = der.readNodeStrict(spki, inner.contentStart);
    const eNode = nNode.tag === der.Tag.INTEGER ? der.readNodeStrict(spki, nNode.end) : null;
    if (!eNode || eNode.tag !== der.Tag.INTEGER || eNode.end !== inner.end) return null;
    const n = positiveInteger(der.content(spki, nNode));
    const e = positiveInteger(der.content(spki, eNode));
    if (!n || !e) return null;
    const modulusLength = (n.length - 1) * 8 + (32 - Math.clz32(n[0]));
    return {
      spki,
      keyBits: spki.subarray(bits.contentStart + 1, bits.end),
      shape: { type: 'rsa', modulusLength },
      verifier: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') },
    };
  } catch {
    return null;
  }
}

/** A P-256 or P-384 SubjectPublicKeyInfo with an uncompressed point, or null; throws when the point is off the curve. */
function readEcSpki(spki: Buffer): LeafKey | null {
  for (const c of CURVES) {
    const at = c.spkiPrefix.length;
    if (spki.length !== at + 1 + 2 * c.size || spki[at] !== 0x04 || spki.compare(c.spkiPrefix, 0, at, 0, at) !== 0) continue;
    const x = spki.subarray(at + 1, at + 1 + c.size);
    const y = spki.subarray(at + 1 + c.size);
    if (!onCurve(c, bigint(x), bigint(y))) throw new Error(`the point is not on ${c.jwk}`);
    return {
      spki,
      keyBits: spki.subarray(at),
      shape: { type: 'ec', namedCurve: c.name },
      verifier: { kty: 'EC', crv: c.jwk, x: x.toString('base64url'), y: y.toString('base64url') },
    };
  }
  return null;
}

/**
 * Any SubjectPublicKeyInfo, through OpenSSL; keeps the DER as given unless a P-256/P-384 point
 * is compressed, which is written uncompressed (RFC 5480 2.2: uncompressed MUST be supported,
 * compressed MAY; OpenSSL's own export would keep it compressed).
 */
function readSpkiWithOpenssl(spki: Buffer): LeafKey {
  if (der.readNode(spki).end !== spki.length) throw new Error('trailing data after the SubjectPublicKeyInfo');
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType === 'ec') {
    const [, bits] = der.children(spki, der.readNode(spki));
    const curve = CURVES.find((c) => c.name === key.asymmetricKeyDetails?.namedCurve);
    if (spki[bits.contentStart + 1] !== 0x04 && curve) {
      const jwk = key.export({ format: 'jwk' });
      const uncompressed = readEcSpki(Buffer.concat([curve.spkiPrefix, Buffer.from([0x04]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]));
      if (uncompressed) return uncompressed;
    }
  }
  const [, bits] = der.children(spki, der.readNode(spki));
  return { spki, keyBits: spki.subarray(bits.contentStart + 1, bits.end), shape: shapeOf(key), verifier: key };
}

/** A leaf key from its SubjectPublicKeyInfo (DER); throws a plain Error when it cannot be read. */
export function readSpki(spki: Buffer): LeafKey {
  return readEcSpki(spki) ?? readRsaSpki(spki) ?? readSpkiWithOpenssl(spki);
}

/** The KeyObject to verify a signature with. */
export const verifierKey = (leaf: LeafKey): KeyObject =>
  leaf.verifier instanceof KeyObject ? leaf.verifier : createPublicKey({ key: leaf.verifier, format: 'jwk' });

/** An SPKI ('PUBLIC KEY') or PKCS#1 ('RSA PUBLIC KEY') PEM. Private keys are refused. */
export function publicKeyFromPem(pem: string | undefined): LeafKey {
  if (!pem) throw new Fault('malformed', 'Either a CSR or a public key is required.');
  const block = firstPemDer(pem, ['PUBLIC KEY', 'RSA PUBLIC KEY']);
  if (!block) throw new Fault('malformed', 'publicKeyPem must hold a PEM PUBLIC KEY block.');
  try {
    if (block.label === 'PUBLIC KEY') return readSpki(block.der);
    const key = createPublicKey({ key: block.der, format: 'der', type: 'pkcs1' });
    return readSpkiWithOpenssl(spkiOf(key));
  } catch (e) {
    throw new Fault('malformed', `The public key cannot be parsed: ${(e as Error).message}`);
  }
}

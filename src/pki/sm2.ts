// SM2 keys and signatures (Chinese commercial cryptography, GM/T 0003 and 0009), signed
// SM2-with-SM3 (OID 1.2.156.10197.1.501).
//
// Signatures use the GM/T 0009-2012 default signer ID "1234567812345678", the one Tongsuo,
// GmSSL and Chinese CAs use. node:crypto cannot set the SM2 ID (its OpenSSL 3.0 uses an
// empty one; FACTS.md: X.509 and keys), so signing goes through sm-crypto, with a nonce
// drawn from node's CSPRNG and k·G computed by OpenSSL (see freshNoncePoint).
//
// OpenSSL 3.0 also verifies SM2 with the empty ID unless told otherwise: `openssl verify
// -vfyopt distid:1234567812345678` applies the ID to the target certificate only, so check a
// chain one link at a time (openssl/openssl#23471; see ca/sm2/sm2.test.ts).
import { createECDH, createPublicKey, randomBytes, ECDH } from 'node:crypto';
import { createRequire } from 'node:module';
import smCrypto from 'sm-crypto';
import { Fault } from '../domain/errors.js';
import * as der from './der.js';
import { describeKey } from './keys.js';
import { OID, SM2_CURVE_OID, SM2_SIGNATURE_OID } from './oids.js';
import { pemBlocks, pemDer } from './pem.js';
import { readCertificate } from './x509.js';

const { sm2 } = smCrypto;

/** GM/T 0009-2012 section 10: the signer ID to use when none was agreed. */
export const SM2_DEFAULT_ID = '1234567812345678';
export { SM2_CURVE_OID, SM2_SIGNATURE_OID };

/** AlgorithmIdentifier for SM2-with-SM3: no parameters (GM/T 0015-2012, as OpenSSL writes it). */
export const SM2_SIG_ALG = der.seq(der.oid(SM2_SIGNATURE_OID));

/** Order of the SM2 base point (GM/T 0003.5-2012). */
const SM2_N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

// sm-crypto's pointPool entries hold jsbn BigIntegers; take the class from the very copy of
// jsbn that sm-crypto loads (resolved from sm-crypto's own location), so its arithmetic accepts them.
const requireFromSmCrypto = createRequire(createRequire(import.meta.url).resolve('sm-crypto'));
const { BigInteger: JsbnBigInteger } = requireFromSmCrypto('jsbn') as { BigInteger: new (value: string, radix: number) => unknown };

// ---- keys ------------------------------------------------------------------------------

/** An SM2 key pair as raw values: private scalar d (32 octets), public point x||y (64 octets), and its SPKI. */
export interface Sm2Private {
  d: Buffer;
  xy: Buffer;
  spki: Buffer;
}

const spkiFromPoint = (point65: Buffer) =>
  der.seq(der.seq(der.oid(OID.ecPublicKey), der.oid(SM2_CURVE_OID)), der.bitString(point65));

const notSm2 = (what: string, desc: string) =>
  new Fault('notSm2', `${what} is ${desc}, not SM2: an SM2 certificate needs an SM2 key (curve ${SM2_CURVE_OID}).`);

/**
 * Checks that a SubjectPublicKeyInfo holds an SM2 key and returns it in canonical form
 * (uncompressed point, RFC 5480) with the raw point x||y. Non-SM2 keys are refused as
 * notSm2; malformed ones as malformed.
 */
export function sm2PublicKey(spkiDer: Buffer, what = 'The key'): { spki: Buffer; xy: Buffer } {
  let algOid: string, params: string | null, point: Buffer;
  try {
    const top = der.readNode(spkiDer);
    if (top.end !== spkiDer.length) throw new Error('trailing data after the SubjectPublicKeyInfo');
    const [alg, bits] = der.children(spkiDer, top);
    if (alg?.tag !== der.Tag.SEQUENCE || bits?.tag !== der.Tag.BIT_STRING) throw new Error('not a SubjectPublicKeyInfo');
    const [algId, param] = der.children(spkiDer, alg);
    algOid = der.decodeOid(der.content(spkiDer, algId));
    params = param?.tag === der.Tag.OID ? der.decodeOid(der.content(spkiDer, param)) : null;
    const bitContent = der.content(spkiDer, bits);
    if (bitContent[0] !== 0) throw new Error('public key BIT STRING has unused bits');
    point = bitContent.subarray(1);
  } catch (e) {
    throw new Fault('malformed', `${what} cannot be parsed: ${(e as Error).message}`);
  }
  if (algOid !== OID.ecPublicKey || params !== SM2_CURVE_OID) throw notSm2(what, describeKey(spkiDer));
  let uncompressed: Buffer;
  try {
    // OpenSSL decodes the point and refuses one that is not on the curve; the point at
    // infinity (a single 00) comes back as one octet and is refused below.
    uncompressed = ECDH.convertKey(point, 'SM2', undefined, undefined, 'uncompressed') as Buffer;
  } catch (e) {
    throw new Fault('malformed', `${what} is not a valid SM2 point: ${(e as Error).message}`);
  }
  if (uncompressed.length !== 65) {
    throw new Fault('malformed', `${what} is not a valid SM2 point.`);
  }
  return { spki: spkiFromPoint(uncompressed), xy: uncompressed.subarray(1) };
}

/** The canonical SPKI of an SM2 'PUBLIC KEY' PEM; other keys are refused. */
export function sm2PublicKeyFromPem(pem: string | undefined): Buffer {
  if (!pem) throw new Fault('malformed', 'Either a CSR or a public key is required.');
  const block = pemBlocks(pem).find((b) => b.label === 'PUBLIC KEY' || b.label === 'RSA PUBLIC KEY');
  if (!block) throw new Fault('malformed', 'publicKeyPem must hold a PEM PUBLIC KEY block.');
  if (block.label === 'RSA PUBLIC KEY') {
    throw new Fault('notSm2', 'The public key is RSA, not SM2: an SM2 certificate needs an SM2 key.');
  }
  return sm2PublicKey(block.der, 'The public key').spki;
}

/** The private scalar from an ECPrivateKey (RFC 5915), and the curve it names if any. */
function readEcPrivateKey(buf: Buffer): { d: Buffer; curve: string | null } {
  const [, dNode, ...rest] = der.children(buf, der.readNode(buf));
  if (dNode?.tag !== der.Tag.OCTET_STRING) throw new Error('not an ECPrivateKey');
  const params = rest.find((n) => n.tag === 0xa0);
  const inner = params ? der.children(buf, params)[0] : undefined;
  return { d: der.content(buf, dNode), curve: inner?.tag === der.Tag.OID ? der.decodeOid(der.content(buf, inner)) : null };
}

/** An SM2 private key from PKCS#8 ('PRIVATE KEY') or SEC1 ('EC PRIVATE KEY') PEM, unencrypted. */
export function sm2PrivateKey(pem: string, what = 'The private key'): Sm2Private {
  const block = pemBlocks(pem ?? '').find((b) => b.label === 'PRIVATE KEY' || b.label === 'EC PRIVATE KEY');
  if (!block) throw new Fault('malformed', `${what} must be an unencrypted PEM PRIVATE KEY or EC PRIVATE KEY block.`);
  let d: Buffer, curve: string | null, algOid = OID.ecPublicKey as string;
  try {
    if (block.label === 'EC PRIVATE KEY') ({ d, curve } = readEcPrivateKey(block.der));
    else {
      // PrivateKeyInfo: version, AlgorithmIdentifier { id-ecPublicKey, namedCurve }, OCTET STRING { ECPrivateKey }
      const [, alg, keyNode] = der.children(block.der, der.readNode(block.der));
      const [algId, param] = der.children(block.der, alg);
      algOid = der.decodeOid(der.content(block.der, algId));
      const ec = algOid === OID.ecPublicKey ? readEcPrivateKey(der.content(block.der, keyNode)) : null;
      d = ec?.d ?? Buffer.alloc(0);
      curve = param?.tag === der.Tag.OID ? der.decodeOid(der.content(block.der, param)) : ec?.curve ?? null;
    }
  } catch (e) {
    throw new Fault('malformed', `${what} cannot be parsed: ${(e as Error).message}`);
  }
  if (algOid !== OID.ecPublicKey || curve !== SM2_CURVE_OID) {
    let desc = 'not SM2';
    try {
      desc = `${describeKey(createPublicKey(pem).export({ type: 'spki', format: 'der' }) as Buffer)}, not SM2`;
    } catch { /* keep the generic text */ }
    throw new Fault('notSm2', `${what} is ${desc}: an SM2 certificate needs an SM2 key (curve ${SM2_CURVE_OID}).`);
  }
  if (d.length > 32) throw new Fault('malformed', `${what} has an oversized private scalar.`);
  const d32 = Buffer.concat([Buffer.alloc(32 - d.length), d]);
  let point: Buffer;
  try {
    const ecdh = createECDH('SM2');
    ecdh.setPrivateKey(d32); // refuses 0 and values >= n
    point = ecdh.getPublicKey();
  } catch (e) {
    throw new Fault('malformed', `${what} is not a valid SM2 key: ${(e as Error).message}`);
  }
  return { d: d32, xy: point.subarray(1), spki: spkiFromPoint(point) };
}

/** True when the PEM private key is on the SM2 curve (and so is signed through sm2Sign). */
export function isSm2PrivateKey(pem: string): boolean {
  try {
    sm2PrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

// ---- signing and verifying ---------------------------------------------------------------

/**
 * A signing nonce k, uniform in [1, n-1] from node's CSPRNG, with the x-coordinate of k·G
 * computed by OpenSSL. sm-crypto would otherwise draw k from an RC4 keystream seeded once per
 * process and multiply with jsbn, whose running time depends on k (the Minerva class of leaks).
 */
function freshNoncePoint() {
  for (;;) {
    const k = randomBytes(32);
    const kv = BigInt(`0x${k.toString('hex')}`);
    if (kv === 0n || kv >= SM2_N) continue; // rejection sampling: no modular bias
    const ecdh = createECDH('SM2');
    ecdh.setPrivateKey(k);
    const point = ecdh.getPublicKey();
    const kHex = k.toString('hex');
    return {
      privateKey: kHex,
      publicKey: point.toString('hex'),
      k: new JsbnBigInteger(kHex, 16),
      x1: new JsbnBigInteger(point.subarray(1, 33).toString('hex'), 16),
    };
  }
}

type KeyPairPoint = NonNullable<NonNullable<Parameters<typeof sm2.doSignature>[2]>['pointPool']>[number];

/** SM2 signature (DER SEQUENCE { r, s }) over SM3(Z_A || message), Z_A computed with `id`. */
export function sm2Sign(message: Buffer, key: Sm2Private, id = SM2_DEFAULT_ID): Buffer {
  // Two points: sm-crypto takes another when r = 0 or r + k = n (probability ~2^-255).
  const pointPool = [freshNoncePoint(), freshNoncePoint()] as unknown as KeyPairPoint[];
  const hex = sm2.doSignature(Array.from(message), key.d.toString('hex'), {
    hash: true,
    der: true,
    publicKey: key.xy.toString('hex'), // 128 hex digits: x||y, which sm-crypto hashes into Z_A as is
    userId: id,
    pointPool,
  });
  return Buffer.from(hex, 'hex');
}

/**
 * Verifies an SM2-with-SM3 signature (DER) over `message`. `publicKey` is an SPKI (DER) or a
 * raw uncompressed point (04||x||y); `id` is the signer ID the signature was made with.
 */
export function verifySm2Signature(message: Buffer, signature: Buffer, publicKey: Buffer, id = SM2_DEFAULT_ID): boolean {
  let xy: Buffer;
  try {
    xy = publicKey[0] === 0x04 && publicKey.length === 65 ? publicKey.subarray(1) : sm2PublicKey(publicKey).xy;
  } catch {
    return false;
  }
  return sm2.doVerifySignature(Array.from(message), signature.toString('hex'), `04${xy.toString('hex')}`, { der: true, hash: true, userId: id });
}

/** True when `certPem`'s signature is SM2-with-SM3 by `issuerCertPem`'s key, with signer ID `id`. */
export function verifySm2Certificate(certPem: string, issuerCertPem: string, id = SM2_DEFAULT_ID): boolean {
  try {
    const cert = readCertificate(pemDer(certPem, 'CERTIFICATE'));
    const issuer = readCertificate(pemDer(issuerCertPem, 'CERTIFICATE'));
    return cert.sigAlgOid === SM2_SIGNATURE_OID && verifySm2Signature(cert.tbs, cert.signature, issuer.spki, id);
  } catch {
    return false;
  }
}

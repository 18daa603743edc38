// Key pairs: generating them (RSA, ECDSA, SM2), telling what a public key is, and the key
// identifiers certificates carry. Keys go in and out as PEM (PKCS#8 private, SPKI public).
import { createHash, createPublicKey, generateKeyPair as generateKeyPairCb, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Fault } from '../domain/errors.js';
import * as der from './der.js';

/** The key algorithms certport issues for, as the API names them. */
export type KeyAlgorithm = 'RSA' | 'ECC' | 'SM2';
/** The RSA and ECDSA keys the embedded CA signs (each has its own issuing intermediate). */
export type KeyKind = 'RSA' | 'ECC';

export interface KeyPairPem { privateKeyPem: string; publicKeyPem: string }

/** What kindOf needs to know about a key: KeyObject's asymmetricKeyType and details. */
export interface KeyShape {
  type: string | undefined;
  modulusLength?: number;
  namedCurve?: string;
}

export const shapeOf = (pub: KeyObject): KeyShape => ({
  type: pub.asymmetricKeyType,
  modulusLength: pub.asymmetricKeyDetails?.modulusLength,
  namedCurve: pub.asymmetricKeyDetails?.namedCurve,
});

/** Which kind of key this is; refuses keys a public CA would refuse. */
export function kindOf(k: KeyShape): KeyKind {
  if (k.type === 'rsa') {
    const bits = k.modulusLength ?? 0;
    if (bits < 2048 || bits > 8192 || bits % 8 !== 0) {
      throw new Fault('malformed', `RSA keys must be 2048 to 8192 bits (a multiple of 8); this one has ${bits}.`);
    }
    return 'RSA';
  }
  if (k.type === 'ec') {
    if (k.namedCurve === 'prime256v1' || k.namedCurve === 'secp384r1') return 'ECC';
    throw new Fault('malformed', `EC keys must be on P-256 or P-384; this one is on ${k.namedCurve ?? 'an unknown curve'}.`);
  }
  throw new Fault('malformed', `Key type ${k.type ?? 'unknown'} is not supported; use RSA or ECC.`);
}

/** Which intermediate signs this leaf key; throws for keys a public CA would refuse. */
export function leafKeyKind(pub: KeyObject): KeyKind {
  return kindOf(shapeOf(pub));
}

/** The SubjectPublicKeyInfo (DER) of a public or private key. */
export const spkiOf = (key: KeyObject) => (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' }) as Buffer;

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
export function keyIdentifier(spki: Buffer): Buffer {
  const [, bits] = der.children(spki, der.readNode(spki));
  return createHash('sha1').update(spki.subarray(bits.contentStart + 1, bits.end)).digest();
}

/** Describes a key for an error message ("RSA 2048", "EC prime256v1"). */
export function describeKey(spki: Buffer): string {
  try {
    const k = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const d = k.asymmetricKeyDetails;
    if (k.asymmetricKeyType === 'rsa') return `RSA ${d?.modulusLength ?? ''}`.trim();
    if (k.asymmetricKeyType === 'ec') return `EC ${d?.namedCurve ?? ''}`.trim();
    return k.asymmetricKeyType?.toUpperCase() ?? 'of an unknown type';
  } catch {
    return 'of an unknown type';
  }
}

// ---- generating ---------------------------------------------------------------------------

const RSA_SIZES = new Set(['2048', '3072', '4096']);
const EC_CURVES: Record<string, string> = { prime256v1: 'prime256v1', 'p-256': 'prime256v1', secp384r1: 'secp384r1', 'p-384': 'secp384r1' };

type KeyGenParams = ['rsa', { modulusLength: number; publicExponent: number }] | ['ec', { namedCurve: string }];

function keyGenParams(algo: KeyAlgorithm, param?: string): KeyGenParams {
  if (algo === 'RSA') {
    const size = param ?? '2048';
    if (!RSA_SIZES.has(size)) throw new Fault('invalidValue', `RSA key size ${JSON.stringify(size)} is not supported (2048, 3072 or 4096).`);
    return ['rsa', { modulusLength: Number(size), publicExponent: 65537 }];
  }
  if (algo === 'ECC') {
    const name = (param ?? 'prime256v1').toLowerCase();
    // Own names only: `constructor` is no curve.
    const curve = Object.hasOwn(EC_CURVES, name) ? EC_CURVES[name] : undefined;
    if (!curve) throw new Fault('invalidValue', `EC curve ${JSON.stringify(param)} is not supported (prime256v1 or secp384r1).`);
    return ['ec', { namedCurve: curve }];
  }
  // id-ecPublicKey on curve 1.2.156.10197.1.301, which OpenSSL reads as SM2; one curve, no parameter.
  if (algo === 'SM2') return ['ec', { namedCurve: 'SM2' }];
  throw new Fault('invalidValue', `Key algorithm ${JSON.stringify(algo)} is not supported (RSA or ECC).`);
}

const pemPair = (k: { privateKey: KeyObject; publicKey: KeyObject }): KeyPairPem => ({
  privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});

const generateKeyPairAsyncCb = promisify(generateKeyPairCb);

/** A new key pair as PKCS#8 / SPKI PEM. Blocks the thread (RSA-4096: about a second); prefer generateKeyPairAsync in servers. */
export function generateKeyPair(algo: KeyAlgorithm, param?: string): KeyPairPem {
  const [type, options] = keyGenParams(algo, param);
  return pemPair(type === 'rsa' ? generateKeyPairSync('rsa', options) : generateKeyPairSync('ec', options));
}

/** generateKeyPair on libuv's thread pool. */
export async function generateKeyPairAsync(algo: KeyAlgorithm, param?: string): Promise<KeyPairPem> {
  const [type, options] = keyGenParams(algo, param);
  return pemPair(type === 'rsa' ? await generateKeyPairAsyncCb('rsa', options) : await generateKeyPairAsyncCb('ec', options));
}

/** A new SM2 key pair: PKCS#8 and SPKI PEM (id-ecPublicKey on curve 1.2.156.10197.1.301), which OpenSSL reads as SM2. */
export const generateSm2KeyPair = (): KeyPairPem => generateKeyPair('SM2');

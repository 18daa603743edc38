// The embedded CA's SM2 side (Chinese commercial cryptography, GM/T): an SM2 root, an SM2
// issuing intermediate, and SM2 leaf certificates (signing and encryption certificates of
// the GM "double certificate" pair), all signed SM2-with-SM3 (OID 1.2.156.10197.1.501).
//
// Signatures use the GM/T 0009-2012 default signer ID "1234567812345678", the one Tongsuo,
// GmSSL and Chinese CAs use. node:crypto cannot set the SM2 ID (its OpenSSL 3.0 uses an
// empty one; FACTS.md: X.509 and keys), so signing goes through sm-crypto, with a nonce
// drawn from node's CSPRNG and k·G computed by OpenSSL (see freshNoncePoint).
//
// OpenSSL 3.0 also verifies SM2 with the empty ID unless told otherwise: `openssl verify
// -vfyopt distid:1234567812345678` applies the ID to the target certificate only, so check a
// chain one link at a time (openssl/openssl#23471; see sm2.test.ts).
//
// Certificates are DER built by hand with ./der.ts, like ./embedded.ts, whose helpers
// (validity, serials, names) are reused so both CAs follow the same policy.
import { createECDH, createPublicKey, generateKeyPair as generateKeyPairCb, generateKeyPairSync, randomBytes, ECDH, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import smCrypto from 'sm-crypto';
import { ServiceError } from '../domain/errors.js';
import { pemBlocks, toPem } from '../pki/certificate.js';
import * as der from '../pki/der.js';
import {
  MAX_VALIDITY_DAYS,
  addYears,
  checkedDomains,
  decodeTime,
  extension,
  keyIdentifier,
  newSerial,
  pemDer,
  wholeSeconds,
  type EmbeddedIssuerOptions,
} from './embedded.js';
import type { IssuedCertificate, Issuer, IssueRequest } from './issuer.js';

const { sm2 } = smCrypto;

/** GM/T 0009-2012 section 10: the signer ID to use when none was agreed. */
export const SM2_DEFAULT_ID = '1234567812345678';
export const SM2_SIGNATURE_OID = '1.2.156.10197.1.501'; // SM2-with-SM3
export const SM2_CURVE_OID = '1.2.156.10197.1.301';
/** File names under `${publicBaseUrl}/ca/` (DER, application/pkix-cert), like embedded.ts's. */
export const SM2_INTERMEDIATE_FILE = 'sm2-intermediate.der';
export const SM2_ROOT_FILE = 'sm2-root.der';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  domainValidated: '2.23.140.1.2.1',
  extensionRequest: '1.2.840.113549.1.9.14',
} as const;

/** AlgorithmIdentifier for SM2-with-SM3: no parameters (GM/T 0015-2012, as OpenSSL writes it). */
const SM2_SIG_ALG = der.seq(der.oid(SM2_SIGNATURE_OID));

// KeyUsage BIT STRINGs (RFC 5280 4.2.1.3), trailing zero bits removed as DER requires.
/** digitalSignature + nonRepudiation: the signing certificate of a GM double-certificate pair. */
const KU_SIGN = Buffer.from('030206c0', 'hex');
/** keyEncipherment + dataEncipherment + keyAgreement: the encryption certificate. */
const KU_ENCRYPT = Buffer.from('03020338', 'hex');
const KU_CERT_SIGN_CRL_SIGN = Buffer.from('03020106', 'hex');

/** Order of the SM2 base point (GM/T 0003.5-2012). */
const SM2_N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

// sm-crypto's pointPool entries hold jsbn BigIntegers; take the class from the very copy of
// jsbn that sm-crypto loads (resolved from sm-crypto's own location), so its arithmetic accepts them.
const requireFromSmCrypto = createRequire(createRequire(import.meta.url).resolve('sm-crypto'));
const { BigInteger: JsbnBigInteger } = requireFromSmCrypto('jsbn') as { BigInteger: new (value: string, radix: number) => unknown };

// ---- keys ------------------------------------------------------------------------------

/** An SM2 key pair as raw values: private scalar d (32 octets) and public point x||y (64 octets). */
interface Sm2Private {
  d: Buffer;
  xy: Buffer;
  spki: Buffer;
}

const spkiFromPoint = (point65: Buffer) =>
  der.seq(der.seq(der.oid(OID.ecPublicKey), der.oid(SM2_CURVE_OID)), der.bitString(point65));

/** A new SM2 key pair: PKCS#8 and SPKI PEM (id-ecPublicKey on curve 1.2.156.10197.1.301), which OpenSSL reads as SM2. */
export function generateSm2KeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const k = generateKeyPairSync('ec', { namedCurve: 'SM2' });
  return {
    privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Describes a non-SM2 key for an error message ("RSA 2048", "EC prime256v1"). */
function describeKey(spki: Buffer): string {
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

const notSm2 = (what: string, spki: Buffer) =>
  new ServiceError('FailedOperation.CertificateEncryptInvalid', `${what} is ${describeKey(spki)}, not SM2: an SM2 certificate needs an SM2 key (curve ${SM2_CURVE_OID}).`);

/**
 * Checks that a SubjectPublicKeyInfo holds an SM2 key and returns it in canonical form
 * (uncompressed point, RFC 5480) with the raw point x||y. Non-SM2 keys are refused with
 * FailedOperation.CertificateEncryptInvalid; malformed ones with InvalidParameter.
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
    throw new ServiceError('InvalidParameter', `${what} cannot be parsed: ${(e as Error).message}`);
  }
  if (algOid !== OID.ecPublicKey || params !== SM2_CURVE_OID) throw notSm2(what, spkiDer);
  let uncompressed: Buffer;
  try {
    // OpenSSL decodes the point and refuses one that is not on the curve; the point at
    // infinity (a single 00) comes back as one octet and is refused below.
    uncompressed = ECDH.convertKey(point, 'SM2', undefined, undefined, 'uncompressed') as Buffer;
  } catch (e) {
    throw new ServiceError('InvalidParameter', `${what} is not a valid SM2 point: ${(e as Error).message}`);
  }
  if (uncompressed.length !== 65) {
    throw new ServiceError('InvalidParameter', `${what} is not a valid SM2 point.`);
  }
  return { spki: spkiFromPoint(uncompressed), xy: uncompressed.subarray(1) };
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
function sm2PrivateKey(pem: string, what = 'The private key'): Sm2Private {
  const block = pemBlocks(pem ?? '').find((b) => b.label === 'PRIVATE KEY' || b.label === 'EC PRIVATE KEY');
  if (!block) throw new ServiceError('InvalidParameter', `${what} must be an unencrypted PEM PRIVATE KEY or EC PRIVATE KEY block.`);
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
    throw new ServiceError('InvalidParameter', `${what} cannot be parsed: ${(e as Error).message}`);
  }
  if (algOid !== OID.ecPublicKey || curve !== SM2_CURVE_OID) {
    let desc = 'not SM2';
    try {
      desc = `${describeKey(createPublicKey(pem).export({ type: 'spki', format: 'der' }) as Buffer)}, not SM2`;
    } catch { /* keep the generic text */ }
    throw new ServiceError('FailedOperation.CertificateEncryptInvalid', `${what} is ${desc}: an SM2 certificate needs an SM2 key (curve ${SM2_CURVE_OID}).`);
  }
  if (d.length > 32) throw new ServiceError('InvalidParameter', `${what} has an oversized private scalar.`);
  const d32 = Buffer.concat([Buffer.alloc(32 - d.length), d]);
  let point: Buffer;
  try {
    const ecdh = createECDH('SM2');
    ecdh.setPrivateKey(d32); // refuses 0 and values >= n
    point = ecdh.getPublicKey();
  } catch (e) {
    throw new ServiceError('InvalidParameter', `${what} is not a valid SM2 key: ${(e as Error).message}`);
  }
  return { d: d32, xy: point.subarray(1), spki: spkiFromPoint(point) };
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
function sm2Sign(message: Buffer, key: Sm2Private, id = SM2_DEFAULT_ID): Buffer {
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

// ---- certificates ------------------------------------------------------------------------

interface CertFields {
  tbs: Buffer;
  sigAlgOid: string;
  signature: Buffer;
  issuerName: Buffer;
  subjectName: Buffer;
  notAfter: Date;
  spki: Buffer;
  ski: Buffer | null;
}

function readCertificate(cert: Buffer): CertFields {
  const top = der.readNode(cert);
  if (top.end !== cert.length) throw new Error('trailing data after the certificate');
  const [tbsNode, algNode, sigNode] = der.children(cert, top);
  const tbs = der.children(cert, tbsNode);
  const f = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs; // serial, sigAlg, issuer, validity, subject, spki, ...
  let ski: Buffer | null = null;
  const exts = f.find((n) => n.tag === 0xa3);
  if (exts) {
    for (const ext of der.children(cert, der.children(cert, exts)[0])) {
      const parts = der.children(cert, ext);
      if (der.decodeOid(der.content(cert, parts[0])) === OID.subjectKeyIdentifier) {
        const inner = der.content(cert, parts[parts.length - 1]);
        ski = Buffer.from(der.content(inner, der.readNode(inner)));
      }
    }
  }
  return {
    tbs: der.raw(cert, tbsNode),
    sigAlgOid: der.decodeOid(der.content(cert, der.children(cert, algNode)[0])),
    signature: der.content(cert, sigNode).subarray(1),
    issuerName: Buffer.from(der.raw(cert, f[2])),
    subjectName: Buffer.from(der.raw(cert, f[4])),
    notAfter: decodeTime(cert, der.children(cert, f[3])[1]),
    spki: Buffer.from(der.raw(cert, f[5])),
    ski,
  };
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

function buildSm2Certificate(p: {
  serial: Buffer;
  issuerName: Buffer;
  subjectName: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Buffer[];
  signer: Sm2Private;
}): Buffer {
  const tbs = der.seq(
    der.explicit(0, der.uint(2)), // v3
    p.serial,
    SM2_SIG_ALG,
    p.issuerName,
    der.seq(der.time(p.notBefore), der.time(p.notAfter)),
    p.subjectName,
    p.spki,
    der.explicit(3, der.seq(...p.extensions)),
  );
  return der.seq(tbs, SM2_SIG_ALG, der.bitString(sm2Sign(tbs, p.signer)));
}

// ---- names ---------------------------------------------------------------------------------

/** Subject fields of an SM2 CSR. Encoded in the order C, ST, L, O, OU, CN (FACTS.md). */
export interface Sm2CsrSubject {
  country?: string;
  province?: string;
  locality?: string;
  organization?: string;
  organizationalUnit?: string;
  /** Defaults to the first domain when it fits in 64 characters; null leaves CN out. */
  commonName?: string | null;
}

/** A Name from (type, value) pairs; countryName is a PrintableString (RFC 5280 appendix A), the rest UTF8String. */
function encodeName(attrs: [string, string][]): Buffer {
  return der.seq(...attrs.map(([type, value]) =>
    der.set(der.seq(der.oid(type), type === OID.countryName ? der.printable(value) : der.utf8(value)))));
}

function subjectAttrs(s: Sm2CsrSubject, domains: string[]): [string, string][] {
  // RFC 5280 upper bounds: ub-state-name and ub-locality-name 128, the others 64.
  const field = (label: string, v: string | undefined, max: number): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '' || [...v].length > max) {
      throw new ServiceError('InvalidParameterValue', `Subject ${label} must be 1 to ${max} characters.`);
    }
    return v.trim();
  };
  const country = s.country === undefined ? undefined : String(s.country).toUpperCase();
  if (country !== undefined && !/^[A-Z]{2}$/.test(country)) throw new ServiceError('InvalidParameterValue', 'Subject country must be a two-letter ISO 3166 code.');
  const cn = s.commonName === null ? undefined : field('commonName', s.commonName ?? (domains[0].length <= 64 ? domains[0] : undefined), 64);
  const out: [string, string | undefined][] = [
    [OID.countryName, country],
    [OID.stateOrProvinceName, field('province', s.province, 128)],
    [OID.localityName, field('locality', s.locality, 128)],
    [OID.organizationName, field('organization', s.organization, 64)],
    [OID.organizationalUnitName, field('organizationalUnit', s.organizationalUnit, 64)],
    [OID.commonName, cn],
  ];
  return out.filter((a): a is [string, string] => a[1] !== undefined);
}

function decodeDirectoryString(buf: Buffer, n: der.Node): string {
  const c = der.content(buf, n);
  if (n.tag === 0x1e) return Buffer.from(c).swap16().toString('utf16le'); // BMPString
  return c.toString(n.tag === der.Tag.UTF8_STRING ? 'utf8' : 'latin1');
}

function commonNameOf(buf: Buffer, nameNode: der.Node): string | null {
  for (const rdn of der.children(buf, nameNode)) {
    for (const atv of der.children(buf, rdn)) {
      const [type, value] = der.children(buf, atv);
      if (der.decodeOid(der.content(buf, type)) === OID.commonName) return decodeDirectoryString(buf, value);
    }
  }
  return null;
}

const sanExtension = (names: string[], critical: boolean) =>
  extension(OID.subjectAltName, critical, der.seq(...names.map((d) => der.tlv(0x82, Buffer.from(d, 'latin1')))));

// ---- CSRs -------------------------------------------------------------------------------------

/**
 * A PKCS#10 CSR (PEM) for an SM2 key, signed SM2-with-SM3 with the GM/T 0009 default signer
 * ID: subject CN = first domain (when it fits) unless `subject` says otherwise, SAN = all
 * domains. OpenSSL 3.0 checks it with `openssl req -verify -vfyopt distid:1234567812345678`.
 */
export function buildSm2Csr(privateKeyPem: string, domains: string[], subject: Sm2CsrSubject = {}): string {
  const names = checkedDomains(domains);
  const key = sm2PrivateKey(privateKeyPem);
  const cri = der.seq(
    der.uint(0),
    encodeName(subjectAttrs(subject, names)),
    key.spki,
    der.tlv(0xa0, der.seq(der.oid(OID.extensionRequest), der.set(der.seq(sanExtension(names, false))))),
  );
  return toPem('CERTIFICATE REQUEST', der.seq(cri, SM2_SIG_ALG, der.bitString(sm2Sign(cri, key))));
}

export interface Sm2CsrInfo {
  /** The CSR's SubjectPublicKeyInfo (DER), canonical (uncompressed point). */
  spki: Buffer;
  /** Subject CN (if any) then SAN dNSNames, lower-cased, without duplicates. Not yet validated. */
  domains: string[];
  commonName: string | null;
  /** The signer ID the self-signature verified with: the GM/T 0009 default, or '' (OpenSSL 3.0 without -sigopt distid). */
  signerId: string;
}

/**
 * Reads an SM2 PKCS#10 CSR and checks its self-signature (SM2-with-SM3). The GM/T 0009
 * default signer ID is tried first, then the empty ID that OpenSSL 3.0 uses when `openssl req`
 * is not given `-sigopt distid:…`: either proves possession of the key equally well.
 * CSRs for RSA/ECDSA keys are refused with FailedOperation.CertificateEncryptInvalid.
 */
export function verifySm2Csr(csrPem: string): Sm2CsrInfo {
  const csr = pemBlocks(csrPem ?? '').find((b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST')?.der;
  if (!csr) throw new ServiceError('InvalidParameter', 'The CSR must be PEM (-----BEGIN CERTIFICATE REQUEST-----).');
  let cri: Buffer, spkiRaw: Buffer, algOid: string, signature: Buffer, commonName: string | null;
  const sans: string[] = [];
  try {
    const top = der.readNode(csr);
    if (top.end !== csr.length) throw new Error('trailing data');
    const [criNode, algNode, sigNode] = der.children(csr, top);
    cri = der.raw(csr, criNode);
    const [, nameNode, spkiNode, attrs] = der.children(csr, criNode);
    spkiRaw = Buffer.from(der.raw(csr, spkiNode));
    commonName = commonNameOf(csr, nameNode);
    algOid = der.decodeOid(der.content(csr, der.children(csr, algNode)[0]));
    if (sigNode.tag !== der.Tag.BIT_STRING || csr[sigNode.contentStart] !== 0) throw new Error('bad signature BIT STRING');
    signature = der.content(csr, sigNode).subarray(1);
    for (const attr of attrs?.tag === 0xa0 ? der.children(csr, attrs) : []) {
      const [type, values] = der.children(csr, attr);
      if (der.decodeOid(der.content(csr, type)) !== OID.extensionRequest) continue;
      for (const ext of der.children(csr, der.children(csr, values)[0])) {
        const parts = der.children(csr, ext);
        if (der.decodeOid(der.content(csr, parts[0])) !== OID.subjectAltName) continue;
        const value = der.content(csr, parts[parts.length - 1]);
        for (const gn of der.children(value, der.readNode(value))) {
          if (gn.tag === 0x82) sans.push(der.content(value, gn).toString('latin1'));
        }
      }
    }
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The CSR cannot be parsed: ${(e as Error).message}`);
  }
  const key = sm2PublicKey(spkiRaw, "The CSR's public key");
  if (algOid !== SM2_SIGNATURE_OID) {
    throw new ServiceError('InvalidParameter', `The CSR is signed with ${algOid}; an SM2 CSR must be signed SM2-with-SM3 (${SM2_SIGNATURE_OID}).`);
  }
  const point = Buffer.concat([Buffer.from([4]), key.xy]);
  const signerId = [SM2_DEFAULT_ID, ''].find((id) => verifySm2Signature(cri, signature, point, id));
  if (signerId === undefined) {
    throw new ServiceError('InvalidParameter', 'The CSR signature does not verify: it was altered or not signed by its own key.');
  }
  const domains: string[] = [];
  for (const d of [...(commonName === null ? [] : [commonName]), ...sans].map((s) => s.toLowerCase())) {
    if (!domains.includes(d)) domains.push(d);
  }
  return { spki: key.spki, domains, commonName, signerId };
}

// ---- CA material -----------------------------------------------------------------------------

export interface Sm2CaMaterial {
  rootCertPem: string;
  rootKeyPem: string;
  intermediateCertPem: string;
  intermediateKeyPem: string;
}

/** Everything to publish under `${publicBaseUrl}/ca/` for the SM2 chain (DER, application/pkix-cert). */
export function sm2CaPublicFiles(m: Sm2CaMaterial): { name: string; contentType: string; body: Buffer }[] {
  const file = (name: string, pem: string) => ({ name, contentType: 'application/pkix-cert', body: pemDer(pem, 'CERTIFICATE') });
  return [file(SM2_INTERMEDIATE_FILE, m.intermediateCertPem), file(SM2_ROOT_FILE, m.rootCertPem)];
}

const generateKeyPairAsync = promisify(generateKeyPairCb);

/**
 * A fresh SM2 root (10 years) and SM2 issuing intermediate (5 years, pathlen 0), both signed
 * SM2-with-SM3 with the GM/T 0009 default ID. Private keys are PKCS#8 PEM, unencrypted: seal
 * them before storing.
 */
export async function createSm2CaMaterial(opts: { name?: string; now?: Date } = {}): Promise<Sm2CaMaterial> {
  const org = opts.name ?? 'certport';
  const now = opts.now ?? new Date();
  const [rootKeys, interKeys] = await Promise.all([
    generateKeyPairAsync('ec', { namedCurve: 'SM2' }),
    generateKeyPairAsync('ec', { namedCurve: 'SM2' }),
  ]);
  const keyPem = (k: { privateKey: KeyObject }) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const rootKeyPem = keyPem(rootKeys);
  const interKeyPem = keyPem(interKeys);
  const root = sm2PrivateKey(rootKeyPem);
  const inter = sm2PrivateKey(interKeyPem);

  const notBefore = wholeSeconds(now.getTime() - MINUTE_MS);
  const rootName = encodeName([[OID.organizationName, org], [OID.commonName, `${org} SM2 Root CA`]]);
  const rootSki = keyIdentifier(root.spki);
  const rootDer = buildSm2Certificate({
    serial: newSerial(randomBytes).der,
    issuerName: rootName,
    subjectName: rootName,
    notBefore,
    notAfter: addYears(notBefore, 10),
    spki: root.spki,
    signer: root,
    extensions: [
      extension(OID.basicConstraints, true, der.seq(der.bool(true))),
      extension(OID.keyUsage, true, KU_CERT_SIGN_CRL_SIGN),
      extension(OID.subjectKeyIdentifier, false, der.octets(rootSki)),
    ],
  });
  const interDer = buildSm2Certificate({
    serial: newSerial(randomBytes).der,
    issuerName: rootName,
    subjectName: encodeName([[OID.organizationName, org], [OID.commonName, `${org} SM2 Issuing CA`]]),
    notBefore,
    notAfter: addYears(notBefore, 5),
    spki: inter.spki,
    signer: root,
    extensions: [
      extension(OID.basicConstraints, true, der.seq(der.bool(true), der.uint(0))),
      extension(OID.keyUsage, true, KU_CERT_SIGN_CRL_SIGN),
      extension(OID.extKeyUsage, false, der.seq(der.oid(OID.serverAuth), der.oid(OID.clientAuth))),
      extension(OID.subjectKeyIdentifier, false, der.octets(keyIdentifier(inter.spki))),
      extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, rootSki))),
    ],
  });
  return {
    rootCertPem: toPem('CERTIFICATE', rootDer),
    rootKeyPem,
    intermediateCertPem: toPem('CERTIFICATE', interDer),
    intermediateKeyPem: interKeyPem,
  };
}

// ---- issuing --------------------------------------------------------------------------------------

/** 'sign': the signing certificate of a GM double-certificate pair (the default); 'encrypt': its encryption certificate. */
export type Sm2Usage = 'sign' | 'encrypt';

export interface Sm2IssueRequest extends IssueRequest {
  usage?: Sm2Usage;
}

export class Sm2Issuer implements Issuer {
  readonly name = 'embedded-sm2';
  readonly #rootPem: string;
  readonly #intermediatePem: string;
  readonly #subjectName: Buffer;
  readonly #ski: Buffer;
  readonly #notAfter: Date;
  readonly #key: Sm2Private;
  readonly #aia: Buffer | null;
  readonly #clock: () => number;
  readonly #random: (bytes: number) => Buffer;
  readonly #policies = extension(OID.certificatePolicies, false, der.seq(der.seq(der.oid(OID.domainValidated))));
  readonly #eku = extension(OID.extKeyUsage, false, der.seq(der.oid(OID.serverAuth), der.oid(OID.clientAuth)));
  readonly #leafBasicConstraints = extension(OID.basicConstraints, true, der.seq());

  constructor(material: Sm2CaMaterial, opts: EmbeddedIssuerOptions = {}) {
    this.#rootPem = toPem('CERTIFICATE', pemDer(material.rootCertPem, 'CERTIFICATE'));
    this.#intermediatePem = toPem('CERTIFICATE', pemDer(material.intermediateCertPem, 'CERTIFICATE'));
    let cert: CertFields;
    try {
      cert = readCertificate(pemDer(this.#intermediatePem, 'CERTIFICATE'));
    } catch (e) {
      throw new ServiceError('InvalidParameter', `The SM2 intermediate cannot be parsed: ${(e as Error).message}`);
    }
    const spki = sm2PublicKey(cert.spki, 'The SM2 intermediate key');
    this.#key = sm2PrivateKey(material.intermediateKeyPem, 'The SM2 intermediate private key');
    if (!this.#key.xy.equals(spki.xy)) throw new ServiceError('FailedOperation.CertificateMismatch', "The SM2 intermediate's private key does not match its certificate.");
    if (!verifySm2Certificate(this.#intermediatePem, this.#rootPem)) {
      throw new ServiceError('FailedOperation.CertificateMismatch', 'The SM2 intermediate is not signed by the SM2 root (SM2-with-SM3, ID 1234567812345678).');
    }
    this.#subjectName = cert.subjectName;
    this.#ski = cert.ski ?? keyIdentifier(spki.spki);
    this.#notAfter = cert.notAfter;
    // new URL() turns an IDN host into A-labels, so the IA5String stays ASCII.
    const base = opts.publicBaseUrl ? new URL(opts.publicBaseUrl).href.replace(/\/+$/, '') : null;
    this.#aia = base
      ? extension(OID.authorityInfoAccess, false,
          der.seq(der.seq(der.oid(OID.caIssuers), der.tlv(0x86, Buffer.from(`${base}/ca/${SM2_INTERMEDIATE_FILE}`, 'latin1')))))
      : null;
    this.#clock = opts.clock ?? Date.now;
    this.#random = opts.random ?? randomBytes;
  }

  async issue(req: Sm2IssueRequest): Promise<IssuedCertificate> {
    return this.issueSync(req);
  }

  /** The same as issue(); synchronous because signing is CPU-bound. */
  issueSync(req: Sm2IssueRequest): IssuedCertificate {
    const domains = checkedDomains(req.domains);
    if (!Number.isInteger(req.validityDays) || req.validityDays < 1 || req.validityDays > MAX_VALIDITY_DAYS) {
      throw new ServiceError('InvalidParameterValue', `validityDays must be a whole number from 1 to ${MAX_VALIDITY_DAYS}.`);
    }
    const usage = req.usage ?? 'sign';
    if (usage !== 'sign' && usage !== 'encrypt') throw new ServiceError('InvalidParameterValue', `usage must be "sign" or "encrypt", not ${JSON.stringify(usage)}.`);
    const spki = req.csrPem ? verifySm2Csr(req.csrPem).spki : publicKeyPemSpki(req.publicKeyPem);

    const notBefore = wholeSeconds(this.#clock() - MINUTE_MS);
    // BR 1.6.1: the validity period includes both ends, so stop one second short of N days.
    const notAfter = new Date(notBefore.getTime() + req.validityDays * DAY_MS - 1000);
    if (notAfter > this.#notAfter) {
      throw new ServiceError('FailedOperation.CertificateCaError', `The SM2 intermediate expires ${this.#notAfter.toISOString()}, before the certificate would; rotate the CA.`);
    }
    const serial = newSerial(this.#random);
    // ub-common-name is 64 (RFC 5280): a longer first name goes only into the SAN, and an
    // empty subject makes the SAN critical (RFC 5280 4.2.1.6).
    const cn = domains[0].length <= 64 ? domains[0] : null;
    const certDer = buildSm2Certificate({
      serial: serial.der,
      issuerName: this.#subjectName,
      subjectName: cn === null ? der.seq() : encodeName([[OID.commonName, cn]]),
      notBefore,
      notAfter,
      spki,
      signer: this.#key,
      extensions: [
        extension(OID.keyUsage, true, usage === 'sign' ? KU_SIGN : KU_ENCRYPT),
        this.#eku,
        this.#leafBasicConstraints,
        extension(OID.subjectKeyIdentifier, false, der.octets(keyIdentifier(spki))),
        extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, this.#ski))),
        ...(this.#aia ? [this.#aia] : []),
        sanExtension(domains, cn === null),
        this.#policies,
      ],
    });
    return {
      certPem: toPem('CERTIFICATE', certDer),
      chainPems: [this.#intermediatePem],
      rootPem: this.#rootPem,
      serialHex: serial.hex,
      notBefore,
      notAfter,
    };
  }
}

/** The canonical SPKI of an SM2 'PUBLIC KEY' PEM; other keys are refused. */
function publicKeyPemSpki(pem: string | undefined): Buffer {
  if (!pem) throw new ServiceError('InvalidParameter', 'Either a CSR or a public key is required.');
  const block = pemBlocks(pem).find((b) => b.label === 'PUBLIC KEY' || b.label === 'RSA PUBLIC KEY');
  if (!block) throw new ServiceError('InvalidParameter', 'publicKeyPem must hold a PEM PUBLIC KEY block.');
  if (block.label === 'RSA PUBLIC KEY') {
    throw new ServiceError('FailedOperation.CertificateEncryptInvalid', 'The public key is RSA, not SM2: an SM2 certificate needs an SM2 key.');
  }
  return sm2PublicKey(block.der, 'The public key').spki;
}

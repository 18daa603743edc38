// The embedded CA: an ECDSA P-384 root and two issuing intermediates (RSA-2048 for RSA
// leaf keys, ECDSA P-256 for EC leaf keys), in the shape the CA/Browser Forum Baseline
// Requirements give a public CA. Certificates are DER built by hand (./der.ts) and signed
// with node:crypto, which issues several thousand leaves a second (FACTS.md: X.509 and keys).
// No I/O and no storage: key material goes in and out as PEM strings.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCb,
  generateKeyPairSync,
  randomBytes,
  randomFillSync,
  sign,
  verify,
  KeyObject,
  type JsonWebKey,
} from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { promisify } from 'node:util';
import { ServiceError } from '../domain/errors.js';
import { pemBlocks, toPem } from '../pki/certificate.js';
import * as der from '../pki/der.js';
import type { IssuedCertificate, Issuer, IssueProfile, IssueRequest } from './issuer.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** CA/B Forum BR 6.3.2: no subscriber certificate may be valid for more than 398 days. */
export const MAX_VALIDITY_DAYS = 398;

const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
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
  /** CA/B Forum reserved policy identifiers (BR 7.1.6.1, EV Guidelines 9.3.2). */
  domainValidated: '2.23.140.1.2.1',
  organizationValidated: '2.23.140.1.2.2',
  extendedValidation: '2.23.140.1.1',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationalUnitName: '2.5.4.11',
  serialNumber: '2.5.4.5',
  businessCategory: '2.5.4.15',
  jurisdictionCountryName: '1.3.6.1.4.1.311.60.2.1.3',
  extensionRequest: '1.2.840.113549.1.9.14',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
} as const;

/** Hash and key type a CSR's signature algorithm implies. SHA-1 and RSA-PSS are refused. */
const CSR_SIGNATURE: Record<string, { hash: string; keyType: 'rsa' | 'ec' }> = {
  [OID.sha256WithRSA]: { hash: 'sha256', keyType: 'rsa' },
  [OID.sha384WithRSA]: { hash: 'sha384', keyType: 'rsa' },
  [OID.sha512WithRSA]: { hash: 'sha512', keyType: 'rsa' },
  [OID.ecdsaWithSHA256]: { hash: 'sha256', keyType: 'ec' },
  [OID.ecdsaWithSHA384]: { hash: 'sha384', keyType: 'ec' },
  [OID.ecdsaWithSHA512]: { hash: 'sha512', keyType: 'ec' },
};

/** CSR_SIGNATURE by the OID's content octets, as they appear in a CSR. */
const CSR_SIGNATURE_BY_DER = new Map(Object.entries(CSR_SIGNATURE).map(([oid, v]) => [der.oid(oid).subarray(2).toString('latin1'), { oid, ...v }]));

// KeyUsage BIT STRINGs (RFC 5280 4.2.1.3), trailing zero bits removed as DER requires.
const KU_DIGITAL_SIGNATURE = Buffer.from('03020780', 'hex');
const KU_DIGITAL_SIGNATURE_KEY_ENCIPHERMENT = Buffer.from('030205a0', 'hex');
const KU_CERT_SIGN_CRL_SIGN = Buffer.from('03020106', 'hex');

export type KeyKind = 'RSA' | 'ECC';

export interface CaMaterial {
  rootCertPem: string;
  rootKeyPem: string;
  rsaIntermediateCertPem: string;
  rsaIntermediateKeyPem: string;
  ecIntermediateCertPem: string;
  ecIntermediateKeyPem: string;
}

/**
 * File names under `${publicBaseUrl}/ca/` that leaves point to with AIA caIssuers.
 * They hold a single DER certificate: RFC 5280 4.2.2.1 says a caIssuers HTTP URI MUST
 * point to DER (or a certs-only CMS bundle), not PEM. Serve as `application/pkix-cert`.
 */
export function intermediateFileName(kind: KeyKind): string {
  return kind === 'RSA' ? 'rsa-intermediate.der' : 'ecc-intermediate.der';
}

/** Everything to publish under `${publicBaseUrl}/ca/`: the two intermediates and the root. */
export function caPublicFiles(m: CaMaterial): { name: string; contentType: string; body: Buffer }[] {
  const file = (name: string, pem: string) => ({ name, contentType: 'application/pkix-cert', body: pemDer(pem, 'CERTIFICATE') });
  return [
    file(intermediateFileName('RSA'), m.rsaIntermediateCertPem),
    file(intermediateFileName('ECC'), m.ecIntermediateCertPem),
    file('root.der', m.rootCertPem),
  ];
}

// ---- building blocks -----------------------------------------------------------------

export function pemDer(pem: string, label: string): Buffer {
  const block = pemBlocks(pem ?? '').find((b) => b.label === label);
  if (!block) throw new ServiceError('InvalidParameter', `Expected a PEM ${label} block.`);
  return block.der;
}

export const extension = (id: string, critical: boolean, value: Buffer) =>
  der.seq(der.oid(id), ...(critical ? [der.bool(true)] : []), der.octets(value));

/** Country codes and serial numbers are PrintableString (RFC 5280 Appendix A); the rest UTF8String. */
const PRINTABLE_ATTRS = new Set(['2.5.4.6', '2.5.4.5', '1.3.6.1.4.1.311.60.2.1.3']);
function name(attrs: [string, string][]): Buffer {
  return der.seq(...attrs.map(([type, value]) =>
    der.set(der.seq(der.oid(type), PRINTABLE_ATTRS.has(type) ? der.printable(value) : der.utf8(value)))));
}

/** The subject of an OV/EV leaf, in the order BR 7.1.4 lists it (C, ST, L, O, OU, then CN). */
function profileSubject(p: IssueProfile, cn: string | null): [string, string][] {
  const attrs: [string, string][] = [];
  const add = (oid: string, v: string | undefined) => { if (v) attrs.push([oid, v]); };
  if (p.level === 'EV') {
    add(OID.jurisdictionCountryName, p.jurisdictionCountry ?? p.country);
    add(OID.businessCategory, p.businessCategory ?? 'Private Organization');
    add(OID.serialNumber, p.serialNumber);
  }
  add(OID.countryName, p.country);
  add(OID.stateOrProvinceName, p.stateOrProvince);
  add(OID.localityName, p.locality);
  add(OID.organizationName, p.organization);
  add(OID.organizationalUnitName, p.organizationalUnit);
  if (cn) attrs.push([OID.commonName, cn]);
  return attrs;
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
export function keyIdentifier(spki: Buffer): Buffer {
  const [, bits] = der.children(spki, der.readNode(spki));
  return createHash('sha1').update(spki.subarray(bits.contentStart + 1, bits.end)).digest();
}

/** A CA key with the AlgorithmIdentifier and hash it signs with, and how long its signatures can be. */
interface Signer {
  key: KeyObject;
  alg: Buffer;
  hash: string;
  /** Bytes: the modulus for RSA; for ECDSA a DER Ecdsa-Sig-Value with both integers at full length plus a sign octet. */
  maxSignature: number;
}

function signerFor(key: KeyObject): Signer {
  if (key.asymmetricKeyType === 'rsa') {
    const bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    return { key, alg: der.seq(der.oid(OID.sha256WithRSA), der.nullValue()), hash: 'sha256', maxSignature: bytes };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { key, alg: der.seq(der.oid(OID.ecdsaWithSHA256)), hash: 'sha256', maxSignature: 8 + 2 * 33 };
    if (curve === 'secp384r1') return { key, alg: der.seq(der.oid(OID.ecdsaWithSHA384)), hash: 'sha384', maxSignature: 8 + 2 * 49 };
  }
  throw new ServiceError('InvalidParameter', `Unsupported signing key ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
}

/** 128-bit positive serial: 16 random octets with the top bit set, behind a 00 sign octet. */
export function newSerial(random: (n: number) => Buffer): { der: Buffer; hex: string } {
  const r = Buffer.from(random(16));
  r[0] |= 0x80;
  return { der: der.tlv(der.Tag.INTEGER, Buffer.concat([Buffer.from([0]), r])), hex: r.toString('hex') };
}

const spkiOf = (key: KeyObject) => (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' }) as Buffer;

/** What leafKeyKind needs to know about a key: KeyObject's asymmetricKeyType and details. */
export interface KeyShape {
  type: string | undefined;
  modulusLength?: number;
  namedCurve?: string;
}

function kindOf(k: KeyShape): KeyKind {
  if (k.type === 'rsa') {
    const bits = k.modulusLength ?? 0;
    if (bits < 2048 || bits > 8192 || bits % 8 !== 0) {
      throw new ServiceError('InvalidParameter', `RSA keys must be 2048 to 8192 bits (a multiple of 8); this one has ${bits}.`);
    }
    return 'RSA';
  }
  if (k.type === 'ec') {
    if (k.namedCurve === 'prime256v1' || k.namedCurve === 'secp384r1') return 'ECC';
    throw new ServiceError('InvalidParameter', `EC keys must be on P-256 or P-384; this one is on ${k.namedCurve ?? 'an unknown curve'}.`);
  }
  throw new ServiceError('InvalidParameter', `Key type ${k.type ?? 'unknown'} is not supported; use RSA or ECC.`);
}

const shapeOf = (pub: KeyObject): KeyShape => ({
  type: pub.asymmetricKeyType,
  modulusLength: pub.asymmetricKeyDetails?.modulusLength,
  namedCurve: pub.asymmetricKeyDetails?.namedCurve,
});

/** Which intermediate signs this leaf key; throws for keys a public CA would refuse. */
export function leafKeyKind(pub: KeyObject): KeyKind {
  return kindOf(shapeOf(pub));
}

interface CertParams {
  serial: Buffer;
  issuerName: Buffer;
  subjectName: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Buffer[];
  signer: Signer;
}

function buildCertificate(p: CertParams): Buffer {
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

/** [0] EXPLICIT INTEGER 2: X.509 v3. */
const V3 = Buffer.from('a003020102', 'hex');
/** Room for a SEQUENCE or BIT STRING header of up to 64 KiB of content. */
const HEADER_ROOM = 4;

/**
 * A Certificate from the TBSCertificate's content octets, in one buffer: the TBSCertificate is
 * written once, signed where it lies, and the signature appended behind it; nothing is concatenated.
 */
function assembleCertificate(tbsParts: Buffer[], signer: Signer): Buffer {
  let tbsLen = 0;
  for (const b of tbsParts) tbsLen += b.length;
  const tbsSize = der.headerSize(tbsLen) + tbsLen;
  const buf = Buffer.allocUnsafe(HEADER_ROOM + tbsSize + signer.alg.length + HEADER_ROOM + 1 + signer.maxSignature);
  let p = der.writeHeader(buf, HEADER_ROOM, der.Tag.SEQUENCE, tbsLen);
  for (const b of tbsParts) p += b.copy(buf, p);
  const signature = sign(signer.hash, buf.subarray(HEADER_ROOM, p), signer.key);
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

/** DER Time drops milliseconds; keep the Date we report identical to what is encoded. */
export const wholeSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);

export function addYears(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

// ---- CA material -----------------------------------------------------------------------

const generateKeyPairAsyncCb = promisify(generateKeyPairCb);

/**
 * A fresh root (ECDSA P-384, 10 years) and two issuing intermediates (RSA-2048 and ECDSA
 * P-256, 5 years, pathlen 0). Private keys are PKCS#8 PEM, unencrypted: seal them before storing.
 */
export async function createCaMaterial(opts: { name?: string; now?: Date } = {}): Promise<CaMaterial> {
  const org = opts.name ?? 'certport';
  const now = opts.now ?? new Date();
  const [root, rsa, ec] = await Promise.all([
    generateKeyPairAsyncCb('ec', { namedCurve: 'secp384r1' }),
    generateKeyPairAsyncCb('rsa', { modulusLength: 2048, publicExponent: 65537 }),
    generateKeyPairAsyncCb('ec', { namedCurve: 'prime256v1' }),
  ]);
  const notBefore = wholeSeconds(now.getTime() - MINUTE_MS);
  const rootNotAfter = addYears(notBefore, 10);
  const rootName = name([[OID.organizationName, org], [OID.commonName, `${org} Root CA`]]);
  const rootSpki = spkiOf(root.publicKey);
  const rootSki = keyIdentifier(rootSpki);
  const rootSigner = signerFor(root.privateKey);

  const rootDer = buildCertificate({
    serial: newSerial(randomBytes).der,
    issuerName: rootName,
    subjectName: rootName,
    notBefore,
    notAfter: rootNotAfter,
    spki: rootSpki,
    signer: rootSigner,
    extensions: [
      extension(OID.basicConstraints, true, der.seq(der.bool(true))),
      extension(OID.keyUsage, true, KU_CERT_SIGN_CRL_SIGN),
      extension(OID.subjectKeyIdentifier, false, der.octets(rootSki)),
    ],
  });

  const intermediate = (keys: { publicKey: KeyObject }, label: string) => {
    const spki = spkiOf(keys.publicKey);
    return buildCertificate({
      serial: newSerial(randomBytes).der,
      issuerName: rootName,
      subjectName: name([[OID.organizationName, org], [OID.commonName, `${org} ${label} Issuing CA`]]),
      notBefore,
      notAfter: addYears(notBefore, 5),
      spki,
      signer: rootSigner,
      extensions: [
        extension(OID.basicConstraints, true, der.seq(der.bool(true), der.uint(0))),
        extension(OID.keyUsage, true, KU_CERT_SIGN_CRL_SIGN),
        // BR 7.1.2.10.6: subordinate CAs carry the EKUs they may issue for.
        extension(OID.extKeyUsage, false, der.seq(der.oid(OID.serverAuth), der.oid(OID.clientAuth))),
        extension(OID.subjectKeyIdentifier, false, der.octets(keyIdentifier(spki))),
        extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, rootSki))),
      ],
    });
  };
  const keyPem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    rootCertPem: toPem('CERTIFICATE', rootDer),
    rootKeyPem: keyPem(root.privateKey),
    rsaIntermediateCertPem: toPem('CERTIFICATE', intermediate(rsa, 'RSA')),
    rsaIntermediateKeyPem: keyPem(rsa.privateKey),
    ecIntermediateCertPem: toPem('CERTIFICATE', intermediate(ec, 'ECC')),
    ecIntermediateKeyPem: keyPem(ec.privateKey),
  };
}

// ---- reading certificates and CSRs ---------------------------------------------------------

export function decodeTime(buf: Buffer, n: der.Node): Date {
  const s = der.content(buf, n).toString('latin1');
  const full = n.tag === der.Tag.UTC_TIME ? (Number(s.slice(0, 2)) >= 50 ? '19' : '20') + s : s;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!m) throw new Error(`DER: unsupported time ${s}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/** An issuing intermediate, with every DER piece a leaf takes from it encoded once. */
interface IssuingCa {
  kind: KeyKind;
  certPem: string;
  notAfter: Date;
  signer: Signer;
  /** The TBSCertificate's signature AlgorithmIdentifier and issuer Name, which follow the serial. */
  algAndIssuer: Buffer;
  /** The extensions before the subject key identifier: key usage, extended key usage, basic constraints. */
  extsBeforeSki: Buffer;
  /** The extensions between the subject key identifier and the SAN: authority key identifier and, with a public base URL, AIA. */
  extsAfterSki: Buffer;
}

function loadIssuingCa(kind: KeyKind, certPem: string, keyPem: string, publicBaseUrl: string | null): IssuingCa {
  const cert = pemDer(certPem, 'CERTIFICATE');
  const tbs = der.children(cert, der.children(cert, der.readNode(cert))[0]);
  const f = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs; // serial, sigAlg, issuer, validity, subject, spki, ...
  const [, notAfterNode] = der.children(cert, f[3]);
  const spki = der.raw(cert, f[5]);
  let ski: Buffer | null = null;
  const exts = f.find((n) => n.tag === 0xa3);
  if (exts) {
    for (const ext of der.children(cert, der.children(cert, exts)[0])) {
      const parts = der.children(cert, ext);
      if (der.decodeOid(der.content(cert, parts[0])) === OID.subjectKeyIdentifier) {
        const inner = der.content(cert, parts[parts.length - 1]);
        ski = der.content(inner, der.readNode(inner));
      }
    }
  }
  const key = createPrivateKey(keyPem);
  if (!spkiOf(key).equals(spki)) throw new ServiceError('FailedOperation.CertificateMismatch', `The ${kind} intermediate's private key does not match its certificate.`);
  if ((kind === 'RSA') !== (key.asymmetricKeyType === 'rsa')) throw new ServiceError('InvalidParameter', `The ${kind} intermediate has a ${key.asymmetricKeyType} key.`);
  // new URL() turns an IDN host into A-labels, so the IA5String stays ASCII.
  const base = publicBaseUrl ? new URL(publicBaseUrl).href.replace(/\/+$/, '') : null;
  const aia = base
    ? extension(OID.authorityInfoAccess, false,
        der.seq(der.seq(der.oid(OID.caIssuers), der.tlv(0x86, Buffer.from(`${base}/ca/${intermediateFileName(kind)}`, 'latin1')))))
    : null;
  const signer = signerFor(key);
  return {
    kind,
    certPem,
    notAfter: decodeTime(cert, notAfterNode),
    signer,
    algAndIssuer: Buffer.concat([signer.alg, der.raw(cert, f[4])]),
    extsBeforeSki: Buffer.concat([
      extension(OID.keyUsage, true, kind === 'RSA' ? KU_DIGITAL_SIGNATURE_KEY_ENCIPHERMENT : KU_DIGITAL_SIGNATURE),
      extension(OID.extKeyUsage, false, der.seq(der.oid(OID.serverAuth), der.oid(OID.clientAuth))),
      extension(OID.basicConstraints, true, der.seq()),
    ]),
    extsAfterSki: Buffer.concat([
      extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, ski ?? keyIdentifier(spki)))),
      ...(aia ? [aia] : []),
    ]),
  };
}

// ---- reading leaf keys -------------------------------------------------------------------

/**
 * A leaf's public key as the certificate will carry it. Reading it with createPublicKey costs
 * more than signing the certificate (OpenSSL 3's decoder framework: ~0.15 ms a key), so the
 * usual shapes (RSA, uncompressed P-256/P-384 points, in DER) are read here and checked in
 * JavaScript; anything else goes through OpenSSL as before.
 */
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

function readSpki(spki: Buffer): LeafKey {
  return readEcSpki(spki) ?? readRsaSpki(spki) ?? readSpkiWithOpenssl(spki);
}

const PEM_BODY = /^[A-Za-z0-9+/ \t\r\n]*(?:=[ \t\r\n]*){0,2}$/;

/**
 * The DER of the first PEM block with one of these labels: pemBlocks' answer, without its
 * regular expressions and splitting in the usual case of a lone block without headers.
 */
function firstPemDer(text: string, labels: readonly string[]): { label: string; der: Buffer } | undefined {
  if (typeof text !== 'string') return undefined;
  const at = text.indexOf('-----');
  for (const label of at === -1 ? [] : labels) {
    const begin = `-----BEGIN ${label}-----`;
    if (!text.startsWith(begin, at)) continue;
    const end = text.indexOf(`-----END ${label}-----`, at + begin.length);
    if (end === -1) break;
    const body = text.slice(at + begin.length, end);
    // Base64 with line breaks, padding only at the end. Buffer.from skips the whitespace itself.
    if (!PEM_BODY.test(body)) break;
    return { label, der: Buffer.from(body, 'base64') };
  }
  return pemBlocks(text).find((b) => labels.includes(b.label));
}

/** An SPKI ('PUBLIC KEY') or PKCS#1 ('RSA PUBLIC KEY') PEM. Private keys are refused. */
export function publicKeyFromPem(pem: string | undefined): LeafKey {
  if (!pem) throw new ServiceError('InvalidParameter', 'Either a CSR or a public key is required.');
  const block = firstPemDer(pem, ['PUBLIC KEY', 'RSA PUBLIC KEY']);
  if (!block) throw new ServiceError('InvalidParameter', 'publicKeyPem must hold a PEM PUBLIC KEY block.');
  try {
    if (block.label === 'PUBLIC KEY') return readSpki(block.der);
    const key = createPublicKey({ key: block.der, format: 'der', type: 'pkcs1' });
    return readSpkiWithOpenssl(spkiOf(key));
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The public key cannot be parsed: ${(e as Error).message}`);
  }
}

/** Reads a PKCS#10 CSR, checks its self-signature, and returns its public key. */
export function csrPublicKey(csrPem: string): LeafKey {
  const csr = firstPemDer(csrPem ?? '', ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'])?.der;
  if (!csr) throw new ServiceError('InvalidParameter', 'The CSR must be PEM (-----BEGIN CERTIFICATE REQUEST-----).');
  let cri: Buffer, spki: Buffer, algOidDer: Buffer, signature: Buffer;
  try {
    const top = der.readNode(csr);
    if (top.end !== csr.length) throw new Error('trailing data');
    const [criNode, algNode, sigNode] = der.children(csr, top);
    cri = der.raw(csr, criNode);
    spki = der.raw(csr, der.children(csr, criNode)[2]);
    algOidDer = der.content(csr, der.children(csr, algNode)[0]);
    signature = der.content(csr, sigNode).subarray(1);
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The CSR cannot be parsed: ${(e as Error).message}`);
  }
  const alg = CSR_SIGNATURE_BY_DER.get(algOidDer.toString('latin1'));
  const algOid = alg?.oid ?? der.decodeOid(algOidDer);
  if (!alg) throw new ServiceError('InvalidParameter', `The CSR is signed with an unsupported algorithm (${algOid}).`);
  let leaf: LeafKey;
  try {
    leaf = readSpki(spki);
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The CSR's public key cannot be parsed: ${(e as Error).message}`);
  }
  if (leaf.shape.type !== alg.keyType) {
    throw new ServiceError('InvalidParameter', `The CSR's signature algorithm (${algOid}) does not fit its ${leaf.shape.type ?? 'unknown'} key.`);
  }
  let ok = false;
  try {
    const key = leaf.verifier instanceof KeyObject ? leaf.verifier : createPublicKey({ key: leaf.verifier, format: 'jwk' });
    ok = verify(alg.hash, cri, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new ServiceError('InvalidParameter', 'The CSR signature does not verify: it was altered or not signed by its own key.');
  return leaf;
}

// ---- issuing ------------------------------------------------------------------------

const DNS_NAME = /^(\*\.)?([a-z0-9-]{1,63}\.)+[a-z0-9-]{1,63}$/;

/** Names must already be normalised (validation/names.ts); this is a last line of defence. */
export function checkedDomains(domains: string[]): string[] {
  if (!Array.isArray(domains) || domains.length === 0) throw new ServiceError('InvalidParameter', 'At least one domain is required.');
  const out: string[] = [];
  for (const d of domains) {
    if (typeof d !== 'string' || d.length > 253 || !DNS_NAME.test(d)) {
      throw new ServiceError('InvalidParameterValue', `${JSON.stringify(d)} is not a normalised DNS name.`);
    }
    if (!out.includes(d)) out.push(d);
  }
  if (out.length > 100) throw new ServiceError('InvalidParameter', 'A certificate holds at most 100 names.');
  return out;
}

export interface EmbeddedIssuerOptions {
  /** e.g. https://certs.example.net — leaves then carry AIA caIssuers pointing at /ca/<file>. */
  publicBaseUrl?: string | null;
  /** Milliseconds since the epoch; injected for tests. */
  clock?: () => number;
  /** Randomness for serials; injected for tests. */
  random?: (bytes: number) => Buffer;
}

/** randomBytes(16) for serials, drawn from a pool refilled 4 KiB at a time. */
function pooledRandom(): (n: number) => Buffer {
  const pool = Buffer.alloc(4096);
  let used = pool.length;
  return (n) => {
    if (n > pool.length) return randomBytes(n);
    if (used + n > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const out = Buffer.from(pool.subarray(used, used + n));
    pool.fill(0, used, used + n);
    used += n;
    return out;
  };
}

/** SHA-1 in one call where node:crypto has hash() (Node 20.12+). */
const sha1: (data: Buffer) => Buffer = typeof nodeCrypto.hash === 'function'
  ? (data) => nodeCrypto.hash('sha1', data, 'buffer')
  : (data) => createHash('sha1').update(data).digest();

/** SEQUENCE { subjectKeyIdentifier, OCTET STRING { OCTET STRING (20 bytes) } }, before the SHA-1. */
const SKI_EXTENSION_HEAD = Buffer.from('301d0603551d0e04160414', 'hex');
/** INTEGER (17 bytes): a 00 sign octet and 16 random octets, the first with its top bit set. */
const SERIAL_HEAD = Buffer.from('021100', 'hex');

/** A certificate's DER as PEM: 64-column base64, as toPem writes it. */
function certificatePem(certDer: Buffer): string {
  const b64 = certDer.toString('base64');
  let out = '-----BEGIN CERTIFICATE-----\n';
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + '-----END CERTIFICATE-----\n';
}

export class EmbeddedIssuer implements Issuer {
  readonly name = 'embedded';
  readonly #rootPem: string;
  readonly #cas: Record<KeyKind, IssuingCa>;
  readonly #clock: () => number;
  readonly #random: (bytes: number) => Buffer;
  readonly #policies = {
    DV: extension(OID.certificatePolicies, false, der.seq(der.seq(der.oid(OID.domainValidated)))),
    OV: extension(OID.certificatePolicies, false, der.seq(der.seq(der.oid(OID.organizationValidated)))),
    EV: extension(OID.certificatePolicies, false, der.seq(der.seq(der.oid(OID.extendedValidation)))),
  };
  /** The last Validity encoded: leaves issued within the same second for the same term share it. */
  #validity: { notBefore: number; days: number; der: Buffer } = { notBefore: NaN, days: 0, der: Buffer.alloc(0) };

  constructor(material: CaMaterial, opts: EmbeddedIssuerOptions = {}) {
    const base = opts.publicBaseUrl ?? null;
    this.#rootPem = toPem('CERTIFICATE', pemDer(material.rootCertPem, 'CERTIFICATE'));
    this.#cas = {
      RSA: loadIssuingCa('RSA', material.rsaIntermediateCertPem, material.rsaIntermediateKeyPem, base),
      ECC: loadIssuingCa('ECC', material.ecIntermediateCertPem, material.ecIntermediateKeyPem, base),
    };
    this.#clock = opts.clock ?? Date.now;
    this.#random = opts.random ?? pooledRandom();
  }

  async issue(req: IssueRequest): Promise<IssuedCertificate> {
    return this.issueSync(req);
  }

  /** The same as issue(); synchronous because signing is CPU-bound and fast. */
  issueSync(req: IssueRequest): IssuedCertificate {
    const domains = checkedDomains(req.domains);
    if (!Number.isInteger(req.validityDays) || req.validityDays < 1 || req.validityDays > MAX_VALIDITY_DAYS) {
      throw new ServiceError('InvalidParameterValue', `validityDays must be a whole number from 1 to ${MAX_VALIDITY_DAYS}.`);
    }
    const leaf = req.csrPem ? csrPublicKey(req.csrPem) : publicKeyFromPem(req.publicKeyPem);
    const ca = this.#cas[kindOf(leaf.shape)];

    const notBefore = wholeSeconds(this.#clock() - MINUTE_MS);
    // BR 1.6.1: the validity period includes both ends, so stop one second short of N days.
    const notAfter = new Date(notBefore.getTime() + req.validityDays * DAY_MS - 1000);
    if (notAfter > ca.notAfter) {
      throw new ServiceError('FailedOperation.CertificateCaError', `The ${ca.kind} intermediate expires ${ca.notAfter.toISOString()}, before the certificate would; rotate the CA.`);
    }
    if (this.#validity.notBefore !== notBefore.getTime() || this.#validity.days !== req.validityDays) {
      this.#validity = { notBefore: notBefore.getTime(), days: req.validityDays, der: der.seq(der.time(notBefore), der.time(notAfter)) };
    }
    const random = this.#random(16);
    if (random.length !== 16) throw new Error('the serial number source must return 16 bytes');
    const serial = Buffer.concat([SERIAL_HEAD, random]);
    serial[3] |= 0x80;
    // ub-common-name is 64 (RFC 5280): a longer first name goes only into the SAN, and an
    // empty subject makes the SAN critical (RFC 5280 4.2.1.6).
    const cn = domains[0].length <= 64 ? domains[0] : null;
    const ski = Buffer.concat([SKI_EXTENSION_HEAD, sha1(leaf.keyBits)]);
    const san = extension(OID.subjectAltName, cn === null, der.seq(...domains.map((d) => der.tlv(0x82, Buffer.from(d, 'latin1')))));
    const policies = this.#policies[req.profile?.level ?? 'DV'];
    const extsLen = ca.extsBeforeSki.length + ski.length + ca.extsAfterSki.length + san.length + policies.length;
    // [3] EXPLICIT SEQUENCE OF Extension: the two headers, then the extensions themselves.
    const extsHead = Buffer.allocUnsafe(der.headerSize(der.headerSize(extsLen) + extsLen) + der.headerSize(extsLen));
    der.writeHeader(extsHead, der.writeHeader(extsHead, 0, 0xa3, der.headerSize(extsLen) + extsLen), der.Tag.SEQUENCE, extsLen);
    const certDer = assembleCertificate([
      V3,
      serial,
      ca.algAndIssuer,
      this.#validity.der,
      req.profile && req.profile.level !== 'DV'
        ? name(profileSubject(req.profile, cn))
        : cn === null ? der.seq() : name([[OID.commonName, cn]]),
      leaf.spki,
      extsHead,
      ca.extsBeforeSki,
      ski,
      ca.extsAfterSki,
      san,
      policies,
    ], ca.signer);
    return {
      certPem: certificatePem(certDer),
      chainPems: [ca.certPem],
      rootPem: this.#rootPem,
      serialHex: serial.toString('hex', 3),
      notBefore,
      notAfter,
    };
  }
}

// ---- server-side keys and CSRs ---------------------------------------------------------------

const RSA_SIZES = new Set(['2048', '3072', '4096']);
const EC_CURVES: Record<string, string> = { prime256v1: 'prime256v1', 'p-256': 'prime256v1', secp384r1: 'secp384r1', 'p-384': 'secp384r1' };

function keyGenParams(algo: KeyKind, param?: string): ['rsa', { modulusLength: number; publicExponent: number }] | ['ec', { namedCurve: string }] {
  if (algo === 'RSA') {
    const size = param ?? '2048';
    if (!RSA_SIZES.has(size)) throw new ServiceError('InvalidParameterValue', `RSA key size ${JSON.stringify(size)} is not supported (2048, 3072 or 4096).`);
    return ['rsa', { modulusLength: Number(size), publicExponent: 65537 }];
  }
  if (algo === 'ECC') {
    const curve = EC_CURVES[(param ?? 'prime256v1').toLowerCase()];
    if (!curve) throw new ServiceError('InvalidParameterValue', `EC curve ${JSON.stringify(param)} is not supported (prime256v1 or secp384r1).`);
    return ['ec', { namedCurve: curve }];
  }
  throw new ServiceError('InvalidParameterValue', `Key algorithm ${JSON.stringify(algo)} is not supported (RSA or ECC).`);
}

const pemPair = (k: { privateKey: KeyObject; publicKey: KeyObject }) => ({
  privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});

/** A new key pair as PKCS#8 / SPKI PEM. Blocks the thread (RSA-4096: about a second); prefer generateKeyPairAsync in servers. */
export function generateKeyPair(algo: KeyKind, param?: string): { privateKeyPem: string; publicKeyPem: string } {
  const [type, options] = keyGenParams(algo, param);
  return pemPair(type === 'rsa' ? generateKeyPairSync('rsa', options) : generateKeyPairSync('ec', options));
}

/** generateKeyPair on libuv's thread pool. */
export async function generateKeyPairAsync(algo: KeyKind, param?: string): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const [type, options] = keyGenParams(algo, param);
  return pemPair(type === 'rsa' ? await generateKeyPairAsyncCb('rsa', options) : await generateKeyPairAsyncCb('ec', options));
}

/** A PKCS#10 CSR (PEM) for the key: subject CN = first domain (when it fits), SAN = all domains. */
export async function buildCsr(privateKeyPem: string, domains: string[]): Promise<string> {
  const names = checkedDomains(domains);
  const key = createPrivateKey(privateKeyPem);
  leafKeyKind(createPublicKey(key));
  const signer = signerFor(key);
  const san = extension(OID.subjectAltName, false, der.seq(...names.map((d) => der.tlv(0x82, Buffer.from(d, 'latin1')))));
  const cri = der.seq(
    der.uint(0),
    names[0].length <= 64 ? name([[OID.commonName, names[0]]]) : der.seq(),
    spkiOf(key),
    der.tlv(0xa0, der.seq(der.oid(OID.extensionRequest), der.set(der.seq(san)))),
  );
  const signature = sign(signer.hash, cri, key);
  return toPem('CERTIFICATE REQUEST', der.seq(cri, signer.alg, der.bitString(signature)));
}

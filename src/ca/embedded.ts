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
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { ServiceError } from '../errors.js';
import { pemBlocks, toPem } from '../pki/certificate.js';
import * as der from './der.js';
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

/** Hash used to verify a CSR, by signature algorithm. SHA-1 and RSA-PSS are refused. */
const CSR_SIGNATURE_HASH: Record<string, string> = {
  [OID.sha256WithRSA]: 'sha256',
  [OID.sha384WithRSA]: 'sha384',
  [OID.sha512WithRSA]: 'sha512',
  [OID.ecdsaWithSHA256]: 'sha256',
  [OID.ecdsaWithSHA384]: 'sha384',
  [OID.ecdsaWithSHA512]: 'sha512',
};

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

/** The AlgorithmIdentifier and hash a CA key signs with. */
function signatureAlgorithm(key: KeyObject): { alg: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'rsa') return { alg: der.seq(der.oid(OID.sha256WithRSA), der.nullValue()), hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { alg: der.seq(der.oid(OID.ecdsaWithSHA256)), hash: 'sha256' };
    if (curve === 'secp384r1') return { alg: der.seq(der.oid(OID.ecdsaWithSHA384)), hash: 'sha384' };
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

/** Which intermediate signs this leaf key; throws for keys a public CA would refuse. */
export function leafKeyKind(pub: KeyObject): KeyKind {
  const details = pub.asymmetricKeyDetails;
  if (pub.asymmetricKeyType === 'rsa') {
    const bits = details?.modulusLength ?? 0;
    if (bits < 2048 || bits > 8192 || bits % 8 !== 0) {
      throw new ServiceError('InvalidParameter', `RSA keys must be 2048 to 8192 bits (a multiple of 8); this one has ${bits}.`);
    }
    return 'RSA';
  }
  if (pub.asymmetricKeyType === 'ec') {
    const curve = details?.namedCurve;
    if (curve === 'prime256v1' || curve === 'secp384r1') return 'ECC';
    throw new ServiceError('InvalidParameter', `EC keys must be on P-256 or P-384; this one is on ${curve ?? 'an unknown curve'}.`);
  }
  throw new ServiceError('InvalidParameter', `Key type ${pub.asymmetricKeyType ?? 'unknown'} is not supported; use RSA or ECC.`);
}

interface CertParams {
  serial: Buffer;
  issuerName: Buffer;
  subjectName: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Buffer[];
  signer: { key: KeyObject; alg: Buffer; hash: string };
}

function buildCertificate(p: CertParams): Buffer {
  const tbs = der.seq(
    der.explicit(0, der.uint(2)), // v3
    p.serial,
    p.signer.alg,
    p.issuerName,
    der.seq(der.time(p.notBefore), der.time(p.notAfter)),
    p.subjectName,
    p.spki,
    der.explicit(3, der.seq(...p.extensions)),
  );
  const signature = sign(p.signer.hash, tbs, p.signer.key);
  return der.seq(tbs, p.signer.alg, der.bitString(signature));
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
  const rootSigner = { key: root.privateKey, ...signatureAlgorithm(root.privateKey) };

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

interface IssuingCa {
  kind: KeyKind;
  certPem: string;
  subjectName: Buffer;
  ski: Buffer;
  notAfter: Date;
  signer: { key: KeyObject; alg: Buffer; hash: string };
  /** Pre-encoded AIA extension, when a public base URL is configured. */
  aia: Buffer | null;
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
  return {
    kind,
    certPem,
    subjectName: Buffer.from(der.raw(cert, f[4])),
    ski: Buffer.from(ski ?? keyIdentifier(spki)),
    notAfter: decodeTime(cert, notAfterNode),
    signer: { key, ...signatureAlgorithm(key) },
    aia: base
      ? extension(OID.authorityInfoAccess, false,
          der.seq(der.seq(der.oid(OID.caIssuers), der.tlv(0x86, Buffer.from(`${base}/ca/${intermediateFileName(kind)}`, 'latin1')))))
      : null,
  };
}

/**
 * Parses a SubjectPublicKeyInfo once (parsing is the slowest step of issuing: OpenSSL 3's
 * decoder takes ~0.1 ms) and keeps the DER as given unless an EC point is compressed.
 */
function parsedSpki(spki: Buffer): { spki: Buffer; key: KeyObject } {
  if (der.readNode(spki).end !== spki.length) throw new Error('trailing data after the SubjectPublicKeyInfo');
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType === 'ec') {
    const [, bits] = der.children(spki, der.readNode(spki));
    if (spki[bits.contentStart + 1] !== 0x04) return { spki: spkiOf(key), key }; // RFC 5480: uncompressed points
  }
  return { spki, key };
}

/** An SPKI ('PUBLIC KEY') or PKCS#1 ('RSA PUBLIC KEY') PEM. Private keys are refused. */
export function publicKeyFromPem(pem: string | undefined): { spki: Buffer; key: KeyObject } {
  if (!pem) throw new ServiceError('InvalidParameter', 'Either a CSR or a public key is required.');
  const block = pemBlocks(pem).find((b) => b.label === 'PUBLIC KEY' || b.label === 'RSA PUBLIC KEY');
  if (!block) throw new ServiceError('InvalidParameter', 'publicKeyPem must hold a PEM PUBLIC KEY block.');
  try {
    if (block.label === 'PUBLIC KEY') return parsedSpki(block.der);
    const key = createPublicKey({ key: block.der, format: 'der', type: 'pkcs1' });
    return { spki: spkiOf(key), key };
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The public key cannot be parsed: ${(e as Error).message}`);
  }
}

/** Reads a PKCS#10 CSR, checks its self-signature, and returns its public key. */
export function csrPublicKey(csrPem: string): { spki: Buffer; key: KeyObject } {
  const csr = pemBlocks(csrPem ?? '').find((b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST')?.der;
  if (!csr) throw new ServiceError('InvalidParameter', 'The CSR must be PEM (-----BEGIN CERTIFICATE REQUEST-----).');
  let cri: Buffer, spki: Buffer, algOid: string, signature: Buffer;
  try {
    const top = der.readNode(csr);
    if (top.end !== csr.length) throw new Error('trailing data');
    const [criNode, algNode, sigNode] = der.children(csr, top);
    cri = der.raw(csr, criNode);
    spki = Buffer.from(der.raw(csr, der.children(csr, criNode)[2]));
    algOid = der.decodeOid(der.content(csr, der.children(csr, algNode)[0]));
    signature = der.content(csr, sigNode).subarray(1);
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The CSR cannot be parsed: ${(e as Error).message}`);
  }
  const hash = CSR_SIGNATURE_HASH[algOid];
  if (!hash) throw new ServiceError('InvalidParameter', `The CSR is signed with an unsupported algorithm (${algOid}).`);
  let parsed: { spki: Buffer; key: KeyObject };
  try {
    parsed = parsedSpki(spki);
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The CSR's public key cannot be parsed: ${(e as Error).message}`);
  }
  let ok = false;
  try {
    ok = verify(hash, cri, parsed.key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new ServiceError('InvalidParameter', 'The CSR signature does not verify: it was altered or not signed by its own key.');
  return parsed;
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
  readonly #eku = extension(OID.extKeyUsage, false, der.seq(der.oid(OID.serverAuth), der.oid(OID.clientAuth)));
  readonly #leafBasicConstraints = extension(OID.basicConstraints, true, der.seq());

  constructor(material: CaMaterial, opts: EmbeddedIssuerOptions = {}) {
    const base = opts.publicBaseUrl ?? null;
    this.#rootPem = toPem('CERTIFICATE', pemDer(material.rootCertPem, 'CERTIFICATE'));
    this.#cas = {
      RSA: loadIssuingCa('RSA', material.rsaIntermediateCertPem, material.rsaIntermediateKeyPem, base),
      ECC: loadIssuingCa('ECC', material.ecIntermediateCertPem, material.ecIntermediateKeyPem, base),
    };
    this.#clock = opts.clock ?? Date.now;
    this.#random = opts.random ?? randomBytes;
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
    const { spki, key } = req.csrPem ? csrPublicKey(req.csrPem) : publicKeyFromPem(req.publicKeyPem);
    const ca = this.#cas[leafKeyKind(key)];

    const notBefore = wholeSeconds(this.#clock() - MINUTE_MS);
    // BR 1.6.1: the validity period includes both ends, so stop one second short of N days.
    const notAfter = new Date(notBefore.getTime() + req.validityDays * DAY_MS - 1000);
    if (notAfter > ca.notAfter) {
      throw new ServiceError('FailedOperation.CertificateCaError', `The ${ca.kind} intermediate expires ${ca.notAfter.toISOString()}, before the certificate would; rotate the CA.`);
    }
    const serial = newSerial(this.#random);
    // ub-common-name is 64 (RFC 5280): a longer first name goes only into the SAN, and an
    // empty subject makes the SAN critical (RFC 5280 4.2.1.6).
    const cn = domains[0].length <= 64 ? domains[0] : null;
    const extensions = [
      extension(OID.keyUsage, true, ca.kind === 'RSA' ? KU_DIGITAL_SIGNATURE_KEY_ENCIPHERMENT : KU_DIGITAL_SIGNATURE),
      this.#eku,
      this.#leafBasicConstraints,
      extension(OID.subjectKeyIdentifier, false, der.octets(keyIdentifier(spki))),
      extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, ca.ski))),
      ...(ca.aia ? [ca.aia] : []),
      extension(OID.subjectAltName, cn === null, der.seq(...domains.map((d) => der.tlv(0x82, Buffer.from(d, 'latin1'))))),
      this.#policies[req.profile?.level ?? 'DV'],
    ];
    const certDer = buildCertificate({
      serial: serial.der,
      issuerName: ca.subjectName,
      subjectName: req.profile && req.profile.level !== 'DV'
        ? name(profileSubject(req.profile, cn))
        : cn === null ? der.seq() : name([[OID.commonName, cn]]),
      notBefore,
      notAfter,
      spki,
      extensions,
      signer: ca.signer,
    });
    return {
      certPem: toPem('CERTIFICATE', certDer),
      chainPems: [ca.certPem],
      rootPem: this.#rootPem,
      serialHex: serial.hex,
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
  const signer = signatureAlgorithm(key);
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

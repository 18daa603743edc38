// The embedded CA (RSA and ECDSA leaves), certport's own: leaves are DER built by hand
// (pki/certificate-builder.ts) and signed with node:crypto, several thousand a second
// (FACTS.md: X.509 and keys). No I/O and no storage: key material goes in and out as PEM.
import { createHash, createPrivateKey, createPublicKey, randomBytes, randomFillSync, verify } from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { Fault } from '../../domain/errors.js';
import {
  assembleCertificate, extension, policyExtension, sanExtension, serverClientEku, signerFor, V3, type Signer,
} from '../../pki/certificate-builder.js';
import { csrPublicKey } from '../../pki/csr-parse.js';
import * as der from '../../pki/der.js';
import { keyIdentifier, kindOf, spkiOf, type KeyKind } from '../../pki/keys.js';
import { checkedNames, commonNameFor, encodeName } from '../../pki/names.js';
import { KEY_USAGE, OID } from '../../pki/oids.js';
import { pemDer, toPem } from '../../pki/pem.js';
import { publicKeyFromPem } from '../../pki/spki.js';
import { readCertificate } from '../../pki/x509.js';
import { crlDistributionPoint, leafAuthorityInfoAccess, type IssuedCertificate, type IssueProfile, type IssueRequest, type SigningCa } from '../issuer.js';
import { checkValidityDays, leafValidity, LocalIssuer, type LocalIssuerOptions } from '../local.js';
import { intermediateFileName, type CaMaterial, type CaSigners } from './material.js';

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

/** An issuing intermediate, with every DER piece a leaf takes from it encoded once. */
interface IssuingCa {
  kind: KeyKind;
  certPem: string;
  /** What CRLs and OCSP responder certificates take from it. */
  signing: SigningCa;
  notAfter: Date;
  signer: Signer;
  /** The TBSCertificate's signature AlgorithmIdentifier and issuer Name, which follow the serial. */
  algAndIssuer: Buffer;
  /** The extensions before the subject key identifier: key usage, extended key usage, basic constraints. */
  extsBeforeSki: Buffer;
  /** The extensions between the subject key identifier and the SAN: authority key identifier and, with a public base URL, AIA. */
  extsAfterSki: Buffer;
}

/** A signer whose key is elsewhere (a PKCS#11 token) must match the certificate: one signature, checked here, tells. */
function checkSigner(kind: KeyKind, signer: Signer, spki: Buffer): void {
  const probe = Buffer.from('certport: does this key match its certificate?');
  const pub = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if ((kind === 'RSA') !== (pub.asymmetricKeyType === 'rsa')) throw new Fault('malformed', `The ${kind} intermediate has a ${pub.asymmetricKeyType} key.`);
  const hash = pub.asymmetricKeyType === 'rsa' || pub.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'sha256' : 'sha384';
  if (!verify(hash, probe, pub, signer.sign(probe))) throw new Fault('mismatch', `The ${kind} intermediate's private key does not match its certificate.`);
}

function loadIssuingCa(kind: KeyKind, certPem: string, keyPem: string | Signer, publicBaseUrl: string | null): IssuingCa {
  const cert = readCertificate(pemDer(certPem, 'CERTIFICATE'));
  let signer: Signer;
  if (typeof keyPem === 'string') {
    const key = createPrivateKey(keyPem);
    if (!spkiOf(key).equals(cert.spki)) throw new Fault('mismatch', `The ${kind} intermediate's private key does not match its certificate.`);
    if ((kind === 'RSA') !== (key.asymmetricKeyType === 'rsa')) throw new Fault('malformed', `The ${kind} intermediate has a ${key.asymmetricKeyType} key.`);
    const s = signerFor(key);
    if (!s) throw new Fault('malformed', `Unsupported signing key ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
    signer = s;
  } else {
    checkSigner(kind, keyPem, cert.spki);
    signer = keyPem;
  }
  const aia = leafAuthorityInfoAccess(publicBaseUrl, intermediateFileName(kind));
  const crlDp = crlDistributionPoint(publicBaseUrl, kind === 'RSA' ? 'rsa' : 'ecc');
  const keyId = cert.ski ?? keyIdentifier(cert.spki);
  return {
    kind,
    certPem,
    signing: { name: kind === 'RSA' ? 'rsa' : 'ecc', certPem, subjectName: cert.subjectName, spki: cert.spki, keyId, notAfter: cert.notAfter, signer },
    notAfter: cert.notAfter,
    signer,
    algAndIssuer: Buffer.concat([signer.alg, cert.subjectName]),
    extsBeforeSki: Buffer.concat([
      extension(OID.keyUsage, true, kind === 'RSA' ? KEY_USAGE.digitalSignatureKeyEncipherment : KEY_USAGE.digitalSignature),
      serverClientEku(),
      extension(OID.basicConstraints, true, der.seq()),
    ]),
    extsAfterSki: Buffer.concat([
      extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, cert.ski ?? keyIdentifier(cert.spki)))),
      ...(aia ? [aia] : []),
      ...(crlDp ? [crlDp] : []),
    ]),
  };
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

export class EmbeddedIssuer extends LocalIssuer {
  readonly name = 'embedded';
  readonly keyAlgorithms = ['RSA', 'ECC'] as const;
  readonly rootPem: string;
  readonly #cas: Record<KeyKind, IssuingCa>;
  readonly #random: (bytes: number) => Buffer;
  readonly #policies = {
    DV: policyExtension(OID.domainValidated),
    OV: policyExtension(OID.organizationValidated),
    EV: policyExtension(OID.extendedValidation),
  };
  /** The last Validity encoded: leaves issued within the same second for the same term share it. */
  #validity: { notBefore: number; days: number; der: Buffer } = { notBefore: NaN, days: 0, der: Buffer.alloc(0) };

  /** Software keys (PEM), or signers whose keys are held elsewhere (a PKCS#11 token). */
  constructor(material: CaMaterial | CaSigners, opts: LocalIssuerOptions = {}) {
    super(opts);
    const base = opts.publicBaseUrl ?? null;
    this.rootPem = toPem('CERTIFICATE', pemDer(material.rootCertPem, 'CERTIFICATE'));
    const [rsa, ec] = 'rsaSigner' in material ? [material.rsaSigner, material.ecSigner] : [material.rsaIntermediateKeyPem, material.ecIntermediateKeyPem];
    this.#cas = {
      RSA: loadIssuingCa('RSA', material.rsaIntermediateCertPem, rsa, base),
      ECC: loadIssuingCa('ECC', material.ecIntermediateCertPem, ec, base),
    };
    this.#random = opts.random ?? pooledRandom();
  }

  async issue(req: IssueRequest): Promise<IssuedCertificate> {
    return this.issueSync(req);
  }

  signingCas(): SigningCa[] {
    return [this.#cas.RSA.signing, this.#cas.ECC.signing];
  }

  /** The same as issue(); synchronous because signing is CPU-bound and fast. */
  issueSync(req: IssueRequest): IssuedCertificate {
    const { domains, ips } = checkedNames(req.domains, req.ipAddresses);
    checkValidityDays(req.validityDays);
    if (req.usage === 'encrypt') throw new Fault('invalidValue', 'Encryption certificates are SM2 (GM/T double certificates); this CA signs RSA and ECDSA keys.');
    const leaf = req.csrPem ? csrPublicKey(req.csrPem) : publicKeyFromPem(req.publicKeyPem);
    const ca = this.#cas[kindOf(leaf.shape)];
    const { notBefore, notAfter } = leafValidity(this.clock(), req.validityDays, ca.notAfter, ca.kind);
    if (this.#validity.notBefore !== notBefore.getTime() || this.#validity.days !== req.validityDays) {
      this.#validity = { notBefore: notBefore.getTime(), days: req.validityDays, der: der.seq(der.time(notBefore), der.time(notAfter)) };
    }
    const random = this.#random(16);
    if (random.length !== 16) throw new Error('the serial number source must return 16 bytes');
    const serial = Buffer.concat([SERIAL_HEAD, random]);
    serial[3] |= 0x80;
    // A first name too long for the CN goes only into the SAN, and an empty subject makes the
    // SAN critical (RFC 5280 4.2.1.6). Addresses alone: the first one is the CN.
    const cn = domains.length ? commonNameFor(domains) : ips[0]!.text;
    const ski = Buffer.concat([SKI_EXTENSION_HEAD, sha1(leaf.keyBits)]);
    const san = sanExtension(domains, cn === null, ips.map((i) => i.bytes));
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
        ? encodeName(profileSubject(req.profile, cn))
        : cn === null ? der.seq() : encodeName([[OID.commonName, cn]]),
      leaf.spki,
      extsHead,
      ca.extsBeforeSki,
      ski,
      ca.extsAfterSki,
      san,
      policies,
    ], ca.signer);
    return {
      certPem: toPem('CERTIFICATE', certDer),
      chainPems: [ca.certPem],
      rootPem: this.rootPem,
      serialHex: serial.toString('hex', 3),
      notBefore,
      notAfter,
    };
  }
}

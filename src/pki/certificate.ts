// Parsing what users upload: PEM certificate chains and private keys. No I/O.
// node:crypto (OpenSSL) does fingerprints, key matching and SM2; @peculiar/x509 reads extensions.
import 'reflect-metadata';
import { X509Certificate as NodeX509, createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Fault } from '../domain/errors.js';
import type { ChainFacts } from '../domain/certificate.js';
import * as der from './der.js';
import { OID, SM2_CURVE_OID, SM2_SIGNATURE_OID } from './oids.js';
import { checkKeyDerivation } from './limits.js';
import { pemBlocks, toPem } from './pem.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** The SM2 curve's OID as DER, as it appears in a SubjectPublicKeyInfo's parameters. */
const SM2_CURVE_DER = der.oid(SM2_CURVE_OID);

export interface ParsedCertificate {
  der: Buffer;
  pem: string;
  subjectCn: string;
  issuerCn: string;
  subject: string;
  issuer: string;
  serialHex: string;
  notBefore: number;
  notAfter: number;
  sha1: string;
  sha256: string;
  dnsNames: string[];
  ipAddresses: string[];
  /** Entries in subjectAltName, of every kind (what UPLOAD_LIMITS.subjectAltNames counts). */
  sanCount: number;
  isCa: boolean;
  isSm: boolean;
  /** 'RSA 2048', 'ECC 256', 'SM2'. */
  encryptAlgorithm: string;
  publicKey: KeyObject | null;
  spki: Buffer;
  selfSigned: boolean;
}

function cnOf(name: x509.Name | string): string {
  const n = typeof name === 'string' ? new x509.Name(name) : name;
  return n.getField('CN')[0] ?? n.getField(OID.commonName)[0] ?? '';
}

function algorithmLabel(spkiDer: Buffer, key: KeyObject | null): { label: string; isSm: boolean } {
  // The curve OID sits in the SPKI AlgorithmIdentifier parameters; look for its DER encoding.
  if (spkiDer.includes(SM2_CURVE_DER)) return { label: 'SM2', isSm: true };
  if (key?.asymmetricKeyType === 'rsa' || key?.asymmetricKeyType === 'rsa-pss') {
    return { label: `RSA ${key.asymmetricKeyDetails?.modulusLength ?? ''}`.trim(), isSm: false };
  }
  if (key?.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    const bits = { prime256v1: 256, 'P-256': 256, secp384r1: 384, 'P-384': 384, secp521r1: 521, 'P-521': 521, SM2: 0 }[curve];
    if (curve === 'SM2') return { label: 'SM2', isSm: true };
    return { label: `ECC ${bits ?? curve}`, isSm: false };
  }
  if (key?.asymmetricKeyType === 'ed25519') return { label: 'ED25519', isSm: false };
  return { label: key?.asymmetricKeyType?.toUpperCase() ?? 'UNKNOWN', isSm: false };
}

export function parseCertificateDer(der: Buffer): ParsedCertificate {
  let cert: x509.X509Certificate;
  let node: NodeX509;
  try {
    cert = new x509.X509Certificate(new Uint8Array(der));
    node = new NodeX509(der);
  } catch (e) {
    throw new Fault('unparsable', `The certificate cannot be parsed: ${(e as Error).message}`);
  }
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sanItems = san?.names.items ?? [];
  for (const n of sanItems) {
    if (n.type === 'dns') dnsNames.push(n.value.toLowerCase());
    if (n.type === 'ip') ipAddresses.push(n.value);
  }
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  const spki = Buffer.from(cert.publicKey.rawData);
  let publicKey: KeyObject | null = null;
  try {
    publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    publicKey = null;
  }
  const alg = algorithmLabel(spki, publicKey);
  const isSm = alg.isSm || cert.signatureAlgorithm?.name === SM2_SIGNATURE_OID;
  return {
    der,
    pem: toPem('CERTIFICATE', der),
    subjectCn: cnOf(cert.subjectName),
    issuerCn: cnOf(cert.issuerName),
    subject: cert.subject,
    issuer: cert.issuer,
    serialHex: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    sha1: node.fingerprint.replace(/:/g, '').toLowerCase(),
    sha256: node.fingerprint256.replace(/:/g, '').toLowerCase(),
    dnsNames,
    ipAddresses,
    sanCount: sanItems.length,
    isCa: !!bc?.ca,
    isSm,
    encryptAlgorithm: alg.label,
    publicKey,
    spki,
    selfSigned: cert.subject === cert.issuer,
  };
}

export interface ParsedChain {
  /** The end-entity certificate (for a CA upload: the first CA certificate that issued none of the others). */
  leaf: ParsedCertificate;
  /** The rest, ordered from the leaf's issuer upwards where the links are present. */
  chain: ParsedCertificate[];
}

/** Parses a PEM bundle in any order; the leaf is the certificate that issued none of the others. */
export function parseCertificateChain(pemText: string): ParsedChain {
  if (typeof pemText !== 'string' || !pemText.includes('-----BEGIN')) {
    throw new Fault('unparsable', 'CertificatePublicKey must hold a PEM certificate (-----BEGIN CERTIFICATE-----).');
  }
  const blocks = certificateBlocks(pemText);
  if (blocks.length === 0) {
    throw new Fault('unparsable', 'No PEM CERTIFICATE block could be read from CertificatePublicKey.');
  }
  const certs = blocks.map((b) => parseCertificateDer(b.der));
  const issuers = new Set(certs.filter((c) => !c.selfSigned || certs.length === 1).map((c) => c.issuer));
  // The leaf is the one whose subject is nobody's issuer (ignoring self-issued roots).
  const leaf = certs.find((c) => !certs.some((o) => o !== c && o.issuer === c.subject && !o.selfSigned)) ?? certs[0];
  void issuers;
  const rest = certs.filter((c) => c !== leaf);
  const chain: ParsedCertificate[] = [];
  let cur = leaf;
  while (rest.length) {
    const i = rest.findIndex((c) => c.subject === cur.issuer && c !== cur);
    if (i < 0 || cur.selfSigned) break;
    cur = rest.splice(i, 1)[0];
    chain.push(cur);
  }
  chain.push(...rest);
  return { leaf, chain };
}

/** The certificate blocks of a PEM text, as parseCertificateChain reads them. */
export function certificateBlocks(pemText: string) {
  return pemBlocks(pemText).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE' || b.label === 'X509 CERTIFICATE');
}

/**
 * What reads need of a stored chain (domain ChainFacts), from one parse: kept beside the chain so
 * that DescribeCertificateDetail and DownloadCertificate never parse it again.
 */
export function chainFactsOf(certPem: string, encryptCertPem: string | null, parsed: ParsedChain = parseCertificateChain(certPem)): ChainFacts {
  const blocks = certificateBlocks(certPem);
  const used = new Set<number>();
  const indexOf = (c: ParsedCertificate) => {
    const i = blocks.findIndex((b, j) => !used.has(j) && b.der.equals(c.der));
    used.add(i);
    return i;
  };
  const leaf = indexOf(parsed.leaf);
  const intermediates: number[] = [];
  const roots: number[] = [];
  for (const c of parsed.chain) (c.selfSigned ? roots : intermediates).push(indexOf(c));
  let encryptSha1: string | null = null;
  if (encryptCertPem) {
    try { encryptSha1 = parseCertificateChain(encryptCertPem).leaf.sha1; } catch { encryptSha1 = null; }
  }
  return { v: 1, leaf, intermediates, roots, leafCn: parsed.leaf.subjectCn, encryptSha1 };
}

/** The stored chain split by its facts, without parsing a certificate (a PEM split and base64). */
export function storedChainParts(certPem: string, facts: ChainFacts): { leafPem: string; leafCn: string; intermediatePems: string[]; rootPems: string[] } {
  const blocks = certificateBlocks(certPem);
  const pem = (i: number) => {
    const b = blocks[i];
    if (!b) throw new Fault('unparsable', 'The stored chain does not match its stored facts.');
    return toPem('CERTIFICATE', b.der);
  };
  return { leafPem: pem(facts.leaf), leafCn: facts.leafCn, intermediatePems: facts.intermediates.map(pem), rootPems: facts.roots.map(pem) };
}

/** A parsed certificate without its binary parts (what crosses from a worker thread). */
export type CertificateFacts = Omit<ParsedCertificate, 'der' | 'spki' | 'publicKey'>;

export const certificateFacts = ({ der: _der, spki: _spki, publicKey: _key, ...rest }: ParsedCertificate): CertificateFacts => rest;

/** A stored chain in the parts servers take: the leaf, the intermediates, the self-signed roots. */
export interface ChainParts {
  leaf: CertificateFacts;
  intermediatePems: string[];
  rootPems: string[];
}

export function splitChain(pemText: string): ChainParts {
  const { leaf, chain } = parseCertificateChain(pemText);
  return {
    leaf: certificateFacts(leaf),
    intermediatePems: chain.filter((x) => !x.selfSigned).map((x) => x.pem),
    rootPems: chain.filter((x) => x.selfSigned).map((x) => x.pem),
  };
}

/** The top of the chain when it is a self-signed root (DescribeCertificateDetail's RootCert.Standard), else null. */
export function selfSignedTop({ chain }: ParsedChain): string | null {
  const top = chain[chain.length - 1];
  return top && top.subject === top.issuer ? top.pem : null;
}

/**
 * Parses a private key. An encrypted key needs its password; without one it is refused with a
 * message that says so.
 */
export function parsePrivateKey(pemText: string, password?: string): KeyObject {
  const blocks = pemBlocks(pemText ?? '').filter((b) => b.label.endsWith('PRIVATE KEY'));
  if (blocks.length === 0) {
    throw new Fault('unparsable', 'CertificatePrivateKey must hold a PEM private key (-----BEGIN PRIVATE KEY-----).');
  }
  const b = blocks[0]!;
  const encrypted = b.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(b.headers);
  if (encrypted) {
    if (b.label === 'ENCRYPTED PRIVATE KEY') checkKeyDerivation(b.der);
    if (!password) {
      throw new Fault('unparsable', 'The private key is encrypted with a password; give it in KeyPassword or upload the key without a password.');
    }
    const text = pemText.slice(pemText.indexOf(`-----BEGIN ${b.label}-----`));
    try {
      return createPrivateKey({ key: text, format: 'pem', passphrase: password });
    } catch {
      throw new Fault('unparsable', 'The private key cannot be decrypted with the KeyPassword given.');
    }
  }
  const type = b.label === 'RSA PRIVATE KEY' ? 'pkcs1' : b.label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
  try {
    return createPrivateKey({ key: b.der, format: 'der', type });
  } catch (e) {
    throw new Fault('unparsable', `The private key cannot be parsed: ${(e as Error).message}`);
  }
}

/** True when the private key belongs to the certificate's public key. */
export function keyMatches(cert: ParsedCertificate, key: KeyObject): boolean {
  try {
    const pub = createPublicKey(key).export({ type: 'spki', format: 'der' });
    if (Buffer.compare(pub, cert.spki) === 0) return true;
    return new NodeX509(cert.der).checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** A canonical PKCS#8 PEM for storage. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** SM2 keys re-imported from PEM carry no type in node:crypto; their SPKI names the SM2 curve. */
export function isSm2Key(key: KeyObject): boolean {
  if (key.asymmetricKeyDetails?.namedCurve === 'SM2') return true;
  try {
    return (createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer).includes(SM2_CURVE_DER);
  } catch {
    return false;
  }
}

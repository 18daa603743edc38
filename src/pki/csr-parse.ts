// PKCS#10 CSRs read back (RFC 2986): one structural reader, then a self-signature check for
// each key family: RSA and ECDSA through node:crypto (parseCsr, and csrPublicKey, the embedded
// CA's fast path), SM2 through ./sm2.ts with its signer IDs (verifySm2Csr). No I/O.
import { createPrivateKey, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { CsrError, SUBJECT_OID, SUBJECT_ORDER, type CsrSubject, type SubjectKey } from './csr.js';
import * as der from './der.js';
import { decodeName } from './names.js';
import { OID, SIGNATURE_ALGORITHMS, SM2_SIGNATURE_OID, type SignatureAlgorithm } from './oids.js';
import { firstPemDer, toPem } from './pem.js';
import { readSpki, verifierKey, type LeafKey } from './spki.js';
import { SM2_DEFAULT_ID, sm2PublicKey, verifySm2Signature } from './sm2.js';

const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];
const SUBJECT_BY_OID = new Map<string, SubjectKey>(SUBJECT_ORDER.map((k) => [SUBJECT_OID[k], k]));
const NOT_SIGNED = 'The CSR signature does not verify: it was altered or not signed by its own key.';

const unparsable = (e: unknown) => new CsrError(`The CSR cannot be parsed: ${(e as Error).message}.`);

/** A CSR's parts, its structure checked; nothing decoded that a reader may not need. */
interface CsrParts {
  der: Buffer;
  /** The certificationRequestInfo as signed. */
  cri: Buffer;
  subject: der.Node;
  spki: Buffer;
  attributes: der.Node | undefined;
  algOid: string;
  signature: Buffer;
}

function readCsr(pem: string): CsrParts {
  const buf = firstPemDer(typeof pem === 'string' ? pem : '', CSR_LABELS)?.der;
  if (!buf) throw new CsrError('The CSR must be PEM (-----BEGIN CERTIFICATE REQUEST-----).');
  try {
    const top = der.readNode(buf);
    if (top.tag !== der.Tag.SEQUENCE || top.end !== buf.length) throw new Error('not a single SEQUENCE');
    const parts = der.children(buf, top);
    if (parts.length !== 3) throw new Error('expected certificationRequestInfo, signatureAlgorithm, signature');
    const [criNode, algNode, sigNode] = parts as [der.Node, der.Node, der.Node];
    if (criNode.tag !== der.Tag.SEQUENCE || algNode.tag !== der.Tag.SEQUENCE || sigNode.tag !== der.Tag.BIT_STRING) {
      throw new Error('malformed outer structure');
    }
    const info = der.children(buf, criNode);
    if (info.length < 3) throw new Error('certificationRequestInfo is incomplete');
    const [versionNode, subjectNode, spkiNode, attrsNode] = info as [der.Node, der.Node, der.Node, der.Node | undefined];
    const version = der.content(buf, versionNode);
    if (versionNode.tag !== der.Tag.INTEGER || version.length !== 1 || version[0] !== 0) throw new Error('version must be 0 (v1)');
    if (subjectNode.tag !== der.Tag.SEQUENCE) throw new Error('subject is not a Name');
    if (spkiNode.tag !== der.Tag.SEQUENCE) throw new Error('subjectPKInfo is not a SEQUENCE');
    if (attrsNode && attrsNode.tag !== 0xa0) throw new Error('attributes are not [0]');
    const [algIdNode] = der.children(buf, algNode);
    if (!algIdNode || algIdNode.tag !== der.Tag.OID) throw new Error('malformed signatureAlgorithm');
    const bits = der.content(buf, sigNode);
    if (bits.length < 2 || bits[0] !== 0) throw new Error('malformed signature BIT STRING');
    return {
      der: buf,
      cri: der.raw(buf, criNode),
      subject: subjectNode,
      spki: der.raw(buf, spkiNode),
      attributes: attrsNode,
      algOid: der.decodeOid(der.content(buf, algIdNode)),
      signature: bits.subarray(1),
    };
  } catch (e) {
    throw unparsable(e);
  }
}

/** The subjectAltName names the CSR asks for (its extensionRequest attribute): dNSNames lower-cased, iPAddresses as text. */
function requestedNames(p: CsrParts): { dnsNames: string[]; ipAddresses: string[] } {
  const buf = p.der;
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const attr of p.attributes ? der.children(buf, p.attributes) : []) {
    const [typeNode, valuesNode] = der.children(buf, attr);
    if (!typeNode || !valuesNode || typeNode.tag !== der.Tag.OID || valuesNode.tag !== der.Tag.SET) throw new Error('malformed attribute');
    if (der.decodeOid(der.content(buf, typeNode)) !== OID.extensionRequest) continue;
    for (const exts of der.children(buf, valuesNode)) {
      for (const ext of der.children(buf, exts)) {
        const fields = der.children(buf, ext);
        const id = der.decodeOid(der.content(buf, fields[0]!));
        const value = fields[fields.length - 1]!;
        if (id !== OID.subjectAltName || value.tag !== der.Tag.OCTET_STRING) continue;
        const inner = der.content(buf, value);
        for (const n of der.children(inner, der.readNode(inner))) {
          if (n.tag === 0x82) dnsNames.push(der.content(inner, n).toString('latin1').toLowerCase());
          if (n.tag === 0x87) ipAddresses.push(ipText(der.content(inner, n)));
        }
      }
    }
  }
  return { dnsNames, ipAddresses };
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    const text = groups.join(':');
    return isIP(text) ? text : b.toString('hex');
  }
  return b.toString('hex');
}

/** The subject's attributes and the names asked for, decoded. */
function namesOf(p: CsrParts): { attrs: { type: string; value: string }[]; dnsNames: string[]; ipAddresses: string[] } {
  try {
    const attrs = decodeName(p.der, p.subject).map((a) => ({ type: SUBJECT_BY_OID.get(a.type) ?? a.type, value: a.value }));
    return { attrs, ...requestedNames(p) };
  } catch (e) {
    throw unparsable(e);
  }
}

/** The RSA/ECDSA algorithm the CSR is signed with; SHA-1, RSA-PSS and anything else are refused. */
function signatureAlgorithm(p: CsrParts): SignatureAlgorithm {
  const alg = SIGNATURE_ALGORITHMS[p.algOid];
  if (!alg) throw new CsrError(`The CSR is signed with an unsupported algorithm (${p.algOid}); use SHA-256 or stronger with RSA or ECDSA.`);
  return alg;
}

/** Proof of possession: the algorithm fits the key, and the key's signature verifies. */
function checkSelfSignature(p: CsrParts, alg: SignatureAlgorithm, keyType: string | undefined, keyName: string, key: () => KeyObject): void {
  if (alg.keyType !== keyType) throw new CsrError(`The CSR's signature algorithm ${alg.name} does not fit its ${keyName} key.`);
  let ok = false;
  try {
    ok = verify(alg.hash, p.cri, key(), p.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new CsrError(NOT_SIGNED);
}

export interface ParsedCsr {
  der: Buffer;
  pem: string;
  /** The subject's well-known attributes (the first of each, when repeated). */
  subject: CsrSubject;
  /** Every subject attribute in order, `type` as a short name where known, else the OID. */
  subjectAttributes: { type: string; value: string }[];
  /** e.g. `C=CN, ST=Hunan, O=Tencent, CN=www.example.com` */
  subjectString: string;
  /** SAN dNSNames, lower-cased, in order. */
  dnsNames: string[];
  /** SAN iPAddresses. */
  ipAddresses: string[];
  keyAlgorithm: 'RSA' | 'ECC';
  /** RSA modulus bits, or the EC field size (256, 384, 521). */
  keySize: number;
  /** As the API names it: `2048`, `4096`, `prime256v1`, `secp384r1`. */
  keyParameter: string;
  publicKey: KeyObject;
  /** SubjectPublicKeyInfo DER. */
  spki: Buffer;
  signatureAlgorithm: string;
}

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/**
 * Reads a PEM CSR for an RSA or ECDSA key, checks its structure and its self-signature, and
 * returns its subject, SAN names and public key. Throws CsrError on anything else.
 */
export function parseCsr(pem: string): ParsedCsr {
  const p = readCsr(pem);
  const { attrs, dnsNames, ipAddresses } = namesOf(p);
  const sig = signatureAlgorithm(p);
  const spki = Buffer.from(p.spki);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (e) {
    throw new CsrError(`The CSR's public key cannot be parsed: ${(e as Error).message}.`);
  }
  let keyAlgorithm: 'RSA' | 'ECC';
  let keySize: number;
  let keyParameter: string;
  if (publicKey.asymmetricKeyType === 'rsa') {
    keyAlgorithm = 'RSA';
    keySize = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    keyParameter = String(keySize);
  } else if (publicKey.asymmetricKeyType === 'ec') {
    keyAlgorithm = 'ECC';
    keyParameter = publicKey.asymmetricKeyDetails?.namedCurve ?? '';
    keySize = (Object.hasOwn(CURVE_BITS, keyParameter) ? CURVE_BITS[keyParameter] : undefined) ?? 0;
    if (!keySize) throw new CsrError(`The CSR's EC key is on an unsupported curve (${keyParameter || 'unknown'}).`);
  } else {
    throw new CsrError(`The CSR's key type ${publicKey.asymmetricKeyType ?? 'unknown'} is not supported; use RSA or ECC.`);
  }
  checkSelfSignature(p, sig, publicKey.asymmetricKeyType, keyAlgorithm, () => publicKey);
  const subject: CsrSubject = {};
  for (const a of attrs) {
    const k = a.type as SubjectKey;
    if (SUBJECT_ORDER.includes(k) && subject[k] === undefined) subject[k] = a.value;
  }
  return {
    der: p.der,
    pem: toPem('CERTIFICATE REQUEST', p.der),
    subject,
    subjectAttributes: attrs,
    subjectString: attrs.map((a) => `${a.type}=${a.value}`).join(', '),
    dnsNames,
    ipAddresses,
    keyAlgorithm,
    keySize,
    keyParameter,
    publicKey,
    spki,
    signatureAlgorithm: sig.name,
  };
}

/**
 * The embedded CA's reading of a CSR: only its public key (names come from the order), the
 * self-signature checked. Keys are read without OpenSSL's decoder where they can be (./spki.ts).
 */
export function csrPublicKey(csrPem: string): LeafKey {
  const p = readCsr(csrPem);
  const alg = signatureAlgorithm(p);
  let leaf: LeafKey;
  try {
    leaf = readSpki(p.spki);
  } catch (e) {
    throw new CsrError(`The CSR's public key cannot be parsed: ${(e as Error).message}`);
  }
  checkSelfSignature(p, alg, leaf.shape.type, leaf.shape.type ?? 'unknown', () => verifierKey(leaf));
  return leaf;
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
 * CSRs for RSA/ECDSA keys are refused as notSm2.
 */
export function verifySm2Csr(csrPem: string): Sm2CsrInfo {
  const p = readCsr(csrPem);
  const { attrs, dnsNames } = namesOf(p);
  const key = sm2PublicKey(p.spki, "The CSR's public key");
  if (p.algOid !== SM2_SIGNATURE_OID) {
    throw new CsrError(`The CSR is signed with ${p.algOid}; an SM2 CSR must be signed SM2-with-SM3 (${SM2_SIGNATURE_OID}).`);
  }
  const point = Buffer.concat([Buffer.from([4]), key.xy]);
  const signerId = [SM2_DEFAULT_ID, ''].find((id) => verifySm2Signature(p.cri, p.signature, point, id));
  if (signerId === undefined) throw new CsrError(NOT_SIGNED);
  const commonName = attrs.find((a) => a.type === 'CN')?.value ?? null;
  const domains: string[] = [];
  for (const d of [...(commonName === null ? [] : [commonName.toLowerCase()]), ...dnsNames]) {
    if (!domains.includes(d)) domains.push(d);
  }
  return { spki: key.spki, domains, commonName, signerId };
}

/** True when the private key is the one the CSR's public key belongs to. */
export function csrMatchesKey(csr: Pick<ParsedCsr, 'spki'>, privateKey: string | KeyObject): boolean {
  try {
    const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer;
    return spki.equals(csr.spki) || spki.equals(createPublicKey({ key: csr.spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' }) as Buffer);
  } catch {
    return false;
  }
}

// PKCS#10 certificate signing requests (RFC 2986): building one with a full subject and a
// subjectAltName extension request, and reading one back (subject, SAN, key) with its
// self-signature checked. DER is written and read with the small codec in ../ca/der.ts and
// signed with node:crypto, as the embedded CA does. No I/O.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { ServiceError } from '../domain/errors.js';
import * as der from './der.js';
import { pemBlocks, toPem } from './certificate.js';

/** A CSR that cannot be built or read. Callers that answer with another code catch it by type. */
export class CsrError extends ServiceError {
  constructor(message: string) {
    super('InvalidParameter', message);
    this.name = 'CsrError';
  }
}

/** Subject attributes in the order they are written: C, ST, L, O, OU, CN, emailAddress. */
export interface CsrSubject {
  C?: string;
  ST?: string;
  L?: string;
  O?: string;
  OU?: string;
  CN?: string;
  emailAddress?: string;
}
type SubjectKey = keyof CsrSubject;

const OID = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
} as const;

const SUBJECT_ORDER: SubjectKey[] = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'];
const SUBJECT_BY_OID = new Map<string, SubjectKey>(SUBJECT_ORDER.map((k) => [OID[k], k]));

/** RFC 5280 Appendix A upper bounds (ub-*) and PKCS#9's for emailAddress. */
export const SUBJECT_MAX_LENGTH: Record<SubjectKey, number> = {
  C: 2, ST: 128, L: 128, O: 64, OU: 64, CN: 64, emailAddress: 255,
};

/** Signature algorithms a CSR may use, with their hash and key type. SHA-1 and RSA-PSS are refused. */
const SIGNATURES: Record<string, { hash: string; key: 'rsa' | 'ec'; name: string }> = {
  [OID.sha256WithRSA]: { hash: 'sha256', key: 'rsa', name: 'sha256WithRSAEncryption' },
  [OID.sha384WithRSA]: { hash: 'sha384', key: 'rsa', name: 'sha384WithRSAEncryption' },
  [OID.sha512WithRSA]: { hash: 'sha512', key: 'rsa', name: 'sha512WithRSAEncryption' },
  [OID.ecdsaWithSHA256]: { hash: 'sha256', key: 'ec', name: 'ecdsa-with-SHA256' },
  [OID.ecdsaWithSHA384]: { hash: 'sha384', key: 'ec', name: 'ecdsa-with-SHA384' },
  [OID.ecdsaWithSHA512]: { hash: 'sha512', key: 'ec', name: 'ecdsa-with-SHA512' },
};

/** ISO 3166-1 alpha-2: the 249 assigned codes (no reserved ones such as UK or EU). */
export const ISO3166_ALPHA2: ReadonlySet<string> = new Set((
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW').split(' '));

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const IA5 = /^[\x00-\x7f]*$/;
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Checks a subject as it will be encoded: lengths within RFC 5280's bounds, a two-letter
 * country code, an ASCII e-mail address, no control characters. Empty values are dropped.
 */
export function checkSubject(subject: CsrSubject): CsrSubject {
  const out: CsrSubject = {};
  for (const k of SUBJECT_ORDER) {
    const v = subject[k];
    if (v === undefined || v === '') continue;
    if (CONTROL.test(v)) throw new CsrError(`The subject ${k} contains a control character.`);
    if (k === 'C' && !(v.length === 2 && PRINTABLE.test(v))) throw new CsrError(`The subject C must be a two-letter country code, got ${JSON.stringify(v)}.`);
    if ([...v].length > SUBJECT_MAX_LENGTH[k]) throw new CsrError(`The subject ${k} is longer than ${SUBJECT_MAX_LENGTH[k]} characters.`);
    if (k === 'emailAddress' && !IA5.test(v)) throw new CsrError('The subject emailAddress must be ASCII.');
    out[k] = v;
  }
  return out;
}

function attributeValue(k: SubjectKey, v: string): Buffer {
  if (k === 'C') return der.printable(v);
  if (k === 'emailAddress') return der.ia5(v);
  return der.utf8(v);
}

/** The subject Name: one RDN per attribute, in SUBJECT_ORDER. */
export function encodeSubject(subject: CsrSubject): Buffer {
  const s = checkSubject(subject);
  return der.seq(...SUBJECT_ORDER.filter((k) => s[k] !== undefined)
    .map((k) => der.set(der.seq(der.oid(OID[k]), attributeValue(k, s[k]!)))));
}

function signatureFor(key: KeyObject): { alg: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'rsa') return { alg: der.seq(der.oid(OID.sha256WithRSA), der.nullValue()), hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { alg: der.seq(der.oid(OID.ecdsaWithSHA256)), hash: 'sha256' };
    if (curve === 'secp384r1') return { alg: der.seq(der.oid(OID.ecdsaWithSHA384)), hash: 'sha384' };
    if (curve === 'secp521r1') return { alg: der.seq(der.oid(OID.ecdsaWithSHA512)), hash: 'sha512' };
  }
  const what = [key.asymmetricKeyType ?? 'unknown', key.asymmetricKeyDetails?.namedCurve].filter(Boolean).join(' ');
  throw new CsrError(`A CSR cannot be signed with a ${what} key; use RSA or ECDSA (P-256, P-384, P-521).`);
}

const DNS_NAME = /^(\*\.)?([a-z0-9-]{1,63}\.)+[a-z0-9-]{1,63}$/;

export interface BuildCsrInput {
  subject: CsrSubject;
  /** SAN dNSNames, already normalised (lower case, A-labels; a leading `*.` is allowed). */
  dnsNames: string[];
  /** PKCS#8/PKCS#1/SEC1 PEM or a KeyObject. */
  privateKey: string | KeyObject;
}

/** A PEM PKCS#10 CSR for the key with the subject and, when names are given, a SAN extension request. */
export function buildCsr(input: BuildCsrInput): string {
  const key = typeof input.privateKey === 'string' ? createPrivateKey(input.privateKey) : input.privateKey;
  if (key.type !== 'private') throw new CsrError('A CSR is signed with a private key.');
  const names: string[] = [];
  for (const d of input.dnsNames) {
    if (d.length > 253 || !DNS_NAME.test(d)) throw new CsrError(`${JSON.stringify(d)} is not a normalised DNS name.`);
    if (!names.includes(d)) names.push(d);
  }
  const signer = signatureFor(key);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer;
  const attributes = names.length === 0 ? [] : [der.seq(
    der.oid(OID.extensionRequest),
    der.set(der.seq(der.seq(der.oid(OID.subjectAltName), der.octets(der.seq(...names.map((d) => der.tlv(0x82, Buffer.from(d, 'latin1')))))))),
  )];
  const cri = der.seq(
    der.uint(0), // version 1
    encodeSubject(input.subject),
    spki,
    der.tlv(0xa0, ...(attributes.length ? attributes : [Buffer.alloc(0)])),
  );
  const signature = sign(signer.hash, cri, key);
  return toPem('CERTIFICATE REQUEST', der.seq(cri, signer.alg, der.bitString(signature)));
}

// ---- reading ---------------------------------------------------------------------------

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

function decodeString(buf: Buffer, node: der.Node): string {
  const b = der.content(buf, node);
  switch (node.tag) {
    case 0x0c: return b.toString('utf8'); // UTF8String
    case 0x12: case 0x13: case 0x16: return b.toString('latin1'); // Numeric, Printable, IA5
    case 0x14: return b.toString('latin1'); // T61 (Teletex), read as Latin-1 like most tools
    case 0x1e: { // BMPString: UTF-16BE
      const le = Buffer.from(b);
      le.swap16();
      return le.toString('utf16le');
    }
    case 0x1c: { // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 4 <= b.length; i += 4) s += String.fromCodePoint(b.readUInt32BE(i));
      return s;
    }
    default: throw new Error(`unsupported string type 0x${node.tag.toString(16)}`);
  }
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

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

/**
 * Reads a PEM CSR, checks its structure and its self-signature, and returns its subject,
 * SAN names and public key. Throws CsrError on anything else.
 */
export function parseCsr(pem: string): ParsedCsr {
  const block = pemBlocks(typeof pem === 'string' ? pem : '')
    .find((b) => b.label === 'CERTIFICATE REQUEST' || b.label === 'NEW CERTIFICATE REQUEST');
  if (!block) throw new CsrError('The CSR must be PEM (-----BEGIN CERTIFICATE REQUEST-----).');
  const buf = block.der;
  let cri: Buffer;
  let spki: Buffer;
  let algOid: string;
  let signature: Buffer;
  const attrs: { type: string; value: string }[] = [];
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  try {
    const top = der.readNode(buf);
    if (top.tag !== der.Tag.SEQUENCE || top.end !== buf.length) throw new Error('not a single SEQUENCE');
    const parts = der.children(buf, top);
    if (parts.length !== 3) throw new Error('expected certificationRequestInfo, signatureAlgorithm, signature');
    const [criNode, algNode, sigNode] = parts as [der.Node, der.Node, der.Node];
    if (criNode.tag !== der.Tag.SEQUENCE || algNode.tag !== der.Tag.SEQUENCE || sigNode.tag !== der.Tag.BIT_STRING) {
      throw new Error('malformed outer structure');
    }
    cri = der.raw(buf, criNode);
    const info = der.children(buf, criNode);
    if (info.length < 3) throw new Error('certificationRequestInfo is incomplete');
    const [versionNode, subjectNode, spkiNode, attrsNode] = info as [der.Node, der.Node, der.Node, der.Node | undefined];
    const version = der.content(buf, versionNode);
    if (versionNode.tag !== der.Tag.INTEGER || version.length !== 1 || version[0] !== 0) throw new Error('version must be 0 (v1)');
    if (subjectNode.tag !== der.Tag.SEQUENCE) throw new Error('subject is not a Name');
    for (const rdn of der.children(buf, subjectNode)) {
      if (rdn.tag !== der.Tag.SET) throw new Error('subject RDN is not a SET');
      for (const atv of der.children(buf, rdn)) {
        const [typeNode, valueNode] = der.children(buf, atv);
        if (!typeNode || !valueNode || typeNode.tag !== der.Tag.OID) throw new Error('malformed subject attribute');
        const typeOid = der.decodeOid(der.content(buf, typeNode));
        attrs.push({ type: SUBJECT_BY_OID.get(typeOid) ?? typeOid, value: decodeString(buf, valueNode) });
      }
    }
    if (spkiNode.tag !== der.Tag.SEQUENCE) throw new Error('subjectPKInfo is not a SEQUENCE');
    spki = Buffer.from(der.raw(buf, spkiNode));
    if (attrsNode) {
      if (attrsNode.tag !== 0xa0) throw new Error('attributes are not [0]');
      for (const attr of der.children(buf, attrsNode)) {
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
            const names = der.readNode(inner);
            for (const n of der.children(inner, names)) {
              if (n.tag === 0x82) dnsNames.push(der.content(inner, n).toString('latin1').toLowerCase());
              if (n.tag === 0x87) ipAddresses.push(ipText(der.content(inner, n)));
            }
          }
        }
      }
    }
    const [algIdNode] = der.children(buf, algNode);
    if (!algIdNode || algIdNode.tag !== der.Tag.OID) throw new Error('malformed signatureAlgorithm');
    algOid = der.decodeOid(der.content(buf, algIdNode));
    const bits = der.content(buf, sigNode);
    if (bits.length < 2 || bits[0] !== 0) throw new Error('malformed signature BIT STRING');
    signature = bits.subarray(1);
  } catch (e) {
    if (e instanceof CsrError) throw e;
    throw new CsrError(`The CSR cannot be parsed: ${(e as Error).message}.`);
  }
  const sig = SIGNATURES[algOid];
  if (!sig) throw new CsrError(`The CSR is signed with an unsupported algorithm (${algOid}); use SHA-256 or stronger with RSA or ECDSA.`);
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
    keySize = CURVE_BITS[keyParameter] ?? 0;
    if (!keySize) throw new CsrError(`The CSR's EC key is on an unsupported curve (${keyParameter || 'unknown'}).`);
  } else {
    throw new CsrError(`The CSR's key type ${publicKey.asymmetricKeyType ?? 'unknown'} is not supported; use RSA or ECC.`);
  }
  if (sig.key !== publicKey.asymmetricKeyType) throw new CsrError(`The CSR's signature algorithm ${sig.name} does not fit its ${keyAlgorithm} key.`);
  let ok = false;
  try {
    ok = verify(sig.hash, cri, publicKey, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new CsrError('The CSR signature does not verify: it was altered or not signed by its own key.');
  const subject: CsrSubject = {};
  for (const a of attrs) {
    const k = a.type as SubjectKey;
    if (SUBJECT_ORDER.includes(k) && subject[k] === undefined) subject[k] = a.value;
  }
  return {
    der: buf,
    pem: toPem('CERTIFICATE REQUEST', buf),
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

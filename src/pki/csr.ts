// PKCS#10 certificate signing requests (RFC 2986), built: a subject checked against RFC 5280's
// bounds, a subjectAltName extension request, signed with RSA, ECDSA or SM2 (SM2-with-SM3, the
// GM/T 0009 default signer ID). Reading CSRs back is ./csr-parse.ts. No I/O.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { Fault } from '../domain/errors.js';
import { keyLabel, signerFor, sm2Signer, type Signer } from './certificate-builder.js';
import * as der from './der.js';
import { leafKeyKind, spkiOf } from './keys.js';
import { checkedDomains, commonNameFor, dnsNames as sanValue, encodeName, isDnsName } from './names.js';
import { OID } from './oids.js';
import { toPem } from './pem.js';
import { sm2PrivateKey } from './sm2.js';

/** A CSR that cannot be built or read. Callers that answer with another code catch it by type. */
export class CsrError extends Fault {
  constructor(message: string) {
    super('malformed', message);
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
export type SubjectKey = keyof CsrSubject;

export const SUBJECT_ORDER: readonly SubjectKey[] = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'];
/** The attribute type of each subject field. */
export const SUBJECT_OID: Readonly<Record<SubjectKey, string>> = {
  C: OID.countryName, ST: OID.stateOrProvinceName, L: OID.localityName, O: OID.organizationName,
  OU: OID.organizationalUnitName, CN: OID.commonName, emailAddress: OID.emailAddress,
};

/** RFC 5280 Appendix A upper bounds (ub-*) and PKCS#9's for emailAddress. */
export const SUBJECT_MAX_LENGTH: Record<SubjectKey, number> = {
  C: 2, ST: 128, L: 128, O: 64, OU: 64, CN: 64, emailAddress: 255,
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

/** The subject Name: one RDN per attribute, in SUBJECT_ORDER. */
export function encodeSubject(subject: CsrSubject): Buffer {
  const s = checkSubject(subject);
  return encodeName(SUBJECT_ORDER.filter((k) => s[k] !== undefined).map((k) => [SUBJECT_OID[k], s[k]!] as const));
}

/** The signer and SubjectPublicKeyInfo of a private key: RSA, ECDSA (P-256, P-384, P-521) or SM2. */
function csrSigner(privateKey: string | KeyObject): { signer: Signer; spki: Buffer } {
  let key: KeyObject | null = null;
  try {
    key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  } catch { /* not a key node:crypto reads: perhaps SM2 in SEC1 form, tried below */ }
  if (key && key.type !== 'private') throw new CsrError('A CSR is signed with a private key.');
  const signer = key && signerFor(key);
  if (key && signer) return { signer, spki: spkiOf(key) };
  // OpenSSL 3 reads an SM2 key back without a type node:crypto knows; sm2.ts reads it by hand.
  const pem = typeof privateKey === 'string' ? privateKey : privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let sm2: ReturnType<typeof sm2PrivateKey> | null = null;
  try {
    sm2 = sm2PrivateKey(pem);
  } catch { /* not SM2 either */ }
  if (sm2) return { signer: sm2Signer(sm2), spki: sm2.spki };
  const what = key ? keyLabel(key) : 'unreadable';
  throw new CsrError(`A CSR cannot be signed with a ${what} key; use RSA or ECDSA (P-256, P-384, P-521).`);
}

export interface BuildCsrInput {
  subject: CsrSubject;
  /** SAN dNSNames, already normalised (lower case, A-labels; a leading `*.` is allowed). */
  dnsNames: string[];
  /** PKCS#8/PKCS#1/SEC1 PEM or a KeyObject. */
  privateKey: string | KeyObject;
}

/** A PEM PKCS#10 CSR for the key with the subject and, when names are given, a SAN extension request. */
export function buildCsr(input: BuildCsrInput): string {
  const names: string[] = [];
  for (const d of input.dnsNames) {
    if (!isDnsName(d)) throw new CsrError(`${JSON.stringify(d)} is not a normalised DNS name.`);
    if (!names.includes(d)) names.push(d);
  }
  const { signer, spki } = csrSigner(input.privateKey);
  const attributes = names.length === 0 ? [] : [der.seq(
    der.oid(OID.extensionRequest),
    der.set(der.seq(der.seq(der.oid(OID.subjectAltName), der.octets(sanValue(names))))),
  )];
  const cri = der.seq(
    der.uint(0), // version 1
    encodeSubject(input.subject),
    spki,
    der.tlv(0xa0, ...(attributes.length ? attributes : [Buffer.alloc(0)])),
  );
  return toPem('CERTIFICATE REQUEST', der.seq(cri, signer.alg, der.bitString(signer.sign(cri))));
}

/**
 * A CSR for an RSA or ECDSA key a public CA would sign, for these names: subject CN = the
 * first name (when it fits), SAN = all of them. What certport sends an upstream CA for a key it made.
 */
export function domainCsr(privateKeyPem: string, domains: string[]): string {
  const names = checkedDomains(domains);
  leafKeyKind(createPublicKey(privateKeyPem));
  const cn = commonNameFor(names);
  return buildCsr({ subject: cn === null ? {} : { CN: cn }, dnsNames: names, privateKey: privateKeyPem });
}

/** Subject fields of an SM2 CSR, as the GM tools name them. Encoded in the order C, ST, L, O, OU, CN (FACTS.md). */
export interface Sm2CsrSubject {
  country?: string;
  province?: string;
  locality?: string;
  organization?: string;
  organizationalUnit?: string;
  /** Defaults to the first domain when it fits in 64 characters; null leaves CN out. */
  commonName?: string | null;
}

/**
 * A PKCS#10 CSR (PEM) for an SM2 key, signed SM2-with-SM3 with the GM/T 0009 default signer
 * ID: subject CN = first domain (when it fits) unless `subject` says otherwise, SAN = all
 * domains. OpenSSL 3.0 checks it with `openssl req -verify -vfyopt distid:1234567812345678`.
 * Keys of other types are refused (notSm2); subject values are trimmed, out-of-range ones refused as invalid values.
 */
export function buildSm2Csr(privateKeyPem: string, domains: string[], subject: Sm2CsrSubject = {}): string {
  const names = checkedDomains(domains);
  sm2PrivateKey(privateKeyPem);
  // RFC 5280 upper bounds: ub-state-name and ub-locality-name 128, the others 64.
  const field = (label: string, v: string | undefined, max: number): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '' || [...v].length > max) {
      throw new Fault('invalidValue', `Subject ${label} must be 1 to ${max} characters.`);
    }
    return v.trim();
  };
  const country = subject.country === undefined ? undefined : String(subject.country).toUpperCase();
  if (country !== undefined && !/^[A-Z]{2}$/.test(country)) throw new Fault('invalidValue', 'Subject country must be a two-letter ISO 3166 code.');
  const cn = subject.commonName === null ? undefined : field('commonName', subject.commonName ?? commonNameFor(names) ?? undefined, 64);
  return buildCsr({
    subject: {
      C: country,
      ST: field('province', subject.province, 128),
      L: field('locality', subject.locality, 128),
      O: field('organization', subject.organization, 64),
      OU: field('organizationalUnit', subject.organizationalUnit, 64),
      CN: cn,
    },
    dnsNames: names,
    privateKey: privateKeyPem,
  });
}

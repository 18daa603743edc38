// X.501 Names and DNS names as certificates and CSRs carry them.
import { Fault } from '../domain/errors.js';
import * as der from './der.js';
import { canonicalIp, ipBytes } from './ip.js';
import { OID } from './oids.js';

/** PrintableString attributes (RFC 5280 Appendix A, EV Guidelines 9.2.5); emailAddress is IA5String (PKCS #9); the rest UTF8String. */
const PRINTABLE_ATTRS = new Set<string>([OID.countryName, OID.serialNumber, OID.jurisdictionCountryName]);

/** A Name from (type, value) pairs, one RDN each, in the order given. */
export function encodeName(attrs: readonly (readonly [string, string])[]): Buffer {
  return der.seq(...attrs.map(([type, value]) => der.set(der.seq(der.oid(type),
    PRINTABLE_ATTRS.has(type) ? der.printable(value) : type === OID.emailAddress ? der.ia5(value) : der.utf8(value)))));
}

/** The text of a string-valued attribute (DirectoryString and the other string types X.520 uses). */
export function decodeString(buf: Buffer, node: der.Node): string {
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

/** Every attribute of a Name, in order, as (OID, text). */
export function decodeName(buf: Buffer, name: der.Node): { type: string; value: string }[] {
  if (name.tag !== der.Tag.SEQUENCE) throw new Error('subject is not a Name');
  const out: { type: string; value: string }[] = [];
  for (const rdn of der.children(buf, name)) {
    if (rdn.tag !== der.Tag.SET) throw new Error('subject RDN is not a SET');
    for (const atv of der.children(buf, rdn)) {
      const [typeNode, valueNode] = der.children(buf, atv);
      if (!typeNode || !valueNode || typeNode.tag !== der.Tag.OID) throw new Error('malformed subject attribute');
      out.push({ type: der.decodeOid(der.content(buf, typeNode)), value: decodeString(buf, valueNode) });
    }
  }
  return out;
}

/** A normalised DNS name (lower case, A-labels), a leading `*.` allowed. */
export const DNS_NAME = /^(\*\.)?([a-z0-9-]{1,63}\.)+[a-z0-9-]{1,63}$/;

export const isDnsName = (d: unknown): d is string => typeof d === 'string' && d.length <= 253 && DNS_NAME.test(d);

/** SAN dNSNames (GeneralName [2]) as a subjectAltName extension value. */
export const dnsNames = (names: readonly string[]) => der.seq(...names.map((d) => der.tlv(0x82, Buffer.from(d, 'latin1'))));

/** SAN dNSNames (GeneralName [2]) then iPAddresses (GeneralName [7], the address's octets). */
export const generalNames = (names: readonly string[], ips: readonly Buffer[]) =>
  der.seq(...names.map((d) => der.tlv(0x82, Buffer.from(d, 'latin1'))), ...ips.map((b) => der.tlv(0x87, b)));

/** Names must already be normalised (validation/names.ts); this is a last line of defence. */
export function checkedDomains(domains: string[]): string[] {
  if (!Array.isArray(domains) || domains.length === 0) throw new Fault('malformed', 'At least one domain is required.');
  const out: string[] = [];
  for (const d of domains) {
    if (!isDnsName(d)) throw new Fault('invalidValue', `${JSON.stringify(d)} is not a normalised DNS name.`);
    if (!out.includes(d)) out.push(d);
  }
  if (out.length > 100) throw new Fault('malformed', 'A certificate holds at most 100 names.');
  return out;
}

/**
 * A leaf's names: DNS names (checkedDomains) and IP addresses in their one spelling (pki/ip.ts),
 * at least one of either and 100 together. A certificate for addresses only is named in its CN
 * by its first address (CA/B Forum BR 7.1.4.3 allows an IP address there, in that spelling).
 */
export function checkedNames(domains: string[] | undefined, ips: string[] | undefined): { domains: string[]; ips: { text: string; bytes: Buffer }[] } {
  if (!ips?.length) return { domains: checkedDomains(domains ?? []), ips: [] };
  const out: { text: string; bytes: Buffer }[] = [];
  for (const ip of ips) {
    const text = canonicalIp(ip);
    if (text === null || text !== ip) throw new Fault('invalidValue', `${JSON.stringify(ip)} is not an IP address in its canonical form.`);
    if (!out.some((o) => o.text === text)) out.push({ text, bytes: ipBytes(text)! });
  }
  const names = domains?.length ? checkedDomains(domains) : [];
  if (names.length + out.length > 100) throw new Fault('malformed', 'A certificate holds at most 100 names.');
  return { domains: names, ips: out };
}

/** ub-common-name is 64 (RFC 5280): a longer first name goes only into the SAN. */
export const commonNameFor = (domains: readonly string[]): string | null => (domains[0].length <= 64 ? domains[0] : null);

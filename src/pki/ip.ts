// IP addresses as certificates carry them (RFC 5280 4.2.1.6: an iPAddress GeneralName is the 4
// or 16 octets in network order) and as text (RFC 8738 section 3: IPv4 in dotted decimal, IPv6
// in RFC 5952's canonical form, so one address has one spelling wherever it is compared).
import { isIP } from 'node:net';

/**
 * The octets of an IPv4 or IPv6 address written as text; null for anything else, including
 * what node:net also takes but a certificate cannot name: zone ids (`fe80::1%eth0`), and
 * prefixes, brackets and ports, which isIP refuses anyway.
 */
export function ipBytes(text: string): Buffer | null {
  if (typeof text !== 'string' || text.includes('%')) return null;
  const family = isIP(text);
  if (family === 4) return Buffer.from(text.split('.').map(Number));
  if (family !== 6) return null;
  const out = Buffer.alloc(16);
  let s = text;
  // An embedded IPv4 tail (`::ffff:192.0.2.1`) stands for the last two groups.
  const v4 = s.includes('.') ? s.slice(s.lastIndexOf(':') + 1) : null;
  if (v4) s = s.slice(0, s.lastIndexOf(':') + 1) + '0:0';
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === null ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (v4) Buffer.from(v4.split('.').map(Number)).copy(out, 12);
  return out;
}

/** Dotted decimal for 4 octets; RFC 5952 section 4 for 16 (section 5's mixed form for IPv4-mapped ones); null for other lengths. */
export function ipText(b: Uint8Array): string | null {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) return null;
  const buf = Buffer.from(b);
  if (buf.subarray(0, 10).every((x) => x === 0) && buf[10] === 0xff && buf[11] === 0xff) return `::ffff:${[...buf.subarray(12)].join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(i));
  // The longest run of two or more zero groups becomes "::", the first of equally long ones (4.2.2, 4.2.3).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/** The one spelling of an address (see ipText), or null when `text` is not an address. */
export function canonicalIp(text: string): string | null {
  const b = ipBytes(text);
  return b ? ipText(b) : null;
}

/**
 * The reverse-DNS name of an address (RFC 8738 section 6, for tls-alpn-01's SNI):
 * `1.2.0.192.in-addr.arpa`, or the 32 nibbles of an IPv6 address reversed under `ip6.arpa`.
 */
export function reverseName(text: string): string {
  const b = ipBytes(text);
  if (!b) throw new Error(`${JSON.stringify(text)} is not an IP address`);
  if (b.length === 4) return `${[...b].reverse().join('.')}.in-addr.arpa`;
  return `${[...b.toString('hex')].reverse().join('.')}.ip6.arpa`;
}

/** Whether `ip` (text) lies in the CIDR prefix `net/len` (`192.0.2.0/24`, `2001:db8::/32`); false across families. */
export function inPrefix(ip: string, prefix: { bytes: Buffer; length: number }): boolean {
  const b = ipBytes(ip);
  if (!b || b.length !== prefix.bytes.length) return false;
  const whole = prefix.length >> 3;
  if (!b.subarray(0, whole).equals(prefix.bytes.subarray(0, whole))) return false;
  const bits = prefix.length & 7;
  if (!bits) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (b[whole]! & mask) === (prefix.bytes[whole]! & mask);
}

/** `net/len` read and put in canonical form (host bits must be zero); null when it is not a CIDR prefix. */
export function parsePrefix(text: string): { text: string; bytes: Buffer; length: number } | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const bytes = m ? ipBytes(m[1]!) : ipBytes(text.trim());
  if (!bytes) return null;
  const length = m ? Number(m[2]) : bytes.length * 8;
  if (length > bytes.length * 8) return null;
  const p = { bytes, length };
  // Host bits set (`192.0.2.1/24`) is most likely a typo for something else: refuse it.
  const zeroed = Buffer.alloc(bytes.length);
  bytes.copy(zeroed, 0, 0, Math.ceil(length / 8));
  if (length & 7) zeroed[length >> 3]! &= (0xff << (8 - (length & 7))) & 0xff;
  if (!zeroed.equals(bytes)) return null;
  return { text: `${ipText(bytes)}/${length}`, ...p };
}

// A minimal DER writer and reader (ITU-T X.690), enough to build X.509 certificates and
// CSRs by hand. Hand-encoding is what makes the embedded CA fast: a generic ASN.1 library
// spends far more time encoding a TBSCertificate than node:crypto spends signing it.

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Size of the identifier and length octets of a TLV whose content is `len` bytes (short or long form). */
export function headerSize(len: number): number {
  return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : 6;
}

/** Writes the identifier and length octets at `offset`; returns the offset of the content. */
export function writeHeader(buf: Buffer, offset: number, tag: number, len: number): number {
  buf[offset++] = tag;
  if (len < 0x80) {
    buf[offset++] = len;
    return offset;
  }
  const n = headerSize(len) - 2;
  buf[offset++] = 0x80 | n;
  for (let i = n - 1; i >= 0; i--) buf[offset++] = Math.floor(len / 2 ** (8 * i)) & 0xff;
  return offset;
}

/** One TLV; `tag` is the full identifier octet (e.g. 0x30, 0xa0 for [0] constructed). One allocation, one copy per part. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  let len = 0;
  for (const c of content) len += c.length;
  const out = Buffer.allocUnsafe(headerSize(len) + len);
  let p = writeHeader(out, 0, tag, len);
  for (const c of content) p += c.copy(out, p);
  return out;
}

export const seq = (...items: Buffer[]) => tlv(Tag.SEQUENCE, ...items);
export const set = (...items: Buffer[]) => tlv(Tag.SET, ...items);
export const octets = (b: Buffer) => tlv(Tag.OCTET_STRING, b);
export const bool = (v: boolean) => tlv(Tag.BOOLEAN, Buffer.from([v ? 0xff : 0x00]));
export const nullValue = () => Buffer.from([Tag.NULL, 0x00]);
export const utf8 = (s: string) => tlv(Tag.UTF8_STRING, Buffer.from(s, 'utf8'));
export const printable = (s: string) => tlv(Tag.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
export const ia5 = (s: string) => tlv(Tag.IA5_STRING, Buffer.from(s, 'latin1'));
/** BIT STRING holding whole bytes (a signature, a public key). */
export const bitString = (b: Buffer, unusedBits = 0) => tlv(Tag.BIT_STRING, Buffer.from([unusedBits]), b);
/** [n] EXPLICIT wrapper. */
export const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);

/** INTEGER from an unsigned big-endian magnitude: strips redundant zeros, adds one when the top bit is set. */
export function uint(magnitude: Buffer | number): Buffer {
  let b: Buffer;
  if (typeof magnitude === 'number') {
    const hex = magnitude.toString(16);
    b = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
  } else b = magnitude;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(Tag.INTEGER, b);
}

const oidCache = new Map<string, Buffer>();
export function oid(dotted: string): Buffer {
  const hit = oidCache.get(dotted);
  if (hit) return hit;
  const arcs = dotted.split('.').map((s) => BigInt(s));
  const out: number[] = [];
  const push = (v: bigint) => {
    const tmp: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) tmp.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...tmp);
  };
  push(arcs[0] * 40n + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  const enc = tlv(Tag.OID, Buffer.from(out));
  oidCache.set(dotted, enc);
  return enc;
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** RFC 5280 section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function time(d: Date): Buffer {
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new Error(`DER: year ${year} cannot be encoded`);
  const rest = pad2(d.getUTCMonth() + 1) + pad2(d.getUTCDate()) + pad2(d.getUTCHours()) + pad2(d.getUTCMinutes()) + pad2(d.getUTCSeconds()) + 'Z';
  if (year >= 1950 && year < 2050) return tlv(Tag.UTC_TIME, Buffer.from(pad2(year % 100) + rest, 'latin1'));
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(String(year).padStart(4, '0') + rest, 'latin1'));
}

// ---- reading -------------------------------------------------------------------------

export interface Node {
  tag: number;
  /** offset of the identifier octet */
  start: number;
  /** offset of the first content octet */
  contentStart: number;
  /** offset just past the content */
  end: number;
}

export function readNode(buf: Buffer, offset = 0): Node {
  if (offset + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not supported');
  let len = buf[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    p += n;
  }
  if (p + len > buf.length) throw new Error('DER: length exceeds input');
  return { tag, start: offset, contentStart: p, end: p + len };
}

/**
 * readNode for input that must be DER, not merely BER: lengths in the shortest form. Used where
 * bytes are copied into a certificate as they are (a SubjectPublicKeyInfo from a CSR).
 */
export function readNodeStrict(buf: Buffer, offset = 0): Node {
  const n = readNode(buf, offset);
  const len = n.end - n.contentStart;
  if (n.contentStart - n.start !== headerSize(len)) throw new Error('DER: length not in its shortest form');
  return n;
}

export function children(buf: Buffer, node: Node): Node[] {
  const out: Node[] = [];
  for (let p = node.contentStart; p < node.end; ) {
    const c = readNode(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

export const raw = (buf: Buffer, n: Node) => buf.subarray(n.start, n.end);
export const content = (buf: Buffer, n: Node) => buf.subarray(n.contentStart, n.end);

export function decodeOid(b: Buffer): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const byte of b) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const a = first < 80n ? first / 40n : 2n;
  return [a, first - a * 40n, ...arcs].join('.');
}

/** A UTCTime or GeneralizedTime (whole seconds, Zulu, as RFC 5280 4.1.2.5 requires). */
export function decodeTime(buf: Buffer, n: Node): Date {
  const s = content(buf, n).toString('latin1');
  const full = n.tag === Tag.UTC_TIME ? (Number(s.slice(0, 2)) >= 50 ? '19' : '20') + s : s;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(full);
  if (!m) throw new Error(`DER: unsupported time ${s}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

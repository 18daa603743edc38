// DNS_AUTO validation: certport puts the validation TXT record into the customer's zone
// itself, with an RFC 2136 dynamic update signed by TSIG (RFC 8945), and removes it after.
//
// The DNS wire format is written by hand. dns-packet, the one DNS codec among the
// dependencies, has no TSIG record codec and encodes class NONE as 0, and TSIG signs the
// exact bytes sent; one update message is a header, a zone, one record and a signature.
//
// Only TCP is used: no truncation, and an off-path attacker cannot slip in a forged answer
// the way it can race one over UDP.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { connect, isIP } from 'node:net';

export interface TsigKey {
  name: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha384' | 'hmac-sha1';
  /** base64 */
  secret: string;
}

export interface Rfc2136Target {
  /** 'ip:port' or 'ip' (port 53); '[v6]:port' for IPv6. */
  server: string;
  /** Zone apex, e.g. 'example.com'. */
  zone: string;
  tsig?: TsigKey;
  /** For the whole exchange (connect, send, answer); default 5000 ms. */
  timeoutMs?: number;
}

/**
 * A failed update. `rcode` is the server's RCODE name ('REFUSED', 'NOTAUTH', 'NOTZONE', ...),
 * the TSIG error when the server rejected the signature ('BADSIG', 'BADKEY', 'BADTIME'), or a
 * local verdict: 'NOTZONE' (name outside the zone, nothing sent), 'TIMEOUT', 'NETWORK',
 * 'BADSIG' (the server's answer failed verification), 'BADRESPONSE' (malformed answer or
 * wrong id), 'INVALID' (an argument that cannot be encoded).
 */
export class DnsUpdateError extends Error {
  constructor(
    readonly rcode: string,
    message: string,
  ) {
    super(message);
    this.name = 'DnsUpdateError';
  }
}

/** Adds a TXT record (name must be inside the zone; absolute, no trailing dot needed). Idempotent: re-adding the same value is fine. */
export async function addTxtRecord(t: Rfc2136Target, name: string, value: string, ttl = 60): Promise<void> {
  const op = new Operation(t, 'add', name);
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) throw op.fail('INVALID', `TTL ${ttl} is not an integer from 0 to 2^31-1`);
  await op.run({ cls: CLASS_IN, ttl, rdata: txtRdata(op, value) });
}

/** Deletes the TXT record with this exact value, or every TXT record at name when value is omitted. Deleting something absent succeeds. */
export async function deleteTxtRecord(t: Rfc2136Target, name: string, value?: string): Promise<void> {
  const op = new Operation(t, value === undefined ? 'delete every' : 'delete', name);
  // RFC 2136 2.5.4 / 2.5.2: class NONE deletes one RR by its rdata, class ANY the whole RRset.
  await op.run(value === undefined ? { cls: CLASS_ANY, ttl: 0, rdata: EMPTY } : { cls: CLASS_NONE, ttl: 0, rdata: txtRdata(op, value) });
}

const TYPE_SOA = 6;
const TYPE_TXT = 16;
const TYPE_TSIG = 250;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const OPCODE_UPDATE = 5;
const FUDGE = 300; // RFC 8945 10: the recommended clock skew window, in seconds
const EMPTY = Buffer.alloc(0);

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const RCODE_NOTAUTH = 9;
const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };
const HASHES = { 'hmac-sha1': 'sha1', 'hmac-sha256': 'sha256', 'hmac-sha384': 'sha384', 'hmac-sha512': 'sha512' } as const;

const WHY: Record<string, string> = {
  FORMERR: 'the server could not parse the update',
  SERVFAIL: 'the server failed to apply the update',
  NOTIMP: 'the server does not support dynamic updates',
  REFUSED: 'the server does not allow updates to this zone from this client or key',
  NOTAUTH: 'the server is not authoritative for the zone, or did not accept the signature',
  NOTZONE: 'the name is not inside the zone',
  BADSIG: 'the TSIG signature did not verify: check the key secret and algorithm',
  BADKEY: 'the server does not know this TSIG key: check the key name and algorithm',
  BADTIME: 'the TSIG time is outside the allowed window: check both clocks',
  BADTRUNC: 'the server refused the truncated TSIG MAC',
};

interface Change {
  cls: number;
  ttl: number;
  rdata: Buffer;
}

/** One update, so that every error names the server, zone and record. */
class Operation {
  readonly zone: string;
  readonly name: string;
  private readonly what: string;

  constructor(
    private readonly t: Rfc2136Target,
    action: string,
    name: string,
  ) {
    this.zone = bare(t.zone);
    this.name = bare(name);
    this.what = `DNS update (${action} TXT ${this.name}) of zone ${this.zone} at ${t.server}`;
  }

  fail(rcode: string, detail = WHY[rcode] ?? 'the server rejected the update'): DnsUpdateError {
    return new DnsUpdateError(rcode, `${this.what} failed: ${rcode}: ${detail}`);
  }

  async run(change: Change): Promise<void> {
    const { t, zone, name } = this;
    if (!(name === zone || zone === '' || name.endsWith(`.${zone}`))) throw this.fail('NOTZONE', `${name} is not inside zone ${zone}`);
    const server = parseServer(t.server);
    if (!server) throw this.fail('INVALID', `server ${JSON.stringify(t.server)} is not 'ip', 'ip:port' or '[v6]:port'`);
    const timeoutMs = t.timeoutMs ?? 5000;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) throw this.fail('INVALID', `timeoutMs ${timeoutMs} is not a positive number`);
    const key = t.tsig && this.tsigKey(t.tsig);

    const id = randomInt(0x10000);
    const unsigned = updateMessage(id, this.wire(zone), this.wire(name), change);
    const { message, mac } = key ? sign(unsigned, key, now()) : { message: unsigned, mac: EMPTY };
    if (message.length > 0xffff) throw this.fail('INVALID', 'the update does not fit in one DNS message');
    const raw = await exchange(server.host, server.port, message, timeoutMs, this);

    const res = parseResponse(raw);
    if (typeof res === 'string') throw this.fail('BADRESPONSE', res);
    if (res.id !== id) throw this.fail('BADRESPONSE', `the answer's id ${res.id} is not the request's ${id}`);
    if (key) {
      const tsig = res.tsig;
      // A server that rejected our signature says why in the TSIG error (RFC 8945 5.2).
      if (res.rcode === RCODE_NOTAUTH && tsig && tsig.error !== 0) throw this.fail(TSIG_ERRORS[tsig.error] ?? `TSIG error ${tsig.error}`);
      // Anything the server signed is verified; success counts only when signed.
      if (tsig && tsig.mac.length > 0) {
        const bad = verify(raw, tsig, key, mac, now());
        if (bad) throw this.fail('BADSIG', `the server's answer failed TSIG verification: ${bad}`);
      } else if (res.rcode === 0) {
        throw this.fail('BADSIG', `the server's answer is not signed`);
      }
    }
    if (res.rcode !== 0) throw this.fail(RCODES[res.rcode] ?? `RCODE${res.rcode}`);
  }

  /** Name in wire form, lower case: the canonical form that the TSIG MAC covers (RFC 8945 4.3.3). */
  wire(name: string): Buffer {
    const labels = name === '' ? [] : name.split('.');
    const parts: Buffer[] = [];
    for (const label of labels) {
      if (!/^[\x21-\x7e]{1,63}$/.test(label)) throw this.fail('INVALID', `${JSON.stringify(name)} has an empty, too long or non-ASCII label`);
      parts.push(Buffer.from([label.length]), Buffer.from(label, 'ascii'));
    }
    parts.push(Buffer.from([0]));
    const out = Buffer.concat(parts);
    if (out.length > 255) throw this.fail('INVALID', `${JSON.stringify(name)} is longer than 255 octets`);
    return out;
  }

  private tsigKey(k: TsigKey): Key {
    const hash = HASHES[k.algorithm];
    if (!hash) throw this.fail('INVALID', `TSIG algorithm ${JSON.stringify(k.algorithm)} is not supported`);
    const secret = Buffer.from(k.secret, 'base64');
    if (secret.length === 0) throw this.fail('INVALID', 'the TSIG secret is empty or not base64');
    return { name: this.wire(bare(k.name)), algorithm: this.wire(k.algorithm), hash, secret };
  }
}

const bare = (name: string) => name.trim().replace(/\.$/, '').toLowerCase();
const now = () => Math.floor(Date.now() / 1000);

function parseServer(server: string): { host: string; port: number } | undefined {
  const s = server.trim();
  if (isIP(s) === 6) return { host: s, port: 53 };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:[\]\s]+)(?::(\d+))?$/.exec(s);
  if (!m || (s.startsWith('[') && isIP(m[1]) !== 6)) return undefined;
  const port = m[2] === undefined ? 53 : Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1], port } : undefined;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u48 = (n: number) => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

/** TXT rdata: one or more character-strings of at most 255 octets (RFC 1035 3.3.14). */
function txtRdata(op: Operation, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  const rdata = Buffer.concat(parts);
  if (rdata.length > 0xffff) throw op.fail('INVALID', `the TXT value is too long (${bytes.length} octets)`);
  return rdata;
}

const rr = (owner: Buffer, type: number, cls: number, ttl: number, rdata: Buffer) =>
  Buffer.concat([owner, u16(type), u16(cls), u32(ttl), u16(rdata.length), rdata]);

/** RFC 2136 2: header with opcode UPDATE, zone section = zone SOA IN, no prerequisites, one update. */
function updateMessage(id: number, zone: Buffer, owner: Buffer, change: Change): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4); // ZOCOUNT
  header.writeUInt16BE(1, 8); // UPCOUNT
  return Buffer.concat([header, zone, u16(TYPE_SOA), u16(CLASS_IN), rr(owner, TYPE_TXT, change.cls, change.ttl, change.rdata)]);
}

interface Key {
  name: Buffer;
  algorithm: Buffer;
  hash: string;
  secret: Buffer;
}

/** The TSIG variables of RFC 8945 4.3.3, which the MAC covers after the message. */
function tsigVariables(key: Key, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([key.name, u16(CLASS_ANY), u32(0), key.algorithm, u48(timeSigned), u16(fudge), u16(error), u16(other.length), other]);
}

/** Appends a TSIG record to the additional section (RFC 8945 4.2). */
function sign(message: Buffer, key: Key, timeSigned: number): { message: Buffer; mac: Buffer } {
  const mac = createHmac(key.hash, key.secret).update(message).update(tsigVariables(key, timeSigned, FUDGE, 0, EMPTY)).digest();
  const originalId = message.readUInt16BE(0);
  const rdata = Buffer.concat([key.algorithm, u48(timeSigned), u16(FUDGE), u16(mac.length), mac, u16(originalId), u16(0), u16(0)]);
  const signed = Buffer.concat([message, rr(key.name, TYPE_TSIG, CLASS_ANY, 0, rdata)]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

interface Tsig {
  /** Offset of the TSIG record in the response. */
  start: number;
  name: Buffer;
  algorithm: Buffer;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

/**
 * Checks the server's TSIG (RFC 8945 5.3, 4.3.1): the MAC covers the request's MAC, the
 * answer as it was before signing (original id, ARCOUNT less the TSIG), then the variables.
 * Returns what is wrong, or undefined.
 */
function verify(raw: Buffer, tsig: Tsig, key: Key, requestMac: Buffer, nowSec: number): string | undefined {
  if (!tsig.name.equals(key.name) || !tsig.algorithm.equals(key.algorithm)) return 'signed with another key or algorithm';
  const unsigned = Buffer.from(raw.subarray(0, tsig.start));
  unsigned.writeUInt16BE(tsig.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const expected = createHmac(key.hash, key.secret)
    .update(u16(requestMac.length))
    .update(requestMac)
    .update(unsigned)
    .update(tsigVariables(key, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other))
    .digest();
  // We send a full-length MAC, so the answer must carry one too (RFC 8945 5.2.2.1).
  if (tsig.mac.length !== expected.length || !timingSafeEqual(tsig.mac, expected)) return 'wrong MAC';
  if (Math.abs(nowSec - tsig.timeSigned) > tsig.fudge) return `signed at ${tsig.timeSigned}, more than ${tsig.fudge} s from now`;
  return undefined;
}

/** Header fields and the TSIG record of an answer, or what makes it unreadable. */
function parseResponse(raw: Buffer): { id: number; rcode: number; tsig?: Tsig } | string {
  try {
    if (raw.length < 12) return 'the answer is shorter than a DNS header';
    const flags = raw.readUInt16BE(2);
    if (!(flags & 0x8000) || ((flags >> 11) & 0xf) !== OPCODE_UPDATE) return 'the answer is not a response to an UPDATE';
    const [zo, pr, up, ad] = [4, 6, 8, 10].map((o) => raw.readUInt16BE(o));
    let off = 12;
    for (let i = 0; i < zo; i++) off = readName(raw, off).end + 4;
    let tsig: Tsig | undefined;
    for (let i = 0; i < pr + up + ad; i++) {
      const start = off;
      const owner = readName(raw, off);
      const type = raw.readUInt16BE(owner.end);
      const rdlength = raw.readUInt16BE(owner.end + 8);
      off = owner.end + 10 + rdlength;
      if (off > raw.length) return 'a record runs past the end of the answer';
      if (type !== TYPE_TSIG) continue;
      if (i !== pr + up + ad - 1) return 'the TSIG record is not the last one';
      let p = owner.end + 10;
      const algorithm = readName(raw, p);
      p = algorithm.end;
      const timeSigned = raw.readUIntBE(p, 6);
      const fudge = raw.readUInt16BE(p + 6);
      const macSize = raw.readUInt16BE(p + 8);
      const mac = raw.subarray(p + 10, p + 10 + macSize);
      p += 10 + macSize;
      const otherLen = raw.readUInt16BE(p + 4);
      tsig = {
        start, name: owner.wire, algorithm: algorithm.wire, timeSigned, fudge, mac,
        originalId: raw.readUInt16BE(p), error: raw.readUInt16BE(p + 2), other: raw.subarray(p + 6, p + 6 + otherLen),
      };
      if (p + 6 + otherLen !== off) return 'the TSIG record is malformed';
    }
    return { id: raw.readUInt16BE(0), rcode: flags & 0xf, tsig };
  } catch {
    return 'the answer is truncated or malformed'; // a read past the end, or a bad label
  }
}

/** Reads a possibly compressed name; returns it in canonical (lower case, uncompressed) wire form. */
function readName(raw: Buffer, off: number): { wire: Buffer; end: number } {
  const parts: Buffer[] = [];
  let end = -1;
  for (let jumps = 0; ; ) {
    const len = raw.readUInt8(off);
    if ((len & 0xc0) === 0xc0) {
      if (++jumps > 32) throw new RangeError('compression loop');
      if (end < 0) end = off + 2;
      off = raw.readUInt16BE(off) & 0x3fff;
    } else if (len === 0) {
      parts.push(Buffer.from([0]));
      return { wire: Buffer.from(Buffer.concat(parts).toString('latin1').toLowerCase(), 'latin1'), end: end < 0 ? off + 1 : end };
    } else {
      if (len > 63 || off + 1 + len > raw.length) throw new RangeError('bad label');
      parts.push(raw.subarray(off, off + 1 + len));
      off += 1 + len;
    }
  }
}

/** One request and its answer over TCP, each behind a 2-byte length (RFC 1035 4.2.2). */
function exchange(host: string, port: number, message: Buffer, timeoutMs: number, op: Operation): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = EMPTY;
    let settled = false;
    const finish = (err: DnsUpdateError | undefined, answer?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => finish(op.fail('TIMEOUT', `no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(Buffer.concat([u16(message.length), message])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        finish(undefined, received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish(op.fail('NETWORK', `connection failed: ${e.code ?? e.message}`)));
    socket.on('close', () => finish(op.fail('NETWORK', 'the server closed the connection before answering')));
  });
}

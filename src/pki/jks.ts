// Java KeyStore (JKS v2) writer. No I/O.
// Hand-written because no npm package writes JKS (jks-js and jksreader only read it),
// and the format is small: a big-endian header, entries, and a SHA-1 integrity digest.
// Layout (sun.security.provider.JavaKeyStore):
//   u32 0xFEEDFEED, u32 version 2, u32 entry count, then per entry
//     u32 tag (1 = PrivateKeyEntry, 2 = trustedCertEntry), UTF alias, u64 date (ms),
//     key entry:     u32 len + EncryptedPrivateKeyInfo DER, u32 chain length, per cert: UTF "X.509", u32 len + DER
//     trusted entry: UTF "X.509", u32 len + DER
//   20 bytes SHA-1(password as UTF-16BE || "Mighty Aphrodite" || everything above)
// where UTF is Java's DataOutput.writeUTF (u16 length + modified UTF-8).
import { X509Certificate, createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { OID } from './oids.js';
import { nullValue, octets, oid, seq } from './der.js';

const MAGIC = 0xfeedfeed;
const VERSION = 2;
const TAG_PRIVATE_KEY = 1;
const TAG_TRUSTED_CERT = 2;

class Writer {
  private parts: Buffer[] = [];
  u32(n: number) { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); this.parts.push(b); }
  u64(n: number) { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(n)))); this.parts.push(b); }
  bytes(b: Buffer) { this.parts.push(b); }
  lenBytes(b: Buffer) { this.u32(b.length); this.bytes(b); }
  utf(s: string) {
    const enc = modifiedUtf8(s);
    if (enc.length > 0xffff) throw new Error('JKS: string too long');
    const len = Buffer.alloc(2); len.writeUInt16BE(enc.length);
    this.parts.push(len, enc);
  }
  done(): Buffer { return Buffer.concat(this.parts); }
}

/** Java's modified UTF-8: UTF-16 code units encoded one by one; U+0000 as C0 80. */
function modifiedUtf8(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(out);
}

/** Password chars as big-endian UTF-16 bytes, no terminator (as JKS uses them). */
function passwordBytes(password: string): Buffer {
  const b = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) b.writeUInt16BE(password.charCodeAt(i), i * 2);
  return b;
}

const sha1 = (...parts: Buffer[]) => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * KeyProtector.protect: keystream = SHA-1 chain seeded by a 20-byte random salt,
 * result = salt || (pkcs8 XOR keystream) || SHA-1(password || pkcs8), wrapped in
 * EncryptedPrivateKeyInfo with the Sun OID.
 */
function protectKey(pkcs8: Buffer, password: string): Buffer {
  const pw = passwordBytes(password);
  const salt = randomBytes(20);
  const encrypted = Buffer.alloc(pkcs8.length);
  let digest = salt;
  for (let off = 0; off < pkcs8.length; off += 20) {
    digest = sha1(pw, digest);
    for (let i = 0; i < 20 && off + i < pkcs8.length; i++) encrypted[off + i] = pkcs8[off + i] ^ digest[i];
  }
  const check = sha1(pw, pkcs8);
  const protectedKey = Buffer.concat([salt, encrypted, check]);
  return seq(seq(oid(OID.jksKeyProtector), nullValue()), octets(protectedKey));
}

function finish(body: Buffer, password: string): Buffer {
  const mac = sha1(passwordBytes(password), Buffer.from('Mighty Aphrodite', 'utf8'), body);
  return Buffer.concat([body, mac]);
}

const certDer = (pem: string) => new X509Certificate(pem).raw;

/** JKS with a single PrivateKeyEntry: the key and its chain (leaf first). */
export function buildJks(opts: { keyPem: string; certPems: string[]; password: string; alias: string; createdAt?: Date }): Buffer {
  const pkcs8 = createPrivateKey(opts.keyPem).export({ type: 'pkcs8', format: 'der' });
  return buildJksDer({ ...opts, pkcs8, certDers: opts.certPems.map(certDer) });
}

/** buildJks from DER: the key as unencrypted PKCS#8, the certificates leaf first. */
export function buildJksDer(opts: { pkcs8: Buffer; certDers: Buffer[]; password: string; alias: string; createdAt?: Date }): Buffer {
  const chain = opts.certDers;
  if (chain.length === 0) throw new Error('buildJks: at least the leaf certificate is required');
  const w = new Writer();
  w.u32(MAGIC); w.u32(VERSION); w.u32(1);
  w.u32(TAG_PRIVATE_KEY);
  // keytool lower-cases aliases when it looks them up, so store them lower-cased.
  w.utf(opts.alias.toLowerCase());
  w.u64((opts.createdAt ?? new Date()).getTime());
  w.lenBytes(protectKey(opts.pkcs8, opts.password));
  w.u32(chain.length);
  for (const der of chain) { w.utf('X.509'); w.lenBytes(der); }
  return finish(w.done(), opts.password);
}

/** JKS of trustedCertEntries only (a CA truststore), aliases `<prefix>0`, `<prefix>1`, ... (lower-cased). */
export function buildTrustJks(opts: { certPems: string[]; password: string; aliasPrefix: string }): Buffer {
  const now = Date.now();
  const w = new Writer();
  w.u32(MAGIC); w.u32(VERSION); w.u32(opts.certPems.length);
  opts.certPems.forEach((pem, i) => {
    w.u32(TAG_TRUSTED_CERT);
    w.utf(`${opts.aliasPrefix}${i}`.toLowerCase());
    w.u64(now);
    w.utf('X.509');
    w.lenBytes(certDer(pem));
  });
  return finish(w.done(), opts.password);
}

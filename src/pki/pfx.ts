// PKCS#12 (PFX) for IIS / Tomcat downloads (RFC 7292), encoded by hand with ./der.ts and
// node:crypto. No I/O. PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for the key bag and the
// certificate safe, HMAC-SHA256 MAC with the PKCS#12 KDF: the algorithms OpenSSL 3 writes by
// default. Hand-encoding because pkijs spent ~30 ms of a download's ~60 in generic ASN.1 work
// (issue 27). node-forge is not used: it cannot handle EC keys.
//
// Iterations: 2048 for PBKDF2 and for the MAC, OpenSSL 3.0's default (PKCS12_DEFAULT_ITER,
// what `openssl pkcs12 -export` writes). OpenSSL 1.1/3.x and Java 17 keytool read it (Java's
// own default is 10,000; it reads any count up to its 5,000,000 cap). No PFX of Tencent's own
// was at hand to compare, so the default of the tool most PFX files come from it is.
// The key derivations are the PFX's cost, so the key bag and the certificate safe share one
// PBKDF2 output: one salt, one derived key, each safe with its own random IV. A reader simply
// derives the same key twice (a salt is there against precomputation, and one file's two
// safes share their password anyway): an ordinary PFX, with two key derivations, not three.
import { X509Certificate, createCipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, randomBytes, randomInt } from 'node:crypto';
import { OID } from './oids.js';
import { explicit, nullValue, octets, oid, seq, set, tlv, uint } from './der.js';

const ITERATIONS = 2048;

const PKCS7_DATA = '1.2.840.113549.1.7.1';
const PKCS7_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';
const HMAC_SHA256 = '1.2.840.113549.2.9';
const AES256_CBC = '2.16.840.1.101.3.4.1.42';
const SHA256 = '2.16.840.1.101.3.4.2.1';

/** Any PEM private key (PKCS#8, PKCS#1, SEC1) → unencrypted PKCS#8 DER. */
export function privateKeyPkcs8Der(keyPem: string): Buffer {
  return createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
}

/** Certificate PEM (one block) → DER; throws on anything that is not a certificate. */
export function certificateDer(certPem: string): Buffer {
  return new X509Certificate(certPem).raw;
}

/** BMPString (UTF-16BE), as PKCS#9 friendlyName is. */
function bmpString(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  const be = Buffer.allocUnsafe(le.length);
  for (let i = 0; i < le.length; i += 2) { be[i] = le[i + 1]!; be[i + 1] = le[i]!; }
  return tlv(0x1e, be);
}

function bagAttributes(friendlyName: string, localKeyId: Buffer): Buffer {
  return set(
    seq(oid(OID.friendlyName), set(bmpString(friendlyName))),
    seq(oid(OID.localKeyId), set(octets(localKeyId))),
  );
}

/** A PBES2 key (PBKDF2-HMAC-SHA256 → AES-256) derived once, for each safe that uses it. */
interface Pbes2Key { salt: Buffer; key: Buffer }

/**
 * What a PFX derives from its password: the PBES2 key and the MAC key, each with its random
 * salt. Neither depends on the content, so they can be derived before it is known (see
 * generatedKeystoreSecrets).
 */
export interface PfxSecrets { password: string; pbes2: Pbes2Key; mac: { salt: Buffer; key: Buffer } }

export function derivePfxSecrets(password: string): PfxSecrets {
  const pbes2Salt = randomBytes(16);
  const macSalt = randomBytes(16);
  return {
    password,
    pbes2: { salt: pbes2Salt, key: pbkdf2Sync(Buffer.from(password, 'utf8'), pbes2Salt, ITERATIONS, 32, 'sha256') },
    mac: { salt: macSalt, key: pkcs12MacKey(password, macSalt, ITERATIONS) },
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A generated keystore password (keystorePass.txt): 16 letters and digits, ~95 bits. */
export function keystorePassword(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

/**
 * Generated passwords with their PFX secrets derived ahead of time, a few per thread (issue 27):
 * the two key derivations are most of a PFX's cost, and for a password certport makes up they
 * need not wait for the download that uses it. The thread derives the next ones after a
 * download, one per turn of its event loop, while the request thread stores and answers; under
 * a burst the spares run out and secrets are derived in line, as for a user's own password.
 * Each set is used once (its salts are random, as every PFX's must be).
 */
const SPARES = 4;
const spares: PfxSecrets[] = [];
let refilling = false;

function refill(): void {
  if (refilling || spares.length >= SPARES) return;
  refilling = true;
  setImmediate(() => {
    refilling = false;
    if (spares.length < SPARES) spares.push(derivePfxSecrets(keystorePassword()));
    refill();
  });
}

/** A new generated password with its PFX secrets: a spare when one is ready. */
export function generatedKeystoreSecrets(): PfxSecrets {
  const s = spares.pop() ?? derivePfxSecrets(keystorePassword());
  refill();
  return s;
}

/** Derives the spare secrets now (a worker of the CPU pool, when it starts). */
export function prepareKeystoreSecrets(): void {
  refill();
}

/** PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC (RFC 8018): the AlgorithmIdentifier and the ciphertext, under a fresh IV. */
function pbes2Encrypt(plain: Buffer, k: Pbes2Key): { algorithm: Buffer; encrypted: Buffer } {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', k.key, iv);
  const encrypted = Buffer.concat([c.update(plain), c.final()]);
  const algorithm = seq(oid(PBES2), seq(
    seq(oid(PBKDF2), seq(octets(k.salt), uint(ITERATIONS), seq(oid(HMAC_SHA256), nullValue()))),
    seq(oid(AES256_CBC), octets(iv)),
  ));
  return { algorithm, encrypted };
}

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-256 (u = 32, v = 64), ID 3 (MAC
 * key), for a 32-byte key: one block of output, so no B/I adjustment is needed.
 */
function pkcs12MacKey(password: string, salt: Buffer, iterations: number): Buffer {
  const v = 64;
  const D = Buffer.alloc(v, 3);
  // BMPString with a two-byte NUL terminator.
  const le = Buffer.from(password + '\0', 'utf16le');
  const pw = Buffer.allocUnsafe(le.length);
  for (let i = 0; i < le.length; i += 2) { pw[i] = le[i + 1]!; pw[i + 1] = le[i]!; }
  const fill = (b: Buffer) => {
    if (b.length === 0) return b;
    const out = Buffer.allocUnsafe(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const A = createHash('sha256').update(D).update(fill(salt)).update(fill(pw)).digest();
  return rehash32(A, iterations - 1);
}

const K256 = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H256 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/**
 * SHA-256 applied `times` more times to a 32-byte value: the PKCS#12 KDF's iteration. One
 * padded block per round, in place; ~0.4 µs a round where node:crypto's per-call overhead is
 * ~5 µs (2,047 calls made the MAC key cost more than the rest of the PFX).
 */
export function rehash32(value: Buffer, times: number): Buffer {
  const w = new Uint32Array(64);
  const h = new Uint32Array(8);
  for (let i = 0; i < 8; i++) h[i] = value.readUInt32BE(i * 4);
  for (let t = 0; t < times; t++) {
    for (let i = 0; i < 8; i++) w[i] = h[i]!;
    w[8] = 0x80000000;
    for (let i = 9; i < 15; i++) w[i] = 0;
    w[15] = 256;
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!, b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = H256[0]!, b = H256[1]!, c = H256[2]!, d = H256[3]!, e = H256[4]!, f = H256[5]!, g = H256[6]!, hh = H256[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K256[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = H256[0]! + a; h[1] = H256[1]! + b; h[2] = H256[2]! + c; h[3] = H256[3]! + d;
    h[4] = H256[4]! + e; h[5] = H256[5]! + f; h[6] = H256[6]! + g; h[7] = H256[7]! + hh;
  }
  const out = Buffer.allocUnsafe(32);
  for (let i = 0; i < 8; i++) out.writeUInt32BE(h[i]!, i * 4);
  return out;
}

export async function buildPfx(opts: { keyPem: string; certPems: string[] /* leaf first then chain */; password: string; friendlyName: string }): Promise<Buffer> {
  return buildPfxDer({ pkcs8: privateKeyPkcs8Der(opts.keyPem), certDers: opts.certPems.map(certificateDer), password: opts.password, friendlyName: opts.friendlyName });
}

/**
 * buildPfx from DER: the key as unencrypted PKCS#8, the certificates leaf first (a download
 * decodes each once for PFX and JKS). `secrets` (derivePfxSecrets, generatedKeystoreSecrets)
 * stand for the password when given.
 */
export function buildPfxDer(opts: { pkcs8: Buffer; certDers: Buffer[]; password: string; friendlyName: string; secrets?: PfxSecrets }): Buffer {
  const certDers = opts.certDers;
  if (certDers.length === 0) throw new Error('buildPfx: at least the leaf certificate is required');
  const secrets = opts.secrets && opts.secrets.password === opts.password ? opts.secrets : derivePfxSecrets(opts.password);
  // Same convention as OpenSSL and Java: localKeyId = SHA-1 of the leaf certificate.
  const localKeyId = createHash('sha1').update(certDers[0]!).digest();
  const attributes = bagAttributes(opts.friendlyName, localKeyId);

  // The key: an EncryptedPrivateKeyInfo in a pkcs8ShroudedKeyBag, in a plain Data safe.
  const keyEnc = pbes2Encrypt(opts.pkcs8, secrets.pbes2);
  const keyBag = seq(oid(OID.pkcs8ShroudedKeyBag), explicit(0, seq(keyEnc.algorithm, octets(keyEnc.encrypted))), attributes);
  const keySafe = seq(oid(PKCS7_DATA), explicit(0, octets(seq(keyBag))));

  // The certificates: certBags (only the leaf carries the pairing attributes), in an EncryptedData safe.
  const certBags = certDers.map((der, i) => seq(
    oid(OID.certBag),
    explicit(0, seq(oid(OID.x509Certificate), explicit(0, octets(der)))),
    ...(i === 0 ? [attributes] : []),
  ));
  const certEnc = pbes2Encrypt(seq(...certBags), secrets.pbes2);
  const certSafe = seq(oid(PKCS7_ENCRYPTED_DATA), explicit(0, seq(
    uint(0),
    seq(oid(PKCS7_DATA), certEnc.algorithm, tlv(0x80, certEnc.encrypted)),
  )));

  const authSafe = seq(keySafe, certSafe);
  const mac = createHmac('sha256', secrets.mac.key).update(authSafe).digest();
  return seq(
    uint(3),
    seq(oid(PKCS7_DATA), explicit(0, octets(authSafe))),
    seq(seq(seq(oid(SHA256), nullValue()), octets(mac)), octets(secrets.mac.salt), uint(ITERATIONS)),
  );
}

// PKCS#12 (PFX) for IIS / Tomcat downloads (RFC 7292), encoded by hand with ./der.ts and
// node:crypto. No I/O. PBES2 (PBKDF2-SHA256, AES-256-CBC, 2048 iterations) for the key bag
// and the certificate safe, HMAC-SHA256 MAC: what OpenSSL 3 writes by default. Hand-encoding
// because pkijs spent ~30 ms of a download's ~60 in generic ASN.1 work (issue 27); this takes
// about a millisecond, mostly the three 2048-iteration key derivations. node-forge is not
// used: it cannot handle EC keys.
import { X509Certificate, createCipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, randomBytes } from 'node:crypto';
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

/** PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC (RFC 8018): the AlgorithmIdentifier and the ciphertext. */
function pbes2Encrypt(plain: Buffer, password: Buffer): { algorithm: Buffer; encrypted: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([c.update(plain), c.final()]);
  const algorithm = seq(oid(PBES2), seq(
    seq(oid(PBKDF2), seq(octets(salt), uint(ITERATIONS), seq(oid(HMAC_SHA256), nullValue()))),
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
  let A = createHash('sha256').update(D).update(fill(salt)).update(fill(pw)).digest();
  for (let i = 1; i < iterations; i++) A = createHash('sha256').update(A).digest();
  return A;
}

export async function buildPfx(opts: { keyPem: string; certPems: string[] /* leaf first then chain */; password: string; friendlyName: string }): Promise<Buffer> {
  if (opts.certPems.length === 0) throw new Error('buildPfx: at least the leaf certificate is required');
  const password = Buffer.from(opts.password, 'utf8');
  const certDers = opts.certPems.map(certificateDer);
  // Same convention as OpenSSL and Java: localKeyId = SHA-1 of the leaf certificate.
  const localKeyId = createHash('sha1').update(certDers[0]!).digest();
  const attributes = bagAttributes(opts.friendlyName, localKeyId);

  // The key: an EncryptedPrivateKeyInfo in a pkcs8ShroudedKeyBag, in a plain Data safe.
  const keyEnc = pbes2Encrypt(privateKeyPkcs8Der(opts.keyPem), password);
  const keyBag = seq(oid(OID.pkcs8ShroudedKeyBag), explicit(0, seq(keyEnc.algorithm, octets(keyEnc.encrypted))), attributes);
  const keySafe = seq(oid(PKCS7_DATA), explicit(0, octets(seq(keyBag))));

  // The certificates: certBags (only the leaf carries the pairing attributes), in an EncryptedData safe.
  const certBags = certDers.map((der, i) => seq(
    oid(OID.certBag),
    explicit(0, seq(oid(OID.x509Certificate), explicit(0, octets(der)))),
    ...(i === 0 ? [attributes] : []),
  ));
  const certEnc = pbes2Encrypt(seq(...certBags), password);
  const certSafe = seq(oid(PKCS7_ENCRYPTED_DATA), explicit(0, seq(
    uint(0),
    seq(oid(PKCS7_DATA), certEnc.algorithm, tlv(0x80, certEnc.encrypted)),
  )));

  const authSafe = seq(keySafe, certSafe);
  const macSalt = randomBytes(16);
  const mac = createHmac('sha256', pkcs12MacKey(opts.password, macSalt, ITERATIONS)).update(authSafe).digest();
  return seq(
    uint(3),
    seq(oid(PKCS7_DATA), explicit(0, octets(authSafe))),
    seq(seq(seq(oid(SHA256), nullValue()), octets(mac)), octets(macSalt), uint(ITERATIONS)),
  );
}

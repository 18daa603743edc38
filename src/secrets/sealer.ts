// AES-256-GCM sealing of secrets at rest (private keys, API SecretKeys). The stored form is
// `v1:<base64(iv | tag | ciphertext)>`; the version prefix leaves room for key rotation.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseMasterKey } from '../config/config.js';

export class Sealer {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('master key must be 32 bytes');
    this.#key = key;
  }

  /** `aad` binds the ciphertext to its owner (e.g. a certificate id) so rows cannot be swapped. */
  seal(plain: string | Buffer, aad = ''): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(aad));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return 'v1:' + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string, aad = ''): Buffer {
    if (!sealed.startsWith('v1:')) throw new Error('unknown sealed format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const d = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
  }

  openString(sealed: string, aad = ''): string {
    return this.open(sealed, aad).toString('utf8');
  }

  /** A MAC for signed URLs, under a key derived from the master key (never the key itself). */
  mac(data: string): string {
    const key = Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), 'certport signed urls v1', 32));
    return createHmac('sha256', key).update(data).digest('base64url');
  }

  verifyMac(data: string, mac: string): boolean {
    const want = Buffer.from(this.mac(data));
    const got = Buffer.from(mac ?? '');
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

/** The configured key, or `<dataDir>/master.key` (created once with mode 0600). */
export function loadMasterKey(configured: string | null, dataDir: string): Buffer {
  if (configured) return parseMasterKey(configured);
  const file = path.join(dataDir, 'master.key');
  if (existsSync(file)) return parseMasterKey(readFileSync(file, 'utf8'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

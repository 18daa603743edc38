// AES-256-GCM sealing of secrets at rest (private keys, API SecretKeys). The stored form is
// `v1:<base64(iv | tag | ciphertext)>`; the version prefix leaves room for key rotation.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, envName, parseMasterKey } from '../config/config.js';

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

/** A value sealed under the key the stored data was written with, to tell a wrong key at start. */
export interface SealedProbe { sealed: string; aad: string }

/** A missing or wrong master key: the message names CERTPORT_MASTER_KEY and the key file. */
export class MasterKeyError extends ConfigError {}

export const masterKeyFile = (dataDir: string) => path.join(dataDir, 'master.key');

/** The configured key (`source` CERTPORT_MASTER_KEY) or the one in `<dataDir>/master.key`; null when neither is there. */
export function findMasterKey(configured: string | null, dataDir: string): { key: Buffer; source: string } | null {
  if (configured) return { key: parseMasterKey(configured), source: envName('masterKey') };
  const file = masterKeyFile(dataDir);
  return existsSync(file) ? { key: parseMasterKey(readFileSync(file, 'utf8')), source: file } : null;
}

/**
 * The sealer for a database whose sealed data `probe` stands for (null: nothing sealed yet).
 * A fresh database without a configured key gets a new `<dataDir>/master.key` (mode 0600);
 * a database with sealed data never does (a restored backup without its key would otherwise
 * start under a new key and fail on the first sealed value): a missing key, or one that does
 * not open the probe, stops here with a sentence saying where the key must be.
 */
export function unlockSealer(configured: string | null, dataDir: string, probe: SealedProbe | null): Sealer {
  const file = masterKeyFile(dataDir);
  const where = `set ${envName('masterKey')} to the key it was sealed with, or put that key in ${file} (backups do not contain it)`;
  const found = findMasterKey(configured, dataDir);
  if (!found) {
    if (probe) throw new MasterKeyError(`this database holds data sealed under a master key and no key is configured: ${where}`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return new Sealer(key);
  }
  const sealer = new Sealer(found.key);
  if (probe) {
    try {
      sealer.open(probe.sealed, probe.aad);
    } catch {
      throw new MasterKeyError(`the master key from ${found.source} does not open this database's sealed data (it was sealed under another key): ${where}`);
    }
  }
  return sealer;
}

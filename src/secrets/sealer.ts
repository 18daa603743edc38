// AES-256-GCM sealing of secrets at rest (private keys, API SecretKeys, the CA's keys). The
// stored form is `v1:<base64(iv | tag | ciphertext)>`, the same under every master key: a
// sealer may hold several keys (during a rotation, the new one seals and every one opens), and
// GCM's tag tells exactly which key a value opens with, so values carry no key id and older
// binaries still read what newer ones write.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, envName, parseMasterKey } from '../config/config.js';
import type { MasterKeyEntry } from '../domain/stores.js';
import { aad as boundTo } from './aad.js';

/**
 * What a key seals: `master`, customer data (certificate and CSR keys, SecretKeys, letters,
 * secrets); `ca`, the software keys of certport's own CAs, kept under a key of their own so
 * that whoever holds the one does not hold the other.
 */
export type KeyPurpose = 'master' | 'ca';

/** A key's id: an HMAC of a fixed label under the key (it reveals nothing of the key). */
export const keyId = (key: Buffer, purpose: KeyPurpose = 'master'): string =>
  createHmac('sha256', key).update(purpose === 'master' ? 'certport master key id' : 'certport ca key id').digest('hex').slice(0, 16);

/** What a key ring entry (a newer key sealed under the one before) is bound to. */
const ringAad = (purpose: KeyPurpose, kid: string) => (purpose === 'master' ? boundTo.masterKey(kid) : boundTo.caKeyRing(kid));

interface Key { id: string; key: Buffer; macKey: Buffer }

function makeKey(key: Buffer, purpose: KeyPurpose): Key {
  if (key.length !== 32) throw new Error('master key must be 32 bytes');
  return { id: keyId(key, purpose), key, macKey: Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'certport signed urls v1', 32)) };
}

function openWith(k: Key, sealed: string, aad: string): Buffer {
  if (!sealed.startsWith('v1:')) throw new Error('unknown sealed format');
  const raw = Buffer.from(sealed.slice(3), 'base64');
  const d = createDecipheriv('aes-256-gcm', k.key, raw.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]);
}

export class Sealer {
  /** The sealing key first; every one opens. */
  #keys: Key[];
  readonly purpose: KeyPurpose;
  constructor(key: Buffer, purpose: KeyPurpose = 'master') {
    this.purpose = purpose;
    this.#keys = [makeKey(key, purpose)];
  }

  /** The id of the key new values are sealed under. */
  get keyId(): string {
    return this.#keys[0]!.id;
  }

  /** `aad` binds the ciphertext to its owner (e.g. a certificate id) so rows cannot be swapped. */
  seal(plain: string | Buffer, aad = ''): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#keys[0]!.key, iv);
    c.setAAD(Buffer.from(aad));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return 'v1:' + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  /** Opens a value sealed under any key this sealer holds; the sealing key's error otherwise. */
  open(sealed: string, aad = ''): Buffer {
    let first: unknown;
    for (const k of this.#keys) {
      try {
        return openWith(k, sealed, aad);
      } catch (e) {
        first ??= e;
      }
    }
    throw first;
  }

  openString(sealed: string, aad = ''): string {
    return this.open(sealed, aad).toString('utf8');
  }

  /** Whether the value is sealed under the sealing key (a rotation re-seals the others). */
  isCurrent(sealed: string, aad = ''): boolean {
    try {
      openWith(this.#keys[0]!, sealed, aad);
      return true;
    } catch {
      return false;
    }
  }

  /** Makes `key` the sealing key; the others still open. */
  adopt(key: Buffer): void {
    const k = makeKey(key, this.purpose);
    this.#keys = [k, ...this.#keys.filter((o) => o.id !== k.id)];
  }

  /**
   * Learns the key ring's keys (oldest first, each sealed under the one before it) that open
   * with a key held here; the newest key held becomes the sealing key. True when that changed.
   */
  learn(ring: readonly MasterKeyEntry[]): boolean {
    const before = this.keyId;
    let newest: Key | undefined;
    for (const e of ring) {
      let k = this.#keys.find((o) => o.id === e.kid);
      if (!k) {
        try {
          const key = parseMasterKey(this.openString(e.keySealed, ringAad(this.purpose, e.kid)));
          if (keyId(key, this.purpose) === e.kid) {
            k = makeKey(key, this.purpose);
            this.#keys.push(k);
          }
        } catch {
          // Sealed under a key not held here (an older one, since forgotten): not ours to learn.
        }
      }
      if (k) newest = k;
    }
    if (newest && newest.id !== before) this.#keys = [newest, ...this.#keys.filter((o) => o !== newest)];
    return this.keyId !== before;
  }

  /** What a new key put in the ring is bound to (sealed under the current key). */
  ringAad(kid: string): string {
    return ringAad(this.purpose, kid);
  }

  /** The sealing key itself, for `master-key rotate` to hand the new key to the operator. */
  exportSealingKey(): Buffer {
    return Buffer.from(this.#keys[0]!.key);
  }

  /** A MAC for signed URLs, under a key derived from the sealing key (never the key itself). */
  mac(data: string): string {
    return createHmac('sha256', this.#keys[0]!.macKey).update(data).digest('base64url');
  }

  /** Accepts a MAC made under any key held here (a link signed just before a rotation still works). */
  verifyMac(data: string, mac: string): boolean {
    const got = Buffer.from(mac ?? '');
    return this.#keys.some((k) => {
      const want = Buffer.from(createHmac('sha256', k.macKey).update(data).digest('base64url'));
      return got.length === want.length && timingSafeEqual(got, want);
    });
  }
}

/** A value sealed under the key the stored data was written with, to tell a wrong key at start. */
export interface SealedProbe { sealed: string; aad: string }

/** A missing or wrong master key: the message names CERTPORT_MASTER_KEY and the key file. */
export class MasterKeyError extends ConfigError {}

/** A missing or wrong CA key: the message names CERTPORT_CA_KEY and the key file. */
export class CaKeyError extends MasterKeyError {}

export const masterKeyFile = (dataDir: string) => path.join(dataDir, 'master.key');
export const caKeyFile = (dataDir: string) => path.join(dataDir, 'ca.key');

/** Where each kind of key is configured, and what it is called in messages. */
const KEY_PLACES = {
  master: { setting: 'masterKey', file: masterKeyFile, what: 'master key', opens: "this database's sealed data", Err: MasterKeyError },
  ca: { setting: 'caKey', file: caKeyFile, what: 'CA key', opens: "the CA's keys in this database", Err: CaKeyError },
} as const;

/** The configured key (`source` the variable) or the one in its file under `dataDir`; null when neither is there. */
export function findKey(purpose: KeyPurpose, configured: string | null, dataDir: string): { key: Buffer; source: string } | null {
  const place = KEY_PLACES[purpose];
  if (configured) return { key: parseMasterKey(configured, envName(place.setting)), source: envName(place.setting) };
  const file = place.file(dataDir);
  return existsSync(file) ? { key: parseMasterKey(readFileSync(file, 'utf8'), file), source: file } : null;
}

/** The configured master key (`source` CERTPORT_MASTER_KEY) or the one in `<dataDir>/master.key`; null when neither is there. */
export function findMasterKey(configured: string | null, dataDir: string): { key: Buffer; source: string } | null {
  return findKey('master', configured, dataDir);
}

/**
 * The sealer for a database whose sealed data `probe` stands for (null: nothing sealed yet),
 * holding the configured key and the newer keys of the database's key ring `ring`.
 * Without a configured key, a database with nothing sealed under this kind of key gets a new
 * key file in `dataDir` (mode 0600); a database with sealed data never does (a restored
 * backup without its key would otherwise start under a new key and fail on the first sealed
 * value): a missing key, or one that does not open the probe, stops here with a sentence
 * naming the setting and saying where the key must be.
 */
export function unlockKey(purpose: KeyPurpose, configured: string | null, dataDir: string, probe: SealedProbe | null, ring: readonly MasterKeyEntry[] = []): Sealer {
  const place = KEY_PLACES[purpose];
  const name = envName(place.setting);
  const file = place.file(dataDir);
  const found = findKey(purpose, configured, dataDir);
  // The variable wins over the file, so a wrong variable must go for the file to count.
  const where = `set ${name} to the key it was sealed with, or ${configured ? 'unset it and ' : ''}put that key in ${file} (backups do not contain it)`;
  if (!found) {
    if (probe) throw new place.Err(`this database holds data sealed under a ${place.what} and no key is configured: ${where}`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return new Sealer(key, purpose);
  }
  const sealer = new Sealer(found.key, purpose);
  // After a rotation the data is under a newer key, which the ring hands to an older one.
  sealer.learn(ring);
  if (probe) {
    try {
      sealer.open(probe.sealed, probe.aad);
    } catch {
      throw new place.Err(`the ${place.what} from ${found.source} does not open ${place.opens} (it was sealed under another key): ${where}`);
    }
  }
  return sealer;
}

/** The master key's sealer (see unlockKey). */
export function unlockSealer(configured: string | null, dataDir: string, probe: SealedProbe | null, ring: readonly MasterKeyEntry[] = []): Sealer {
  return unlockKey('master', configured, dataDir, probe, ring);
}

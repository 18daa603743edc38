// Accounts, sub-account users and API keys. SecretKeys are sealed at rest (they must be
// recoverable to check HMAC signatures) and never logged.
import { ServiceError } from '../domain/errors.js';
import type { Sealer } from '../secrets/sealer.js';
import type { AccountStore } from '../domain/stores.js';
import type { AccountRecord, ApiKeyRecord } from '../domain/account.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { newSecretId, newSecretKey, newUin } from './ids.js';
import { aad } from '../secrets/aad.js';

/** The spec: "Each user can have up to two pairs of keys." */
export const MAX_KEYS_PER_USER = 2;

export interface Credential extends Caller { secretId: string; secretKey: string }

export class AccountService {
  // Decrypted keys cached briefly: signature checks are on every request. A disabled key stops
  // working within this many milliseconds on every node.
  private cache = new Map<string, { cred: Credential | null; at: number }>();
  private readonly cacheMs = 5000;
  // Lookups under way, shared: when an entry runs out under load, every request in flight for
  // that key would otherwise read it (two statements each) at once.
  private reading = new Map<string, Promise<Credential | null>>();
  // Bumped by every change of a key or account here: a lookup begun before one is not kept.
  private generation = 0;

  constructor(
    private readonly store: AccountStore,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
  ) {}

  async createAccount(name = 'certport', opts: { secretId?: string; secretKey?: string } = {}): Promise<Credential> {
    const uin = newUin();
    await this.store.createAccount({ uin, name, status: 'active', createdAt: this.clock() });
    const key = await this.createKey(uin, uin, opts);
    return key;
  }

  async createSubUser(accountUin: string, name: string): Promise<{ uin: string }> {
    if (!(await this.store.getAccount(accountUin))) throw new ServiceError('ResourceNotFound', `No account ${accountUin}.`);
    const uin = newUin();
    await this.store.createUser({ uin, accountUin, name, createdAt: this.clock() });
    return { uin };
  }

  async createKey(accountUin: string, userUin: string, opts: { secretId?: string; secretKey?: string } = {}): Promise<Credential> {
    const user = await this.store.getUser(userUin);
    if (!user || user.accountUin !== accountUin) throw new ServiceError('ResourceNotFound', `No user ${userUin} in account ${accountUin}.`);
    const keys = (await this.store.listKeys(accountUin)).filter((k) => k.userUin === userUin);
    if (keys.length >= MAX_KEYS_PER_USER) {
      throw new ServiceError('LimitExceeded', `User ${userUin} already has ${MAX_KEYS_PER_USER} API keys; delete one first.`);
    }
    const secretId = opts.secretId ?? newSecretId();
    const secretKey = opts.secretKey ?? newSecretKey();
    if (!/^[A-Za-z0-9_-]{8,128}$/.test(secretId)) throw new ServiceError('InvalidParameter', 'A SecretId is 8-128 characters of A-Z a-z 0-9 _ -.');
    if (secretKey.length < 16) throw new ServiceError('InvalidParameter', 'A SecretKey has at least 16 characters.');
    if (await this.store.findKey(secretId)) throw new ServiceError('ResourceInUse', `SecretId ${secretId} exists already.`);
    await this.store.createKey({
      secretId, accountUin, userUin, status: 'active', createdAt: this.clock(),
      secretKeySealed: this.sealer.seal(secretKey, aad.apiKey(secretId)),
    });
    return { accountUin, userUin, secretId, secretKey };
  }

  listAccounts(): Promise<AccountRecord[]> {
    return this.store.listAccounts();
  }

  listKeys(accountUin: string): Promise<ApiKeyRecord[]> {
    return this.store.listKeys(accountUin);
  }

  async setKeyStatus(secretId: string, status: 'active' | 'disabled'): Promise<void> {
    if (!(await this.store.setKeyStatus(secretId, status))) throw new ServiceError('ResourceNotFound', `No key ${secretId}.`);
    this.forget(secretId);
  }

  /** A disabled account's API keys, ACME accounts and bindings stop working (keys within the cache time on every node). */
  async setAccountStatus(uin: string, status: 'active' | 'disabled'): Promise<void> {
    if (!(await this.store.setAccountStatus(uin, status))) throw new ServiceError('ResourceNotFound', `No account ${uin}.`);
    this.forget(null);
  }

  async deleteKey(secretId: string): Promise<void> {
    if (!(await this.store.deleteKey(secretId))) throw new ServiceError('ResourceNotFound', `No key ${secretId}.`);
    this.forget(secretId);
  }

  /** Drops what this node knows of one key (or of all), including lookups under way. */
  private forget(secretId: string | null): void {
    this.generation++;
    if (secretId === null) {
      this.cache.clear();
      this.reading.clear();
    } else {
      this.cache.delete(secretId);
      this.reading.delete(secretId);
    }
  }

  /** The active credential for a SecretId, or AuthFailure.SecretIdNotFound. */
  async credential(secretId: string): Promise<Credential> {
    const now = this.clock();
    const hit = this.cache.get(secretId);
    let cred: Credential | null;
    if (hit && now - hit.at < this.cacheMs && now >= hit.at) {
      cred = hit.cred;
    } else {
      let reading = this.reading.get(secretId);
      if (!reading) {
        reading = this.lookup(secretId, now);
        this.reading.set(secretId, reading);
        const done = () => {
          if (this.reading.get(secretId) === reading) this.reading.delete(secretId);
        };
        reading.then(done, done);
      }
      cred = await reading;
    }
    if (!cred) throw new ServiceError('AuthFailure.SecretIdNotFound', 'The SecretId does not exist or is disabled.');
    return cred;
  }

  /** Reads a key and its account, and keeps the outcome unless a change here came in between. */
  private async lookup(secretId: string, now: number): Promise<Credential | null> {
    const generation = this.generation;
    const k = await this.store.findKey(secretId);
    const account = k && k.status === 'active' ? await this.store.getAccount(k.accountUin) : null;
    const cred = k && account && account.status === 'active'
      ? { accountUin: k.accountUin, userUin: k.userUin, secretId, secretKey: this.sealer.openString(k.secretKeySealed, aad.apiKey(secretId)) }
      : null;
    if (generation === this.generation) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(secretId, { cred, at: now });
    }
    return cred;
  }
}

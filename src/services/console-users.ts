// Console users and sessions (issue 25). A console user is one of the account model's users
// (the account's root user, whose uin is the account's, or a sub-user) with a password.
//
// Passwords: scrypt with N=2^15, r=8, p=3 (32 MiB, 64-byte key, 16-byte salt). That is one of
// OWASP's equal-cost scrypt settings (N=2^17,r=8,p=1 ≙ N=2^15,r=8,p=3): the same work for an
// attacker, a quarter of the memory per sign-in, so the libuv pool's four threads hashing at
// once hold 128 MiB rather than 512 on a small server. The parameters are stored with each hash
// and a sign-in re-hashes under the current ones, so they can be raised later.
//
// Sessions live in the database (any node reads them; revoking is a delete). The cookie holds a
// random token; only its SHA-256 is stored, so a copy of the database does not sign anyone in.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ServiceError } from '../domain/errors.js';
import type { AccountStore } from '../domain/stores.js';
import type { ConsoleSessionRecord, ConsoleStore } from '../domain/console.js';
import type { Clock } from '../domain/clock.js';
import type { UserRecord } from '../domain/account.js';
import type { AccountService } from './accounts.js';

export const SCRYPT = { log2N: 15, r: 8, p: 3, keyLen: 64, saltLen: 16 } as const;
/** Passwords shorter than this are refused (NIST SP 800-63B's minimum for user-chosen secrets). */
export const MIN_PASSWORD = 8;
/** Longer ones are refused too: scrypt's cost grows with the input, and nobody types 1 KiB. */
export const MAX_PASSWORD = 1024;

function scrypt(password: string, salt: Buffer, keyLen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((ok, fail) => scryptCb(password.normalize('NFC'), salt, keyLen, o, (e, k) => (e ? fail(e) : ok(k))));
}
const optionsOf = (log2N: number, r: number, p: number): ScryptOptions => ({ N: 2 ** log2N, r, p, maxmem: 256 * 2 ** log2N * r + 1024 * 1024 });

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLen);
  const key = await scrypt(password, salt, SCRYPT.keyLen, optionsOf(SCRYPT.log2N, SCRYPT.r, SCRYPT.p));
  return ['scrypt', SCRYPT.log2N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches `stored`; `current` says whether the hash uses today's parameters. */
export async function verifyPassword(password: string, stored: string): Promise<{ ok: boolean; current: boolean }> {
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return { ok: false, current: false };
  const want = Buffer.from(key, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), want.length, optionsOf(Number(n), Number(r), Number(p)));
  return { ok: timingSafeEqual(got, want), current: stored.startsWith(`scrypt$${SCRYPT.log2N}$${SCRYPT.r}$${SCRYPT.p}$`) && want.length === SCRYPT.keyLen };
}

// Hashed once so that a sign-in for a user with no password costs what a real check costs.
let dummyHash: Promise<string> | null = null;

export interface ConsoleOptions {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, used or not. */
  absoluteMs: number;
}

export interface Session extends ConsoleSessionRecord {
  userName: string;
  /** When it ends if left idle from now. */
  idleExpiresAt: number;
}

export interface ConsoleKey { secretId: string; userUin: string; status: string; createdAt: number }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const isRoot = (u: { accountUin: string; userUin: string }) => u.accountUin === u.userUin;

export class ConsoleService {
  constructor(
    private readonly store: ConsoleStore,
    private readonly users: AccountStore,
    private readonly accounts: AccountService,
    private readonly clock: Clock,
    readonly options: ConsoleOptions,
  ) {}

  private checkPassword(password: string) {
    if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
      throw new ServiceError('InvalidParameterValue', `A password has at least ${MIN_PASSWORD} characters.`);
    }
    if (password.length > MAX_PASSWORD) throw new ServiceError('InvalidParameterValue', `A password has at most ${MAX_PASSWORD} characters.`);
  }

  /** Sets (or replaces) a user's password; every session of that user ends. */
  async setPassword(accountUin: string, userUin: string, password: string): Promise<void> {
    this.checkPassword(password);
    const user = await this.users.getUser(userUin);
    if (!user || user.accountUin !== accountUin) throw new ServiceError('ResourceNotFound', `No user ${userUin} in account ${accountUin}.`);
    await this.store.putPassword({ userUin, accountUin, hash: await hashPassword(password), updatedAt: this.clock() });
    await this.store.deleteUserSessions(userUin);
  }

  /** A sub-user with a console password. Names are unique within an account (they sign in with it). */
  async createUser(accountUin: string, name: string, password: string | null): Promise<UserRecord> {
    if (!/^[\p{L}\p{N}._@+-]{1,64}$/u.test(name) || /^\d+$/.test(name)) {
      throw new ServiceError('InvalidParameterValue', 'A user name is 1-64 letters, digits and . _ @ + -, and not only digits (digits name a SubAccountUin).');
    }
    if (password !== null) this.checkPassword(password);
    if ((await this.users.listUsers(accountUin)).some((u) => u.name === name)) {
      throw new ServiceError('ResourceInUse', `Account ${accountUin} already has a user named ${name}.`);
    }
    const { uin } = await this.accounts.createSubUser(accountUin, name);
    if (password !== null) await this.setPassword(accountUin, uin, password);
    return (await this.users.getUser(uin))!;
  }

  listUsers(accountUin: string): Promise<UserRecord[]> {
    return this.users.listUsers(accountUin);
  }

  /**
   * The user a sign-in names: `login` is a SubAccountUin (the root user's is the account's Uin),
   * or a user name within `account`. null when there is none.
   */
  async findUser(account: string, login: string): Promise<UserRecord | null> {
    if (/^\d+$/.test(login)) {
      const u = await this.users.getUser(login);
      return u && (account === '' || u.accountUin === account) ? u : null;
    }
    if (!/^\d+$/.test(account)) return null;
    return (await this.users.listUsers(account)).find((u) => u.name === login) ?? null;
  }

  /** The user when the password is right (and the account active), else null. Always costs one scrypt. */
  async checkLogin(user: UserRecord | null, password: string): Promise<UserRecord | null> {
    const stored = user && typeof password === 'string' && password.length <= MAX_PASSWORD ? await this.store.getPassword(user.uin) : null;
    dummyHash ??= hashPassword('certport-no-such-user');
    const v = await verifyPassword(typeof password === 'string' ? password.slice(0, MAX_PASSWORD) : '', stored?.hash ?? await dummyHash);
    if (!user || !stored || !v.ok) return null;
    const account = await this.users.getAccount(user.accountUin);
    if (!account || account.status !== 'active') return null;
    if (!v.current) await this.store.putPassword({ ...stored, hash: await hashPassword(password), updatedAt: this.clock() });
    return user;
  }

  /** Starts a session; returns the cookie's token (never stored) and the session. */
  async createSession(user: UserRecord, meta: { address: string; userAgent: string }): Promise<{ token: string; session: Session }> {
    const now = this.clock();
    // Stale rows go when someone signs in: no timer needed, and the table stays small.
    await this.store.deleteStaleSessions(now, now - this.options.idleMs);
    const token = randomBytes(32).toString('base64url');
    const rec: ConsoleSessionRecord = {
      idHash: sha256(token), accountUin: user.accountUin, userUin: user.uin, csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now, lastSeenAt: now, expiresAt: now + this.options.absoluteMs,
      address: meta.address.slice(0, 64), userAgent: meta.userAgent.slice(0, 256),
    };
    await this.store.createSession(rec);
    return { token, session: { ...rec, userName: user.name, idleExpiresAt: Math.min(rec.expiresAt, now + this.options.idleMs) } };
  }

  /** The live session a token names (its idle clock restarted), or null: unknown, idle too long, too old, user gone. */
  async session(token: string): Promise<Session | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const id = sha256(token);
    const s = await this.store.getSession(id);
    if (!s) return null;
    const now = this.clock();
    if (now >= s.expiresAt || now - s.lastSeenAt >= this.options.idleMs) {
      await this.store.deleteSession(id);
      return null;
    }
    const user = await this.users.getUser(s.userUin);
    const account = user ? await this.users.getAccount(s.accountUin) : null;
    if (!user || !account || account.status !== 'active') return null;
    // One write per minute at most per session, not one per request.
    if (now - s.lastSeenAt >= Math.min(60_000, this.options.idleMs / 10)) await this.store.touchSession(id, now);
    return { ...s, lastSeenAt: now, userName: user.name, idleExpiresAt: Math.min(s.expiresAt, now + this.options.idleMs) };
  }

  async endSession(token: string): Promise<void> {
    await this.store.deleteSession(sha256(token));
  }

  /** Sign-out everywhere: every session of the user, on every node. */
  endAllSessions(userUin: string): Promise<number> {
    return this.store.deleteUserSessions(userUin);
  }

  // Operators: the console's admin role (order review, accounts, the CA), across every account.
  // Granted and taken by the CLI only (`certport user operator`), so no console user can make
  // another one; read on every operator request, so taking it away works at once.

  isOperator(userUin: string): Promise<boolean> {
    return this.store.isOperator(userUin);
  }

  async setOperator(accountUin: string, userUin: string, on: boolean): Promise<void> {
    const user = await this.users.getUser(userUin);
    if (!user || user.accountUin !== accountUin) throw new ServiceError('ResourceNotFound', `No user ${userUin} in account ${accountUin}.`);
    await this.store.setOperator(userUin, accountUin, on, this.clock());
  }

  /** An account's users with whether each has a console password and is an operator (operator pages). */
  async describeUsers(accountUin: string): Promise<(UserRecord & { hasPassword: boolean; operator: boolean })[]> {
    if (!(await this.users.getAccount(accountUin))) throw new ServiceError('ResourceNotFound', `No account ${accountUin}.`);
    const users = await this.users.listUsers(accountUin);
    return Promise.all(users.map(async (u) => ({ ...u, hasPassword: (await this.store.getPassword(u.uin)) !== null, operator: await this.store.isOperator(u.uin) })));
  }

  listOperators() {
    return this.store.listOperators();
  }

  // API keys from the console: the root user sees and changes every key of the account, a
  // sub-user only their own. A key outside that is "not found", as another account's is.

  async listKeys(s: { accountUin: string; userUin: string }): Promise<ConsoleKey[]> {
    const keys = await this.accounts.listKeys(s.accountUin);
    return keys.filter((k) => isRoot(s) || k.userUin === s.userUin)
      .map((k) => ({ secretId: k.secretId, userUin: k.userUin, status: k.status, createdAt: k.createdAt }));
  }

  async createKey(s: { accountUin: string; userUin: string }, forUser?: string) {
    const userUin = forUser && forUser !== s.userUin ? forUser : s.userUin;
    if (userUin !== s.userUin && !isRoot(s)) throw new ServiceError('AuthFailure.UnauthorizedOperation', 'Only the account\'s root user creates keys for other users.');
    return this.accounts.createKey(s.accountUin, userUin);
  }

  async changeKey(s: { accountUin: string; userUin: string }, secretId: string, change: 'disable' | 'enable' | 'delete'): Promise<void> {
    if (!(await this.listKeys(s)).some((k) => k.secretId === secretId)) throw new ServiceError('ResourceNotFound', `No key ${secretId}.`);
    if (change === 'delete') await this.accounts.deleteKey(secretId);
    else await this.accounts.setKeyStatus(secretId, change === 'disable' ? 'disabled' : 'active');
  }
}

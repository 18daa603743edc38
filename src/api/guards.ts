// Per-account, per-action rate limit (spec "API Category": 10 requests/s per action), the v1
// replay guard, the binding of TC3 signatures to their action and the limit on failed
// authentications per address. All live in process memory, or in Redis when several nodes
// share them.
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { SIGNATURE_WINDOW_SECONDS } from './signature.js';

/**
 * A rate-limiter-flexible limiter in process memory, or in Redis when nodes share it; with
 * Redis gone each node keeps answering with a memory limiter of its own (the insurance).
 */
export function limiterFor(opts: { points: number; duration: number; keyPrefix: string }, redis: Redis | null): RateLimiterAbstract {
  return redis
    ? new RateLimiterRedis({ ...opts, storeClient: redis, useRedisPackage: false, rejectIfRedisNotReady: false,
      insuranceLimiter: new RateLimiterMemory(opts) })
    : new RateLimiterMemory(opts);
}

export interface RateLimit {
  /** false when the caller is over the limit for this action. */
  take(accountUin: string, action: string): Promise<boolean>;
}

export function createRateLimit(perSecond: number, redis: Redis | null): RateLimit {
  if (perSecond <= 0) return { take: async () => true };
  const opts = { points: perSecond, duration: 1, keyPrefix: 'certport-rl' };
  const limiter = limiterFor(opts, redis);
  return {
    async take(accountUin, action) {
      try {
        await limiter.consume(`${accountUin}:${action}`);
        return true;
      } catch (e) {
        if (e instanceof Error) throw e; // a store failure, not a rejection
        return false;
      }
    },
  };
}

/**
 * Refuses a v1 request seen before: keyed on (SecretId, Timestamp, Nonce, Signature), since
 * real clients reuse Nonces (Go sends the same one from every process; FACTS.md). A key is
 * reserved before the action runs and released if the action never ran.
 */
export interface ReplayGuard {
  reserve(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
}

const WINDOW_MS = 2 * SIGNATURE_WINDOW_SECONDS * 1000;

export function createReplayGuard(redis: Redis | null, clock: () => number = Date.now): ReplayGuard {
  if (redis) {
    return {
      async reserve(key) {
        return (await redis.set('certport-nonce:' + key, '1', 'PX', WINDOW_MS, 'NX')) === 'OK';
      },
      async release(key) {
        await redis.del('certport-nonce:' + key);
      },
    };
  }
  const seen = new Map<string, number>();
  let lastSweep = clock();
  return {
    async reserve(key) {
      const now = clock();
      if (now - lastSweep > 10_000) {
        for (const [k, exp] of seen) if (exp < now) seen.delete(k);
        lastSweep = now;
      }
      const exp = seen.get(key);
      if (exp !== undefined && exp >= now) return false;
      seen.set(key, now + WINDOW_MS);
      return true;
    },
    async release(key) {
      seen.delete(key);
    },
  };
}

/**
 * Records the action and source address a TC3 signature was first seen with. The SDKs sign
 * only `content-type;host`, so X-TC-Action is outside the signature: without this a captured
 * request could be sent again within its window as another action (a describe as a delete).
 * The server refuses another action from another address, and from the same address once
 * SAME_ADDRESS_OTHER_ACTION_MS have passed since the first use (an SDK sends two actions with
 * one body in one second — describe, then download — with one signature; a replay comes
 * later). Byte-identical retries stay allowed from anywhere (the Go SDK resends on
 * RequestLimitExceeded, maybe through another NAT address). Entries live as long as a
 * signature can be valid (±300 s).
 */
export interface SignatureBinding {
  /** null when this is the first use or repeats its action; else the first use. */
  bind(signature: string, action: string, address: string): Promise<FirstUse | null>;
}
export interface FirstUse { action: string; address: string; at: number }
/** How long after its first use a signature may serve another action from the same address. */
export const SAME_ADDRESS_OTHER_ACTION_MS = 5_000;

/** Whether a signature first used as `first` is refused now for another action from `address`. */
export function refusesOtherAction(first: FirstUse | null, address: string, now: number): boolean {
  return first !== null && (first.address !== address || now - first.at > SAME_ADDRESS_OTHER_ACTION_MS);
}

/** Memory entries kept at most (about 200 bytes each); past it the oldest go first. */
export const SIGNATURE_BINDING_MAX_ENTRIES = 500_000;

export function createSignatureBinding(redis: Redis | null, clock: () => number = Date.now, maxEntries = SIGNATURE_BINDING_MAX_ENTRIES): SignatureBinding {
  const encode = (action: string, address: string, at: number) => `${action}\n${at}\n${address}`;
  const decode = (v: string): FirstUse => {
    const [action = '', at = '0', ...rest] = v.split('\n');
    return { action, at: Number(at), address: rest.join('\n') };
  };
  if (redis) {
    return {
      async bind(signature, action, address) {
        const key = 'certport-tc3sig:' + signature;
        for (let i = 0; i < 2; i++) {
          if ((await redis.set(key, encode(action, address, clock()), 'PX', WINDOW_MS, 'NX')) === 'OK') return null;
          const first = await redis.get(key);
          if (first !== null) return decode(first).action === action ? null : decode(first);
          // Expired between the two commands: try to set it again.
        }
        return null;
      },
    };
  }
  // Every entry lives WINDOW_MS, so insertion order is expiry order: expired ones are at the front.
  const seen = new Map<string, { exp: number; action: string; address: string; at: number }>();
  return {
    async bind(signature, action, address) {
      const now = clock();
      for (const [k, e] of seen) {
        if (e.exp >= now && seen.size < maxEntries) break;
        seen.delete(k);
      }
      const first = seen.get(signature);
      if (first && first.exp >= now) return first.action === action ? null : { action: first.action, address: first.address, at: first.at };
      seen.set(signature, { exp: now + WINDOW_MS, action, address, at: now });
      return null;
    },
  };
}

/**
 * Failed authentications per source address: once an address has failed `perMinute` times
 * in a minute, its requests are refused (RequestLimitExceeded) until the minute is over,
 * before any signature is checked.
 */
export interface AuthFailureLimit {
  blocked(address: string): Promise<boolean>;
  failed(address: string): Promise<void>;
}

export function createAuthFailureLimit(perMinute: number, redis: Redis | null): AuthFailureLimit {
  if (perMinute <= 0) return { blocked: async () => false, failed: async () => {} };
  const opts = { points: perMinute, duration: 60, keyPrefix: 'certport-authfail' };
  const limiter = limiterFor(opts, redis);
  return {
    async blocked(address) {
      const r = await limiter.get(address);
      return r !== null && r.consumedPoints >= perMinute;
    },
    async failed(address) {
      await limiter.penalty(address, 1);
    },
  };
}

/** New ACME orders per certport account and hour (Let's Encrypt's "new orders" limit). */
export interface AcmeOrderLimit {
  /** null when the order may go ahead, else the seconds until one may. */
  take(accountUin: string): Promise<number | null>;
}

export function createAcmeOrderLimit(perHour: number, redis: Redis | null): AcmeOrderLimit {
  if (perHour <= 0) return { take: async () => null };
  const opts = { points: perHour, duration: 3600, keyPrefix: 'certport-acme-orders' };
  const limiter = limiterFor(opts, redis);
  return {
    async take(accountUin) {
      try {
        await limiter.consume(accountUin);
        return null;
      } catch (e) {
        if (e instanceof Error) throw e;
        return Math.max(1, Math.ceil((e as { msBeforeNext: number }).msBeforeNext / 1000));
      }
    },
  };
}

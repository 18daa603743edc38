// Per-account, per-action rate limit (spec "API Category": 10 requests/s per action) and the
// v1 replay guard. Both live in process memory, or in Redis when several nodes share a limit.
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { SIGNATURE_WINDOW_SECONDS } from './signature.js';

export interface RateLimit {
  /** false when the caller is over the limit for this action. */
  take(accountUin: string, action: string): Promise<boolean>;
}

export function createRateLimit(perSecond: number, redis: Redis | null): RateLimit {
  if (perSecond <= 0) return { take: async () => true };
  const opts = { points: perSecond, duration: 1, keyPrefix: 'certport-rl' };
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({ ...opts, storeClient: redis, useRedisPackage: false, rejectIfRedisNotReady: false,
      // Keep answering if Redis goes away: each node then enforces the limit alone.
      insuranceLimiter: new RateLimiterMemory(opts) })
    : new RateLimiterMemory(opts);
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

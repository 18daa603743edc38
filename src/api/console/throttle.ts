// Console sign-in throttling: after 5 failed tries for one user or 20 from one address within
// 15 minutes, every try (the right password too) is answered 429 for 15 minutes. Counted in
// process memory, or in Redis when nodes share it (as the API's rate limit).
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { limiterFor } from '../guards.js';
import type { Redis } from 'ioredis';

export const LOGIN_LIMITS = { perUser: 5, perAddress: 20, windowSeconds: 15 * 60, blockSeconds: 15 * 60 };

export interface LoginThrottle {
  /** Milliseconds until a try is allowed again (0 = allowed now). */
  wait(userKey: string, address: string): Promise<number>;
  failed(userKey: string, address: string): Promise<void>;
  succeeded(userKey: string): Promise<void>;
}

export function createLoginThrottle(redis: Redis | null, limits = LOGIN_LIMITS): LoginThrottle {
  const make = (points: number, keyPrefix: string) => limiterFor({ points, duration: limits.windowSeconds, keyPrefix }, redis);
  const user = make(limits.perUser, 'certport-login-user');
  const addr = make(limits.perAddress, 'certport-login-addr');
  const waitOf = async (l: RateLimiterAbstract, key: string) => {
    const r = await l.get(key);
    return r && r.consumedPoints >= l.points ? Math.max(1, r.msBeforeNext) : 0;
  };
  const count = async (l: RateLimiterAbstract, key: string) => {
    const r = await l.penalty(key, 1);
    // The block runs from the try that reached the limit: 15 minutes whatever the window had left.
    if (r.consumedPoints >= l.points) await l.block(key, limits.blockSeconds);
  };
  return {
    async wait(userKey, address) {
      return Math.max(await waitOf(user, userKey), await waitOf(addr, address));
    },
    async failed(userKey, address) {
      await Promise.all([count(user, userKey), count(addr, address)]);
    },
    async succeeded(userKey) {
      await user.delete(userKey);
    },
  };
}

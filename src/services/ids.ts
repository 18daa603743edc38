import { randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Unbiased random base62 string (rejection sampling on bytes). */
export function base62(len: number): string {
  let out = '';
  while (out.length < len) {
    for (const b of randomBytes(len * 2)) {
      if (b < 248 && out.length < len) out += BASE62[b % 62];
    }
  }
  return out;
}

/** Certificate ids are 8 characters of base62, like Tencent's. */
export const newCertificateId = () => base62(8);
/** Uins are 12-digit numbers (as strings), like Tencent's account ids. */
export const newUin = () => String(100000000000 + randomInt(0, 899999999999));
export const newSecretId = () => 'AKID' + base62(32);
export const newSecretKey = () => base62(32);

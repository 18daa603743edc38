// Revocation: the RFC 5280 reason codes the API takes, and what a revocation keeps while it
// runs (proof of control for DV, a letter and an operator for OV/EV) and once it is done
// (the CRL and the OCSP responder publish the serial, the time and the reason).
import type { DvAuth } from './dv-order.js';

/** RFC 5280 5.3.1 CRLReason: the names `Reason` accepts, with their numbers (7 is unused; 8 removeFromCRL is for delta CRLs only). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  caCompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type ReasonName = keyof typeof REVOCATION_REASONS;

/** The name of a reason code, for logs and the CLI. */
export const reasonName = (code: number): string =>
  (Object.entries(REVOCATION_REASONS).find(([, v]) => v === code)?.[0]) ?? String(code);

/**
 * The reason as given (a name, any case, or its number), or null when it is none of them.
 * Absent or empty is `unspecified`.
 */
export function parseReason(input: string | number | undefined | null): number | null {
  if (input === undefined || input === null || input === '') return REVOCATION_REASONS.unspecified;
  const s = String(input).trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return (Object.values(REVOCATION_REASONS) as number[]).includes(n) ? n : null;
  }
  const hit = Object.entries(REVOCATION_REASONS).find(([k]) => k.toLowerCase() === s.toLowerCase());
  return hit ? hit[1] : null;
}

/**
 * Where a revocation stands:
 * - `pending-proof`: DV, the owner must publish the values in `auths` again (status 9);
 * - `pending-letter`: OV/EV, the revocation letter is awaited (status 12);
 * - `pending-confirmation`: OV/EV, the letter is in, an operator confirms (status 9);
 * - `revoked`: done (status 10), published in the CRL and by OCSP;
 * - `cancelled`: given up (proof not published in time, or an operator declined): the certificate is 1 again.
 */
export type RevocationState = 'pending-proof' | 'pending-letter' | 'pending-confirmation' | 'revoked' | 'cancelled';

/** The issuing CA whose CRL and OCSP responder publish a certificate: certport's own intermediates, or an upstream CA (null). */
export type CrlIssuer = 'rsa' | 'ecc' | 'sm2';

export interface RevocationRecord {
  certId: string;
  accountUin: string;
  serialHex: string;
  /** null for certificates of an upstream (ACME) CA: its own CRL and OCSP publish them. */
  crlIssuer: CrlIssuer | null;
  reason: number;
  state: RevocationState;
  requestedAt: number;
  requestedBy: string;
  revokedAt: number | null;
  /** DV proof of control: what the owner must publish (DvRevokeAuthDetail). */
  auths: DvAuth[] | null;
  lastCheckDetail: string | null;
  letterSealed: string | null;
  letterType: string | null;
  confirmedBy: string | null;
  /** SHA-256 of the certificate's SubjectPublicKeyInfo, hex. */
  spkiSha256: string;
}

/** One entry of a CRL or an OCSP answer. */
export interface RevokedSerial {
  serialHex: string;
  revokedAt: number;
  reason: number;
}

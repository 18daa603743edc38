// The console's "verify now": checks the published record or file at once and reports what it
// found; a passing check issues the certificate.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { isIssued } from '../domain/certificate.js';
import { effectiveStatus } from '../services/certificates.js';
import type { ActionHandler } from './types.js';

/**
 * LocalCheck codes from the SDK's DomainValidationResult: 1 passed, -1 TXT record not found,
 * -2 TXT record does not match, -4 file not found, -5 file does not match.
 */
function localCheck(ok: boolean, verifyType: string, detail: string): number {
  if (ok) return 1;
  if (verifyType === 'TXT') return /does not match/.test(detail) ? -2 : -1;
  return /different content/.test(detail) ? -5 : -4;
}

export const CheckCertificateDomainVerification: ActionHandler<M.CheckCertificateDomainVerificationRequest, M.CheckCertificateDomainVerificationResponse> = async (ctx, p) => {
  const { cert, checks, auths } = await ctx.services.orders.checkNow(ctx.caller, p.CertificateId);
  const status = effectiveStatus(cert, ctx.services.clock());
  const issued = isIssued(status);
  if (checks.length === 0) {
    // Settled orders: report the outcome without looking again; an issued order's records
    // were found with the values it asked for.
    const shown = auths.length ? auths : [{ domain: cert.domain, value: '' }];
    return {
      VerificationResults: shown.map((a) => ({
        Domain: a.domain, VerifyType: cert.verifyType ?? '', LocalCheck: issued ? 1 : -1, CaCheck: issued ? 2 : -1,
        LocalCheckFailReason: issued ? '' : `the order is in status ${status}`, CheckValue: issued && a.value ? [a.value] : [], Frequently: false, Issued: issued,
      })),
    };
  }
  return {
    VerificationResults: checks.map(({ auth, result }) => ({
      Domain: auth.domain,
      VerifyType: cert.verifyType ?? '',
      LocalCheck: localCheck(result.ok, auth.verifyType, result.detail),
      CaCheck: result.ok ? 2 : -1,
      LocalCheckFailReason: result.ok ? '' : result.detail,
      // What was found: the matching value, or what stands there instead.
      CheckValue: result.found ?? (result.ok ? [auth.value] : []),
      Frequently: false,
      Issued: false,
    })),
  };
};

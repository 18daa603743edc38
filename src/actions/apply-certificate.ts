// Free DV certificates: ApplyCertificate, CancelCertificateOrder and
// CheckCertificateDomainVerification (the console's "verify now").
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { effectiveStatus } from '../services/certificates.js';
import type { ActionHandler } from './types.js';

export const ApplyCertificate: ActionHandler<M.ApplyCertificateRequest, M.ApplyCertificateResponse> = async (ctx, p) => {
  const id = await ctx.services.orders.apply(ctx.caller, {
    dvAuthMethod: p.DvAuthMethod,
    domainName: p.DomainName,
    projectId: p.ProjectId,
    packageType: p.PackageType,
    contactEmail: p.ContactEmail,
    contactPhone: p.ContactPhone,
    validityPeriod: p.ValidityPeriod,
    csrEncryptAlgo: p.CsrEncryptAlgo,
    csrKeyParameter: p.CsrKeyParameter,
    csrKeyPassword: p.CsrKeyPassword,
    alias: p.Alias,
    oldCertificateId: p.OldCertificateId,
    packageId: p.PackageId,
    deleteDnsAutoRecord: p.DeleteDnsAutoRecord,
  });
  return { CertificateId: id };
};

export const ReplaceCertificate: ActionHandler<M.ReplaceCertificateRequest, M.ReplaceCertificateResponse> = async (ctx, p) => {
  const id = await ctx.services.orders.reissue(ctx.caller, {
    certificateId: p.CertificateId,
    validType: p.ValidType,
    csrType: p.CsrType,
    csrContent: p.CsrContent,
    csrKeyPassword: p.CsrkeyPassword,
    reason: p.Reason,
    certCsrEncryptAlgo: p.CertCSREncryptAlgo,
    certCsrKeyParameter: p.CertCSRKeyParameter,
  });
  return { CertificateId: id };
};

export const CancelCertificateOrder: ActionHandler<M.CancelCertificateOrderRequest, M.CancelCertificateOrderResponse> = async (ctx, p) => {
  // A paid order not yet validating is cancelled as an order; the rest as a DV order.
  if (!(await ctx.services.paid.cancelIfPaid(ctx.caller, p.CertificateId))) await ctx.services.orders.cancel(ctx.caller, p.CertificateId);
  return { CertificateId: p.CertificateId };
};

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
  const { cert, checks } = await ctx.services.orders.checkNow(ctx.caller, p.CertificateId);
  const status = effectiveStatus(cert, ctx.services.clock());
  const issued = status === 1 || status === 3;
  if (checks.length === 0) {
    // Settled orders: report the outcome without looking again.
    return {
      VerificationResults: [{
        Domain: cert.domain, VerifyType: cert.verifyType ?? '', LocalCheck: issued ? 1 : -1, CaCheck: issued ? 2 : -1,
        LocalCheckFailReason: issued ? '' : `the order is in status ${status}`, CheckValue: [], Frequently: false, Issued: issued,
      }],
    };
  }
  return {
    VerificationResults: checks.map(({ auth, result }) => ({
      Domain: auth.domain,
      VerifyType: cert.verifyType ?? '',
      LocalCheck: localCheck(result.ok, auth.verifyType, result.detail),
      CaCheck: result.ok ? 2 : -1,
      LocalCheckFailReason: result.ok ? '' : result.detail,
      CheckValue: result.ok ? [auth.value] : [],
      Frequently: false,
      Issued: false,
    })),
  };
};

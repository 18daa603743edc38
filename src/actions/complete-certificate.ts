// The SDK: "actively triggers certificate verification". Here: an order awaiting validation
// (status 0 or 4) is checked at once, and issued at once when the checks pass (the same as
// CheckCertificateDomainVerification, without the report); anything else is refused.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { isAwaitingIssue } from '../domain/certificate.js';
import { ServiceError } from '../domain/errors.js';
import { effectiveStatus } from '../services/certificates.js';
import type { ActionHandler } from './types.js';

export const CompleteCertificate: ActionHandler<M.CompleteCertificateRequest, M.CompleteCertificateResponse> = async (ctx, p) => {
  const c = await ctx.services.certificates.get(ctx.caller, p.CertificateId);
  if (c.source === 'upload') {
    throw new ServiceError('FailedOperation.InvalidCertificateSource', `The certificate ${c.id} was uploaded; there is no order to complete.`);
  }
  const status = effectiveStatus(c, ctx.services.clock());
  if (!isAwaitingIssue(status)) {
    throw new ServiceError('FailedOperation.InvalidCertificateStatusCode',
      `The certificate ${c.id} is in status ${status}; only an order awaiting validation (status 0 or 4) can be completed.`);
  }
  await ctx.services.orders.checkNow(ctx.caller, c.id);
  return { CertificateId: c.id };
};

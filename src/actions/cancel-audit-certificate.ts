import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError, isServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const CancelAuditCertificate: ActionHandler<M.CancelAuditCertificateRequest, M.CancelAuditCertificateResponse> = async (ctx, p) => {
  try {
    await ctx.services.paid.cancelAudit(ctx.caller, p.CertificateId);
  } catch (e) {
    // The spec's one code for this action covers both: no such certificate, or no review to cancel.
    if (isServiceError(e) && (e.code === 'FailedOperation.CertificateNotFound' || e.code === 'FailedOperation.InvalidCertificateStatusCode')) {
      throw new ServiceError('FailedOperation.CertificateNotFoundOrCantCancel', e.message);
    }
    throw e;
  }
  return { Result: true };
};

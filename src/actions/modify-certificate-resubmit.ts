import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError, isServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const ModifyCertificateResubmit: ActionHandler<M.ModifyCertificateResubmitRequest, M.ModifyCertificateResubmitResponse> = async (ctx, p) => {
  try {
    await ctx.services.paid.resubmit(ctx.caller, p.CertificateId);
  } catch (e) {
    // The spec's code for "cannot re-submit a review application for a certificate in this status".
    if (isServiceError(e) && e.code === 'FailedOperation.InvalidCertificateStatusCode') {
      throw new ServiceError('FailedOperation.CertificateStatusNotAllowResubmit', e.message);
    }
    throw e;
  }
  return { CertificateId: p.CertificateId };
};

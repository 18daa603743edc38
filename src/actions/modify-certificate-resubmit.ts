import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const ModifyCertificateResubmit: ActionHandler<M.ModifyCertificateResubmitRequest, M.ModifyCertificateResubmitResponse> = async (ctx, p) => {
  await ctx.services.paid.resubmit(ctx.caller, p.CertificateId);
  return { CertificateId: p.CertificateId };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const CommitCertificateInformation: ActionHandler<M.CommitCertificateInformationRequest, M.CommitCertificateInformationResponse> = async (ctx, p) => {
  const r = await ctx.services.paid.commit(ctx.caller, p.CertificateId, p.VerifyType);
  return { OrderId: r.orderId, Status: r.status };
};

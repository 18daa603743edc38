import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

/** The newer commit action: IsAudited says whether a verified organization skipped the review. */
export const CertificateOrderSubmit: ActionHandler<M.CertificateOrderSubmitRequest, M.CertificateOrderSubmitResponse> = async (ctx, p) => {
  const r = await ctx.services.paid.commit(ctx.caller, p.CertId, p.VerifyType);
  return { OrderId: r.orderId, Status: r.status, IsAudited: r.audited };
};

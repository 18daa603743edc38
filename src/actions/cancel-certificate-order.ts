import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const CancelCertificateOrder: ActionHandler<M.CancelCertificateOrderRequest, M.CancelCertificateOrderResponse> = async (ctx, p) => {
  // A paid order not yet validating is cancelled as an order; the rest as a DV order.
  if (!(await ctx.services.paid.cancelIfPaid(ctx.caller, p.CertificateId))) await ctx.services.orders.cancel(ctx.caller, p.CertificateId);
  return { CertificateId: p.CertificateId };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { REVOCATION_STATUSES, presentCertificate, revocationFields } from './shared/present.js';
import type { ActionHandler } from './types.js';

export const DescribeCertificate: ActionHandler<M.DescribeCertificateRequest, M.DescribeCertificateResponse> = async (ctx, p) => {
  const c = await ctx.services.certificates.get(ctx.caller, p.CertificateId);
  const order = c.source !== 'upload' ? await ctx.services.orders.getOrder(c.id) : null;
  const paid = c.source !== 'upload' ? await ctx.services.paid.getOrder(c.id) : null;
  const revocation = REVOCATION_STATUSES.includes(c.status) ? await ctx.services.revocations.get(c.id) : null;
  return Object.assign(presentCertificate(c, ctx.services.clock(), order, ctx.services.paid.submittedData(paid, c, false)), {
    // A paid order's id: the DealId CreateCertificate and CommitCertificateInformation return.
    OrderId: (paid?.dealId ?? null) as string,
    DvRevokeAuthDetail: revocationFields(revocation).DvRevokeAuthDetail,
  });
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { REVOCATION_STATUSES, presentDetail, revocationFields } from './shared/present.js';
import type { ActionHandler } from './types.js';

export const DescribeCertificateDetail: ActionHandler<M.DescribeCertificateDetailRequest, M.DescribeCertificateDetailResponse> = async (ctx, p) => {
  const { certificates, orders } = ctx.services;
  const c = await certificates.get(ctx.caller, p.CertificateId);
  const order = c.source !== 'upload' ? await orders.getOrder(c.id) : null;
  const paid = c.source !== 'upload' ? await ctx.services.paid.getOrder(c.id) : null;
  const hosting = (await ctx.services.hosting.views(ctx.caller.accountUin, [c.id])).get(c.id);
  return {
    ...presentDetail(c, certificates.privateKeyPem(c), ctx.services.clock(), order, certificates.issuerRoot(c), certificates.encryptKeyPem(c),
      ctx.services.paid.submittedData(paid, c, true), await certificates.detailFacts(c)),
    ...(hosting ? { HostingStatus: hosting.HostingStatus } : {}),
    // A paid order's id: the DealId CreateCertificate and CommitCertificateInformation return.
    OrderId: (paid?.dealId ?? null) as string,
    DvRevokeAuthDetail: revocationFields(REVOCATION_STATUSES.includes(c.status) ? await ctx.services.revocations.get(c.id) : null).DvRevokeAuthDetail,
  };
};

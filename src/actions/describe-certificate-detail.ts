import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { REVOCATION_STATUSES, presentDetail, revocationFields } from './shared/present.js';
import type { ActionHandler } from './types.js';

export const DescribeCertificateDetail: ActionHandler<M.DescribeCertificateDetailRequest, M.DescribeCertificateDetailResponse> = async (ctx, p) => {
  const { certificates, orders } = ctx.services;
  // One read for the certificate, its tags and its hosting status; orders only for those applied for here.
  const { certificate: c, hostingStatus } = await certificates.getDetail(ctx.caller, p.CertificateId);
  const [order, paid] = c.source !== 'upload' ? await Promise.all([orders.getOrder(c.id), ctx.services.paid.getOrder(c.id)]) : [null, null];
  const facts = await certificates.detailFacts(c);
  const revocation = REVOCATION_STATUSES.includes(c.status) ? await ctx.services.revocations.get(c.id) : null;
  const detail = presentDetail(c, certificates.privateKeyPem(c), ctx.services.clock(), order, certificates.issuerRoot(c), certificates.encryptKeyPem(c),
    ctx.services.paid.submittedData(paid, c, true), facts);
  // Into the presented object, not `{ ...detail, more }`: a spread copy of ~50 fields cost ~50 µs
  // (present.ts). Every key set here is one presentDetail already has, so the order stays.
  if (hostingStatus !== null) detail.HostingStatus = hostingStatus;
  // A paid order's id: the DealId CreateCertificate and CommitCertificateInformation return.
  detail.OrderId = (paid?.dealId ?? null) as string;
  detail.DvRevokeAuthDetail = revocationFields(revocation).DvRevokeAuthDetail;
  return detail;
};

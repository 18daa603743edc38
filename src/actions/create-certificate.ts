// A paid (OV/EV) order: then SubmitCertificateInformation or CertificateInfoSubmit,
// CommitCertificateInformation or CertificateOrderSubmit, UploadConfirmLetter when the product
// needs one; a person reviews it (`certport orders`, /admin/orders).
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const CreateCertificate: ActionHandler<M.CreateCertificateRequest, M.CreateCertificateResponse> = async (ctx, p) => {
  // There is no payment here: AutoVoucher is accepted and has no effect.
  const r = await ctx.services.paid.create(ctx.caller, {
    productId: p.ProductId, domainNum: p.DomainNum, timeSpan: p.TimeSpan,
    tags: (p.Tags ?? []).map((t) => ({ key: t.TagKey, value: t.TagValue })),
  });
  return { CertificateIds: r.certificateIds, DealIds: r.dealIds };
};

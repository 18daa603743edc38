// Paid (OV/EV) certificate orders: purchase, submit information, commit for review,
// confirmation letters, cancel the review, reopen.
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

export const SubmitCertificateInformation: ActionHandler<M.SubmitCertificateInformationRequest, M.SubmitCertificateInformationResponse> = async (ctx, p) => {
  const { CertificateId, ...input } = p;
  await ctx.services.paid.submit(ctx.caller, CertificateId, input);
  return { CertificateId };
};

export const CommitCertificateInformation: ActionHandler<M.CommitCertificateInformationRequest, M.CommitCertificateInformationResponse> = async (ctx, p) => {
  const r = await ctx.services.paid.commit(ctx.caller, p.CertificateId, p.VerifyType);
  return { OrderId: r.orderId, Status: r.status };
};

export const UploadConfirmLetter: ActionHandler<M.UploadConfirmLetterRequest, M.UploadConfirmLetterResponse> = async (ctx, p) => {
  await ctx.services.paid.uploadLetter(ctx.caller, p.CertificateId, p.ConfirmLetter);
  return { CertificateId: p.CertificateId, IsSuccess: true };
};

export const CancelAuditCertificate: ActionHandler<M.CancelAuditCertificateRequest, M.CancelAuditCertificateResponse> = async (ctx, p) => {
  await ctx.services.paid.cancelAudit(ctx.caller, p.CertificateId);
  return { Result: true };
};

export const ModifyCertificateResubmit: ActionHandler<M.ModifyCertificateResubmitRequest, M.ModifyCertificateResubmitResponse> = async (ctx, p) => {
  await ctx.services.paid.resubmit(ctx.caller, p.CertificateId);
  return { CertificateId: p.CertificateId };
};

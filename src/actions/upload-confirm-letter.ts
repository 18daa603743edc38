import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const UploadConfirmLetter: ActionHandler<M.UploadConfirmLetterRequest, M.UploadConfirmLetterResponse> = async (ctx, p) => {
  await ctx.services.paid.uploadLetter(ctx.caller, p.CertificateId, p.ConfirmLetter);
  return { CertificateId: p.CertificateId, IsSuccess: true };
};

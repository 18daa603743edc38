import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const UploadRevokeLetter: ActionHandler<M.UploadRevokeLetterRequest, M.UploadRevokeLetterResponse> = async (ctx, p) => {
  await ctx.services.revocations.uploadLetter(ctx.caller, p.CertificateId, p.RevokeLetter);
  return { CertificateId: p.CertificateId, IsSuccess: true };
};

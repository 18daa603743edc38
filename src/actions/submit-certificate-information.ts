import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const SubmitCertificateInformation: ActionHandler<M.SubmitCertificateInformationRequest, M.SubmitCertificateInformationResponse> = async (ctx, p) => {
  const { CertificateId, ...input } = p;
  await ctx.services.paid.submit(ctx.caller, CertificateId, input);
  return { CertificateId };
};

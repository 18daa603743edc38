import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { presentCertificate, presentDetail } from './present.js';
import type { ActionHandler } from './types.js';

export const DescribeCertificate: ActionHandler<M.DescribeCertificateRequest, M.DescribeCertificateResponse> = async (ctx, p) => {
  const c = await ctx.services.certificates.get(ctx.caller, p.CertificateId);
  return presentCertificate(c, ctx.services.clock());
};

export const DescribeCertificateDetail: ActionHandler<M.DescribeCertificateDetailRequest, M.DescribeCertificateDetailResponse> = async (ctx, p) => {
  const c = await ctx.services.certificates.get(ctx.caller, p.CertificateId);
  return presentDetail(c, ctx.services.certificates.privateKeyPem(c), ctx.services.clock());
};

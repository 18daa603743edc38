import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const DownloadCertificate: ActionHandler<M.DownloadCertificateRequest, M.DownloadCertificateResponse> = async (ctx, p) => {
  const bundle = await ctx.services.certificates.download(ctx.caller, p.CertificateId);
  return { Content: bundle.zip.toString('base64'), ContentType: 'application/zip' };
};

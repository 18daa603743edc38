import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { DOWNLOAD_SERVICE_TYPES, type DownloadServiceType } from '../pki/download-zip.js';
import type { ActionHandler } from './types.js';

export const DescribeDownloadCertificateUrl: ActionHandler<M.DescribeDownloadCertificateUrlRequest, M.DescribeDownloadCertificateUrlResponse> = async (ctx, p) => {
  const type = (p.ServiceType || 'nginx').toLowerCase() as DownloadServiceType;
  if (!DOWNLOAD_SERVICE_TYPES.includes(type)) {
    throw new ServiceError('InvalidParameterValue', `ServiceType must be one of ${DOWNLOAD_SERVICE_TYPES.join(', ')}.`);
  }
  const r = await ctx.services.certificates.downloadUrl(ctx.caller, p.CertificateId, type);
  return { DownloadCertificateUrl: r.url, DownloadFilename: r.filename };
};

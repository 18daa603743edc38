import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const UploadUpdateCertificateRecordRetry: ActionHandler<M.UploadUpdateCertificateRecordRetryRequest, M.UploadUpdateCertificateRecordRetryResponse> = async (ctx, p) => {
  await ctx.services.deployments.retry(ctx.caller, 'upload', p.DeployRecordId, p.DeployRecordDetailId);
  return {};
};

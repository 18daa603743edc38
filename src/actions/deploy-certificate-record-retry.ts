import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { optionalRecordId } from './shared/record-ids.js';
import type { ActionHandler } from './types.js';

export const DeployCertificateRecordRetry: ActionHandler<M.DeployCertificateRecordRetryRequest, M.DeployCertificateRecordRetryResponse> = async (ctx, p) => {
  await ctx.services.deployments.retry(ctx.caller, 'deploy', optionalRecordId(p.DeployRecordId, 'DeployRecordId'), optionalRecordId(p.DeployRecordDetailId, 'DeployRecordDetailId'));
  return {};
};

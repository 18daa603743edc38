import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { recordId } from './shared/record-ids.js';
import type { ActionHandler } from './types.js';

export const UpdateCertificateRecordRetry: ActionHandler<M.UpdateCertificateRecordRetryRequest, M.UpdateCertificateRecordRetryResponse> = async (ctx, p) => {
  await ctx.services.deployments.retry(ctx.caller, 'update', p.DeployRecordId === undefined ? undefined : recordId(p.DeployRecordId, 'DeployRecordId'),
    p.DeployRecordDetailId === undefined ? undefined : recordId(p.DeployRecordDetailId, 'DeployRecordDetailId'));
  return {};
};

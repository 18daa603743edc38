import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const DeployCertificateInstance: ActionHandler<M.DeployCertificateInstanceRequest, M.DeployCertificateInstanceResponse> = async (ctx, p) => {
  const out = await ctx.services.deployments.deployInstance(ctx.caller, p.CertificateId, p.ResourceType ?? 'clb', p.InstanceIdList);
  return { DeployRecordId: out.recordId, DeployStatus: out.created ? 1 : 0 };
};

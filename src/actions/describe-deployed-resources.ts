import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { checkResourceTypes } from '../services/resources.js';
import type { ActionHandler } from './types.js';

/** What each certificate is deployed on now (by deployment or probe), for one resource type. */
export const DescribeDeployedResources: ActionHandler<M.DescribeDeployedResourcesRequest, M.DescribeDeployedResourcesResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 100) throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 100 certificates.');
  const type = p.ResourceType.toLowerCase() === 'antiddos' ? 'ddos' : p.ResourceType.toLowerCase();
  const [checked] = checkResourceTypes([type]);
  const out: M.DeployedResources[] = [];
  for (const id of [...new Set(p.CertificateIds)]) {
    const c = await ctx.services.certificates.get(ctx.caller, id);
    const on = (await ctx.services.resources.boundTo(c)).filter((r) => r.type === checked);
    const ids = on.map((r) => r.id);
    out.push({ CertificateId: id, Count: ids.length, Type: p.ResourceType, ResourceIds: ids, Resources: ids });
  }
  return { DeployedResources: out };
};

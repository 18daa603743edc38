import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { pageParams } from './shared/paging.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

export const DescribeHostDeployRecord: ActionHandler<M.DescribeHostDeployRecordRequest, M.DescribeHostDeployRecordResponse> = async (ctx, p) => {
  await ctx.services.certificates.get(ctx.caller, p.CertificateId);
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const { total, items } = await ctx.services.deployments.listRecords(ctx.caller, 'deploy', {
    certId: p.CertificateId, ...(p.ResourceType ? { resourceType: p.ResourceType.toLowerCase() } : {}), offset, limit,
  });
  return {
    TotalCount: total,
    DeployRecordList: items.map((r): M.DeployRecordInfo => ({
      Id: r.id, CertId: r.certId, ResourceType: r.resourceTypes[0] ?? '', Region: r.regions[0] ?? '', Status: r.status,
      CreateTime: formatTime(r.createdAt)!, UpdateTime: formatTime(r.updatedAt)!,
    })),
  };
};

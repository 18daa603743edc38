import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { pageParams } from './shared/paging.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

export const DescribeHostUploadUpdateRecord: ActionHandler<M.DescribeHostUploadUpdateRecordRequest, M.DescribeHostUploadUpdateRecordResponse> = async (ctx, p) => {
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const { total, items } = await ctx.services.deployments.listRecords(ctx.caller, 'upload', {
    ...(p.OldCertificateId ? { oldCertId: p.OldCertificateId } : {}), kind: 'update', offset, limit,
  });
  return {
    TotalCount: total,
    DeployRecordList: items.map((r) => ({
      Id: r.id, OldCertId: r.oldCertId ?? '', ResourceTypes: r.resourceTypes, Status: r.status,
      CreateTime: formatTime(r.createdAt)!, UpdateTime: formatTime(r.updatedAt)!,
    })),
  };
};

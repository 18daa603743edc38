import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { DeployRecord } from '../domain/deployment.js';
import { pageParams } from './shared/paging.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

function recordInfo(r: DeployRecord): M.UpdateRecordInfo {
  return {
    Id: r.id, CertId: r.certId, OldCertId: r.oldCertId ?? '', ResourceTypes: r.resourceTypes, Regions: r.regions,
    Status: r.status, CreateTime: formatTime(r.createdAt)!, UpdateTime: formatTime(r.updatedAt)!,
  };
}

export const DescribeHostUpdateRecord: ActionHandler<M.DescribeHostUpdateRecordRequest, M.DescribeHostUpdateRecordResponse> = async (ctx, p) => {
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const { total, items } = await ctx.services.deployments.listRecords(ctx.caller, 'update', {
    ...(p.CertificateId ? { certId: p.CertificateId } : {}), ...(p.OldCertificateId ? { oldCertId: p.OldCertificateId } : {}), offset, limit,
  });
  return { TotalCount: total, DeployRecordList: items.map(recordInfo) };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { DeployDetail, DeployRecord } from '../domain/deployment.js';
import { ServiceError } from '../domain/errors.js';
import { pageParams } from './shared/paging.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

function item(d: DeployDetail): M.DeployRecordItem {
  return {
    Id: d.id, OldCertId: d.oldCertId ?? '', InstanceId: d.resourceId, InstanceName: d.instanceName, ListenerId: '', Domains: d.domains,
    Protocol: 'https', Status: d.status, ErrorMsg: d.errorMsg ?? '', CreateTime: formatTime(d.createdAt)!, UpdateTime: formatTime(d.updatedAt)!,
    ListenerName: '', SniSwitch: 0, Bucket: '', Namespace: '', SecretName: '', Port: 0, Region: d.region, Forward: 0, SSLMode: '',
    ResourceType: d.resourceType,
  };
}

/** The record, then each rollback made from it (Type 1), each with its details by type. */
export const DescribeHostUploadUpdateRecordDetail: ActionHandler<M.DescribeHostUploadUpdateRecordDetailRequest, M.DescribeHostUploadUpdateRecordDetailResponse> = async (ctx, p) => {
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const lim = Math.min(limit, 200);
  if (!Number.isSafeInteger(p.DeployRecordId) || p.DeployRecordId <= 0) throw new ServiceError('FailedOperation.InvalidParam', 'DeployRecordId must be a deployment record id.');
  const records: DeployRecord[] = [await ctx.services.deployments.record(ctx.caller, p.DeployRecordId, 'upload'), ...await ctx.services.deployments.rollbacksOf(ctx.caller, p.DeployRecordId, 'upload')];
  const out: M.DeployRecord[] = [];
  for (const rec of records) {
    const all = await ctx.services.deployments.recordDetails(ctx.caller, rec.id, 'upload');
    const page = all.details.slice(offset, offset + lim);
    const types = new Map<string, DeployDetail[]>();
    for (const d of page) types.set(d.resourceType, [...(types.get(d.resourceType) ?? []), d]);
    out.push({
      TotalCount: all.total, SuccessTotalCount: all.succeeded, FailedTotalCount: all.failed, RunningTotalCount: all.running,
      PendingTotalCount: all.pending, Type: rec.kind === 'rollback' ? 1 : 0,
      RecordDetailList: [...types].map(([type, ds]) => ({
        ResourceType: type, List: ds.map(item), TotalCount: all.details.filter((d) => d.resourceType === type).length,
      })),
      Status: rec.status, CreateTime: formatTime(rec.createdAt)!,
    });
  }
  return { DeployRecordDetail: out };
};

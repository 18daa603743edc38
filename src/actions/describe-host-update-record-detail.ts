import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { DeployDetail, RecordFamily } from '../domain/deployment.js';
import { ServiceError } from '../domain/errors.js';
import { algorithmOf } from './shared/instances.js';
import { recordId } from './shared/record-ids.js';
import { formatTime } from './shared/time.js';
import type { ActionContext, ActionHandler } from './types.js';

function detailItem(d: DeployDetail, alg: Map<string, string>): M.UpdateRecordDetail {
  return {
    Id: d.id, CertId: d.certId, OldCertId: d.oldCertId ?? '', Domains: d.domains, ResourceType: d.resourceType, Region: d.region,
    Status: d.status, ErrorMsg: d.errorMsg ?? '', CreateTime: formatTime(d.createdAt)!, UpdateTime: formatTime(d.updatedAt)!,
    InstanceId: d.resourceId, InstanceName: d.instanceName, ListenerId: '', ListenerName: '', Protocol: 'https', SniSwitch: 0,
    Bucket: '', Port: 0, Namespace: '', SecretName: '', EnvId: '', TCBType: '', Url: '',
    Algorithm: alg.get(d.certId) ?? '', OldAlgorithm: (d.oldCertId && alg.get(d.oldCertId)) || '',
    InstanceStatus: '', ListenerStatus: '',
  };
}

function numParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\s*\d+\s*$/.test(v)) throw new ServiceError('InvalidParameterValue', `${name} must be a non-negative integer.`);
  return Number(v);
}

async function describeUpdateDetails(ctx: ActionContext, family: RecordFamily, id: number, offset: number, limit: number) {
  const r = await ctx.services.deployments.recordDetails(ctx.caller, id, family, { offset, limit });
  const all = await ctx.services.deployments.recordDetails(ctx.caller, id, family);
  const perType = new Map<string, number>();
  for (const d of all.details) perType.set(d.resourceType, (perType.get(d.resourceType) ?? 0) + 1);
  // Algorithm / OldAlgorithm: '' for certificates deleted since.
  const alg = new Map<string, string>();
  for (const d of r.details) for (const c of [d.certId, d.oldCertId]) await algorithmOf(ctx, c, alg);
  const groups = new Map<string, DeployDetail[]>();
  for (const d of r.details) groups.set(d.resourceType, [...(groups.get(d.resourceType) ?? []), d]);
  return {
    ...r,
    list: [...groups].map(([type, ds]): M.UpdateRecordDetails => ({ ResourceType: type, List: ds.map((d) => detailItem(d, alg)), TotalCount: perType.get(type) ?? ds.length })),
  };
}

export const DescribeHostUpdateRecordDetail: ActionHandler<M.DescribeHostUpdateRecordDetailRequest, M.DescribeHostUpdateRecordDetailResponse> = async (ctx, p) => {
  const id = recordId(p.DeployRecordId, 'DeployRecordId');
  const limit = Math.min(numParam(p.Limit, 'Limit') || 10, 200);
  const offset = numParam(p.Offset, 'Offset') ?? 0;
  const r = await describeUpdateDetails(ctx, 'update', id, offset, limit);
  return {
    TotalCount: r.total, RecordDetailList: r.list, SuccessTotalCount: r.succeeded, FailedTotalCount: r.failed,
    RunningTotalCount: r.running, PendingTotalCount: r.pending,
  };
};

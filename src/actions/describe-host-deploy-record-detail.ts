import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { DeployDetail } from '../domain/deployment.js';
import { ServiceError } from '../domain/errors.js';
import { algorithmOf } from './shared/instances.js';
import { pageParams } from './shared/paging.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

function deployDetail(d: DeployDetail, alg: Map<string, string>): M.DeployRecordDetail {
  return {
    Id: d.id, CertId: d.certId, OldCertId: d.oldCertId ?? '', InstanceId: d.resourceId, InstanceName: d.instanceName, ListenerId: '',
    Domains: d.domains, Protocol: 'https', Status: d.status, ErrorMsg: d.errorMsg ?? '', CreateTime: formatTime(d.createdAt)!,
    UpdateTime: formatTime(d.updatedAt)!, ListenerName: '', SniSwitch: 0, Bucket: '', Namespace: '', SecretName: '', Port: 0, EnvId: '',
    TCBType: '', Region: d.region, Url: [], Algorithm: alg.get(d.certId) ?? '', OldAlgorithm: (d.oldCertId && alg.get(d.oldCertId)) || '',
    InstanceStatus: '', ListenerStatus: '',
  };
}

export const DescribeHostDeployRecordDetail: ActionHandler<M.DescribeHostDeployRecordDetailRequest, M.DescribeHostDeployRecordDetailResponse> = async (ctx, p) => {
  const id = /^\s*\d{1,15}\s*$/.test(String(p.DeployRecordId)) ? Number(p.DeployRecordId) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw new ServiceError('FailedOperation.InvalidParam', 'DeployRecordId must be a deployment record id.');
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const r = await ctx.services.deployments.recordDetails(ctx.caller, id, 'deploy', { offset, limit: Math.min(limit, 200) });
  const alg = new Map<string, string>();
  for (const d of r.details) for (const c of [d.certId, d.oldCertId]) await algorithmOf(ctx, c, alg);
  return {
    TotalCount: r.total, DeployRecordDetailList: r.details.map((d) => deployDetail(d, alg)), SuccessTotalCount: r.succeeded,
    FailedTotalCount: r.failed, RunningTotalCount: r.running, PendingTotalCount: r.pending,
  };
};

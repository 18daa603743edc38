// UploadUpdateCertificateInstance (one-click update from key material) and its records, retry
// and rollback; DeleteCertificates as tasks that refuse bound certificates; the expiry
// notification switch.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { DeploymentService } from '../services/deployments.js';
import type { DeployDetail, DeployRecord } from '../domain/deployment.js';
import { syncProgress, update } from './deploy.js';
import { pageParams } from './describe-certificates.js';
import { formatTime } from './present.js';
import type { ActionContext, ActionHandler } from './types.js';

const svc = (ctx: ActionContext): DeploymentService => ctx.services.deployments;

export const UploadUpdateCertificateInstance: ActionHandler<M.UploadUpdateCertificateInstanceRequest, M.UploadUpdateCertificateInstanceResponse> = async (ctx, p) => {
  const out = await update(ctx, ctx.caller, 'upload', { ...p, CertificateId: undefined } as M.UpdateCertificateInstanceRequest);
  return { DeployRecordId: out.recordId, DeployStatus: out.created ? 1 : 0, UpdateSyncProgress: syncProgress(out.progress) };
};

export const DescribeHostUploadUpdateRecord: ActionHandler<M.DescribeHostUploadUpdateRecordRequest, M.DescribeHostUploadUpdateRecordResponse> = async (ctx, p) => {
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const { total, items } = await svc(ctx).listRecords(ctx.caller, 'upload', {
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
  const records: DeployRecord[] = [await svc(ctx).record(ctx.caller, p.DeployRecordId, 'upload'), ...await svc(ctx).rollbacksOf(ctx.caller, p.DeployRecordId, 'upload')];
  const out: M.DeployRecord[] = [];
  for (const rec of records) {
    const all = await svc(ctx).recordDetails(ctx.caller, rec.id, 'upload');
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

export const UploadUpdateCertificateRecordRetry: ActionHandler<M.UploadUpdateCertificateRecordRetryRequest, M.UploadUpdateCertificateRecordRetryResponse> = async (ctx, p) => {
  await svc(ctx).retry(ctx.caller, 'upload', p.DeployRecordId, p.DeployRecordDetailId);
  return {};
};

export const UploadUpdateCertificateRecordRollback: ActionHandler<M.UploadUpdateCertificateRecordRollbackRequest, M.UploadUpdateCertificateRecordRollbackResponse> = async (ctx, p) => {
  const rec = await svc(ctx).record(ctx.caller, p.DeployRecordId, 'upload');
  if (rec.kind === 'rollback') throw new ServiceError('FailedOperation.CertificateDeployRollbackStatusInvalid', `The record ${rec.id} is a rollback already.`);
  await svc(ctx).rollback(ctx.caller, 'upload', rec.id);
  return {};
};

export const DeleteCertificates: ActionHandler<M.DeleteCertificatesRequest, M.DeleteCertificatesResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 100) throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 100 certificates.');
  const r = await svc(ctx).deleteCertificates(ctx.caller, p.CertificateIds, p.IsSync === true);
  return {
    Success: r.success, Fail: r.fail.map((f) => ({ CertId: f.certId, Msg: f.msg })),
    CertTaskIds: r.tasks.map((t) => ({ CertId: t.certId, TaskId: t.taskId })),
  };
};

export const DescribeDeleteCertificatesTaskResult: ActionHandler<M.DescribeDeleteCertificatesTaskResultRequest, M.DescribeDeleteCertificatesTaskResultResponse> = async (ctx, p) => {
  if (p.TaskIds.length === 0 || p.TaskIds.length > 100) throw new ServiceError('InvalidParameterValue', 'TaskIds must name 1 to 100 tasks.');
  const tasks = await svc(ctx).deleteTasks(ctx.caller, p.TaskIds);
  return {
    DeleteTaskResult: tasks.map((t) => ({
      TaskId: t.id, CertId: t.certId, Status: t.status, Error: t.error ?? '', CacheTime: formatTime(t.updatedAt)!, Domains: t.domains,
    })),
  };
};

export const ModifyCertificatesExpiringNotificationSwitch: ActionHandler<M.ModifyCertificatesExpiringNotificationSwitchRequest, M.ModifyCertificatesExpiringNotificationSwitchResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 50) throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 50 certificates.');
  if (p.SwitchStatus !== 0 && p.SwitchStatus !== 1) throw new ServiceError('InvalidParameterValue', 'SwitchStatus must be 0 or 1.');
  const ids = [...new Set(p.CertificateIds)];
  await svc(ctx).setIgnoreExpiry(ctx.caller, ids, p.SwitchStatus === 1);
  return { CertificateIds: ids };
};

/** What each certificate is deployed on now (by deployment or probe), for one resource type. */
export const DescribeDeployedResources: ActionHandler<M.DescribeDeployedResourcesRequest, M.DescribeDeployedResourcesResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 100) throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 100 certificates.');
  const type = p.ResourceType.toLowerCase() === 'antiddos' ? 'ddos' : p.ResourceType.toLowerCase();
  const [checked] = svc(ctx).checkTypes([type]);
  const out: M.DeployedResources[] = [];
  for (const id of [...new Set(p.CertificateIds)]) {
    const c = await ctx.services.certificates.get(ctx.caller, id);
    const on = (await svc(ctx).boundTo(c)).filter((r) => r.type === checked);
    const ids = on.map((r) => r.id);
    out.push({ CertificateId: id, Count: ids.length, Type: p.ResourceType, ResourceIds: ids, Resources: ids });
  }
  return { DeployedResources: out };
};

export const deployUploadActions = {
  DescribeDeployedResources,
  UploadUpdateCertificateInstance, DescribeHostUploadUpdateRecord, DescribeHostUploadUpdateRecordDetail,
  UploadUpdateCertificateRecordRetry, UploadUpdateCertificateRecordRollback,
  DeleteCertificates, DescribeDeleteCertificatesTaskResult, ModifyCertificatesExpiringNotificationSwitch,
};

// Deployment actions: one-click update (UpdateCertificateInstance) and its records, retry and
// rollback. Resources are the account's own servers, registered by the operator; the records
// and details are shaped as the SDK's UpdateRecordInfo / UpdateRecordDetail(s).
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { UploadInput } from '../services/certificates.js';
import type { DeploymentService, SyncProgress } from '../services/deployments.js';
import type { DeployDetail, DeployRecord, RecordFamily } from '../domain/deployment.js';
import type { Caller } from '../domain/caller.js';
import { deployInstanceActions } from './deploy-instances.js';
import { pageParams } from './describe-certificates.js';
import { formatTime } from './present.js';
import type { ActionContext, ActionHandler } from './types.js';

const svc = (ctx: ActionContext): DeploymentService => ctx.services.deployments;

/** ResourceTypesRegions (and the deprecated Regions, for every type without its own list). */
export function regionsOf(types: string[], p: { Regions?: string[]; ResourceTypesRegions?: M.ResourceTypeRegions[] }): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of p.ResourceTypesRegions ?? []) {
    if (r.ResourceType && r.Regions?.length) m.set(r.ResourceType.toLowerCase(), [...(m.get(r.ResourceType.toLowerCase()) ?? []), ...r.Regions]);
  }
  if (p.Regions?.length) for (const t of types) if (!m.has(t.toLowerCase())) m.set(t.toLowerCase(), p.Regions);
  return m;
}

export function syncProgress(progress: SyncProgress[]): M.UpdateSyncProgress[] {
  // Resources are found at once (no cloud inventory to page through): every type is processed.
  return progress.map((p) => ({
    ResourceType: p.type,
    Status: 1,
    UpdateSyncProgressRegions: p.regions.map((r) => ({ Region: r.region, TotalCount: r.total, OffsetCount: r.total, Status: 1 })),
  }));
}

export function uploadInput(p: { CertificatePublicKey?: string; CertificatePrivateKey?: string; Repeatable?: boolean; ProjectId?: number; Tags?: M.Tags[] }): UploadInput | undefined {
  if (!p.CertificatePublicKey && !p.CertificatePrivateKey) return undefined;
  if (!p.CertificatePublicKey || !p.CertificatePrivateKey) {
    throw new ServiceError('InvalidParameter.WithDetailReason', 'CertificatePublicKey and CertificatePrivateKey go together.');
  }
  return {
    publicKey: p.CertificatePublicKey, privateKey: p.CertificatePrivateKey,
    ...(p.Repeatable !== undefined ? { repeatable: p.Repeatable } : {}),
    ...(p.ProjectId !== undefined ? { projectId: p.ProjectId } : {}),
    ...(p.Tags ? { tags: p.Tags.map((t) => ({ key: t.TagKey, value: t.TagValue })) } : {}),
  };
}

function recordInfo(r: DeployRecord): M.UpdateRecordInfo {
  return {
    Id: r.id, CertId: r.certId, OldCertId: r.oldCertId ?? '', ResourceTypes: r.resourceTypes, Regions: r.regions,
    Status: r.status, CreateTime: formatTime(r.createdAt)!, UpdateTime: formatTime(r.updatedAt)!,
  };
}

/** Certificates' key algorithms, for Algorithm / OldAlgorithm. */
async function algorithms(ctx: ActionContext, ids: (string | null)[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of new Set(ids.filter((x): x is string => !!x))) {
    try {
      out.set(id, (await ctx.services.certificates.get(ctx.caller, id)).encryptAlgorithm);
    } catch {
      // deleted since: no algorithm to show
    }
  }
  return out;
}

export function detailItem(d: DeployDetail, alg: Map<string, string>): M.UpdateRecordDetail {
  return {
    Id: d.id, CertId: d.certId, OldCertId: d.oldCertId ?? '', Domains: d.domains, ResourceType: d.resourceType, Region: d.region,
    Status: d.status, ErrorMsg: d.errorMsg ?? '', CreateTime: formatTime(d.createdAt)!, UpdateTime: formatTime(d.updatedAt)!,
    InstanceId: d.resourceId, InstanceName: d.instanceName, ListenerId: '', ListenerName: '', Protocol: 'https', SniSwitch: 0,
    Bucket: '', Port: 0, Namespace: '', SecretName: '', EnvId: '', TCBType: '', Url: '',
    Algorithm: alg.get(d.certId) ?? '', OldAlgorithm: (d.oldCertId && alg.get(d.oldCertId)) || '',
    InstanceStatus: '', ListenerStatus: '',
  };
}

function recordId(v: string | number | undefined, name: string): number {
  const n = typeof v === 'number' ? v : /^\s*\d{1,15}\s*$/.test(v ?? '') ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new ServiceError('FailedOperation.InvalidParam', `${name} must be a deployment record id (a positive integer).`);
  return n;
}

function numParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\s*\d+\s*$/.test(v)) throw new ServiceError('InvalidParameterValue', `${name} must be a non-negative integer.`);
  return Number(v);
}

export async function describeUpdateDetails(ctx: ActionContext, family: RecordFamily, id: number, offset: number, limit: number) {
  const r = await svc(ctx).recordDetails(ctx.caller, id, family, { offset, limit });
  const all = await svc(ctx).recordDetails(ctx.caller, id, family);
  const perType = new Map<string, number>();
  for (const d of all.details) perType.set(d.resourceType, (perType.get(d.resourceType) ?? 0) + 1);
  const alg = await algorithms(ctx, r.details.flatMap((d) => [d.certId, d.oldCertId]));
  const groups = new Map<string, DeployDetail[]>();
  for (const d of r.details) groups.set(d.resourceType, [...(groups.get(d.resourceType) ?? []), d]);
  return {
    ...r,
    list: [...groups].map(([type, ds]): M.UpdateRecordDetails => ({ ResourceType: type, List: ds.map((d) => detailItem(d, alg)), TotalCount: perType.get(type) ?? ds.length })),
  };
}

export async function update(ctx: ActionContext, caller: Caller, family: RecordFamily, p: M.UpdateCertificateInstanceRequest | M.UploadUpdateCertificateInstanceRequest) {
  const types = p.ResourceTypes ?? [];
  const upload = uploadInput(p as M.UpdateCertificateInstanceRequest);
  const certId = (p as M.UpdateCertificateInstanceRequest).CertificateId;
  return svc(ctx).updateInstance(caller, {
    oldCertId: p.OldCertificateId, ...(certId ? { certId } : {}), ...(upload ? { upload } : {}),
    types, regions: regionsOf(types, p as M.UpdateCertificateInstanceRequest),
  }, family);
}

export const UpdateCertificateInstance: ActionHandler<M.UpdateCertificateInstanceRequest, M.UpdateCertificateInstanceResponse> = async (ctx, p) => {
  if (p.ExpiringNotificationSwitch !== undefined && p.ExpiringNotificationSwitch !== 0 && p.ExpiringNotificationSwitch !== 1) {
    throw new ServiceError('InvalidParameterValue', 'ExpiringNotificationSwitch must be 0 or 1.');
  }
  const out = await update(ctx, ctx.caller, 'update', p);
  if (p.ExpiringNotificationSwitch === 1) await svc(ctx).setIgnoreExpiry(ctx.caller, [p.OldCertificateId], true);
  return { DeployRecordId: out.recordId, DeployStatus: out.created ? 1 : 0, UpdateSyncProgress: syncProgress(out.progress) };
};

export const DescribeHostUpdateRecord: ActionHandler<M.DescribeHostUpdateRecordRequest, M.DescribeHostUpdateRecordResponse> = async (ctx, p) => {
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const { total, items } = await svc(ctx).listRecords(ctx.caller, 'update', {
    ...(p.CertificateId ? { certId: p.CertificateId } : {}), ...(p.OldCertificateId ? { oldCertId: p.OldCertificateId } : {}), offset, limit,
  });
  return { TotalCount: total, DeployRecordList: items.map(recordInfo) };
};

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

export const UpdateCertificateRecordRetry: ActionHandler<M.UpdateCertificateRecordRetryRequest, M.UpdateCertificateRecordRetryResponse> = async (ctx, p) => {
  await svc(ctx).retry(ctx.caller, 'update', p.DeployRecordId === undefined ? undefined : recordId(p.DeployRecordId, 'DeployRecordId'),
    p.DeployRecordDetailId === undefined ? undefined : recordId(p.DeployRecordDetailId, 'DeployRecordDetailId'));
  return {};
};

export const UpdateCertificateRecordRollback: ActionHandler<M.UpdateCertificateRecordRollbackRequest, M.UpdateCertificateRecordRollbackResponse> = async (ctx, p) => {
  if (p.DeployRecordId === undefined) throw new ServiceError('MissingParameter', 'The request is missing the parameter `DeployRecordId`.');
  return { DeployRecordId: await svc(ctx).rollback(ctx.caller, 'update', recordId(p.DeployRecordId, 'DeployRecordId')) };
};

export const deployActions = {
  UpdateCertificateInstance,
  DescribeHostUpdateRecord,
  DescribeHostUpdateRecordDetail,
  UpdateCertificateRecordRetry,
  UpdateCertificateRecordRollback,
  ...deployInstanceActions,
};

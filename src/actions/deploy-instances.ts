// Deploying to named resources (DeployCertificateInstance and its records), the per-type
// instance lists (DescribeHost*InstanceList: the registered resources of that type that could
// take a certificate), and the bind-resource tasks (which resources serve a certificate now).
// Each resource is shown in its type's SDK shape, its id in the type's instance-id field.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { DeploymentService } from '../services/deployments.js';
import type { BoundResource, DeployDetail, ResourceRecord } from '../domain/deployment.js';
import { pageParams } from './describe-certificates.js';
import { formatTime } from './present.js';
import type { ActionContext, ActionHandler } from './types.js';

const svc = (ctx: ActionContext): DeploymentService => ctx.services.deployments;

/** What a resource looks like in the lists: its id, name, domains and the certificate on it. */
export interface Shown { id: string; name: string; region: string; domains: string[]; certId: string; algorithm: string; port: number; noMatch: string[] }

/** The instance-detail shape of each type (the SDK's *InstanceDetail models). */
export function instanceShape(type: string, r: Shown): Record<string, unknown> {
  const domain = r.domains[0] ?? r.name;
  switch (type) {
    case 'clb': return {
      LoadBalancerId: r.id, LoadBalancerName: r.name, Forward: 1,
      Listeners: [{
        ListenerId: r.id, ListenerName: r.name, SniSwitch: r.domains.length > 1 ? 1 : 0, Protocol: 'HTTPS',
        Certificate: { CertId: r.certId, DnsNames: r.domains, CertCaId: '', SSLMode: 'UNIDIRECTIONAL' }, Rules: [], NoMatchDomains: r.noMatch,
      }],
    };
    case 'cdn': return { Domain: domain, CertId: r.certId, Status: 'online', HttpsBillingSwitch: 'on' };
    case 'waf': return { Domain: domain, CertId: r.certId, Keepalive: 0 };
    case 'ddos': return { Domain: domain, InstanceId: r.id, Protocol: 'https', CertId: r.certId, VirtualPort: String(r.port || 443) };
    case 'live': return { Domain: domain, CertId: r.certId, Status: 1 };
    case 'vod': return { Domain: domain, CertId: r.certId };
    case 'teo': return { Host: domain, CertId: r.certId, ZoneId: r.id, Status: 'deployed', Algorithm: r.algorithm };
    case 'apigateway': return { ServiceId: r.id, ServiceName: r.name, Domain: domain, CertId: r.certId, Protocol: 'https' };
    case 'tke': return { ClusterId: r.id, ClusterName: r.name, NamespaceList: [], ClusterType: '', ClusterVersion: '' };
    case 'cos': return { Domain: domain, CertId: r.certId, Status: 'ENABLED', Bucket: r.name, Region: r.region };
    case 'lighthouse': return { InstanceId: r.id, InstanceName: r.name, IP: [], Domain: r.domains };
    case 'tse': return { GatewayId: r.id, GatewayName: r.name, CertificateList: [{ Id: r.id, Name: r.name, BindDomains: r.domains, CertSource: 'ssl', CertId: r.certId }] };
    case 'mqtt': return { InstanceId: r.id, InstanceName: r.name, InstanceStatus: 'RUNNING', NoMatchDomains: r.noMatch, ServerCertIdList: r.certId ? [r.certId] : [], CaCertIdList: [] };
    case 'tdmq': return { InstanceId: r.id, InstanceName: r.name, InstanceStatus: 'RUNNING', CertId: r.certId, CaCertId: '', NoMatchDomains: r.noMatch };
    case 'gaap': return { InstanceId: r.id, InstanceName: r.name, ListenerList: [{ ListenerStatus: 'RUNNING', ListenerId: r.id, ListenerName: r.name, NoMatchDomains: r.noMatch, CertIdList: r.certId ? [r.certId] : [], Protocol: 'HTTPS' }] };
    case 'scf': return { CertificateId: r.certId, Protocol: 'https', Domain: domain, Region: r.region };
    default: return { InstanceId: r.id, InstanceName: r.name };
  }
}

function portOf(r: ResourceRecord): number {
  const m = /:(\d+)$/.exec(r.probe?.address ?? '');
  return m ? Number(m[1]) : 0;
}

async function algorithmOf(ctx: ActionContext, certId: string | null, cache: Map<string, string>): Promise<string> {
  if (!certId) return '';
  if (!cache.has(certId)) {
    cache.set(certId, await ctx.services.certificates.get(ctx.caller, certId).then((c) => c.encryptAlgorithm, () => ''));
  }
  return cache.get(certId)!;
}

/** `domainMatch` filter: 1 (default) lists the resources the certificate covers, 0 the others. */
function domainMatch(filters: M.Filter[] | undefined): boolean {
  const f = (filters ?? []).find((x) => x.FilterKey === 'domainMatch');
  if (!f) return true;
  if (f.FilterValue !== '0' && f.FilterValue !== '1') throw new ServiceError('InvalidParameterValue', 'The domainMatch filter takes 1 or 0.');
  return f.FilterValue === '1';
}

interface HostListRequest { CertificateId?: string; OldCertificateId?: string; Filters?: M.Filter[]; Offset?: number | string; Limit?: number }

async function hostList(ctx: ActionContext, type: string, p: HostListRequest) {
  const offset = p.Offset === undefined || p.Offset === '' ? 0 : Number(p.Offset);
  if (!Number.isInteger(offset) || offset < 0) throw new ServiceError('InvalidParameterValue', 'Offset must be a non-negative integer.');
  const { limit } = pageParams(0, p.Limit, 10);
  const lim = Math.min(limit, 200);
  let rows: { resource: ResourceRecord; covers: boolean; serving: boolean }[];
  if (p.CertificateId) {
    const want = domainMatch(p.Filters);
    rows = (await svc(ctx).instancesFor(ctx.caller, p.CertificateId, type)).filter((x) => x.covers === want);
  } else {
    rows = (await svc(ctx).listResourcesOf(ctx.caller.accountUin, type)).map((resource) => ({ resource, covers: true, serving: false }));
  }
  if (p.OldCertificateId) {
    const old = await ctx.services.certificates.get(ctx.caller, p.OldCertificateId);
    const bound = new Set((await svc(ctx).boundTo(old)).map((r) => r.id));
    rows = rows.filter((x) => bound.has(x.resource.id));
  }
  const alg = new Map<string, string>();
  const cert = p.CertificateId ? await ctx.services.certificates.get(ctx.caller, p.CertificateId) : null;
  const page = rows.slice(offset, offset + lim);
  const list = [];
  for (const { resource: r } of page) {
    list.push(instanceShape(type, {
      id: r.id, name: r.name, region: r.region, domains: r.domains, certId: r.certId ?? '', algorithm: await algorithmOf(ctx, r.certId, alg), port: portOf(r),
      noMatch: cert ? r.domains.filter((d) => !svc(ctx).covers(cert, d)) : [],
    }));
  }
  return { total: rows.length, list };
}

type HostHandler = ActionHandler<HostListRequest, Record<string, unknown>>;
const withAsync = (total: number, list: unknown[]) => ({ TotalCount: total, InstanceList: list, AsyncTotalNum: 0, AsyncOffset: 0, AsyncCacheTime: '' });
const hostAction = (type: string, extra: boolean): HostHandler => async (ctx, p) => {
  const { total, list } = await hostList(ctx, type, p);
  return extra ? withAsync(total, list) : { TotalCount: total, InstanceList: list };
};

export const DescribeHostClbInstanceList = hostAction('clb', true);
export const DescribeHostCdnInstanceList = hostAction('cdn', true);
export const DescribeHostCosInstanceList = hostAction('cos', true);
export const DescribeHostTkeInstanceList = hostAction('tke', true);
export const DescribeHostDdosInstanceList = hostAction('ddos', false);
export const DescribeHostVodInstanceList = hostAction('vod', false);
export const DescribeHostTeoInstanceList = hostAction('teo', false);
export const DescribeHostApiGatewayInstanceList = hostAction('apigateway', false);
export const DescribeHostLighthouseInstanceList = hostAction('lighthouse', false);
/** The SDK's Live and Waf responses carry no TotalCount. */
export const DescribeHostLiveInstanceList: HostHandler = async (ctx, p) => ({ InstanceList: (await hostList(ctx, 'live', p)).list });
export const DescribeHostWafInstanceList: HostHandler = async (ctx, p) => ({ InstanceList: (await hostList(ctx, 'waf', p)).list });

// ---- DeployCertificateInstance and its records ----

export const DeployCertificateInstance: ActionHandler<M.DeployCertificateInstanceRequest, M.DeployCertificateInstanceResponse> = async (ctx, p) => {
  const out = await svc(ctx).deployInstance(ctx.caller, p.CertificateId, p.ResourceType ?? 'clb', p.InstanceIdList);
  return { DeployRecordId: out.recordId, DeployStatus: out.created ? 1 : 0 };
};

export const DescribeHostDeployRecord: ActionHandler<M.DescribeHostDeployRecordRequest, M.DescribeHostDeployRecordResponse> = async (ctx, p) => {
  await ctx.services.certificates.get(ctx.caller, p.CertificateId);
  const { offset, limit } = pageParams(p.Offset, p.Limit, 10);
  const { total, items } = await svc(ctx).listRecords(ctx.caller, 'deploy', {
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
  const r = await svc(ctx).recordDetails(ctx.caller, id, 'deploy', { offset, limit: Math.min(limit, 200) });
  const alg = new Map<string, string>();
  for (const d of r.details) for (const c of [d.certId, d.oldCertId]) await algorithmOf(ctx, c, alg);
  return {
    TotalCount: r.total, DeployRecordDetailList: r.details.map((d) => deployDetail(d, alg)), SuccessTotalCount: r.succeeded,
    FailedTotalCount: r.failed, RunningTotalCount: r.running, PendingTotalCount: r.pending,
  };
};

const recId = (v: number | undefined, name: string) => {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v <= 0) throw new ServiceError('FailedOperation.InvalidParam', `${name} must be a positive integer.`);
  return v;
};

export const DeployCertificateRecordRetry: ActionHandler<M.DeployCertificateRecordRetryRequest, M.DeployCertificateRecordRetryResponse> = async (ctx, p) => {
  await svc(ctx).retry(ctx.caller, 'deploy', recId(p.DeployRecordId, 'DeployRecordId'), recId(p.DeployRecordDetailId, 'DeployRecordDetailId'));
  return {};
};

export const DeployCertificateRecordRollback: ActionHandler<M.DeployCertificateRecordRollbackRequest, M.DeployCertificateRecordRollbackResponse> = async (ctx, p) => {
  const id = recId(p.DeployRecordId, 'DeployRecordId');
  if (id === undefined) throw new ServiceError('MissingParameter', 'The request is missing the parameter `DeployRecordId`.');
  return { DeployRecordId: await svc(ctx).rollback(ctx.caller, 'deploy', id) };
};

// ---- Bind-resource tasks ----

export const CreateCertificateBindResourceSyncTask: ActionHandler<M.CreateCertificateBindResourceSyncTaskRequest, M.CreateCertificateBindResourceSyncTaskResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 100) {
    throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 100 certificates.');
  }
  if (p.IsCache !== 0 && p.IsCache !== 1) throw new ServiceError('InvalidParameterValue', 'IsCache must be 0 or 1.');
  const tasks = await svc(ctx).bindSync(ctx.caller, p.CertificateIds, p.IsCache === 1);
  return { CertTaskIds: tasks.map((t) => ({ CertId: t.certId, TaskId: t.taskId })) };
};

function byTypeRegion(found: BoundResource[]): Map<string, Map<string, BoundResource[]>> {
  const out = new Map<string, Map<string, BoundResource[]>>();
  for (const r of found) {
    const regions = out.get(r.type) ?? new Map<string, BoundResource[]>();
    regions.set(r.region, [...(regions.get(r.region) ?? []), r]);
    out.set(r.type, regions);
  }
  return out;
}

export const DescribeCertificateBindResourceTaskResult: ActionHandler<M.DescribeCertificateBindResourceTaskResultRequest, M.DescribeCertificateBindResourceTaskResultResponse> = async (ctx, p) => {
  if (p.TaskIds.length === 0 || p.TaskIds.length > 100) throw new ServiceError('InvalidParameterValue', 'TaskIds must name 1 to 100 tasks.');
  const out: M.SyncTaskBindResourceResult[] = [];
  for (const id of p.TaskIds) {
    const t = await svc(ctx).bindTask(ctx.caller, id);
    out.push({
      TaskId: t.id, Status: t.status, CacheTime: formatTime(t.updatedAt)!,
      Error: (t.status === 2 ? { Code: 'FailedOperation', Message: t.error ?? '' } : null) as M.Error,
      BindResourceResult: [...byTypeRegion(t.result ?? [])].map(([type, regions]) => ({
        ResourceType: type,
        BindResourceRegionResult: [...regions].map(([region, rs]) => ({ Region: region, TotalCount: rs.length, Error: '' })),
      })),
    });
  }
  return { SyncTaskBindResourceResult: out };
};

/** DescribeCertificateBindResourceTaskDetail's keys: the type in capitals, one list per region. */
const DETAIL_KEYS: Record<string, string> = {
  clb: 'CLB', cdn: 'CDN', waf: 'WAF', ddos: 'DDOS', live: 'LIVE', vod: 'VOD', tke: 'TKE', apigateway: 'APIGATEWAY', tcb: 'TCB',
  teo: 'TEO', tse: 'TSE', cos: 'COS', tdmq: 'TDMQ', mqtt: 'MQTT', gaap: 'GAAP', scf: 'SCF',
};
/** Types whose region lists carry no Region field in the SDK models. */
const NO_REGION = new Set(['cdn', 'ddos', 'live', 'vod', 'teo', 'gaap']);

export const DescribeCertificateBindResourceTaskDetail: ActionHandler<M.DescribeCertificateBindResourceTaskDetailRequest, M.DescribeCertificateBindResourceTaskDetailResponse> = async (ctx, p) => {
  const t = await svc(ctx).bindTask(ctx.caller, p.TaskId);
  const num = (v: string | undefined, d: number, name: string) => {
    if (v === undefined || v === '') return d;
    if (!/^\d+$/.test(v)) throw new ServiceError('InvalidParameterValue', `${name} must be a non-negative integer.`);
    return Number(v);
  };
  const limit = Math.min(num(p.Limit, 10, 'Limit') || 10, 100);
  const offset = num(p.Offset, 0, 'Offset');
  const types = p.ResourceTypes?.length ? new Set(p.ResourceTypes.map((x) => x.toLowerCase())) : null;
  const regions = p.Regions?.length ? new Set(p.Regions) : null;
  const out: Record<string, unknown> = { Status: t.status, CacheTime: formatTime(t.updatedAt)! };
  for (const key of Object.values(DETAIL_KEYS)) out[key] = [];
  const resources = new Map((await svc(ctx).resourcesById(ctx.caller.accountUin, (t.result ?? []).map((r) => r.resourceId))).map((r) => [r.id, r]));
  const alg = new Map<string, string>();
  for (const [type, byRegion] of byTypeRegion(t.result ?? [])) {
    const key = DETAIL_KEYS[type];
    if (!key || (types && !types.has(type))) continue;
    const lists = [];
    for (const [region, rs] of byRegion) {
      if (regions && !NO_REGION.has(type) && !regions.has(region)) continue;
      const list = [];
      for (const b of rs.slice(offset, offset + limit)) {
        const r = resources.get(b.resourceId);
        // The task's certificate is the one found on the resource.
        list.push(instanceShape(type, {
          id: b.resourceId, name: b.name, region: b.region, domains: b.domains, certId: t.certId,
          algorithm: await algorithmOf(ctx, t.certId, alg), port: r ? portOf(r) : 0, noMatch: [],
        }));
      }
      if (type === 'tcb') lists.push({ Region: region, Environments: [], Error: '' });
      else lists.push({ ...(NO_REGION.has(type) ? {} : { Region: region }), InstanceList: list, TotalCount: rs.length, Error: '' });
    }
    out[key] = lists;
  }
  return out as Omit<M.DescribeCertificateBindResourceTaskDetailResponse, 'RequestId'>;
};

export const deployInstanceActions = {
  DescribeHostClbInstanceList, DescribeHostCdnInstanceList, DescribeHostCosInstanceList, DescribeHostTkeInstanceList,
  DescribeHostDdosInstanceList, DescribeHostVodInstanceList, DescribeHostTeoInstanceList, DescribeHostApiGatewayInstanceList,
  DescribeHostLighthouseInstanceList, DescribeHostLiveInstanceList, DescribeHostWafInstanceList,
  DeployCertificateInstance, DescribeHostDeployRecord, DescribeHostDeployRecordDetail, DeployCertificateRecordRetry, DeployCertificateRecordRollback,
  CreateCertificateBindResourceSyncTask, DescribeCertificateBindResourceTaskResult, DescribeCertificateBindResourceTaskDetail,
};

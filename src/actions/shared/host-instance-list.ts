// DescribeHost*InstanceList: the registered resources of one type that could take a
// certificate, shown in that type's shape. Each action is one type (describe-host-*-instance-list.ts).
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ResourceRecord } from '../../domain/deployment.js';
import { ServiceError } from '../../domain/errors.js';
import { certificateCovers } from '../../services/resources.js';
import { algorithmOf, instanceShape, portOf } from './instances.js';
import { pageParams } from './paging.js';
import type { ActionContext, ActionHandler } from '../types.js';

/** `domainMatch` filter: 1 (default) lists the resources the certificate covers, 0 the others. */
function domainMatch(filters: M.Filter[] | undefined): boolean {
  const f = (filters ?? []).find((x) => x.FilterKey === 'domainMatch');
  if (!f) return true;
  if (f.FilterValue !== '0' && f.FilterValue !== '1') throw new ServiceError('InvalidParameterValue', 'The domainMatch filter takes 1 or 0.');
  return f.FilterValue === '1';
}

export interface HostListRequest { CertificateId?: string; OldCertificateId?: string; Filters?: M.Filter[]; Offset?: number | string; Limit?: number }

export async function hostList(ctx: ActionContext, type: string, p: HostListRequest) {
  const offset = p.Offset === undefined || p.Offset === '' ? 0 : Number(p.Offset);
  if (!Number.isInteger(offset) || offset < 0) throw new ServiceError('InvalidParameterValue', 'Offset must be a non-negative integer.');
  const { limit } = pageParams(0, p.Limit, 10);
  const lim = Math.min(limit, 200);
  let rows: { resource: ResourceRecord; covers: boolean; serving: boolean }[];
  if (p.CertificateId) {
    const want = domainMatch(p.Filters);
    rows = (await ctx.services.resources.instancesFor(ctx.caller, p.CertificateId, type)).filter((x) => x.covers === want);
  } else {
    rows = (await ctx.services.resources.listResourcesOf(ctx.caller.accountUin, [type])).map((resource) => ({ resource, covers: true, serving: false }));
  }
  if (p.OldCertificateId) {
    const old = await ctx.services.certificates.get(ctx.caller, p.OldCertificateId);
    const bound = new Set((await ctx.services.resources.boundTo(old)).map((r) => r.id));
    rows = rows.filter((x) => bound.has(x.resource.id));
  }
  const alg = new Map<string, string>();
  const cert = p.CertificateId ? await ctx.services.certificates.get(ctx.caller, p.CertificateId) : null;
  const page = rows.slice(offset, offset + lim);
  const list = [];
  for (const { resource: r } of page) {
    list.push(instanceShape(type, {
      id: r.id, name: r.name, region: r.region, domains: r.domains, certId: r.certId ?? '', algorithm: await algorithmOf(ctx, r.certId, alg), port: portOf(r),
      noMatch: cert ? r.domains.filter((d) => !certificateCovers(cert, d)) : [],
    }));
  }
  return { total: rows.length, list };
}

export type HostHandler = ActionHandler<HostListRequest, Record<string, unknown>>;

const withAsync = (total: number, list: unknown[]) => ({ TotalCount: total, InstanceList: list, AsyncTotalNum: 0, AsyncOffset: 0, AsyncCacheTime: '' });

export const hostAction = (type: string, extra: boolean): HostHandler => async (ctx, p) => {
  const { total, list } = await hostList(ctx, type, p);
  return extra ? withAsync(total, list) : { TotalCount: total, InstanceList: list };
};

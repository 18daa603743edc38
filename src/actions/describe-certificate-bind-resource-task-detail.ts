import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { algorithmOf, byTypeRegion, instanceShape, portOf } from './shared/instances.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

/** DescribeCertificateBindResourceTaskDetail's keys: the type in capitals, one list per region. */
const DETAIL_KEYS: Record<string, string> = {
  clb: 'CLB', cdn: 'CDN', waf: 'WAF', ddos: 'DDOS', live: 'LIVE', vod: 'VOD', tke: 'TKE', apigateway: 'APIGATEWAY', tcb: 'TCB',
  teo: 'TEO', tse: 'TSE', cos: 'COS', tdmq: 'TDMQ', mqtt: 'MQTT', gaap: 'GAAP', scf: 'SCF',
};

/** Types whose region lists carry no Region field in the SDK models. */
const NO_REGION = new Set(['cdn', 'ddos', 'live', 'vod', 'teo', 'gaap']);

export const DescribeCertificateBindResourceTaskDetail: ActionHandler<M.DescribeCertificateBindResourceTaskDetailRequest, M.DescribeCertificateBindResourceTaskDetailResponse> = async (ctx, p) => {
  const t = await ctx.services.bindSync.bindTask(ctx.caller, p.TaskId);
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
  const resources = new Map((await ctx.services.resources.resourcesById(ctx.caller.accountUin, (t.result ?? []).map((r) => r.resourceId))).map((r) => [r.id, r]));
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

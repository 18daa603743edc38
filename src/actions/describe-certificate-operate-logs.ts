import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { DAY } from '../services/certificates.js';
import { pageParams } from './shared/paging.js';
import { formatTime, parseTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

function time(name: string, v: string | undefined, def: number): number {
  if (v === undefined || v === '') return def;
  const t = parseTime(v);
  if (t === null) throw new ServiceError('InvalidParameterValue', `${name} must be a time as YYYY-MM-DD HH:mm:ss.`);
  return t;
}

export const DescribeCertificateOperateLogs: ActionHandler<M.DescribeCertificateOperateLogsRequest, M.DescribeCertificateOperateLogsResponse> = async (ctx, p) => {
  const now = ctx.services.clock();
  // The spec: without StartTime/EndTime, the last 15 days.
  const to = time('EndTime', p.EndTime, now);
  const from = time('StartTime', p.StartTime, to - 15 * DAY);
  if (from > to) throw new ServiceError('InvalidParameterValue', 'StartTime must not be after EndTime.');
  const { offset, limit } = pageParams(p.Offset, p.Limit, 20);
  const { total, items } = await ctx.services.certificates.logs(ctx.caller, from, to, offset, limit);
  return {
    AllTotal: total,
    TotalCount: items.length,
    OperateLogs: items.map((l) => ({
      Action: l.action,
      CreatedOn: formatTime(l.createdAt)!,
      Uin: ctx.caller.accountUin,
      SubAccountUin: l.userUin === l.accountUin ? '' : l.userUin,
      CertId: l.certId,
      Type: l.type,
    })),
  };
};

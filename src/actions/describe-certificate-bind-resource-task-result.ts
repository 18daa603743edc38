import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { BIND_TASK } from '../domain/deployment.js';
import { ServiceError } from '../domain/errors.js';
import { formatTime } from './shared/time.js';
import { byTypeRegion } from './shared/instances.js';
import type { ActionHandler } from './types.js';

export const DescribeCertificateBindResourceTaskResult: ActionHandler<M.DescribeCertificateBindResourceTaskResultRequest, M.DescribeCertificateBindResourceTaskResultResponse> = async (ctx, p) => {
  if (p.TaskIds.length === 0 || p.TaskIds.length > 100) throw new ServiceError('InvalidParameterValue', 'TaskIds must name 1 to 100 tasks.');
  const out: M.SyncTaskBindResourceResult[] = [];
  for (const id of p.TaskIds) {
    const t = await ctx.services.bindSync.bindTask(ctx.caller, id);
    out.push({
      TaskId: t.id, Status: t.status, CacheTime: formatTime(t.updatedAt)!,
      Error: (t.status === BIND_TASK.failed ? { Code: 'FailedOperation', Message: t.error ?? '' } : null) as M.Error,
      BindResourceResult: [...byTypeRegion(t.result ?? [])].map(([type, regions]) => ({
        ResourceType: type,
        BindResourceRegionResult: [...regions].map(([region, rs]) => ({ Region: region, TotalCount: rs.length, Error: '' })),
      })),
    });
  }
  return { SyncTaskBindResourceResult: out };
};

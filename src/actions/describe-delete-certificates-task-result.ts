import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { formatTime } from './shared/time.js';
import type { ActionHandler } from './types.js';

export const DescribeDeleteCertificatesTaskResult: ActionHandler<M.DescribeDeleteCertificatesTaskResultRequest, M.DescribeDeleteCertificatesTaskResultResponse> = async (ctx, p) => {
  if (p.TaskIds.length === 0 || p.TaskIds.length > 100) throw new ServiceError('InvalidParameterValue', 'TaskIds must name 1 to 100 tasks.');
  const tasks = await ctx.services.deletions.deleteTasks(ctx.caller, p.TaskIds);
  return {
    DeleteTaskResult: tasks.map((t) => ({
      TaskId: t.id, CertId: t.certId, Status: t.status, Error: t.error ?? '', CacheTime: formatTime(t.updatedAt)!, Domains: t.domains,
    })),
  };
};

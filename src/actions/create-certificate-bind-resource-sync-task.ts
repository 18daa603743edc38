// A task finding which registered resources serve each certificate now (by TLS probe or
// by what certport deployed); DescribeCertificateBindResourceTask{Result,Detail} read it.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const CreateCertificateBindResourceSyncTask: ActionHandler<M.CreateCertificateBindResourceSyncTaskRequest, M.CreateCertificateBindResourceSyncTaskResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 100) {
    throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 100 certificates.');
  }
  if (p.IsCache !== 0 && p.IsCache !== 1) throw new ServiceError('InvalidParameterValue', 'IsCache must be 0 or 1.');
  const tasks = await ctx.services.bindSync.bindSync(ctx.caller, p.CertificateIds, p.IsCache === 1);
  return { CertTaskIds: tasks.map((t) => ({ CertId: t.certId, TaskId: t.taskId })) };
};

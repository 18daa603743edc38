import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const UploadUpdateCertificateRecordRollback: ActionHandler<M.UploadUpdateCertificateRecordRollbackRequest, M.UploadUpdateCertificateRecordRollbackResponse> = async (ctx, p) => {
  const rec = await ctx.services.deployments.record(ctx.caller, p.DeployRecordId, 'upload');
  if (rec.kind === 'rollback') throw new ServiceError('FailedOperation.CertificateDeployRollbackStatusInvalid', `The record ${rec.id} is a rollback already.`);
  await ctx.services.deployments.rollback(ctx.caller, 'upload', rec.id);
  return {};
};

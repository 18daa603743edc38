import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { recordId } from './shared/record-ids.js';
import type { ActionHandler } from './types.js';

export const UpdateCertificateRecordRollback: ActionHandler<M.UpdateCertificateRecordRollbackRequest, M.UpdateCertificateRecordRollbackResponse> = async (ctx, p) => {
  if (p.DeployRecordId === undefined) throw new ServiceError('MissingParameter', 'The request is missing the parameter `DeployRecordId`.');
  return { DeployRecordId: await ctx.services.deployments.rollback(ctx.caller, 'update', recordId(p.DeployRecordId, 'DeployRecordId')) };
};

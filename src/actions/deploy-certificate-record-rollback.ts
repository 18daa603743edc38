import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { optionalRecordId } from './shared/record-ids.js';
import type { ActionHandler } from './types.js';

export const DeployCertificateRecordRollback: ActionHandler<M.DeployCertificateRecordRollbackRequest, M.DeployCertificateRecordRollbackResponse> = async (ctx, p) => {
  const id = optionalRecordId(p.DeployRecordId, 'DeployRecordId');
  if (id === undefined) throw new ServiceError('MissingParameter', 'The request is missing the parameter `DeployRecordId`.');
  return { DeployRecordId: await ctx.services.deployments.rollback(ctx.caller, 'deploy', id) };
};

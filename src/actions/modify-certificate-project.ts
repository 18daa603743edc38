import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const ModifyCertificateProject: ActionHandler<M.ModifyCertificateProjectRequest, M.ModifyCertificateProjectResponse> = async (ctx, p) => {
  if (p.CertificateIdList.length === 0) throw new ServiceError('InvalidParameterValue', 'CertificateIdList must name at least one certificate.');
  // The spec: "a maximum of 100 certificate IDs".
  if (p.CertificateIdList.length > 100) throw new ServiceError('InvalidParameterValue', 'CertificateIdList can name at most 100 certificates.');
  if (!Number.isInteger(p.ProjectId) || p.ProjectId < 0) throw new ServiceError('InvalidParameterValue', 'ProjectId must be a non-negative integer.');
  const r = await ctx.services.certificates.modifyProject(ctx.caller, p.CertificateIdList, p.ProjectId);
  return { SuccessCertificates: r.success, FailCertificates: r.fail };
};

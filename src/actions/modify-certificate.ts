import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const MAX_ALIAS_LENGTH = 200;

export const ModifyCertificateAlias: ActionHandler<M.ModifyCertificateAliasRequest, M.ModifyCertificateAliasResponse> = async (ctx, p) => {
  const alias = p.Alias ?? '';
  if (alias.length > MAX_ALIAS_LENGTH) throw new ServiceError('InvalidParameterValue', `Alias must be at most ${MAX_ALIAS_LENGTH} characters.`);
  await ctx.services.certificates.modifyAlias(ctx.caller, p.CertificateId, alias);
  return { CertificateId: p.CertificateId };
};

export const ModifyCertificateProject: ActionHandler<M.ModifyCertificateProjectRequest, M.ModifyCertificateProjectResponse> = async (ctx, p) => {
  if (p.CertificateIdList.length === 0) throw new ServiceError('InvalidParameterValue', 'CertificateIdList must name at least one certificate.');
  // The spec: "a maximum of 100 certificate IDs".
  if (p.CertificateIdList.length > 100) throw new ServiceError('InvalidParameterValue', 'CertificateIdList can name at most 100 certificates.');
  if (!Number.isInteger(p.ProjectId) || p.ProjectId < 0) throw new ServiceError('InvalidParameterValue', 'ProjectId must be a non-negative integer.');
  const r = await ctx.services.certificates.modifyProject(ctx.caller, p.CertificateIdList, p.ProjectId);
  return { SuccessCertificates: r.success, FailCertificates: r.fail };
};

export const DeleteCertificate: ActionHandler<M.DeleteCertificateRequest, M.DeleteCertificateResponse> = async (ctx, p) => {
  if (p.IsCheckResource !== undefined && typeof p.IsCheckResource !== 'boolean') {
    throw new ServiceError('InvalidParameterValue', 'IsCheckResource must be true or false.');
  }
  if (p.IsCheckResource) {
    // The spec: with the check, deletion is asynchronous; DescribeDeleteCertificatesTaskResult
    // tells whether it happened, or which resources still use the certificate.
    await ctx.services.certificates.get(ctx.caller, p.CertificateId);
    const r = await ctx.services.deployments.deleteCertificates(ctx.caller, [p.CertificateId], true);
    if (r.fail.length) throw new ServiceError('FailedOperation', r.fail[0]!.msg);
    return { DeleteResult: true, TaskId: r.tasks[0]!.taskId };
  }
  await ctx.services.certificates.delete(ctx.caller, p.CertificateId);
  return { DeleteResult: true };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const DeleteCertificate: ActionHandler<M.DeleteCertificateRequest, M.DeleteCertificateResponse> = async (ctx, p) => {
  if (p.IsCheckResource !== undefined && typeof p.IsCheckResource !== 'boolean') {
    throw new ServiceError('InvalidParameterValue', 'IsCheckResource must be true or false.');
  }
  if (p.IsCheckResource) {
    // The spec: with the check, deletion is asynchronous; DescribeDeleteCertificatesTaskResult
    // tells whether it happened, or which resources still use the certificate. DeleteResult
    // says at once whether it will be deleted: false (the spec's asynchronous example) while
    // resources still use it, so a caller reading only DeleteResult is not misled.
    const bound = await ctx.services.deletions.boundTo(ctx.caller, p.CertificateId);
    const r = await ctx.services.deletions.deleteCertificates(ctx.caller, [p.CertificateId], true);
    if (r.fail.length) throw new ServiceError('FailedOperation', r.fail[0]!.msg);
    return { DeleteResult: bound.length === 0, TaskId: r.tasks[0]!.taskId };
  }
  await ctx.services.deletions.deleteOne(ctx.caller, p.CertificateId);
  return { DeleteResult: true };
};

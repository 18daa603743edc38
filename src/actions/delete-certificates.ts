// Deletion as tasks (DescribeDeleteCertificatesTaskResult): a certificate a registered
// resource still serves is kept.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const DeleteCertificates: ActionHandler<M.DeleteCertificatesRequest, M.DeleteCertificatesResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 100) throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 100 certificates.');
  const r = await ctx.services.deletions.deleteCertificates(ctx.caller, p.CertificateIds, p.IsSync === true);
  return {
    Success: r.success, Fail: r.fail.map((f) => ({ CertId: f.certId, Msg: f.msg })),
    CertTaskIds: r.tasks.map((t) => ({ CertId: t.certId, TaskId: t.taskId })),
  };
};

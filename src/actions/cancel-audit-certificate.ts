import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const CancelAuditCertificate: ActionHandler<M.CancelAuditCertificateRequest, M.CancelAuditCertificateResponse> = async (ctx, p) => {
  await ctx.services.paid.cancelAudit(ctx.caller, p.CertificateId);
  return { Result: true };
};

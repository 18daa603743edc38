import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const ReplaceCertificate: ActionHandler<M.ReplaceCertificateRequest, M.ReplaceCertificateResponse> = async (ctx, p) => {
  const id = await ctx.services.orders.reissue(ctx.caller, {
    certificateId: p.CertificateId,
    validType: p.ValidType,
    csrType: p.CsrType,
    csrContent: p.CsrContent,
    csrKeyPassword: p.CsrkeyPassword,
    reason: p.Reason,
    certCsrEncryptAlgo: p.CertCSREncryptAlgo,
    certCsrKeyParameter: p.CertCSRKeyParameter,
  });
  return { CertificateId: id };
};

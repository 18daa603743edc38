import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

/** The account's certificate with the same leaf (the fingerprint lookup uploads do), or ''. */
export const CheckCertificateExist: ActionHandler<M.CheckCertificateExistRequest, M.CheckCertificateExistResponse> = async (ctx, p) => ({
  RepeatCertId: await ctx.services.certificates.repeatOf(ctx.caller, p.CertificatePublicKey),
});

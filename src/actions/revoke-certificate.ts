import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

/** The values to publish when proof of control is needed (status 9 until they are found), else []. */
export const RevokeCertificate: ActionHandler<M.RevokeCertificateRequest, M.RevokeCertificateResponse> = async (ctx, p) => {
  const auths = await ctx.services.revocations.revoke(ctx.caller, p.CertificateId, p.Reason);
  return {
    RevokeDomainValidateAuths: auths.map((a) => ({
      DomainValidateAuthPath: (a.path ?? '') as string,
      DomainValidateAuthKey: a.key,
      DomainValidateAuthValue: a.value,
      DomainValidateAuthDomain: a.zone,
    })),
  };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const ApplyCertificate: ActionHandler<M.ApplyCertificateRequest, M.ApplyCertificateResponse> = async (ctx, p) => {
  const id = await ctx.services.orders.apply(ctx.caller, {
    dvAuthMethod: p.DvAuthMethod,
    domainName: p.DomainName,
    projectId: p.ProjectId,
    packageType: p.PackageType,
    contactEmail: p.ContactEmail,
    contactPhone: p.ContactPhone,
    validityPeriod: p.ValidityPeriod,
    csrEncryptAlgo: p.CsrEncryptAlgo,
    csrKeyParameter: p.CsrKeyParameter,
    csrKeyPassword: p.CsrKeyPassword,
    alias: p.Alias,
    oldCertificateId: p.OldCertificateId,
    packageId: p.PackageId,
    deleteDnsAutoRecord: p.DeleteDnsAutoRecord,
  });
  return { CertificateId: id };
};

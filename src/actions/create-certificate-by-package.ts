// Paid orders paid for with packages: made as CreateCertificate makes them (status 5, then
// SubmitCertificateInformation …), one unit per certificate-year taken from PackageIds in the
// order given. With OldCertificateId the order renews that paid certificate: submitted with
// what was submitted for it and a key chosen by RenewGenCsrMethod, and committed for review.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const CreateCertificateByPackage: ActionHandler<M.CreateCertificateByPackageRequest, M.CreateCertificateByPackageResponse> = async (ctx, p) => {
  // DomainNames, ManagerId, CompanyId, VerifyType and PriceKey pre-fill Tencent's purchase page; the
  // order's information is submitted afterwards (SubmitCertificateInformation / CertificateInfoSubmit).
  const r = await ctx.services.packageOrders.create(ctx.caller, {
    ...p,
    Tags: (p.Tags ?? []).map((t) => ({ key: t.TagKey, value: t.TagValue })),
  });
  return { CertificateId: r.certificateIds[0]!, CertificateIds: r.certificateIds };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const UploadCertificate: ActionHandler<M.UploadCertificateRequest, M.UploadCertificateResponse> = async (ctx, p) => {
  const r = await ctx.services.certificates.upload(ctx.caller, {
    publicKey: p.CertificatePublicKey,
    privateKey: p.CertificatePrivateKey,
    type: p.CertificateType,
    alias: p.Alias,
    projectId: p.ProjectId === undefined ? undefined : Number(p.ProjectId),
    certificateUse: p.CertificateUse,
    tags: (p.Tags ?? []).map((t) => ({ key: t.TagKey, value: t.TagValue })),
    repeatable: p.Repeatable,
    keyPassword: p.KeyPassword,
  });
  return { CertificateId: r.certificateId, RepeatCertId: r.repeatCertId };
};

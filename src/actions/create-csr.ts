import type * as M from './shared/csr-models.js';
import type { ActionHandler } from './types.js';

export const CreateCSR: ActionHandler<M.CreateCSRRequest, M.CreateCSRResponse> = async (ctx, p) => {
  const id = await ctx.services.csrs.create(ctx.caller, {
    domain: p.Domain,
    organization: p.Organization,
    department: p.Department,
    email: p.Email,
    province: p.Province,
    city: p.City,
    country: p.Country,
    encryptAlgo: p.EncryptAlgo,
    keyParameter: p.KeyParameter,
    generate: p.Generate,
    keyPassword: p.KeyPassword ?? '',
    remark: p.Remark ?? '',
    tags: (p.Tags ?? []).map((t) => ({ key: t.TagKey, value: t.TagValue })),
  });
  return { Id: id };
};

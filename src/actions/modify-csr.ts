import type * as M from './shared/csr-models.js';
import type { ActionHandler } from './types.js';

export const ModifyCSR: ActionHandler<M.ModifyCSRRequest, M.ModifyCSRResponse> = async (ctx, p) => {
  const id = await ctx.services.csrs.modify(ctx.caller, p.CSRId, {
    ...(p.Domain !== undefined ? { domain: p.Domain } : {}),
    ...(p.Organization !== undefined ? { organization: p.Organization } : {}),
    ...(p.Department !== undefined ? { department: p.Department } : {}),
    ...(p.Email !== undefined ? { email: p.Email } : {}),
    ...(p.Province !== undefined ? { province: p.Province } : {}),
    ...(p.City !== undefined ? { city: p.City } : {}),
    ...(p.Country !== undefined ? { country: p.Country } : {}),
    ...(p.EncryptAlgo !== undefined ? { encryptAlgo: p.EncryptAlgo } : {}),
    ...(p.KeyParameter !== undefined ? { keyParameter: p.KeyParameter } : {}),
    ...(p.Remark !== undefined ? { remark: p.Remark } : {}),
    ...(p.KeyPassword !== undefined ? { keyPassword: p.KeyPassword } : {}),
  }, p.Generate);
  return { Id: id };
};

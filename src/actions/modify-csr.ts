import type * as M from './shared/csr-models.js';
import type { ActionHandler } from './types.js';
import { givenCsrFields } from './shared/csr-item.js';

export const ModifyCSR: ActionHandler<M.ModifyCSRRequest, M.ModifyCSRResponse> = async (ctx, p) => {
  const id = await ctx.services.csrs.modify(ctx.caller, p.CSRId, {
    ...givenCsrFields(p),
    ...(p.KeyPassword !== undefined ? { keyPassword: p.KeyPassword } : {}),
  }, p.Generate);
  return { Id: id };
};

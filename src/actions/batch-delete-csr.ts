import type * as M from './shared/csr-models.js';
import type { ActionHandler } from './types.js';

export const BatchDeleteCSR: ActionHandler<M.BatchDeleteCSRRequest, M.BatchDeleteCSRResponse> = async (ctx, p) => {
  return { Success: await ctx.services.csrs.batchDelete(ctx.caller, p.CSRIds) };
};

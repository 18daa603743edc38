import type * as M from './shared/csr-models.js';
import { csrItem } from './shared/csr-item.js';
import type { ActionHandler } from './types.js';

export const DescribeCSRSet: ActionHandler<M.DescribeCSRSetRequest, M.DescribeCSRSetResponse> = async (ctx, p) => {
  const { total, items } = await ctx.services.csrs.list(ctx.caller, {
    ...(p.Offset !== undefined ? { offset: p.Offset } : {}),
    ...(p.Limit !== undefined ? { limit: p.Limit } : {}),
    ...(p.Domain !== undefined ? { domain: p.Domain } : {}),
    ...(p.EncryptAlgo !== undefined ? { encryptAlgo: p.EncryptAlgo } : {}),
  });
  return { Total: total, Set: items.map(csrItem) };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const DeleteManager: ActionHandler<M.DeleteManagerRequest, M.DeleteManagerResponse> = async (ctx, p) => {
  await ctx.services.orgs.delete(ctx.caller, p.ManagerId);
  return { ManagerId: p.ManagerId };
};

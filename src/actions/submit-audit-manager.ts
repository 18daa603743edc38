import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { ActionHandler } from './types.js';

export const SubmitAuditManager: ActionHandler<M.SubmitAuditManagerRequest, M.SubmitAuditManagerResponse> = async (ctx, p) => {
  await ctx.services.orgs.submitAudit(ctx.caller, p.ManagerId);
  return { ManagerId: p.ManagerId };
};

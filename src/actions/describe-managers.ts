import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { managerInfo } from './shared/organizations.js';
import { pageParams } from './shared/paging.js';
import type { ActionHandler } from './types.js';

export const DescribeManagers: ActionHandler<M.DescribeManagersRequest, M.DescribeManagersResponse> = async (ctx, p) => {
  const r = await ctx.services.orgs.managers(ctx.caller, {
    companyId: p.CompanyId, ...pageParams(p.Offset, p.Limit, 10),
    ...(p.ManagerName ? { name: p.ManagerName } : {}), ...(p.ManagerMail ? { mail: p.ManagerMail } : {}),
    ...(p.Status ? { status: p.Status } : {}), ...(p.SearchKey ? { search: p.SearchKey } : {}),
  });
  return { Managers: r.items.map((m) => managerInfo(ctx, m)), TotalCount: r.total };
};

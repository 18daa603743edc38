import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { companyInfo } from './shared/organizations.js';
import { pageParams } from './shared/paging.js';
import type { ActionHandler } from './types.js';

export const DescribeCompanies: ActionHandler<M.DescribeCompaniesRequest, M.DescribeCompaniesResponse> = async (ctx, p) => {
  const r = await ctx.services.orgs.companies(ctx.caller, { ...pageParams(p.Offset, p.Limit, 10), ...(p.CompanyId !== undefined ? { companyId: p.CompanyId } : {}) });
  return { Companies: r.items.map(companyInfo), TotalCount: r.total };
};

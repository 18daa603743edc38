import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import { pageParams } from '../shared/paging.js';
import type { ActionHandler } from '../types.js';

export const DescribeTagKeys: ActionHandler<T.DescribeTagKeysRequest, T.DescribeTagKeysResponse> = async (ctx, p) => {
  const { offset, limit } = pageParams(p.Offset, p.Limit, 15);
  const { total, keys } = await ctx.services.tags.keys(ctx.caller, offset, limit);
  return { TotalCount: total, Offset: offset, Limit: limit, Tags: keys };
};

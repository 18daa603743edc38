import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import { ServiceError } from '../../domain/errors.js';
import { pageParams } from '../shared/paging.js';
import type { ActionHandler } from '../types.js';
import { tagOut } from './shared.js';

const MAX_KEYS = 20;

export const DescribeTagValues: ActionHandler<T.DescribeTagValuesRequest, T.DescribeTagValuesResponse> = async (ctx, p) => {
  if (p.TagKeys.length > MAX_KEYS) throw new ServiceError('LimitExceeded', `At most ${MAX_KEYS} TagKeys per request.`);
  const { offset, limit } = pageParams(p.Offset, p.Limit, 15);
  const { total, tags } = await ctx.services.tags.values(ctx.caller, p.TagKeys, offset, limit);
  return { TotalCount: total, Offset: offset, Limit: limit, Tags: tags.map(tagOut) };
};

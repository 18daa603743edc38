import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import { TAG_PREFIX, TAG_SERVICE } from '../../services/tags.js';
import { pageParams } from '../shared/paging.js';
import type { ActionHandler } from '../types.js';
import { tagResource } from './shared.js';

/** Tag rows of the caller's resources; a filter naming another service or resource type matches nothing. */
export const DescribeResourceTags: ActionHandler<T.DescribeResourceTagsRequest, T.DescribeResourceTagsResponse> = async (ctx, p) => {
  const { offset, limit } = pageParams(p.Offset, p.Limit, 15);
  if ((p.ServiceType && p.ServiceType !== TAG_SERVICE) || (p.ResourcePrefix && p.ResourcePrefix !== TAG_PREFIX)) {
    return { TotalCount: 0, Offset: offset, Limit: limit, Rows: [] };
  }
  const { total, rows } = await ctx.services.tags.rows(ctx.caller, p.ResourceId || null, offset, limit);
  return { TotalCount: total, Offset: offset, Limit: limit, Rows: rows.map((r) => tagResource(r.certId, r)) };
};

import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import { ServiceError } from '../../domain/errors.js';
import { pageParams } from '../shared/paging.js';
import type { ActionHandler } from '../types.js';
import { checkServiceType, tagResource } from './shared.js';

const MAX_IDS = 50;

/** The Terraform provider's read after every certificate: `{ServiceType:"ssl", ResourcePrefix:"certificate", ResourceIds:[id]}`. */
export const DescribeResourceTagsByResourceIds: ActionHandler<T.DescribeResourceTagsByResourceIdsRequest, T.DescribeResourceTagsByResourceIdsResponse> = async (ctx, p) => {
  checkServiceType(p.ServiceType, p.ResourcePrefix);
  const { offset, limit } = pageParams(p.Offset, p.Limit, 15);
  const ids = [...new Set(p.ResourceIds)];
  if (ids.length > MAX_IDS) throw new ServiceError('LimitExceeded.ResourceNumPerRequest', `At most ${MAX_IDS} ResourceIds per request.`);
  const tags = await ctx.services.tags.tagsOf(ctx.caller, ids);
  // Certificates of other accounts (or none) carry no tags here, as ids of unknown resources do at Tencent.
  const rows = ids.flatMap((id) => (tags.get(id) ?? []).map((t) => tagResource(id, t)));
  return { TotalCount: rows.length, Offset: offset, Limit: limit, Tags: rows.slice(offset, offset + limit) };
};

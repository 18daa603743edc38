import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import { ServiceError } from '../../domain/errors.js';
import type { ActionHandler } from '../types.js';
import { tagOut } from './shared.js';

const LIMITS = { resources: 10, filters: 6, values: 10, maxResults: 200 } as const;

/** Resources by tag (all of a filter's values or any of those listed) or by name; the token is the last id of the page. */
export const GetResources: ActionHandler<T.GetResourcesRequest, T.GetResourcesResponse> = async (ctx, p) => {
  const max = p.MaxResults ?? 50;
  if (!Number.isInteger(max) || max < 1 || max > LIMITS.maxResults) {
    throw new ServiceError('InvalidParameterValue', `MaxResults must be a whole number from 1 to ${LIMITS.maxResults}.`);
  }
  if (p.ResourceList && p.ResourceList.length > LIMITS.resources) {
    throw new ServiceError('LimitExceeded.ResourceNumPerRequest', `At most ${LIMITS.resources} resources in ResourceList.`);
  }
  const filters = (p.TagFilters ?? []).map((f) => ({ key: f.TagKey, values: f.TagValue ?? [] }));
  if (filters.length > LIMITS.filters || filters.some((f) => f.values.length > LIMITS.values)) {
    throw new ServiceError('LimitExceeded', `At most ${LIMITS.filters} TagFilters of ${LIMITS.values} values each.`);
  }
  const token = p.PaginationToken ?? '';
  if (!/^[A-Za-z0-9_-]{0,64}$/.test(token)) throw new ServiceError('InvalidParameterValue', 'PaginationToken is not one this service gave.');
  const page = await ctx.services.tags.find(ctx.caller, { resources: p.ResourceList?.length ? p.ResourceList : null, filters, after: token, limit: max });
  return {
    PaginationToken: page.next,
    ResourceTagMappingList: page.items.map((r) => ({ Resource: r.resource, Tags: r.tags.map(tagOut) })),
  };
};

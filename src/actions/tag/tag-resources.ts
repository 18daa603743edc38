import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import type { ActionHandler } from '../types.js';

export const TagResources: ActionHandler<T.TagResourcesRequest, T.TagResourcesResponse> = async (ctx, p) => ({
  FailedResources: await ctx.services.tags.changeMany(ctx.caller, p.ResourceList, p.Tags.map((t) => ({ key: t.TagKey, value: t.TagValue })), []),
});

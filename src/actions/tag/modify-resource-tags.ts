import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import type { ActionHandler } from '../types.js';

/** The Terraform provider's write: `{Resource:"qcs::ssl:<region>:uin/:certificate/<id>", ReplaceTags, DeleteTags}`. */
export const ModifyResourceTags: ActionHandler<T.ModifyResourceTagsRequest, T.ModifyResourceTagsResponse> = async (ctx, p) => {
  await ctx.services.tags.modify(ctx.caller, p.Resource,
    (p.ReplaceTags ?? []).map((t) => ({ key: t.TagKey, value: t.TagValue })), (p.DeleteTags ?? []).map((t) => t.TagKey));
  return {};
};

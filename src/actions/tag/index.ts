// The Tag API (2018-08-13) subset over certificate tags (issue 23): what the Terraform provider
// and the console call, on the same endpoint as ssl, chosen by X-TC-Version or the signed service.
import type { ActionHandler } from '../types.js';
import { DescribeResourceTags } from './describe-resource-tags.js';
import { DescribeResourceTagsByResourceIds } from './describe-resource-tags-by-resource-ids.js';
import { DescribeTagKeys } from './describe-tag-keys.js';
import { DescribeTagValues } from './describe-tag-values.js';
import { GetResources } from './get-resources.js';
import { ModifyResourceTags } from './modify-resource-tags.js';
import { TagResources } from './tag-resources.js';
import { UnTagResources } from './un-tag-resources.js';

export const TAG_API_VERSION = '2018-08-13';

export const tagActions: Record<string, ActionHandler> = {
  DescribeResourceTags,
  DescribeResourceTagsByResourceIds,
  DescribeTagKeys,
  DescribeTagValues,
  GetResources,
  ModifyResourceTags,
  TagResources,
  UnTagResources,
};

// What the Tag actions share: the answer's TagResource rows and the service checks.
import { createHash } from 'node:crypto';
import type * as T from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/tag_models.js';
import { ServiceError } from '../../domain/errors.js';
import type { Tag } from '../../domain/certificate.js';
import { TAG_PREFIX, TAG_SERVICE } from '../../services/tags.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** A tag on a certificate as TagResource (the key's and value's MD5, as Tencent answers them). */
export function tagResource(id: string, t: Tag): T.TagResource {
  return { TagKey: t.key, TagValue: t.value, ResourceId: id, TagKeyMd5: md5(t.key), TagValueMd5: md5(t.value), ServiceType: TAG_SERVICE, Category: 'Custom' };
}

export const tagOut = (t: Tag): T.Tag => ({ TagKey: t.key, TagValue: t.value, Category: 'Custom' });

/** ServiceType and ResourcePrefix given by the caller name certificates (refused otherwise: no other service lives here). */
export function checkServiceType(serviceType: string, prefix: string | undefined): void {
  if (serviceType !== TAG_SERVICE) {
    throw new ServiceError('InvalidParameterValue', `ServiceType ${JSON.stringify(serviceType)} is not served here: only ssl certificates carry tags in certport.`);
  }
  if (prefix !== undefined && prefix !== TAG_PREFIX) {
    throw new ServiceError('InvalidParameterValue', `ResourcePrefix ${JSON.stringify(prefix)} is not an ssl resource type: use certificate.`);
  }
}

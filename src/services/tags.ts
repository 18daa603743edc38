// The Tag API's view of certificate tags (issue 23): resources named
// `qcs::ssl:<region>:uin/<owner>:certificate/<id>`, read and written through the same rows
// DescribeCertificates and UploadCertificate use. Only `ssl` certificates exist here.
import { ServiceError } from '../domain/errors.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { Tag } from '../domain/certificate.js';
import type { TagStore } from '../domain/stores.js';

export const TAG_SERVICE = 'ssl';
export const TAG_PREFIX = 'certificate';
/** Tencent's limits on tags. */
export const TAG_LIMITS = { perResource: 50, keyLength: 127, valueLength: 255, resourcesPerRequest: 10, tagsPerRequest: 10 } as const;

export interface FailedResource { Resource: string; Code: string; Message: string }

const notFound = (resource: string) => new ServiceError('ResourceNotFound', `The resource ${JSON.stringify(resource)} does not exist.`);

/** `qcs::ssl:<region>:uin/<owner>:certificate/<id>` for one of the caller's certificates (region left empty). */
export function resourceName(accountUin: string, id: string): string {
  return `qcs::${TAG_SERVICE}::uin/${accountUin}:${TAG_PREFIX}/${id}`;
}

/**
 * The certificate id a six-segment resource name names. Another service's resource (or another
 * kind of ssl resource) is InvalidParameterValue; another account's is not found. The region
 * segment is ignored: certificates are global.
 */
export function parseResource(caller: Caller, resource: string): string {
  const parts = resource.split(':');
  if (parts.length !== 6 || parts[0] !== 'qcs' || parts[1] !== '' || !parts[4]!.startsWith('uin/') || !parts[5]!.includes('/')) {
    throw new ServiceError('InvalidParameterValue.ResourceDescriptionError',
      `The resource ${JSON.stringify(resource)} is not a six-segment name qcs::<service>:<region>:uin/<account>:<prefix>/<id>.`);
  }
  const [, , service, , account, res] = parts as [string, string, string, string, string, string];
  const slash = res.indexOf('/');
  const prefix = res.slice(0, slash);
  const id = res.slice(slash + 1);
  if (service !== TAG_SERVICE || prefix !== TAG_PREFIX) {
    throw new ServiceError('InvalidParameterValue',
      `The resource ${JSON.stringify(resource)} belongs to ${service}:${prefix}; this service tags only ssl certificates (qcs::ssl::uin/:certificate/<id>).`);
  }
  const owner = account.slice('uin/'.length);
  if (id === '' || (owner !== '' && owner !== caller.accountUin)) throw notFound(resource);
  return id;
}

function checkTag(t: Tag): void {
  if (t.key === '') throw new ServiceError('InvalidParameterValue.TagKeyEmpty', 'A tag key must not be empty.');
  if ([...t.key].length > TAG_LIMITS.keyLength) {
    throw new ServiceError('InvalidParameterValue.TagKeyLengthExceeded', `The tag key ${JSON.stringify(t.key)} is longer than ${TAG_LIMITS.keyLength} characters.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t.key) || /^(qcs:|project$)/i.test(t.key)) {
    throw new ServiceError('InvalidParameterValue.TagKeyCharacterIllegal', `The tag key ${JSON.stringify(t.key)} holds a control character or a reserved prefix (qcs:, project).`);
  }
  if ([...t.value].length > TAG_LIMITS.valueLength) {
    throw new ServiceError('InvalidParameterValue.TagValueLengthExceeded', `The value of tag ${JSON.stringify(t.key)} is longer than ${TAG_LIMITS.valueLength} characters.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t.value)) {
    throw new ServiceError('InvalidParameterValue.TagValueCharacterIllegal', `The value of tag ${JSON.stringify(t.key)} holds a control character.`);
  }
}

function checkTags(tags: Tag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    checkTag(t);
    if (seen.has(t.key)) throw new ServiceError('InvalidParameterValue.TagKeyDuplicate', `The tag key ${JSON.stringify(t.key)} is given more than once.`);
    seen.add(t.key);
  }
}

export class TagService {
  constructor(private readonly store: TagStore, private readonly clock: Clock) {}

  /** The tags of those certificates the caller holds (others are left out, as Tencent does). */
  tagsOf(caller: Caller, ids: string[]): Promise<Map<string, Tag[]>> {
    return this.store.tagsOf(caller.accountUin, [...new Set(ids)]);
  }

  /** ModifyResourceTags: set `replace` (adding or overwriting) and remove `deleteKeys`, at once. */
  async modify(caller: Caller, resource: string, replace: Tag[], deleteKeys: string[]): Promise<void> {
    const id = parseResource(caller, resource);
    checkTags(replace);
    const clash = replace.find((t) => deleteKeys.includes(t.key));
    if (clash) throw new ServiceError('InvalidParameterValue.TagKeyDuplicate', `The tag key ${JSON.stringify(clash.key)} is both replaced and deleted.`);
    await this.#apply(caller, resource, id, replace, deleteKeys);
  }

  async #apply(caller: Caller, resource: string, id: string, set: Tag[], removeKeys: string[]): Promise<void> {
    const current = (await this.store.tagsOf(caller.accountUin, [id])).get(id);
    if (!current) throw notFound(resource);
    const after = new Set(current.map((t) => t.key));
    for (const k of removeKeys) after.delete(k);
    for (const t of set) after.add(t.key);
    if (after.size > TAG_LIMITS.perResource) {
      throw new ServiceError('LimitExceeded.TagNumPerResource', `A resource carries at most ${TAG_LIMITS.perResource} tags; this change would leave ${after.size}.`);
    }
    if (!(await this.store.modifyTags(caller.accountUin, id, set, removeKeys, this.clock()))) throw notFound(resource);
  }

  /** TagResources / UnTagResources: each resource on its own; those that fail are reported, not thrown. */
  async changeMany(caller: Caller, resources: string[], set: Tag[], removeKeys: string[]): Promise<FailedResource[]> {
    if (resources.length > TAG_LIMITS.resourcesPerRequest) {
      throw new ServiceError('LimitExceeded.ResourceNumPerRequest', `At most ${TAG_LIMITS.resourcesPerRequest} resources per request.`);
    }
    if (set.length > TAG_LIMITS.tagsPerRequest || removeKeys.length > TAG_LIMITS.tagsPerRequest) {
      throw new ServiceError('LimitExceeded.TagNumPerResource', `At most ${TAG_LIMITS.tagsPerRequest} tags per request.`);
    }
    checkTags(set);
    for (const k of removeKeys) checkTag({ key: k, value: '' });
    // Names are checked first: one of another service refuses the whole request.
    const ids = resources.map((r) => parseResourceOrNull(caller, r));
    const failed: FailedResource[] = [];
    for (const [i, resource] of resources.entries()) {
      try {
        const id = ids[i];
        if (id === null) throw notFound(resource!);
        await this.#apply(caller, resource!, id!, set, removeKeys);
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        failed.push({ Resource: resource!, Code: e.code, Message: e.message });
      }
    }
    return failed;
  }

  rows(caller: Caller, id: string | null, offset: number, limit: number) {
    return this.store.listTagRows(caller.accountUin, id, offset, limit);
  }

  keys(caller: Caller, offset: number, limit: number) {
    return this.store.listTagKeys(caller.accountUin, offset, limit);
  }

  values(caller: Caller, keys: string[], offset: number, limit: number) {
    return this.store.listTagValues(caller.accountUin, [...new Set(keys)], offset, limit);
  }

  /** GetResources: a page of the caller's certificates by tag filters or names, with their tags. */
  async find(caller: Caller, q: { resources: string[] | null; filters: { key: string; values: string[] }[]; after: string; limit: number }) {
    const ids = q.resources === null ? null : q.resources.map((r) => parseResourceOrNull(caller, r)).filter((x): x is string => x !== null);
    const found = await this.store.findTagged(caller.accountUin, q.filters, ids, q.after, q.limit + 1);
    const page = found.slice(0, q.limit);
    const tags = await this.store.tagsOf(caller.accountUin, page);
    return { items: page.map((id) => ({ id, resource: resourceName(caller.accountUin, id), tags: tags.get(id) ?? [] })), next: found.length > q.limit ? page[page.length - 1]! : '' };
  }
}

/** A resource name's id, or null when it names another account's (not found); other errors are thrown. */
function parseResourceOrNull(caller: Caller, resource: string): string | null {
  try {
    return parseResource(caller, resource);
  } catch (e) {
    if (e instanceof ServiceError && e.code === 'ResourceNotFound') return null;
    throw e;
  }
}

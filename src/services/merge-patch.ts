// JSON Merge Patch (RFC 7396): what `resource update --config` and PATCH /admin/resources/:id do
// to a resource's settings, so that changing one field does not mean restating the others.
// An object merges key by key, null removes a key, anything else (arrays included) replaces.

/** How deep a patch may nest (settings are a few levels deep; this bounds the recursion). */
export const MERGE_PATCH_MAX_DEPTH = 32;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `target` with `patch` applied; neither is changed. Throws RangeError past MERGE_PATCH_MAX_DEPTH. */
export function mergePatch(target: unknown, patch: unknown, depth = 0): unknown {
  if (!isObject(patch)) return patch;
  if (depth >= MERGE_PATCH_MAX_DEPTH) throw new RangeError(`the patch nests deeper than ${MERGE_PATCH_MAX_DEPTH} levels`);
  const out: Record<string, unknown> = {};
  // defineProperty: a key named "__proto__" (JSON.parse makes it an own key) stays a plain key.
  const put = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (isObject(target)) for (const k of Object.keys(target)) put(k, target[k]);
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) delete out[k];
    else put(k, mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v, depth + 1));
  }
  return out;
}

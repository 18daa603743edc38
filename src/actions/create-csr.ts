import type * as M from './shared/csr-models.js';
import type { ActionHandler } from './types.js';
import type { CsrSubjectFields } from '../domain/csr.js';
import { givenCsrFields } from './shared/csr-item.js';

export const CreateCSR: ActionHandler<M.CreateCSRRequest, M.CreateCSRResponse> = async (ctx, p) => {
  const id = await ctx.services.csrs.create(ctx.caller, {
    // Every field but Remark is required (checkParams has seen to it).
    ...(givenCsrFields(p) as CsrSubjectFields),
    remark: p.Remark ?? '',
    generate: p.Generate,
    keyPassword: p.KeyPassword ?? '',
    tags: (p.Tags ?? []).map((t) => ({ key: t.TagKey, value: t.TagValue })),
  });
  return { Id: id };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

const MAX_ALIAS_LENGTH = 200;

export const ModifyCertificateAlias: ActionHandler<M.ModifyCertificateAliasRequest, M.ModifyCertificateAliasResponse> = async (ctx, p) => {
  const alias = p.Alias ?? '';
  if (alias.length > MAX_ALIAS_LENGTH) throw new ServiceError('InvalidParameterValue', `Alias must be at most ${MAX_ALIAS_LENGTH} characters.`);
  await ctx.services.certificates.modifyAlias(ctx.caller, p.CertificateId, alias);
  return { CertificateId: p.CertificateId };
};

import { rootCertificates } from 'node:tls';
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { checkChain } from '../pki/chain-check.js';
import type { ActionHandler } from './types.js';

/**
 * The chain verified link by link and against certport's roots and the system's (Node's bundled
 * Mozilla store): IsValid false for a chain that does not verify; an error only for input that
 * is not PEM at all.
 */
export const CheckCertificateChain: ActionHandler<M.CheckCertificateChainRequest, M.CheckCertificateChainResponse> = async (ctx, p) => {
  const r = checkChain(p.CertificateChain, [...ctx.services.trustedRoots, ...rootCertificates], ctx.services.clock());
  return { IsValid: r.isValid, IsTrustedCA: r.isTrustedCA, Chains: r.chains };
};

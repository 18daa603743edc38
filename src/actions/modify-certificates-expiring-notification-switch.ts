import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

export const ModifyCertificatesExpiringNotificationSwitch: ActionHandler<M.ModifyCertificatesExpiringNotificationSwitchRequest, M.ModifyCertificatesExpiringNotificationSwitchResponse> = async (ctx, p) => {
  if (p.CertificateIds.length === 0 || p.CertificateIds.length > 50) throw new ServiceError('InvalidParameterValue', 'CertificateIds must name 1 to 50 certificates.');
  if (p.SwitchStatus !== 0 && p.SwitchStatus !== 1) throw new ServiceError('InvalidParameterValue', 'SwitchStatus must be 0 or 1.');
  const ids = [...new Set(p.CertificateIds)];
  await ctx.services.expirySwitch.setIgnoreExpiry(ctx.caller, ids, p.SwitchStatus === 1);
  return { CertificateIds: ids };
};

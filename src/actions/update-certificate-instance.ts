// One-click update: the old certificate's resources get the new one. Resources are the
// account's own servers, registered by the operator; records and details are shaped as the
// SDK's UpdateRecordInfo / UpdateRecordDetail(s).
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import { syncProgress, updateInstances } from './shared/update.js';
import type { ActionHandler } from './types.js';

export const UpdateCertificateInstance: ActionHandler<M.UpdateCertificateInstanceRequest, M.UpdateCertificateInstanceResponse> = async (ctx, p) => {
  if (p.ExpiringNotificationSwitch !== undefined && p.ExpiringNotificationSwitch !== 0 && p.ExpiringNotificationSwitch !== 1) {
    throw new ServiceError('InvalidParameterValue', 'ExpiringNotificationSwitch must be 0 or 1.');
  }
  const out = await updateInstances(ctx, ctx.caller, 'update', p);
  if (p.ExpiringNotificationSwitch === 1) await ctx.services.expirySwitch.setIgnoreExpiry(ctx.caller, [p.OldCertificateId], true);
  return { DeployRecordId: out.recordId, DeployStatus: out.created ? 1 : 0, UpdateSyncProgress: syncProgress(out.progress) };
};

import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { syncProgress, updateInstances } from './shared/update.js';
import type { ActionHandler } from './types.js';

export const UploadUpdateCertificateInstance: ActionHandler<M.UploadUpdateCertificateInstanceRequest, M.UploadUpdateCertificateInstanceResponse> = async (ctx, p) => {
  const out = await updateInstances(ctx, ctx.caller, 'upload', { ...p, CertificateId: undefined } as M.UpdateCertificateInstanceRequest);
  return { DeployRecordId: out.recordId, DeployStatus: out.created ? 1 : 0, UpdateSyncProgress: syncProgress(out.progress) };
};

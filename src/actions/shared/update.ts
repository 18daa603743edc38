// One-click update (UpdateCertificateInstance, UploadUpdateCertificateInstance): the request
// as the deployment service takes it, and its progress as the SDK shows it.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { Caller } from '../../domain/caller.js';
import type { RecordFamily } from '../../domain/deployment.js';
import { ServiceError } from '../../domain/errors.js';
import type { UploadInput } from '../../services/certificates.js';
import type { SyncProgress } from '../../services/deployments.js';
import type { ActionContext } from '../types.js';

/** ResourceTypesRegions (and the deprecated Regions, for every type without its own list). */
export function regionsOf(types: string[], p: { Regions?: string[]; ResourceTypesRegions?: M.ResourceTypeRegions[] }): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of p.ResourceTypesRegions ?? []) {
    if (r.ResourceType && r.Regions?.length) m.set(r.ResourceType.toLowerCase(), [...(m.get(r.ResourceType.toLowerCase()) ?? []), ...r.Regions]);
  }
  if (p.Regions?.length) for (const t of types) if (!m.has(t.toLowerCase())) m.set(t.toLowerCase(), p.Regions);
  return m;
}

export function syncProgress(progress: SyncProgress[]): M.UpdateSyncProgress[] {
  // Resources are found at once (no cloud inventory to page through): every type is processed.
  return progress.map((p) => ({
    ResourceType: p.type,
    Status: 1,
    UpdateSyncProgressRegions: p.regions.map((r) => ({ Region: r.region, TotalCount: r.total, OffsetCount: r.total, Status: 1 })),
  }));
}

export function uploadInput(p: { CertificatePublicKey?: string; CertificatePrivateKey?: string; Repeatable?: boolean; ProjectId?: number; Tags?: M.Tags[] }): UploadInput | undefined {
  if (!p.CertificatePublicKey && !p.CertificatePrivateKey) return undefined;
  if (!p.CertificatePublicKey || !p.CertificatePrivateKey) {
    throw new ServiceError('InvalidParameter.WithDetailReason', 'CertificatePublicKey and CertificatePrivateKey go together.');
  }
  return {
    publicKey: p.CertificatePublicKey, privateKey: p.CertificatePrivateKey,
    ...(p.Repeatable !== undefined ? { repeatable: p.Repeatable } : {}),
    ...(p.ProjectId !== undefined ? { projectId: p.ProjectId } : {}),
    ...(p.Tags ? { tags: p.Tags.map((t) => ({ key: t.TagKey, value: t.TagValue })) } : {}),
  };
}

export async function updateInstances(ctx: ActionContext, caller: Caller, family: RecordFamily, p: M.UpdateCertificateInstanceRequest | M.UploadUpdateCertificateInstanceRequest) {
  const types = p.ResourceTypes ?? [];
  const upload = uploadInput(p as M.UpdateCertificateInstanceRequest);
  const certId = (p as M.UpdateCertificateInstanceRequest).CertificateId;
  return ctx.services.deployments.updateInstance(caller, {
    oldCertId: p.OldCertificateId, ...(certId ? { certId } : {}), ...(upload ? { upload } : {}),
    types, regions: regionsOf(types, p as M.UpdateCertificateInstanceRequest),
  }, family);
}

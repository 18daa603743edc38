// Deployments: resources certificates are deployed to, deploy records and their details, bind and delete tasks.
/** UpdateRecordDetail.Status. */
export const DETAIL = { pending: 0, ok: 1, failed: 2, running: 3, rolledBack: 4, rollbackFailed: 5, nothing: 6 } as const;
/** Record status: as DeployRecordInfo (0 not started, 1 succeeded, 2 failed) plus 3 running. */
export const RECORD = { pending: 0, ok: 1, failed: 2, running: 3 } as const;
/** Bind-resource task status (SyncTaskBindResourceResult.Status). */
export const BIND_TASK = { running: 0, done: 1, failed: 2 } as const;
/** Delete task status (DeleteTaskResult.Status): 4 when a resource still serves the certificate. */
export const DELETE_TASK = { pending: 0, deleted: 1, failed: 2, stillBound: 4 } as const;

export interface RecordQuery {
  accountUin: string;
  family: RecordFamily;
  certId?: string;
  oldCertId?: string;
  resourceType?: string;
  kind?: 'update' | 'rollback';
  offset: number;
  limit: number;
}

export interface ResourceRecord {
  id: string;
  accountUin: string;
  name: string;
  type: string;
  region: string;
  domains: string[];
  probe: { address: string; sni: string | null } | null;
  deployerType: string;
  deployerConfig: unknown;
  deployerSecretSealed: string | null;
  /** The certificate certport last deployed here (or the operator declared). */
  certId: string | null;
  certSha256: string | null;
  deployedAt: number | null;
  /** What the last TLS probe saw. */
  probeSha256: string | null;
  probeAt: number | null;
  probeError: string | null;
  createdAt: number;
  updatedAt: number;
}

export type RecordFamily = 'update' | 'deploy' | 'upload';

export interface DeployRecord {
  id: number;
  accountUin: string;
  userUin: string;
  family: RecordFamily;
  /** 'update' (a deployment) or 'rollback'. */
  kind: 'update' | 'rollback';
  certId: string;
  oldCertId: string | null;
  resourceTypes: string[];
  regions: string[];
  /** 0 pending, 1 succeeded, 2 failed, 3 running. */
  status: number;
  rollbackOf: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeployDetail {
  id: number;
  recordId: number;
  accountUin: string;
  resourceId: string;
  resourceType: string;
  region: string;
  instanceName: string;
  domains: string[];
  certId: string;
  oldCertId: string | null;
  /** UpdateRecordDetail.Status: 0 pending, 1 ok, 2 failed, 3 running, 4 rolled back, 5 rollback failed, 6 nothing to do. */
  status: number;
  errorMsg: string | null;
  attempts: number;
  nextAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export type NewDetail = Omit<DeployDetail, 'id' | 'recordId'>;

export interface BindTask {
  id: string;
  accountUin: string;
  certId: string;
  /** BIND_TASK: 0 running, 1 done, 2 failed. */
  status: number;
  result: BoundResource[] | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}
export interface BoundResource { resourceId: string; type: string; region: string; name: string; domains: string[]; how: ('probe' | 'deployed')[] }

export interface DeleteTask {
  id: string; accountUin: string; certId: string; domains: string[];
  /** DELETE_TASK: 0 pending, 1 deleted, 2 failed, 4 still bound. */
  status: number;
  error: string | null; createdAt: number; updatedAt: number;
}

// The cluster-wide figures /metrics shows, as read from the database every node shares.
export interface MetricsSnapshot {
  /** Certificates by stored status and source; `expired` splits status 1 whose notAfter passed. */
  certificates: { status: number; source: string; expired: boolean; n: number }[];
  /** Per account: the soonest notAfter (epoch ms) of an issued certificate not yet expired. */
  nearestExpiry: { accountUin: string; notAfter: number }[];
  /** Operation-log entries the issuance path writes: 'issued' and 'failed', all time. */
  issuance: { type: string; n: number }[];
  /** DV orders waiting for validation (status 0/4), by method, with their least recent check. */
  pendingValidations: { method: string; n: number; oldestCheckAt: number }[];
  /** Deployment details (one per resource and deployment) by status and resource type. */
  deployments: { status: number; resourceType: string; n: number }[];
}

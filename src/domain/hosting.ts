// Hosting: certificates certport renews and replaces on their resources by itself.
export type HostingConfigInput = Pick<HostingRecord, 'resourceTypes' | 'replaceDays' | 'messageTypes' | 'windowStart' | 'windowEnd'>;
export type HostingState = Partial<Pick<HostingRecord, 'status' | 'renewCertId' | 'recordId' | 'completeAt' | 'failures' | 'nextAt' | 'lastError'>>;

/** HostingStatus as the SDK has it: 0 hosting, 5 replacing the resources, 10 done. */
export const HOSTING = { none: -1, hosting: 0, replacing: 5, done: 10 } as const;

export interface HostingRecord {
  certId: string;
  accountUin: string;
  resourceTypes: string[];
  /** HostingConfig.ReplaceTime: days before expiry to replace; null = as soon as renewed. */
  replaceDays: number | null;
  /** HostingConfig.MessageTypes: 0 reminder, 1 started, 2 replacement failed, 3 replaced. */
  messageTypes: number[];
  /** Daily window replacement may start in (HH:MM, GMT+8), or null for any time. */
  windowStart: string | null;
  windowEnd: string | null;
  status: number;
  renewCertId: string | null;
  recordId: number | null;
  completeAt: number | null;
  /** Failures in a row (renewal or replacement), for the backoff. */
  failures: number;
  /** When the scheduler looks at it next. */
  nextAt: number;
  /** The last failure, kept until the next attempt starts (for operators). */
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

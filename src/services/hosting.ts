// Hosting ("set it and forget it"): a hosted certificate is renewed before it expires and the
// renewal replaces it on the bound resources of the hosted types, with no call from the owner.
//
//   0 hosting ──(renewal window opens)──► renewal order placed (OldCertificateId link)
//       │                                     │ validated and issued (dv-validate jobs)
//       │       ◄──(order failed: notice, backoff, new order)
//       │                                     ▼
//       └──────────(replacement time)────► 5 replacing: a deploy record (UpdateCertificateInstance)
//                                             │ every resource done
//                                             ▼
//                                         10 done; the renewal is hosted in turn
//
// Each hosted certificate has one durable job (kind `hosting`, subject: its id) that runs a
// step and says when to look again, so the schedule survives restarts, a lease keeps two
// nodes from working one certificate, and the injected clock drives every decision.
import { createHash } from 'node:crypto';
import { ServiceError, certificateNotFound, isForeseen } from '../domain/errors.js';
import type { Notifier, NoticeEvent } from '../notify/types.js';
import type { HostingStore, JobStore } from '../domain/stores.js';
import { HOSTING, type HostingConfigInput, type HostingRecord } from '../domain/hosting.js';
import { CertStatus, isAwaitingIssue, type CertificateRecord } from '../domain/certificate.js';
import type { DvOrderRecord } from '../domain/dv-order.js';
import { effectiveStatus, type CertificateService } from './certificates.js';
import { accountCaller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { RECORD } from '../domain/deployment.js';
import type { DeploymentService } from './deployments.js';
import type { DvOrderService } from './dv-orders.js';
import type { PaidOrderService } from './paid-orders.js';
import { checkResourceTypes } from './resources.js';

export const HOSTING_STEP = 'hosting';
const DAY = 86_400_000;
const MINUTE = 60_000;

export { HOSTING };

export interface HostingSettings {
  /** Renew this long before expiry (default 30 days), or at a third of the lifetime if sooner. */
  renewBeforeDays: number;
}

/** HostingConfig.MessageTypes. */
export const MESSAGE = { reminder: 0, started: 1, replaceFailed: 2, replaced: 3 } as const;

/** What operators send to turn hosting on (the SDK's names). */
export interface HostingInput {
  ResourceTypes?: unknown;
  HostingConfig?: { ReplaceTime?: unknown; MessageTypes?: unknown; ReplaceStartTime?: unknown; ReplaceEndTime?: unknown };
}

/** What the describe actions show. */
export interface HostingView {
  AutoRenewFlag: number;
  HostingStatus: number;
  HostingCompleteTime: number | null;
  HostingRenewCertId: string | null;
  HostingResourceTypes: string[];
  HostingConfig: { ReplaceTime: number; MessageTypes: number[]; ReplaceStartTime: string; ReplaceEndTime: string } | null;
}

const bad = (m: string) => new ServiceError('InvalidParameterValue', m);
const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** `HH:MM` or `HH:MM:SS` → minutes after midnight (UTC, the API's time zone); null if malformed. */
function minutesOf(s: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** The first moment at or after `t` inside the daily window [start, end) (which may wrap midnight). */
export function nextInWindow(t: number, start: string | null, end: string | null): number {
  if (!start || !end) return t;
  const s = minutesOf(start)!;
  const e = minutesOf(end)!;
  const dayStart = t - (t % DAY);
  const m = Math.floor((t - dayStart) / MINUTE);
  const inside = s <= e ? m >= s && m < e : m >= s || m < e;
  if (inside) return t;
  const startToday = dayStart + s * MINUTE;
  return startToday > t ? startToday : startToday + DAY;
}

export class HostingService {
  constructor(
    private readonly store: HostingStore,
    private readonly jobs: Pick<JobStore, 'enqueueJob'>,
    private readonly certificates: Pick<CertificateService, 'findAnywhere'>,
    private readonly orders: Pick<DvOrderService, 'renewHosted' | 'releaseEndedRenewal' | 'getOrder'>,
    private readonly paid: Pick<PaidOrderService, 'getOrder' | 'renewHosted'>,
    private readonly deployments: Pick<DeploymentService, 'updateInstance' | 'record' | 'retry'>,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly settings: HostingSettings,
    private readonly kick: () => void = () => {},
  ) {}

  // ---- Settings (CLI and /admin/hosting) ----

  /** Checks what an operator sent; throws InvalidParameterValue with what is wrong. */
  parseInput(input: HostingInput): HostingConfigInput {
    const types = input.ResourceTypes;
    if (!Array.isArray(types) || types.some((t) => typeof t !== 'string')) throw bad('ResourceTypes must be a list of resource types.');
    const resourceTypes = checkResourceTypes(types as string[]);
    const cfg = input.HostingConfig ?? {};
    if (typeof cfg !== 'object' || cfg === null) throw bad('HostingConfig must be an object.');
    let replaceDays: number | null = null;
    if (cfg.ReplaceTime !== undefined && cfg.ReplaceTime !== null) {
      if (!Number.isInteger(cfg.ReplaceTime) || (cfg.ReplaceTime as number) < 1 || (cfg.ReplaceTime as number) > 365) {
        throw bad('HostingConfig.ReplaceTime must be a whole number of days before expiry, from 1 to 365.');
      }
      replaceDays = cfg.ReplaceTime as number;
    }
    const known: number[] = Object.values(MESSAGE);
    let messageTypes = known;
    if (cfg.MessageTypes !== undefined && cfg.MessageTypes !== null) {
      const m = cfg.MessageTypes;
      if (!Array.isArray(m) || m.some((x) => !known.includes(Number(x)) || typeof x !== 'number')) {
        throw bad('HostingConfig.MessageTypes must be a list of 0 (reminder), 1 (started), 2 (replacement failed) and 3 (replaced).');
      }
      messageTypes = [...new Set(m as number[])].sort();
    }
    const start = cfg.ReplaceStartTime ?? null;
    const end = cfg.ReplaceEndTime ?? null;
    if ((start === null) !== (end === null)) throw bad('Give both HostingConfig.ReplaceStartTime and ReplaceEndTime, or neither.');
    for (const [name, v] of [['ReplaceStartTime', start], ['ReplaceEndTime', end]] as const) {
      if (v !== null && (typeof v !== 'string' || minutesOf(v) === null)) throw bad(`HostingConfig.${name} must be a time of day, HH:MM or HH:MM:SS (UTC).`);
    }
    if (start !== null && start === end) throw bad('HostingConfig.ReplaceStartTime and ReplaceEndTime must differ.');
    return { resourceTypes, replaceDays, messageTypes, windowStart: start as string | null, windowEnd: end as string | null };
  }

  /** Turns hosting on for a certificate (or changes its settings) and schedules its first look. */
  async enable(certId: string, input: HostingInput): Promise<HostingRecord> {
    const cfg = this.parseInput(input);
    const c = await this.certificates.findAnywhere(certId);
    if (!c) throw certificateNotFound(certId);
    if (c.certificateType !== 'SVR') throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${certId} is a CA certificate; only server certificates can be hosted.`);
    if (c.source === 'upload') {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode',
        `The certificate ${certId} was uploaded; certport cannot renew it. Uploaded certificates get expiry notices (ModifyCertificatesExpiringNotificationSwitch).`);
    }
    const status = effectiveStatus(c, this.clock());
    if (!c.isDv && !(await this.paid.getOrder(c.id))?.submitted) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${certId} has no order here to renew from.`);
    }
    if (status !== CertStatus.issued && !isAwaitingIssue(status)) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${certId} is in status ${status}; only issued certificates, or orders being validated, can be hosted.`);
    }
    const now = this.clock();
    await this.store.put(c.id, c.accountUin, cfg, now);
    await this.jobs.enqueueJob({ kind: HOSTING_STEP, subject: c.id, runAt: now }, now);
    this.kick();
    return (await this.store.get(c.id))!;
  }

  async disable(certId: string): Promise<boolean> {
    return this.store.remove(certId);
  }

  get(certId: string): Promise<HostingRecord | null> {
    return this.store.get(certId);
  }

  list(accountUin?: string): Promise<HostingRecord[]> {
    return this.store.list(accountUin);
  }

  /** The describe actions' hosting fields for a page of certificates. */
  async views(accountUin: string, certIds: string[]): Promise<Map<string, HostingView>> {
    const out = new Map<string, HostingView>();
    for (const [id, h] of await this.store.getMany(accountUin, certIds)) out.set(id, HostingService.view(h));
    return out;
  }

  static view(h: HostingRecord | null): HostingView {
    if (!h) {
      return { AutoRenewFlag: 0, HostingStatus: HOSTING.none, HostingCompleteTime: null, HostingRenewCertId: null, HostingResourceTypes: [], HostingConfig: null };
    }
    return {
      AutoRenewFlag: h.status === HOSTING.done ? 0 : 1,
      HostingStatus: h.status,
      HostingCompleteTime: h.completeAt,
      HostingRenewCertId: h.renewCertId,
      HostingResourceTypes: h.resourceTypes,
      HostingConfig: { ReplaceTime: h.replaceDays ?? 0, MessageTypes: h.messageTypes, ReplaceStartTime: h.windowStart ?? '', ReplaceEndTime: h.windowEnd ?? '' },
    };
  }

  // ---- The schedule ----

  /**
   * When renewal starts: renewBeforeDays before expiry, or a third of the lifetime if sooner.
   * Whole milliseconds: the time is stored (NextCheck, the job's run time), and PostgreSQL's
   * bigint refuses the fraction a third of a 90-day-minus-one-second lifetime leaves.
   */
  renewAt(c: CertificateRecord): number {
    const lifetime = Math.max(0, c.notAfter - c.notBefore);
    return Math.floor(c.notAfter - Math.min(this.settings.renewBeforeDays * DAY, lifetime / 3));
  }

  /** When the renewal may replace the certificate: ReplaceTime days before expiry, or at once. */
  replaceAt(c: CertificateRecord, h: HostingRecord): number {
    const at = h.replaceDays === null ? 0 : c.notAfter - h.replaceDays * DAY;
    return nextInWindow(Math.max(at, this.clock()), h.windowStart, h.windowEnd);
  }

  /** Backoff after failures in a row: 1 h, 2 h, 4 h … at most a day. */
  private backoff(failures: number): number {
    return Math.min(DAY, 3_600_000 * 2 ** Math.max(0, failures - 1));
  }

  /** One step of the `hosting` job: returns when to look again, or null when there is nothing left to do. */
  async step(certId: string): Promise<number | null> {
    const h = await this.store.get(certId);
    if (!h || h.status === HOSTING.done) return null;
    const c = await this.certificates.findAnywhere(certId);
    if (!c) {
      await this.store.remove(certId);
      return null;
    }
    const now = this.clock();
    if (h.status === HOSTING.replacing) return this.watchReplacement(h, c);
    // An order being validated may be hosted: nothing to renew until it is issued.
    const status = effectiveStatus(c, now);
    if (isAwaitingIssue(status)) return this.later(h, now + 15 * MINUTE);
    if (!h.renewCertId && c.renewOrderId) {
      // Renewed already (by the owner with OldCertificateId, or by an earlier step); an order
      // that has ended was counted as a failure when it ended, so it is let go, not taken up again.
      if (await this.orders.releaseEndedRenewal(c)) return this.startRenewal(h, { ...c, renewOrderId: null });
      h.renewCertId = c.renewOrderId;
      await this.store.update(h.certId, { renewCertId: h.renewCertId }, now);
    }
    if (!h.renewCertId) return this.startRenewal(h, c);
    return this.watchRenewal(h, c);
  }

  private async later(h: HostingRecord, at: number): Promise<number> {
    if (h.nextAt !== at) await this.store.update(h.certId, { nextAt: at }, this.clock());
    return at;
  }

  private async startRenewal(h: HostingRecord, c: CertificateRecord): Promise<number | null> {
    const now = this.clock();
    const renewAt = this.renewAt(c);
    if (now < renewAt) return this.later(h, renewAt);
    if (h.failures > 0 && now < h.nextAt) return h.nextAt;
    if (effectiveStatus(c, now) !== CertStatus.issued) {
      const reason = `the certificate is no longer issued (status ${effectiveStatus(c, now)}), so it cannot be renewed`;
      await this.store.update(h.certId, { lastError: reason }, now);
      await this.notify(h, c, MESSAGE.started, false, {
        kind: 'renewal-failed', key: `renewal-failed:${c.id}:${digest(reason)}`,
        subject: `Renewal of ${c.domain} (${c.id}) failed`, text: `certport could not renew ${c.domain} (${c.id}): ${reason}.`,
        data: { certificateId: c.id, domain: c.domain, reason },
      });
      return null;
    }
    await this.notify(h, c, MESSAGE.reminder, true, {
      kind: 'hosting-reminder', key: `hosting-reminder:${c.id}:${c.notAfter}`,
      subject: `${c.domain} (${c.id}) expires ${new Date(c.notAfter).toISOString().slice(0, 10)}; certport is renewing it`,
      text: `The certificate ${c.id} for ${c.domain} expires at ${new Date(c.notAfter).toISOString()}. It is hosted: certport is renewing it now and will replace it on the bound ${h.resourceTypes.join(', ')} resources.`,
      data: { certificateId: c.id, domain: c.domain, notAfter: new Date(c.notAfter).toISOString(), resourceTypes: h.resourceTypes },
    });
    let renewId: string;
    try {
      // Paid certificates renew as paid orders (the organization data is reused); free ones as DV orders.
      const paid = await this.paid.getOrder(c.id);
      renewId = paid ? await this.paid.renewHosted(c) : await this.orders.renewHosted(c);
    } catch (e) {
      return this.renewalFailed(h, c, null, isForeseen(e) ? e.message : `internal error: ${(e as Error)?.message ?? e}`);
    }
    await this.store.update(h.certId, { renewCertId: renewId, lastError: null, nextAt: now + 15 * MINUTE }, this.clock());
    return now + 15 * MINUTE;
  }

  private async renewalFailed(h: HostingRecord, c: CertificateRecord, renewal: CertificateRecord | null, reason: string): Promise<number> {
    const now = this.clock();
    const failures = h.failures + 1;
    const next = now + this.backoff(failures);
    if (renewal) await this.orders.releaseEndedRenewal({ ...c, renewOrderId: renewal.id });
    await this.store.update(h.certId, { renewCertId: null, failures, nextAt: next, lastError: reason }, now);
    // One notice per distinct reason: a failure that repeats on every retry is told once.
    await this.notifier.raise({
      accountUin: c.accountUin, certId: c.id, kind: 'renewal-failed', key: `renewal-failed:${c.id}:${c.notAfter}:${digest(reason)}`,
      subject: `Renewal of ${c.domain} (${c.id}) failed`,
      text: `certport could not renew the hosted certificate ${c.id} for ${c.domain}${renewal ? ` (renewal order ${renewal.id})` : ''}: ${reason}\n`
        + `It will try again at ${new Date(next).toISOString()}. The certificate expires at ${new Date(c.notAfter).toISOString()}.`,
      data: { certificateId: c.id, domain: c.domain, renewalCertificateId: renewal?.id ?? null, reason, retryAt: new Date(next).toISOString(), failures },
    });
    return next;
  }

  private async watchRenewal(h: HostingRecord, c: CertificateRecord): Promise<number | null> {
    const now = this.clock();
    const r = await this.certificates.findAnywhere(h.renewCertId!);
    if (!r) return this.renewalFailed(h, c, null, 'the renewal order was deleted');
    const status = effectiveStatus(r, now);
    if (status === CertStatus.failed || status === CertStatus.cancelled || status === CertStatus.expired) {
      const reason = status === CertStatus.cancelled ? 'the renewal order was cancelled'
        : status === CertStatus.expired ? 'the renewal certificate expired before it could replace the old one'
          : r.statusMsg ?? 'validation failed';
      return this.renewalFailed(h, c, r, reason);
    }
    if (isAwaitingIssue(status)) {
      const order = await this.orders.getOrder(r.id);
      // Still waiting for validation: tell the owner what to publish once checks have failed
      // for a while (DNS_AUTO records take a moment to be seen).
      if (order && order.lastCheckAt !== null && now - r.createdAt >= 10 * MINUTE) await this.validationNeeded(c, r, order);
      return this.later(h, Math.min(r.dvDeadline ?? now + 15 * MINUTE, now + 15 * MINUTE));
    }
    if (status === CertStatus.pendingLetter) {
      // A paid renewal that needs the confirmation letter: only the owner can give it.
      await this.notifier.raise({
        accountUin: c.accountUin, certId: c.id, kind: 'validation-needed', key: `letter-needed:${r.id}`,
        subject: `Renewal of ${c.domain} (${c.id}) needs the confirmation letter`,
        text: `certport ordered ${r.id} to renew the hosted certificate ${c.id} for ${c.domain}. Its review needs the signed confirmation letter: upload it with UploadConfirmLetter for ${r.id}.`,
        data: { certificateId: c.id, renewalCertificateId: r.id, domain: c.domain, action: 'UploadConfirmLetter' },
      });
    }
    if (status !== CertStatus.issued) return this.later(h, now + 15 * MINUTE);
    const at = this.replaceAt(c, h);
    if (now < at) return this.later(h, at);
    // Replacement: a normal deploy record, shown by DescribeHostUpdateRecord.
    let recordId: number;
    try {
      const out = await this.deployments.updateInstance(accountCaller(c.accountUin), { oldCertId: c.id, certId: r.id, types: h.resourceTypes, regions: new Map() });
      recordId = out.recordId;
    } catch (e) {
      const reason = isForeseen(e) ? e.message : `internal error: ${(e as Error)?.message ?? e}`;
      return this.replacementFailed(h, c, r, null, reason);
    }
    await this.store.update(h.certId, { status: HOSTING.replacing, recordId, lastError: null, failures: 0, nextAt: now }, this.clock());
    await this.notify(h, c, MESSAGE.started, true, {
      kind: 'hosting-started', key: `hosting-started:${c.id}:${r.id}`,
      subject: `Replacing ${c.domain} (${c.id}) with its renewal ${r.id}`,
      text: `The hosted certificate ${c.id} for ${c.domain} was renewed as ${r.id} (valid until ${new Date(r.notAfter).toISOString()}). certport is now replacing it on the bound ${h.resourceTypes.join(', ')} resources (deployment record ${recordId}).`,
      data: { certificateId: c.id, renewalCertificateId: r.id, domain: c.domain, deployRecordId: recordId },
    });
    return this.clock();
  }

  private async validationNeeded(c: CertificateRecord, r: CertificateRecord, order: DvOrderRecord): Promise<void> {
    const what = order.auths.map((a) => a.verifyType === 'TXT'
      ? `  TXT record ${a.key} with the value ${a.value}`
      : `  the file http://${a.zone}${a.path ?? '/'}${a.key} containing ${a.value}`).join('\n');
    await this.notifier.raise({
      accountUin: c.accountUin, certId: c.id, kind: 'validation-needed', key: `validation-needed:${r.id}`,
      subject: `Renewal of ${c.domain} (${c.id}) waits for domain validation`,
      text: `certport is renewing the hosted certificate ${c.id} for ${c.domain} as ${r.id}, but cannot validate the domain yet`
        + `${order.lastCheckDetail ? ` (${order.lastCheckDetail})` : ''}. Publish:\n${what}\n`
        + `before ${new Date(r.dvDeadline ?? c.notAfter).toISOString()}; the renewal is issued and deployed as soon as it validates.`,
      data: {
        certificateId: c.id, renewalCertificateId: r.id, domain: c.domain, method: order.method, lastCheck: order.lastCheckDetail,
        deadline: r.dvDeadline ? new Date(r.dvDeadline).toISOString() : null,
        auths: order.auths.map((a) => ({ domain: a.domain, type: a.verifyType, key: a.key, value: a.value, path: a.path })),
      },
    });
  }

  private async watchReplacement(h: HostingRecord, c: CertificateRecord): Promise<number | null> {
    const now = this.clock();
    const r = h.renewCertId ? await this.certificates.findAnywhere(h.renewCertId) : null;
    if (!r || h.recordId === null) {
      // The renewal vanished mid-replacement: start over.
      await this.store.update(h.certId, { status: HOSTING.hosting, renewCertId: null, recordId: null }, now);
      return now;
    }
    const rec = await this.deployments.record(accountCaller(c.accountUin), h.recordId, 'update').catch(() => null);
    if (!rec) {
      await this.store.update(h.certId, { status: HOSTING.hosting, recordId: null }, now);
      return now;
    }
    if (rec.status === RECORD.pending || rec.status === RECORD.running) return this.later(h, now + 10_000);
    if (rec.status === RECORD.failed) {
      if (h.lastError === null) return this.replacementFailed(h, c, r, rec.id, `deployment record ${rec.id} failed on some resources (see DescribeHostUpdateRecordDetail)`);
      if (now < h.nextAt) return h.nextAt;
      // The backoff is over: deploy the failed resources again.
      try {
        await this.deployments.retry(accountCaller(c.accountUin), 'update', rec.id, undefined);
      } catch (e) {
        if (!isForeseen(e)) throw e;
      }
      await this.store.update(h.certId, { lastError: null, nextAt: now }, now);
      return now + 10_000;
    }
    await this.store.update(h.certId, { status: HOSTING.done, completeAt: now, lastError: null, nextAt: now }, now);
    await this.notify(h, c, MESSAGE.replaced, true, {
      kind: 'deploy-succeeded', key: `deploy-succeeded:${rec.id}`,
      subject: `${c.domain}: replaced ${c.id} with ${r.id}`,
      text: `The hosted certificate ${c.id} for ${c.domain} was replaced by its renewal ${r.id} on the bound ${h.resourceTypes.join(', ')} resources (deployment record ${rec.id}). The renewal is hosted in turn.`,
      data: { certificateId: c.id, renewalCertificateId: r.id, domain: c.domain, deployRecordId: rec.id },
    });
    // Set and forget: the renewal is hosted with the same settings, so the cycle continues.
    await this.store.put(r.id, r.accountUin, h, now);
    await this.jobs.enqueueJob({ kind: HOSTING_STEP, subject: r.id, runAt: now }, now);
    return null;
  }

  private async replacementFailed(h: HostingRecord, c: CertificateRecord, r: CertificateRecord, recordId: number | null, reason: string): Promise<number> {
    const now = this.clock();
    const failures = h.failures + 1;
    const next = now + this.backoff(failures);
    await this.store.update(h.certId, { failures, nextAt: next, lastError: reason }, now);
    await this.notify(h, c, MESSAGE.replaceFailed, true, {
      kind: 'deploy-failed', key: `deploy-failed:${c.id}:${r.id}:${recordId ?? digest(reason)}`,
      subject: `${c.domain}: replacing ${c.id} with ${r.id} failed`,
      text: `certport could not replace the hosted certificate ${c.id} for ${c.domain} with its renewal ${r.id}: ${reason}.\nIt will try again at ${new Date(next).toISOString()}.`,
      data: { certificateId: c.id, renewalCertificateId: r.id, domain: c.domain, deployRecordId: recordId, reason, retryAt: new Date(next).toISOString() },
    });
    return next;
  }

  /** Raises a hosting notice if its message type is wanted (failures are always told). */
  private async notify(h: HostingRecord, c: CertificateRecord, type: number, optional: boolean, e: Omit<NoticeEvent, 'accountUin' | 'certId'>): Promise<void> {
    if (optional && !h.messageTypes.includes(type)) return;
    await this.notifier.raise({ accountUin: c.accountUin, certId: c.id, ...e });
  }
}

/**
 * What the DV order service calls when an order settles (issued, failed or cancelled): if it
 * renews a hosted certificate, that hosting's step runs now. Built from the stores alone, so the
 * order service can be given it at construction, before the hosting service exists.
 */
export function hostingOnSettled(
  store: Pick<HostingStore, 'get'>, jobs: Pick<JobStore, 'enqueueJob'>, clock: Clock, kick: () => void,
): (renewal: CertificateRecord) => Promise<void> {
  return async (renewal) => {
    if (!renewal.originCertId) return;
    const h = await store.get(renewal.originCertId);
    if (!h || h.status === HOSTING.done) return;
    const now = clock();
    await jobs.enqueueJob({ kind: HOSTING_STEP, subject: h.certId, runAt: now }, now);
    kick();
  };
}

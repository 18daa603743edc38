// Notices to certificate owners. `raise` records an event once (its key is unique in the
// database, so a second raise on any node is a no-op) together with a durable `notice-send`
// job; the job delivers to each of the account's channels that has not had it yet, records each
// success at once (a retry never sends a channel twice), and retries failures with backoff until
// 24 h of business-clock time have passed, then records the failure and logs it. The
// `expiry-sweep` job raises expiry notices for issued certificates nearing their notAfter.
import { randomBytes } from 'node:crypto';
import type { Sealer } from '../secrets/sealer.js';
import type { Clock } from '../domain/clock.js';
import type { AccountStore, JobStore, NoticeStore } from '../domain/stores.js';
import { expiryKey, type Channel, type ChannelState, type ExpiryCandidate, type NoticeRecord } from '../domain/notice.js';
import type { JobHandler } from '../domain/job.js';
import { NoticeConfigError, UnknownAccountError, checkEmail, checkWebhookSecret, checkWebhookUrl, MAX_EMAILS, type ChannelsInput, type ChannelsView } from './channels.js';
import type { EmailSender } from './email.js';
import type { NoticeMessage } from './message.js';
import type { NoticeEvent, Notifier } from './types.js';
import { postNotice, type WebhookOptions } from './webhook.js';
import { quietLog, type Log } from '../domain/log.js';
import type { NoticeDefaults } from '../config/config.js';
import { aad } from '../secrets/aad.js';

export const NOTICE_SEND = 'notice-send';
export const EXPIRY_SWEEP = 'expiry-sweep';

const DAY = 86_400_000;
const HOUR = 3_600_000;


export interface NoticeOptions {
  /** Days before notAfter when expiry notices go out. */
  expiryDays: number[];
  /** Pause between two expiry sweeps. */
  sweepMs: number;
  /** Stop retrying a channel this long after the event was raised; default 24 h. */
  giveUpMs?: number;
  /** Pause before the next try after `attempt` failed ones; default 30 s doubling, at most 1 h. */
  retryDelay?: (attempt: number) => number;
  webhook?: WebhookOptions;
  /** The operator's channel (CERTPORT_NOTIFY_DEFAULT_*) for accounts that have none of their own. */
  defaults?: NoticeDefaults;
}

export interface ChannelOutcome { channel: Channel; target: string; ok: boolean; detail: string }

const iso = (ms: number) => new Date(ms).toISOString();
const oneLine = (s: string, max: number) => s.replace(/[\r\n\t]+/g, ' ').replace(/\s{2,}/g, ' ').trim().slice(0, max);

export class NoticeService implements Notifier {
  readonly #days: number[];

  constructor(
    private readonly store: NoticeStore & Pick<JobStore, 'ensureJob'>,
    private readonly accounts: Pick<AccountStore, 'getAccount'>,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly email: EmailSender | null,
    private readonly o: NoticeOptions,
    private readonly kick: () => void = () => {},
    private readonly log: Log = quietLog,
  ) {
    this.#days = [...new Set(o.expiryDays)].sort((a, b) => b - a);
  }

  /** The job handlers to give the JobRunner. */
  handlers(): Record<string, JobHandler> {
    return {
      [NOTICE_SEND]: (job) => this.deliver(job.subject, job.attempts),
      [EXPIRY_SWEEP]: () => this.sweep(),
    };
  }

  /** Creates the periodic expiry sweep (one for the cluster) unless it is already scheduled. */
  async ensureSweep(): Promise<void> {
    const now = this.clock();
    await this.store.ensureJob({ kind: EXPIRY_SWEEP, subject: 'all', runAt: now }, now);
  }

  // Notifier.
  async raise(e: NoticeEvent): Promise<boolean> {
    if (!e.key || e.key.length > 500) throw new Error('a notice needs a key of at most 500 characters');
    if (!e.accountUin) throw new Error('a notice needs the account');
    const now = this.clock();
    const id = 'ntc-' + randomBytes(10).toString('hex');
    const inserted = await this.store.insertNotice({
      id, accountUin: e.accountUin, certId: e.certId ?? '', kind: e.kind, key: e.key,
      subject: oneLine(e.subject, 250) || e.kind, text: e.text.slice(0, 20_000), data: e.data ?? {}, createdAt: now,
    }, { kind: NOTICE_SEND, subject: id, runAt: now });
    if (inserted) this.kick();
    return inserted;
  }

  /** The `notice-send` job: null when finished (delivered, nothing to deliver to, or given up), else when to try again. */
  async deliver(id: string, attempt: number): Promise<number | null> {
    const n = await this.store.getNotice(id);
    if (!n || n.state !== 'pending') return null;
    const own = await this.store.getChannels(n.accountUin);
    // An account without a channel of its own is not left unheard: the operator's default
    // channel gets its notices, saying whose they are.
    const fallback = (!own || (own.emails.length === 0 && !own.webhookUrl)) && this.#hasDefault() ? this.o.defaults! : null;
    const channels = fallback
      ? { emails: fallback.emails, webhookUrl: fallback.webhook?.url ?? null, webhookSecretSealed: null }
      : own;
    const msg = this.#message(n, fallback !== null);
    const states = { ...n.channels };
    const errors: string[] = [];
    const settle = async (channel: Channel, state: ChannelState) => {
      states[channel] = state;
      await this.store.setChannelState(id, channel, state, this.clock());
    };

    if (states.email === 'pending') {
      const to = channels?.emails ?? [];
      if (to.length === 0) await settle('email', 'none');
      else if (!this.email) {
        // Retrying will not help until the operator configures SMTP; say so once.
        errors.push('email: CERTPORT_SMTP_URL is not set, the email channel cannot be used');
        await settle('email', 'failed');
      } else {
        try {
          await this.email.send(to, msg);
          await settle('email', 'sent');
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    }
    if (states.webhook === 'pending') {
      if (!channels?.webhookUrl || !(channels.webhookSecretSealed || fallback?.webhook)) await settle('webhook', 'none');
      else {
        try {
          const secret = channels.webhookSecretSealed
            ? this.sealer.openString(channels.webhookSecretSealed, aad.webhookSecret(n.accountUin))
            : fallback!.webhook!.secret;
          await postNotice({ url: channels.webhookUrl, secret }, msg, this.o.webhook);
          await settle('webhook', 'sent');
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    }

    const now = this.clock();
    const error = errors.length ? errors.join('; ') : null;
    const pending = states.email === 'pending' || states.webhook === 'pending';
    if (!pending) {
      const used = [states.email, states.webhook].filter((s) => s !== 'none');
      const state = used.length === 0 ? 'none' : used.every((s) => s === 'sent') ? 'sent' : 'failed';
      await this.store.recordAttempt(id, now, error, { state, failChannels: false });
      if (state === 'failed') this.log.error({ notice: id, kind: n.kind, account: n.accountUin, error }, 'notice could not be delivered');
      if (state === 'none') {
        this.log.warn({ notice: id, kind: n.kind, account: n.accountUin },
          'notice reached nobody: the account has no notification channel (certport notify set) and no default is configured (CERTPORT_NOTIFY_DEFAULT_EMAIL, CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL)');
      }
      return null;
    }
    const deadline = n.createdAt + (this.o.giveUpMs ?? 24 * HOUR);
    if (now >= deadline) {
      await this.store.recordAttempt(id, now, error, { state: 'failed', failChannels: true });
      this.log.error({ notice: id, kind: n.kind, account: n.accountUin, attempts: attempt, error }, 'notice not delivered after 24 h of retries; giving up');
      return null;
    }
    await this.store.recordAttempt(id, now, error, null);
    const delay = (this.o.retryDelay ?? ((a) => Math.min(HOUR, 30_000 * 2 ** Math.min(a - 1, 12))))(attempt);
    this.log.warn({ notice: id, kind: n.kind, account: n.accountUin, attempt, error }, 'notice delivery failed; will retry');
    return Math.min(now + delay, deadline);
  }

  /**
   * The `expiry-sweep` job: an expiry notice for each issued certificate that has crossed a
   * threshold since its last notice. Only the nearest threshold crossed is raised, so a
   * certificate first seen 5 days before expiry gets the 7-day notice and never the 30-day one
   * (that key is never raised: later sweeps see the 7-day or 1-day threshold as the nearest).
   */
  async sweep(): Promise<number> {
    const now = this.clock();
    const batch = 500;
    for (let round = 0; round < 100; round++) {
      const list = await this.store.expiryCandidates(now, this.#days, batch, this.#hasDefault());
      for (const c of list) await this.raise(expiryEvent(c, now));
      if (list.length < batch) break;
    }
    return now + this.o.sweepMs;
  }

  // Channels (operators: CLI and admin HTTP).
  async getChannels(accountUin: string): Promise<ChannelsView> {
    await this.#account(accountUin);
    const c = await this.store.getChannels(accountUin);
    return {
      accountUin, emails: c?.emails ?? [], webhookUrl: c?.webhookUrl ?? null, webhookSecretSet: !!c?.webhookSecretSealed,
      updatedAt: c ? iso(c.updatedAt) : null,
      usesDefault: (!c || (c.emails.length === 0 && !c.webhookUrl)) && this.#hasDefault(),
    };
  }

  /** Applies the change; `warnings` tell of channels that are set but cannot work (no SMTP server). */
  async setChannels(accountUin: string, input: ChannelsInput): Promise<{ channels: ChannelsView; warnings: string[] }> {
    await this.#account(accountUin);
    const old = await this.store.getChannels(accountUin);
    let emails = old?.emails ?? [];
    if (input.emails !== undefined) {
      if (!Array.isArray(input.emails)) throw new NoticeConfigError('emails must be a list of email addresses');
      emails = [...new Set(input.emails.map(checkEmail))];
      if (emails.length > MAX_EMAILS) throw new NoticeConfigError(`at most ${MAX_EMAILS} email addresses`);
    }
    let webhookUrl = old?.webhookUrl ?? null;
    let sealed = old?.webhookSecretSealed ?? null;
    if (input.webhookUrl === null) {
      if (input.webhookSecret !== undefined) throw new NoticeConfigError('webhookSecret makes no sense while removing the webhook');
      webhookUrl = null;
      sealed = null;
    } else {
      if (input.webhookUrl !== undefined) webhookUrl = checkWebhookUrl(input.webhookUrl);
      if (input.webhookSecret !== undefined) {
        if (webhookUrl === null) throw new NoticeConfigError('webhookSecret needs a webhookUrl');
        sealed = this.sealer.seal(checkWebhookSecret(input.webhookSecret), aad.webhookSecret(accountUin));
      }
      if (webhookUrl !== null && sealed === null) throw new NoticeConfigError(`a webhook needs webhookSecret (at least 16 characters) to sign its notices`);
    }
    await this.store.putChannels({ accountUin, emails, webhookUrl, webhookSecretSealed: sealed, updatedAt: this.clock() });
    const warnings = emails.length > 0 && !this.email ? ['CERTPORT_SMTP_URL is not set: email notices cannot be sent until it is'] : [];
    return { channels: await this.getChannels(accountUin), warnings };
  }

  /** Sends a test notice to every channel of the account now (nothing is recorded). */
  async sendTest(accountUin: string): Promise<ChannelOutcome[]> {
    await this.#account(accountUin);
    const c = await this.store.getChannels(accountUin);
    if (!c || (c.emails.length === 0 && !c.webhookUrl)) {
      throw new NoticeConfigError(`account ${accountUin} has no notification channel (certport notify set)`);
    }
    const msg: NoticeMessage = {
      id: 'test-' + randomBytes(10).toString('hex'), kind: 'test', accountUin, certId: '',
      subject: 'certport test notice',
      text: `This is a test notice from certport for account ${accountUin}. Notices about this account's certificates (expiry, failed renewals and deployments) arrive here.`,
      data: { test: true }, createdAt: iso(this.clock()),
    };
    const out: ChannelOutcome[] = [];
    if (c.emails.length > 0) {
      const target = c.emails.join(', ');
      if (!this.email) out.push({ channel: 'email', target, ok: false, detail: 'CERTPORT_SMTP_URL is not set' });
      else {
        try {
          out.push({ channel: 'email', target, ok: true, detail: await this.email.send(c.emails, msg) });
        } catch (e) {
          out.push({ channel: 'email', target, ok: false, detail: (e as Error).message });
        }
      }
    }
    if (c.webhookUrl && c.webhookSecretSealed) {
      try {
        const secret = this.sealer.openString(c.webhookSecretSealed, aad.webhookSecret(accountUin));
        out.push({ channel: 'webhook', target: c.webhookUrl, ok: true, detail: await postNotice({ url: c.webhookUrl, secret }, msg, this.o.webhook) });
      } catch (e) {
        out.push({ channel: 'webhook', target: c.webhookUrl, ok: false, detail: (e as Error).message });
      }
    }
    return out;
  }

  listNotices(accountUin: string, opts: { certId?: string; limit?: number } = {}): Promise<NoticeRecord[]> {
    return this.store.listNotices({ accountUin, ...(opts.certId !== undefined ? { certId: opts.certId } : {}), limit: opts.limit ?? 50 });
  }

  getNoticeByKey(key: string): Promise<NoticeRecord | null> {
    return this.store.getNoticeByKey(key);
  }

  /** The operator configured a default channel (CERTPORT_NOTIFY_DEFAULT_*). */
  #hasDefault(): boolean {
    const d = this.o.defaults;
    return !!d && (d.emails.length > 0 || d.webhook !== null);
  }

  async #account(accountUin: string): Promise<void> {
    if (!/^\d{1,20}$/.test(accountUin) || !(await this.accounts.getAccount(accountUin))) {
      throw new UnknownAccountError(`no account ${JSON.stringify(accountUin)}`);
    }
  }

  /** `operator`: delivered to the default channel, so it says whose notice it is and how to route it. */
  #message(n: NoticeRecord, operator = false): NoticeMessage {
    const text = operator
      ? `${n.text}\n\n(This notice is for account ${n.accountUin}, which has no notification channel of its own; it reaches you as certport's default channel. Set the account's own with: certport notify set --account ${n.accountUin} ...)`
      : n.text;
    return {
      id: n.id, kind: n.kind, accountUin: n.accountUin, certId: n.certId, subject: operator ? `[account ${n.accountUin}] ${n.subject}` : n.subject, text,
      data: operator ? { ...n.data, defaultChannel: true } : n.data, createdAt: iso(n.createdAt),
    };
  }
}

/** The expiry notice for a certificate that crossed `c.days` (days before notAfter). */
export function expiryEvent(c: ExpiryCandidate, now: number): NoticeEvent {
  const left = Math.max(0, c.notAfter - now);
  const days = Math.ceil(left / DAY);
  const when = left > DAY ? `in ${days} days` : `in ${Math.max(1, Math.ceil(left / HOUR))} hour(s)`;
  const at = iso(c.notAfter).replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const name = c.alias && c.alias !== c.domain ? `${c.domain} ("${c.alias}")` : c.domain;
  return {
    accountUin: c.accountUin,
    certId: c.certId,
    kind: 'expiry',
    key: expiryKey(c.certId, c.notAfter, c.days),
    subject: `Certificate ${c.certId} for ${c.domain} expires ${when}`,
    text: [
      `The certificate ${c.certId} for ${name} expires on ${at}, ${when}.`,
      '',
      'Renew or replace it and deploy the new certificate before then: once it has expired, clients refuse the sites that use it.',
      'To stop expiry notices for this certificate, switch them off with ModifyCertificatesExpiringNotificationSwitch.',
    ].join('\n'),
    data: { certId: c.certId, domain: c.domain, alias: c.alias, notAfter: iso(c.notAfter), daysBefore: c.days, daysLeft: days },
  };
}

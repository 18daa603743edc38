// Notices and notification channels: the only code that reads and writes the `notices` and
// `notification_channels` tables (and the one query that finds certificates nearing expiry).
import { sql, type Kysely } from 'kysely';
import type { Database, NoticeRow } from './schema.js';
import { upsertJob } from './jobs.js';
import type { NewJob } from '../domain/job.js';
import type { Channel, ChannelState, ChannelsRecord, ExpiryCandidate, NewNotice, NoticeRecord, NoticeState } from '../domain/notice.js';
import type { NoticeStore } from '../domain/stores.js';

const DAY = 86_400_000;

const notice = (r: NoticeRow): NoticeRecord => ({
  id: r.id, accountUin: r.account_uin, certId: r.cert_id, kind: r.kind, key: r.event_key, subject: r.subject, text: r.text,
  data: JSON.parse(r.data) as Record<string, unknown>, state: r.state as NoticeState,
  channels: { email: r.email_state as ChannelState, webhook: r.webhook_state as ChannelState },
  attempts: Number(r.attempts), lastError: r.last_error, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  sentAt: r.sent_at === null ? null : Number(r.sent_at),
});

export class SqlNoticeStore implements NoticeStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records the notice and its delivery job in one transaction; false (and nothing written)
   * when a notice with the same key exists, whichever node wrote it.
   */
  async insertNotice(n: NewNotice, job: NewJob): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const r = await tx.insertInto('notices').values({
        id: n.id, account_uin: n.accountUin, cert_id: n.certId, kind: n.kind, event_key: n.key, subject: n.subject, text: n.text,
        data: JSON.stringify(n.data), state: 'pending', email_state: 'pending', webhook_state: 'pending', attempts: 0, last_error: null,
        created_at: n.createdAt, updated_at: n.createdAt, sent_at: null,
      }).onConflict((oc) => oc.column('event_key').doNothing()).executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      await upsertJob(tx, job, n.createdAt);
      return true;
    });
  }

  async getNotice(id: string): Promise<NoticeRecord | null> {
    const r = await this.db.selectFrom('notices').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? notice(r) : null;
  }

  async getNoticeByKey(key: string): Promise<NoticeRecord | null> {
    const r = await this.db.selectFrom('notices').selectAll().where('event_key', '=', key).executeTakeFirst();
    return r ? notice(r) : null;
  }

  /** The account's notices, newest first (optionally one certificate's). */
  async listNotices(q: { accountUin: string; certId?: string; limit: number }): Promise<NoticeRecord[]> {
    let s = this.db.selectFrom('notices').selectAll().where('account_uin', '=', q.accountUin);
    if (q.certId !== undefined) s = s.where('cert_id', '=', q.certId);
    return (await s.orderBy('created_at', 'desc').orderBy('id').limit(q.limit).execute()).map(notice);
  }

  /** One channel's outcome, written as soon as it is known so a retry never sends it again. */
  async setChannelState(id: string, channel: Channel, state: ChannelState, now: number): Promise<void> {
    const set = channel === 'email' ? { email_state: state, updated_at: now } : { webhook_state: state, updated_at: now };
    await this.db.updateTable('notices').set(set).where('id', '=', id).execute();
  }

  /** After a delivery attempt: the count, the error (null when all went through), and the end state if it ended. */
  async recordAttempt(id: string, now: number, error: string | null, end: { state: Exclude<NoticeState, 'pending'>; failChannels: boolean } | null): Promise<void> {
    await this.db.updateTable('notices').set((eb) => ({
      attempts: eb('attempts', '+', 1), last_error: error, updated_at: now,
      ...(end ? { state: end.state, sent_at: end.state === 'sent' ? now : null } : {}),
      // Giving up: the channels still pending are failed for good.
      ...(end?.failChannels ? {
        email_state: sql<string>`case when email_state = 'pending' then 'failed' else email_state end`,
        webhook_state: sql<string>`case when webhook_state = 'pending' then 'failed' else webhook_state end`,
      } : {}),
    })).where('id', '=', id).execute();
  }

  // Channels.
  async getChannels(accountUin: string): Promise<ChannelsRecord | null> {
    const r = await this.db.selectFrom('notification_channels').selectAll().where('account_uin', '=', accountUin).executeTakeFirst();
    return r ? {
      accountUin: r.account_uin, emails: JSON.parse(r.emails) as string[], webhookUrl: r.webhook_url, webhookSecretSealed: r.webhook_secret_sealed,
      updatedAt: Number(r.updated_at),
    } : null;
  }

  async putChannels(c: ChannelsRecord): Promise<void> {
    const values = {
      emails: JSON.stringify(c.emails), webhook_url: c.webhookUrl, webhook_secret_sealed: c.webhookSecretSealed,
      active: c.emails.length > 0 || c.webhookUrl !== null ? 1 : 0, updated_at: c.updatedAt,
    };
    await this.db.insertInto('notification_channels').values({ account_uin: c.accountUin, ...values })
      .onConflict((oc) => oc.column('account_uin').doUpdateSet(values)).execute();
  }

  /**
   * Issued certificates (status 1) of accounts with a channel, not expired at `now`, whose
   * notAfter is within the largest threshold, and which still lack the notice for the nearest
   * threshold crossed. Left out: certificates whose expiry notices are switched off
   * (ModifyCertificatesExpiringNotificationSwitch) and those renewed by an issued certificate.
   * Uses certs_status_expiry for the window and the notices' unique key for the rest.
   */
  async expiryCandidates(now: number, days: number[], limit: number, everyAccount = false): Promise<ExpiryCandidate[]> {
    const asc = [...new Set(days)].sort((a, b) => a - b);
    if (asc.length === 0) return [];
    const crossed = sql<number>`case ${sql.join(asc.map((d) => sql`when c.not_after <= ${now + d * DAY} then ${sql.lit(d)}`), sql` `)} end`;
    const base = this.db.selectFrom('certificates as c');
    const rows = await (everyAccount ? base : base.innerJoin('notification_channels as nc', (j) => j.onRef('nc.account_uin', '=', 'c.account_uin').on('nc.active', '=', 1)))
      .leftJoin('cert_notification_switch as s', (j) => j.onRef('s.cert_id', '=', 'c.id').on('s.ignore_expiry', '=', 1))
      .leftJoin('certificates as r', (j) => j.onRef('r.id', '=', 'c.renew_order_id').on('r.status', '=', 1))
      // Hosted certificates are renewed and replaced, and their owners hear from hosting; they
      // get expiry notices again only once hosting has failed.
      .leftJoin('cert_hosting as h', (j) => j.onRef('h.cert_id', '=', 'c.id').on('h.status', 'in', [0, 5]).on('h.failures', '=', 0))
      .select(['c.id', 'c.account_uin', 'c.domain', 'c.alias', 'c.not_after', crossed.as('days')])
      .where('c.status', '=', 1).where('c.not_after', '>', now).where('c.not_after', '<=', now + asc[asc.length - 1]! * DAY)
      .where('s.cert_id', 'is', null).where('r.id', 'is', null).where('h.cert_id', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('notices as n').select(sql.lit(1).as('one'))
        .where('n.event_key', '=', sql<string>`'expiry:' || c.id || ':' || c.not_after || ':' || ${crossed}`))))
      .orderBy('c.not_after').orderBy('c.id').limit(limit).execute();
    return rows.map((r) => ({
      certId: r.id, accountUin: r.account_uin, domain: r.domain, alias: r.alias, notAfter: Number(r.not_after), days: Number(r.days),
    }));
  }
}

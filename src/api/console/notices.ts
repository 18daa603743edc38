// The console's notices and notification channels, and the account's deployment records, under
// /console/api (beside the action endpoint, for what the Tencent API has no action for):
//   GET  notices?limit=N          the account's recent notices and how their delivery went
//   GET  notify                   the account's channels (never the webhook secret)
//   POST notify/set {emails?, webhookUrl?, webhookSecret?}   root user only; the same rules as
//                                 `certport notify set` and PUT /admin/notify (NoticeService)
//   POST notify/test              root user only; a test notice to every channel now
//   GET  deploy-records?offset&limit   every DeployCertificateInstance record of the account,
//                                 newest first, as DescribeHostDeployRecord shows them (that
//                                 action requires a CertificateId)
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../domain/errors.js';
import type { Caller } from '../../domain/caller.js';
import { NoticeConfigError, channelsInput, type ChannelsView } from '../../notify/channels.js';
import type { NoticeService } from '../../notify/notices.js';
import type { DeploymentService } from '../../services/deployments.js';
import type { Session } from '../../services/console-users.js';
import { formatTime } from '../../actions/shared/time.js';

export interface ConsoleNoticeHelpers {
  prefix: string;
  session(req: FastifyRequest, stateChange: boolean): Promise<Session>;
  guard(req: FastifyRequest, reply: FastifyReply, fn: () => Promise<Record<string, unknown>>): unknown;
  jsonBody(req: FastifyRequest): Record<string, unknown>;
}

const iso = (ms: number | null) => (ms === null ? null : formatTime(ms));

function channelsOut(c: ChannelsView) {
  return { Emails: c.emails, WebhookUrl: c.webhookUrl, WebhookSecretSet: c.webhookSecretSet, UpdatedAt: c.updatedAt, UsesDefault: c.usesDefault };
}

/** Bad channel settings are the API's InvalidParameterValue, with the service's message. */
async function asParam<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof NoticeConfigError) throw new ServiceError('InvalidParameterValue', e.message);
    throw e;
  }
}

function intParam(v: unknown, name: string, dflt: number, max: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new ServiceError('InvalidParameterValue', `${name} must be an integer from 0 to ${max}.`);
  return n;
}

export function consoleNoticeRoutes(app: FastifyInstance, h: ConsoleNoticeHelpers, notices: NoticeService, deployments: DeploymentService) {
  const root = (s: Session) => {
    if (s.accountUin !== s.userUin) throw new ServiceError('AuthFailure.UnauthorizedOperation', 'Only the account\'s root user changes the notification channels.');
  };
  type Q = { Querystring: Record<string, string | undefined> };

  app.get<Q>(`${h.prefix}/notices`, (req, reply) => h.guard(req, reply, async () => {
    const s = await h.session(req, false);
    const limit = Math.max(1, intParam(req.query.limit, 'limit', 50, 200));
    const list = await notices.listNotices(s.accountUin, { limit });
    return {
      TotalCount: list.length,
      Notices: list.map((n) => ({
        Id: n.id, Kind: n.kind, CertificateId: n.certId, Subject: n.subject, Text: n.text, State: n.state,
        EmailState: n.channels.email, WebhookState: n.channels.webhook, Attempts: n.attempts, LastError: n.lastError ?? '',
        CreateTime: iso(n.createdAt), SentTime: iso(n.sentAt),
      })),
    };
  }));

  app.get(`${h.prefix}/notify`, (req, reply) => h.guard(req, reply, async () => {
    const s = await h.session(req, false);
    return { ...channelsOut(await notices.getChannels(s.accountUin)), CanChange: s.accountUin === s.userUin };
  }));

  app.post(`${h.prefix}/notify/set`, (req, reply) => h.guard(req, reply, async () => {
    const s = await h.session(req, true);
    root(s);
    const { channels, warnings } = await asParam(() => notices.setChannels(s.accountUin, channelsInput(h.jsonBody(req))));
    req.log.info({ account: s.accountUin, user: s.userUin }, 'console: notification channels changed');
    return { ...channelsOut(channels), CanChange: true, Warnings: warnings };
  }));

  app.post(`${h.prefix}/notify/test`, (req, reply) => h.guard(req, reply, async () => {
    const s = await h.session(req, true);
    root(s);
    const results = await asParam(() => notices.sendTest(s.accountUin));
    return { Results: results.map((r) => ({ Channel: r.channel, Target: r.target, Ok: r.ok, Detail: r.detail })) };
  }));

  app.get<Q>(`${h.prefix}/deploy-records`, (req, reply) => h.guard(req, reply, async () => {
    const s = await h.session(req, false);
    const caller: Caller = { accountUin: s.accountUin, userUin: s.userUin };
    const offset = intParam(req.query.offset, 'offset', 0, 1_000_000);
    const limit = Math.max(1, intParam(req.query.limit, 'limit', 20, 200));
    const { total, items } = await deployments.listRecords(caller, 'deploy', { offset, limit });
    return {
      TotalCount: total,
      DeployRecordList: items.map((r) => ({
        Id: r.id, CertId: r.certId, ResourceType: r.resourceTypes[0] ?? '', Region: r.regions[0] ?? '', Status: r.status,
        CreateTime: formatTime(r.createdAt), UpdateTime: formatTime(r.updatedAt),
      })),
    };
  }));
}

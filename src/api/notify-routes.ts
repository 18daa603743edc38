// The operators' HTTP endpoint for notification channels (for the console): the same as
// `certport notify show|set|test`, beside the other /admin routes and behind the same
// `Authorization: Bearer <CERTPORT_ADMIN_TOKEN>` (off when no token is configured).
//
//   GET  /admin/notify/:accountUin        {accountUin, emails, webhookUrl, webhookSecretSet, updatedAt}
//   PUT  /admin/notify/:accountUin        {emails?, webhookUrl?, webhookSecret?} → the same view + warnings;
//                                         a field left out stays, webhookUrl null removes the webhook
//   POST /admin/notify/:accountUin/test   sends a test notice now: {results: [{channel, target, ok, detail}]}
// The webhook secret is sealed at rest and never returned.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NoticeConfigError, UnknownAccountError, channelsInput } from '../notify/channels.js';
import type { NoticeService } from '../notify/notices.js';
import { adminGuard } from './admin.js';

function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body)));
}

export function notifyRoutes(notices: NoticeService, token: string | null) {
  return (app: FastifyInstance) => {
    if (!token) return;
    app.register(async (admin) => {
      admin.addHook('preHandler', adminGuard(token));
      admin.setErrorHandler((err: Error, _req, reply) => {
        if (err instanceof UnknownAccountError) return json(reply, 404, { error: err.message });
        if (err instanceof NoticeConfigError) return json(reply, 400, { error: err.message });
        if (err instanceof SyntaxError) return json(reply, 400, { error: `the body is not JSON: ${err.message}` });
        return json(reply, 500, { error: 'internal error' });
      });
      const body = (req: FastifyRequest): unknown => {
        const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : typeof req.body === 'string' ? req.body : '';
        return JSON.parse(raw || '{}') as unknown;
      };
      admin.get<{ Params: { uin: string } }>('/notify/:uin', async (req, reply) => json(reply, 200, await notices.getChannels(req.params.uin)));
      admin.put<{ Params: { uin: string } }>('/notify/:uin', async (req, reply) => {
        const { channels, warnings } = await notices.setChannels(req.params.uin, channelsInput(body(req)));
        return json(reply, 200, { ...channels, warnings });
      });
      admin.post<{ Params: { uin: string } }>('/notify/:uin/test', async (req, reply) => {
        const results = await notices.sendTest(req.params.uin);
        return json(reply, results.every((r) => r.ok) ? 200 : 502, { results });
      });
    }, { prefix: '/admin' });
  };
}

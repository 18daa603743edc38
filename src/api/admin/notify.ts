// The operators' HTTP endpoint for notification channels (for the console): the same as
// `certport notify show|set|test`, beside the other /admin routes and behind the same
// `Authorization: Bearer <CERTPORT_ADMIN_TOKEN>` (off when no token is configured).
//
//   GET  /admin/notify/:accountUin        {accountUin, emails, webhookUrl, webhookSecretSet, updatedAt}
//   PUT  /admin/notify/:accountUin        {emails?, webhookUrl?, webhookSecret?} → the same view + warnings;
//                                         a field left out stays, webhookUrl null removes the webhook
//   POST /admin/notify/:accountUin/test   sends a test notice now: {results: [{channel, target, ok, detail}]}
// The webhook secret is sealed at rest and never returned.
import { NoticeConfigError, UnknownAccountError, channelsInput } from '../../notify/channels.js';
import type { NoticeService } from '../../notify/notices.js';
import { adminBody as body, adminJson as json, adminScope } from './scope.js';

export function notifyRoutes(notices: NoticeService, token: string | null) {
  const status = (err: Error) => (err instanceof UnknownAccountError ? 404 : err instanceof NoticeConfigError ? 400 : null);
  return adminScope(token, status, (admin) => {
    admin.get<{ Params: { uin: string } }>('/notify/:uin', async (req, reply) => json(reply, 200, await notices.getChannels(req.params.uin)));
    admin.put<{ Params: { uin: string } }>('/notify/:uin', async (req, reply) => {
      const { channels, warnings } = await notices.setChannels(req.params.uin, channelsInput(body(req)));
      return json(reply, 200, { ...channels, warnings });
    });
    admin.post<{ Params: { uin: string } }>('/notify/:uin/test', async (req, reply) => {
      const results = await notices.sendTest(req.params.uin);
      return json(reply, results.every((r) => r.ok) ? 200 : 502, { results });
    });
  });
}

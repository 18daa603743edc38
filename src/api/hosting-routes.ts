// The operators' HTTP endpoint for hosting (the official SDK has no hosting action): the same
// operations as `certport hosting set|show|list|off`, behind `Authorization: Bearer
// <CERTPORT_ADMIN_TOKEN>` (off when no token is configured). Bodies use the SDK's names.
//
//   GET    /admin/hosting[?account=UIN]      every hosting
//   GET    /admin/hosting/:certId            one certificate's hosting
//   PUT    /admin/hosting/:certId            on or changed: {ResourceTypes: [..], HostingConfig?: {ReplaceTime, MessageTypes, ReplaceStartTime, ReplaceEndTime}}
//   DELETE /admin/hosting/:certId            off
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isServiceError } from '../errors.js';
import type { HostingService } from '../services/hosting.js';
import type { HostingRecord } from '../store/hosting-store.js';
import { adminGuard } from './admin.js';

function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body)));
}

/** What operators see of a hosting: its settings and where it stands. */
export function hostingJson(h: HostingRecord) {
  const t = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    CertificateId: h.certId, AccountUin: h.accountUin, ResourceTypes: h.resourceTypes,
    HostingConfig: { ReplaceTime: h.replaceDays, MessageTypes: h.messageTypes, ReplaceStartTime: h.windowStart, ReplaceEndTime: h.windowEnd },
    HostingStatus: h.status, HostingRenewCertId: h.renewCertId, DeployRecordId: h.recordId, HostingCompleteTime: t(h.completeAt),
    NextCheck: t(h.nextAt), Failures: h.failures, LastError: h.lastError,
  };
}

export function hostingRoutes(hosting: HostingService, token: string | null) {
  return (app: FastifyInstance) => {
    if (!token) return;
    app.register(async (admin) => {
      admin.addHook('preHandler', adminGuard(token));
      admin.setErrorHandler((err: Error, _req, reply) => {
        if (isServiceError(err)) return json(reply, err.code === 'FailedOperation.CertificateNotFound' ? 404 : 400, { error: err.message, code: err.code });
        if (err instanceof SyntaxError) return json(reply, 400, { error: err.message });
        return json(reply, 500, { error: 'internal error' });
      });
      const body = (req: FastifyRequest): Record<string, unknown> => {
        const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
        const v = JSON.parse(raw || '{}') as unknown;
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError('the body must be a JSON object');
        return v as Record<string, unknown>;
      };
      admin.get<{ Querystring: { account?: string } }>('/hosting', async (req, reply) => json(reply, 200, (await hosting.list(req.query.account)).map(hostingJson)));
      admin.get<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => {
        const h = await hosting.get(req.params.id);
        return h ? json(reply, 200, hostingJson(h)) : json(reply, 404, { error: `the certificate ${req.params.id} is not hosted` });
      });
      admin.put<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => {
        const b = body(req);
        return json(reply, 200, hostingJson(await hosting.enable(req.params.id, b as never)));
      });
      admin.delete<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => {
        if (!(await hosting.disable(req.params.id))) return json(reply, 404, { error: `the certificate ${req.params.id} is not hosted` });
        return reply.code(204).send();
      });
    }, { prefix: '/admin' });
  };
}

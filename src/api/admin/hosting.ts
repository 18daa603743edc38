// The operators' HTTP endpoint for hosting (the official SDK has no hosting action): the same
// operations as `certport hosting set|show|list|off`, behind `Authorization: Bearer
// <CERTPORT_ADMIN_TOKEN>` (off when no token is configured). Bodies use the SDK's names.
//
//   GET    /admin/hosting[?account=UIN]      every hosting
//   GET    /admin/hosting/:certId            one certificate's hosting
//   PUT    /admin/hosting/:certId            on or changed: {ResourceTypes: [..], HostingConfig?: {ReplaceTime, MessageTypes, ReplaceStartTime, ReplaceEndTime}}
//   DELETE /admin/hosting/:certId            off
import type { FastifyRequest } from 'fastify';
import { isServiceError } from '../../domain/errors.js';
import type { HostingService } from '../../services/hosting.js';
import type { HostingRecord } from '../../domain/hosting.js';
import { adminBody, adminJson as json, adminScope } from './scope.js';

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
  const status = (err: Error) => (isServiceError(err) ? (err.code === 'FailedOperation.CertificateNotFound' ? 404 : 400) : null);
  const body = (req: FastifyRequest): Record<string, unknown> => {
    const v = adminBody(req);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError('the body must be a JSON object');
    return v as Record<string, unknown>;
  };
  return adminScope(token, status, (admin) => {
    admin.get<{ Querystring: { account?: string } }>('/hosting', async (req, reply) => json(reply, 200, (await hosting.list(req.query.account)).map(hostingJson)));
    admin.get<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => {
      const h = await hosting.get(req.params.id);
      return h ? json(reply, 200, hostingJson(h)) : json(reply, 404, { error: `the certificate ${req.params.id} is not hosted` });
    });
    admin.put<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => json(reply, 200, hostingJson(await hosting.enable(req.params.id, body(req)))));
    admin.delete<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => {
      if (!(await hosting.disable(req.params.id))) return json(reply, 404, { error: `the certificate ${req.params.id} is not hosted` });
      return reply.code(204).send();
    });
  });
}

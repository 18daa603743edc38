// The operators' HTTP endpoint for hosting (the official SDK has no hosting action): the same
// operations as `certport hosting set|show|list|off`, behind `Authorization: Bearer
// <CERTPORT_ADMIN_TOKEN>` (off when no token is configured). Bodies use the SDK's names, or the
// CLI's (`hosting set`): {types: "clb,cdn" or [..], replace-days?, messages?: "0,1" or [..], window?: "HH:MM-HH:MM"}.
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

const CLI_NAMES = ['types', 'replace-days', 'messages', 'window'];

/**
 * The SDK's body from the CLI's names (`certport hosting set --types … --replace-days … --messages …
 * --window …`), used by the CLI and by PUT /admin/hosting/:certId; a body in the SDK's names is
 * returned as it is. Both at once are refused.
 */
export function hostingInput(b: Record<string, unknown>): Record<string, unknown> {
  if (!CLI_NAMES.some((k) => Object.hasOwn(b, k))) return b;
  const extra = Object.keys(b).filter((k) => !CLI_NAMES.includes(k));
  if (extra.length) throw new SyntaxError(`${extra.join(', ')} cannot be mixed with the CLI's names (${CLI_NAMES.join(', ')})`);
  const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v);
  const num = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  const cfg: Record<string, unknown> = {};
  if (b['replace-days'] !== undefined) cfg.ReplaceTime = num(b['replace-days']);
  if (b.messages !== undefined) {
    const m = list(b.messages);
    cfg.MessageTypes = Array.isArray(m) ? m.map(num) : m;
  }
  if (b.window !== undefined) {
    if (typeof b.window !== 'string') throw new SyntaxError('window must be "HH:MM-HH:MM"');
    const [start, end] = b.window.split('-');
    cfg.ReplaceStartTime = start;
    cfg.ReplaceEndTime = end ?? '';
  }
  return { ResourceTypes: list(b.types), HostingConfig: cfg };
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
    admin.put<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => json(reply, 200, hostingJson(await hosting.enable(req.params.id, hostingInput(body(req))))));
    admin.delete<{ Params: { id: string } }>('/hosting/:id', async (req, reply) => {
      if (!(await hosting.disable(req.params.id))) return json(reply, 404, { error: `the certificate ${req.params.id} is not hosted` });
      return reply.code(204).send();
    });
  });
}

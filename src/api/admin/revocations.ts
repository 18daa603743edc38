// Revocation for operators (the same as `certport certificates revoke` and `certport orders
// revocations|confirm-revoke|cancel-revoke`), behind the admin bearer token:
//
//   GET  /admin/revocations[?state=&account=&limit=]   revocations, oldest first (e.g. state=pending-confirmation)
//   POST /admin/certificates/:id/revoke                {reason, operator?}: revoked at once (no proof, no letter)
//   POST /admin/revocations/:id/confirm                {operator?}: an OV/EV revocation whose letter is in → 10
//   POST /admin/revocations/:id/cancel                 {reason, operator?}: a pending revocation declined → 1
//   GET  /admin/revocations/:id/letter                 its revocation letter (PDF, PNG or JPEG)
import type { FastifyRequest } from 'fastify';
import { isServiceError, ServiceError } from '../../domain/errors.js';
import { reasonName, type RevocationRecord } from '../../domain/revocation.js';
import type { RevocationService } from '../../services/revocations.js';
import { adminBody, adminJson as json, adminScope } from './scope.js';

/** What operators see of a revocation. */
export function revocationJson(r: RevocationRecord) {
  const t = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    CertificateId: r.certId, Uin: r.accountUin, SerialNumber: r.serialHex, Issuer: r.crlIssuer ?? 'upstream', Reason: reasonName(r.reason), ReasonCode: r.reason,
    State: r.state, RequestedAt: t(r.requestedAt), RequestedBy: r.requestedBy, RevokedAt: t(r.revokedAt), ConfirmedBy: r.confirmedBy,
    Letter: r.letterType, LastCheck: r.lastCheckDetail,
  };
}

export function revocationRoutes(revocations: RevocationService, token: string | null) {
  const status = (err: Error) => (isServiceError(err)
    ? (err.code === 'FailedOperation.CertificateNotFound' ? 404 : err.code.startsWith('InvalidParameter') || err.code === 'MissingParameter' ? 400 : 409) : null);
  const body = (req: FastifyRequest): Record<string, unknown> => {
    const v = adminBody(req);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SyntaxError('the body must be a JSON object');
    return v as Record<string, unknown>;
  };
  const operator = (b: Record<string, unknown>) => (typeof b.operator === 'string' && b.operator ? b.operator : 'admin');
  return adminScope(token, status, (admin) => {
    admin.get<{ Querystring: { state?: string; account?: string; limit?: string } }>('/revocations', async (req, reply) => {
      const q = req.query;
      const list = await revocations.list({
        ...(q.state ? { states: [q.state as RevocationRecord['state']] } : {}), ...(q.account ? { accountUin: q.account } : {}),
        limit: Math.min(500, Number(q.limit) || 50),
      });
      return json(reply, 200, { Revocations: list.map(revocationJson) });
    });
    admin.post<{ Params: { id: string } }>('/certificates/:id/revoke', async (req, reply) => {
      const b = body(req);
      const reason = typeof b.reason === 'string' || typeof b.reason === 'number' ? String(b.reason) : undefined;
      return json(reply, 200, revocationJson(await revocations.revokeAsOperator(operator(b), req.params.id, reason)));
    });
    admin.post<{ Params: { id: string } }>('/revocations/:id/confirm', async (req, reply) =>
      json(reply, 200, revocationJson(await revocations.confirm(operator(body(req)), req.params.id))));
    admin.post<{ Params: { id: string } }>('/revocations/:id/cancel', async (req, reply) => {
      const b = body(req);
      if (typeof b.reason !== 'string' || !b.reason.trim()) throw new ServiceError('MissingParameter', 'reason is required.');
      await revocations.cancel(operator(b), req.params.id, b.reason);
      return json(reply, 200, revocationJson((await revocations.get(req.params.id))!));
    });
    admin.get<{ Params: { id: string } }>('/revocations/:id/letter', async (req, reply) => {
      const r = await revocations.get(req.params.id);
      const letter = r ? revocations.letter(r) : null;
      if (!letter) return json(reply, 404, { error: 'this certificate has no revocation letter' });
      const type = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg' }[letter.type] ?? 'application/octet-stream';
      return reply.code(200).header('content-type', type).send(letter.body);
    });
  });
}

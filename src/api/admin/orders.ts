// The paid-order review for operators (the same as `certport orders list|show|approve|reject`),
// behind the admin bearer token (off when no token is configured):
//
//   GET  /admin/orders[?status=&account=&limit=]   orders, by status and account (50 by default, at most 500)
//   GET  /admin/orders/:id                         one order
//   GET  /admin/orders/:id/letter                  its confirmation letter (PDF, PNG or JPEG)
//   POST /admin/orders/:id/approve                 {reviewer?}: domain validation starts
//   POST /admin/orders/:id/reject                  {reason, reviewer?}: status 2
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../domain/errors.js';
import type { PaidOrderService } from '../../services/paid-orders.js';
import { problemOf } from '../problems.js';
import { adminGuard } from './scope.js';

/** The JSON object sent; anything else (none, not JSON, not an object) reads as {}. */
function body(req: FastifyRequest): Record<string, unknown> {
  const raw = req.body;
  if (!raw || (Buffer.isBuffer(raw) && raw.length === 0)) return {};
  try {
    const v = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

async function answer(reply: FastifyReply, fn: () => Promise<unknown>) {
  try {
    return reply.code(200).send(await fn());
  } catch (e) {
    const p = problemOf(e);
    if (p) {
      const status = p.code === 'FailedOperation.CertificateNotFound' ? 404 : p.code.startsWith('InvalidParameter') ? 400 : 409;
      return reply.code(status).send({ error: p.code, message: p.message });
    }
    throw e;
  }
}

export function orderRoutes(opts: { token: string | null; paid: PaidOrderService }) {
  return (app: FastifyInstance) => {
    if (!opts.token) return;
    const guard = adminGuard(opts.token);
    const { paid } = opts;
    const view = (x: Awaited<ReturnType<PaidOrderService['find']>>) => ({
      CertificateId: x.cert.id, Uin: x.cert.accountUin, Status: x.cert.status, StatusMsg: x.cert.statusMsg, ProductId: x.order.productId,
      Product: x.cert.productZhName, DealId: x.order.dealId, Domains: x.cert.sans, Submitted: x.order.submitted, CsrUploaded: x.order.csrPem !== null,
      Letter: x.order.letterType, ReviewedBy: x.order.reviewedBy, ReviewNote: x.order.reviewNote,
      CreatedAt: new Date(x.order.createdAt).toISOString(),
    });
    app.get<{ Querystring: { status?: string; account?: string; limit?: string } }>('/admin/orders', { preHandler: guard }, (req, reply) =>
      answer(reply, async () => {
        const q = req.query;
        const list = await paid.list({
          ...(q.account ? { accountUin: q.account } : {}),
          ...(q.status !== undefined && /^\d+$/.test(q.status) ? { statuses: [Number(q.status)] } : {}),
          limit: Math.min(500, Number(q.limit) || 50),
        });
        return { Orders: list.map(view) };
      }));
    app.get<{ Params: { id: string } }>('/admin/orders/:id', { preHandler: guard }, (req, reply) =>
      answer(reply, async () => view(await paid.find(req.params.id))));
    app.get<{ Params: { id: string } }>('/admin/orders/:id/letter', { preHandler: guard }, async (req, reply) => {
      try {
        const letter = paid.letter((await paid.find(req.params.id)).order);
        if (!letter) return reply.code(404).send({ error: 'NotFound', message: 'This order has no confirmation letter.' });
        const type = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg' }[letter.type] ?? 'application/octet-stream';
        return reply.code(200).header('content-type', type).send(letter.body);
      } catch (e) {
        const p = problemOf(e);
        if (p) return reply.code(404).send({ error: p.code, message: p.message });
        throw e;
      }
    });
    app.post<{ Params: { id: string } }>('/admin/orders/:id/approve', { preHandler: guard }, (req, reply) =>
      answer(reply, async () => {
        const b = body(req);
        await paid.approve(typeof b.reviewer === 'string' && b.reviewer ? b.reviewer : 'admin', req.params.id);
        return view(await paid.find(req.params.id));
      }));
    app.post<{ Params: { id: string } }>('/admin/orders/:id/reject', { preHandler: guard }, (req, reply) =>
      answer(reply, async () => {
        const b = body(req);
        if (typeof b.reason !== 'string' || !b.reason.trim()) throw new ServiceError('InvalidParameter', 'reason is required.');
        await paid.reject(typeof b.reviewer === 'string' && b.reviewer ? b.reviewer : 'admin', req.params.id, b.reason);
        return view(await paid.find(req.params.id));
      }));
  };
}

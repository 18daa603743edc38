// The operators' HTTP endpoint (the console will use it): /admin/..., authenticated with
// `Authorization: Bearer <CERTPORT_ADMIN_TOKEN>` and disabled when no token is configured.
// It is not the customer API: plain JSON, HTTP status codes, no Tencent envelope.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError, isServiceError } from '../domain/errors.js';
import { problemOf } from './problems.js';
import type { PaidOrderService } from '../services/paid-orders.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A preHandler refusing requests without the admin token (compared in constant time). */
export function adminGuard(token: string) {
  const want = digest(token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!.trim()), want)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized', message: 'A valid admin bearer token is required.' });
    }
  };
}

/** A JSON answer with its status (the /admin routes speak plain JSON, not the Tencent envelope). */
export function adminJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body)));
}

/** The request's JSON body ({} when empty); a SyntaxError when it is not JSON. */
export function adminBody(req: FastifyRequest): unknown {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : typeof req.body === 'string' ? req.body : '';
  return JSON.parse(raw || '{}') as unknown;
}

/**
 * Registers `routes` under /admin behind the bearer token (nothing when no token is set).
 * `status` maps an error to its 4xx answer; anything it does not know is a 500 that says no more.
 */
export function adminScope(token: string | null, status: (err: Error) => number | null, routes: (admin: FastifyInstance) => void) {
  return (app: FastifyInstance) => {
    if (!token) return;
    app.register(async (admin) => {
      admin.addHook('preHandler', adminGuard(token));
      admin.setErrorHandler((thrown: Error, _req, reply) => {
        const err = problemOf(thrown) ?? thrown;
        const code = err instanceof SyntaxError ? 400 : status(err);
        if (code === null) return adminJson(reply, 500, { error: 'internal error' });
        return adminJson(reply, code, { error: err instanceof SyntaxError ? `the body is not JSON: ${err.message}` : err.message,
          ...(isServiceError(err) ? { code: err.code } : {}) });
      });
      routes(admin);
    }, { prefix: '/admin' });
  };
}

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

export function adminApi(opts: { token: string | null; paid: PaidOrderService }) {
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

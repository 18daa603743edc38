// The operators' HTTP endpoint (the console will use it): /admin/..., authenticated with
// `Authorization: Bearer <CERTPORT_ADMIN_TOKEN>` and disabled when no token is configured.
// It is not the customer API: plain JSON, HTTP status codes, no Tencent envelope. What every
// /admin route file shares: the token check, JSON bodies and answers, and adminScope (a plugin
// under /admin with the token check and an error handler).
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isServiceError } from '../../domain/errors.js';
import { problemOf } from '../problems.js';

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

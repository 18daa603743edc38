// The console's API under /console/api (issue 25), for the web app in web/:
//   POST /console/api/login {Account?, UserName, Password}    sets the session cookie
//   POST /console/api/logout, /console/api/logout-everywhere
//   GET  /console/api/whoami                                  the session and its CSRF token
//   GET  /console/api/keys; POST /console/api/keys/{create,disable,enable,delete}
//   GET  /console/api/users; POST /console/api/users/{create,password}   (users: the root user)
//   POST /console/api/<Action>                                any API action, same JSON body
//   /console/api/operator/…                                   operators only (operator.ts)
// Answers are Tencent-shaped envelopes ({"Response":{…,"RequestId"}}). Actions run through
// runAction, as signed requests do (same checks, rate limit, operation log, with the console
// user as SubAccountUin). A missing or ended session is HTTP 401, a refused CSRF check 403,
// a throttled sign-in 429; everything else is HTTP 200, errors in Response.Error as the API.
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../domain/errors.js';
import type { ConsoleService, Session } from '../../services/console-users.js';
import { SerializedResult } from '../../services/page-cache.js';
import { runAction, type Dispatch } from '../dispatch.js';
import { problemOf } from '../problems.js';
import { envelopeJson, send } from '../server.js';
import type { LoginThrottle } from './throttle.js';
import type { NoticeService } from '../../notify/notices.js';
import { consoleNoticeRoutes } from './notices.js';
import { operatorRoutes } from './operator.js';
import type { EmbeddedCa } from '../../ca/embedded/setup.js';

export const COOKIE = 'certport_console';
const PREFIX = '/console/api';

export interface ConsoleApiOptions {
  console: ConsoleService;
  dispatch: Dispatch;
  throttle: LoginThrottle;
  /** CERTPORT_PUBLIC_URL: its origin is accepted in Origin, and https there means a Secure cookie. */
  publicUrl: string;
  /** Notices and channels (notices.ts); without it those routes are not served. */
  notices?: NoticeService;
  /** The embedded CA, for the operators' CA page. */
  ca?: EmbeddedCa;
}

/** An answer that is not HTTP 200: the gates (session, CSRF, throttle). */
class Refusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterMs = 0) {
    super(message);
  }
}

function envelope(reply: FastifyReply, status: number, requestId: string, body: Record<string, unknown>) {
  return reply.code(status).header('content-type', 'application/json').header('cache-control', 'no-store')
    .send(Buffer.from(envelopeJson(JSON.stringify(body), requestId, Object.hasOwn(body, 'RequestId'))));
}

function cookieOf(req: FastifyRequest): string {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) return part.slice(i + 1).trim();
  }
  return '';
}

function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8').trim() : '';
  if (body === '') return {};
  // JSON only: a cross-site HTML form cannot send it without a CORS preflight.
  if (type !== 'application/json') throw new ServiceError('InvalidParameter', 'Send the parameters as application/json.');
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    throw new ServiceError('InvalidParameter', `The request body is not valid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ServiceError('InvalidParameter', 'The request body must be a JSON object.');
  return v as Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function consoleApi(o: ConsoleApiOptions) {
  const publicOrigin = new URL(o.publicUrl).origin;
  const tls = (req: FastifyRequest) => (req.raw.socket as TLSSocket).encrypted === true;
  const secure = (req: FastifyRequest) => tls(req) || publicOrigin.startsWith('https:');

  /** Fetch Metadata and Origin: a request from another site is refused before anything else. */
  function sameOrigin(req: FastifyRequest) {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new Refusal(403, 'AuthFailure.UnauthorizedOperation', `A console request must come from the console itself (Sec-Fetch-Site: ${site}).`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // Over HTTP/2 the host is in :authority.
      const own = `${tls(req) ? 'https' : 'http'}://${req.headers.host ?? req.headers[':authority'] ?? ''}`;
      if (origin !== own && origin !== publicOrigin) {
        throw new Refusal(403, 'AuthFailure.UnauthorizedOperation', `A console request must come from the console itself (Origin: ${origin}).`);
      }
    }
  }

  function setCookie(reply: FastifyReply, req: FastifyRequest, token: string, maxAgeSeconds: number) {
    reply.header('set-cookie', `${COOKIE}=${token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure(req) ? '; Secure' : ''}`);
  }

  async function session(req: FastifyRequest, stateChange: boolean): Promise<Session> {
    sameOrigin(req);
    const token = cookieOf(req);
    const s = token ? await o.console.session(token) : null;
    if (!s) throw new Refusal(401, 'AuthFailure.InvalidAuthorization', 'Sign in to the console: there is no session, or it has ended.');
    if (stateChange) {
      const got = Buffer.from(str(req.headers['x-csrf-token']));
      const want = Buffer.from(s.csrfToken);
      if (got.length !== want.length || !timingSafeEqual(got, want)) {
        throw new Refusal(403, 'AuthFailure.UnauthorizedOperation', 'The X-CSRF-Token header is missing or does not belong to this session.');
      }
    }
    return s;
  }

  const who = async (s: Session) => ({
    Uin: s.accountUin, SubAccountUin: s.userUin, UserName: s.userName, IsRoot: s.accountUin === s.userUin,
    IsOperator: await o.console.isOperator(s.userUin),
    CsrfToken: s.csrfToken, ExpiresAt: new Date(s.expiresAt).toISOString(), IdleExpiresAt: new Date(s.idleExpiresAt).toISOString(),
  });

  /** Runs `fn`, answering its result or its refusal in the envelope. */
  async function guard(req: FastifyRequest, reply: FastifyReply, fn: () => Promise<Record<string, unknown> | SerializedResult>) {
    try {
      const r = await fn();
      if (r instanceof SerializedResult) return send(reply, req.id, r).header('cache-control', 'no-store');
      return envelope(reply, 200, req.id, r);
    } catch (e) {
      if (e instanceof Refusal) {
        if (e.retryAfterMs) reply.header('retry-after', String(Math.ceil(e.retryAfterMs / 1000)));
        return envelope(reply, e.status, req.id, { Error: { Code: e.code, Message: e.message } });
      }
      const p = problemOf(e);
      if (p) return envelope(reply, 200, req.id, { Error: { Code: p.code, Message: p.message } });
      req.log.error({ err: e }, 'console request failed');
      return envelope(reply, 200, req.id, { Error: { Code: 'InternalError', Message: 'An internal error occurred. Quote the RequestId when reporting it.' } });
    }
  }

  return (app: FastifyInstance) => {
    app.post(`${PREFIX}/login`, (req, reply) => guard(req, reply, async () => {
      sameOrigin(req);
      const p = jsonBody(req);
      const account = str(p.Account).trim();
      const login = str(p.UserName).trim();
      if (!login) throw new ServiceError('MissingParameter', 'UserName (a user name or SubAccountUin) is required.');
      const user = await o.console.findUser(account, login);
      // One counter per user however it is named (Uin or name); per typed name when there is none.
      const userKey = user ? user.uin : `${account}/${login.toLowerCase()}`;
      const wait = await o.throttle.wait(userKey, req.ip);
      if (wait > 0) {
        req.log.warn({ user: userKey }, 'console sign-in throttled');
        throw new Refusal(429, 'RequestLimitExceeded', `Too many failed sign-ins: try again in ${Math.ceil(wait / 60_000)} minutes.`, wait);
      }
      const ok = await o.console.checkLogin(user, str(p.Password));
      if (!ok) {
        await o.throttle.failed(userKey, req.ip);
        req.log.info({ user: userKey }, 'console sign-in refused');
        throw new Refusal(401, 'AuthFailure.InvalidAuthorization', 'The user name or the password is wrong.');
      }
      await o.throttle.succeeded(userKey);
      const { token, session: s } = await o.console.createSession(ok, { address: req.ip, userAgent: str(req.headers['user-agent']) });
      setCookie(reply, req, token, Math.floor(o.console.options.absoluteMs / 1000));
      req.log.info({ account: ok.accountUin, user: ok.uin }, 'console sign-in');
      return await who(s);
    }));

    app.post(`${PREFIX}/logout`, (req, reply) => guard(req, reply, async () => {
      await session(req, true);
      await o.console.endSession(cookieOf(req));
      setCookie(reply, req, '', 0);
      return {};
    }));

    app.post(`${PREFIX}/logout-everywhere`, (req, reply) => guard(req, reply, async () => {
      const s = await session(req, true);
      const ended = await o.console.endAllSessions(s.userUin);
      setCookie(reply, req, '', 0);
      return { EndedSessions: ended };
    }));

    app.get(`${PREFIX}/whoami`, (req, reply) => guard(req, reply, async () => await who(await session(req, false))));

    app.get(`${PREFIX}/keys`, (req, reply) => guard(req, reply, async () => {
      const keys = await o.console.listKeys(await session(req, false));
      return {
        TotalCount: keys.length,
        Keys: keys.map((k) => ({ SecretId: k.secretId, SubAccountUin: k.userUin, Status: k.status, CreatedAt: new Date(k.createdAt).toISOString() })),
      };
    }));

    app.post<{ Params: { change: string } }>(`${PREFIX}/keys/:change`, (req, reply) => guard(req, reply, async () => {
      const s = await session(req, true);
      const p = jsonBody(req);
      const change = req.params.change;
      if (change === 'create') {
        const c = await o.console.createKey(s, str(p.SubAccountUin) || undefined);
        // The only time the SecretKey is shown.
        return { SecretId: c.secretId, SecretKey: c.secretKey, SubAccountUin: c.userUin };
      }
      if (change !== 'disable' && change !== 'enable' && change !== 'delete') throw new ServiceError('InvalidAction', `No key action ${change}.`);
      if (!str(p.SecretId)) throw new ServiceError('MissingParameter', 'SecretId is required.');
      await o.console.changeKey(s, str(p.SecretId), change);
      return {};
    }));

    const root = (s: Session) => {
      if (s.accountUin !== s.userUin) throw new ServiceError('AuthFailure.UnauthorizedOperation', 'Only the account\'s root user manages users.');
    };

    app.get(`${PREFIX}/users`, (req, reply) => guard(req, reply, async () => {
      const s = await session(req, false);
      root(s);
      const users = await o.console.listUsers(s.accountUin);
      return { TotalCount: users.length, Users: users.map((u) => ({ SubAccountUin: u.uin, UserName: u.name, CreatedAt: new Date(u.createdAt).toISOString() })) };
    }));

    app.post<{ Params: { change: string } }>(`${PREFIX}/users/:change`, (req, reply) => guard(req, reply, async () => {
      const s = await session(req, true);
      const p = jsonBody(req);
      if (req.params.change === 'create') {
        root(s);
        const u = await o.console.createUser(s.accountUin, str(p.UserName), str(p.Password));
        return { SubAccountUin: u.uin, UserName: u.name };
      }
      if (req.params.change === 'password') {
        const target = str(p.SubAccountUin) || s.userUin;
        if (target !== s.userUin) root(s);
        else if (!(await o.console.checkLogin(await o.console.findUser(s.accountUin, s.userUin), str(p.OldPassword)))) {
          throw new ServiceError('AuthFailure.UnauthorizedOperation', 'The current password is wrong.');
        }
        // Every session of that user ends, this one too when it is one's own.
        await o.console.setPassword(s.accountUin, target, str(p.Password));
        return {};
      }
      throw new ServiceError('InvalidAction', `No user action ${req.params.change}.`);
    }));

    operatorRoutes(app, {
      prefix: PREFIX, session, guard, body: jsonBody, envelope,
      refusal: (status, code, message) => new Refusal(status, code, message),
    }, { console: o.console, services: o.dispatch.services, ca: o.ca, publicUrl: o.publicUrl });

    app.post<{ Params: { action: string } }>(`${PREFIX}/:action`, (req, reply) => guard(req, reply, async () => {
      const s = await session(req, true);
      const caller = { accountUin: s.accountUin, userUin: s.userUin };
      const r = await runAction(o.dispatch, caller, req.params.action, jsonBody(req), req.id);
      req.log.info({ action: req.params.action, account: s.accountUin, user: s.userUin }, 'console ok');
      return r;
    }));

    // Notices, channels and the account's deployment records (notices.ts).
    if (o.notices) consoleNoticeRoutes(app, { prefix: PREFIX, session, guard, jsonBody }, o.notices, o.dispatch.services.deployments);

    // Anything else under the API prefix is not the web app's index page.
    app.all(`${PREFIX}/*`, (req, reply) => envelope(reply, 404, req.id, { Error: { Code: 'InvalidAction', Message: `No console endpoint ${req.method} ${req.url.split('?')[0]}.` } }));
  };
}

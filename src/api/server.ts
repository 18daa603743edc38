// The wire: one endpoint `/` speaking the SSL Certificates API (spec "Making API Requests").
// It authenticates, routes to an action, and wraps every outcome in the spec's envelope,
// always with HTTP 200 (the official SDK drops the error code on any other status).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { actions, tagActions, TAG_API_VERSION, type Services } from '../actions/index.js';
import { runAction } from './dispatch.js';
import { ServiceError } from '../domain/errors.js';
import { problemOf } from './problems.js';
import type { Caller } from '../domain/caller.js';
import { SerializedResult } from '../services/page-cache.js';
import { createAuthFailureLimit, createSignatureBinding, refusesOtherAction, type AuthFailureLimit, type RateLimit, type ReplayGuard, type SignatureBinding } from './guards.js';
import { unflatten } from './params.js';
import { languageOf, localizeMessage } from './messages.js';
import {
  checkTimestamp, header, hostOf, parseTc3Authorization, utcDate, verifyTc3, verifyV1, type V1Method,
} from './signature.js';

export const API_VERSION = '2019-12-05';
/** The spec's request size limits. */
export const LIMITS = { get: 32 * 1024, v1Post: 1024 * 1024, tc3Post: 10 * 1024 * 1024 };

/** Parameters common to every v1 request (spec "Common parameters for Signature Algorithm v1"). */
const V1_COMMON = new Set(['Action', 'Region', 'Timestamp', 'Nonce', 'SecretId', 'Signature', 'SignatureMethod', 'Version', 'Token', 'Language', 'RequestClient']);

export interface ApiOptions {
  services: Services;
  rateLimit: RateLimit;
  replay: ReplayGuard;
  /** TC3 signatures bound to their first action (default: in memory). */
  signatures?: SignatureBinding;
  /** Failed authentications per address (default: no limit). */
  authFailures?: AuthFailureLimit;
  /** Readiness for /healthz. */
  ready: () => Promise<void>;
  /** The service's logger (createLogger), shared with the background work. */
  logger: Logger;
  /** Idle keep-alive timeout, ms (config keepAliveTimeoutMs). */
  keepAliveTimeout: number;
  /** Given Fastify's request handler, for another listener serving the same routes (the HTTPS port). */
  handlerSink?: (handler: (req: IncomingMessage, res: ServerResponse) => void) => void;
  /** Extra routes (e.g. the legacy API) registered on the same server. */
  plugins?: ((app: FastifyInstance) => void | Promise<void>)[];
}

interface Incoming {
  action: string | undefined;
  version: string | undefined;
  /** TC3: the service named in the credential scope (`ssl`, `tag`, or an SDK's endpoint label). */
  service?: string;
  params: Record<string, unknown>;
  caller: Caller;
  /** Set for v1 requests: the replay key reserved for this request. */
  replayKey?: string;
}

/**
 * The envelope's text as the payload, with an identity serializer: Fastify leaves a string it
 * serialized as it is, where it would append `; charset=utf-8` to a JSON type on a string it
 * did not. Content-Type stays exactly `application/json`: with a charset the Python SDK and
 * tccli read an error as a success (FACTS.md). A string, not a Buffer: Node writes the head and
 * the body in one write, without a copy of the body into a Buffer first.
 */
export function send(reply: FastifyReply, requestId: string, body: Record<string, unknown> | SerializedResult): FastifyReply {
  const json = body instanceof SerializedResult
    ? withRequestId(body.json, requestId)
    : envelopeJson(JSON.stringify(body), requestId, Object.hasOwn(body, 'RequestId'));
  return reply.code(200).header('content-type', 'application/json').serializer(asIs).send(json);
}

const asIs = (payload: unknown) => payload as string;

/**
 * `{"Response":{…,"RequestId":id}}` around a result serialized as it is: copying the result into
 * a new object first (`{ ...body, RequestId }`) cost ~50 µs for a detail's 50 fields (V8 adds
 * properties after a spread on a slow path, and serializes the copy slower too). A result
 * carrying a RequestId of its own keeps the old way (the envelope's RequestId wins).
 */
export function envelopeJson(json: string, requestId: string, hasRequestId = false): string {
  if (hasRequestId) return JSON.stringify({ Response: { ...(JSON.parse(json) as object), RequestId: requestId } });
  return withRequestId(json, requestId);
}

/** `{"Response":{…,"RequestId":id}}` around an already serialized result object. */
function withRequestId(json: string, requestId: string): string {
  const inner = json.slice(1, -1);
  return `{"Response":{${inner}${inner === '' ? '' : ','}"RequestId":${JSON.stringify(requestId)}}}`;
}

export function errorBody(code: string, message: string) {
  return { Error: { Code: code, Message: message } };
}

/** errorBody in the language the request asked for (./messages.ts). */
function errorFor(req: FastifyRequest, code: string, message: string) {
  return errorBody(code, localizeMessage(code, message, languageOf(req)));
}

function rawQueryOf(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? '' : url.slice(i + 1);
}

function pathOf(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? url : url.slice(0, i);
}

function formPairs(text: string): [string, string][] {
  return [...new URLSearchParams(text)];
}

function contentType(req: FastifyRequest): string {
  const value = header(req.headers, 'content-type') ?? '';
  // What the SDKs send, as is: no array, no copies.
  if (value === 'application/json') return value;
  return value.split(';')[0]!.trim().toLowerCase();
}

/**
 * The HTTP server under Fastify. GET requests may carry up to 32 KB of query: Node's default
 * header limit is 16 KB. A serverFactory bypasses Fastify's keepAliveTimeout option, which left
 * Node's 5 s: shorter than load balancers' idle timeout, so they (and SDK connection pools)
 * reused connections being closed and saw resets. headersTimeout stays above the keep-alive
 * timeout (Node's advice) and requestTimeout at least at headersTimeout (Node's rule).
 * Closing waits for every connection, and Fastify ends only those idle when it starts: a request
 * answered after that would hold the close for the whole keep-alive timeout, so answers given
 * while closing end their connection.
 */
export function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, keepAliveTimeout: number) {
  const headersTimeout = Math.max(60_000, keepAliveTimeout + 1_000);
  const server = createServer({ maxHeaderSize: 64 * 1024, headersTimeout, requestTimeout: Math.max(300_000, headersTimeout) }, handler);
  server.keepAliveTimeout = keepAliveTimeout;
  // One shared listener, not a closure and a once-wrapper per request (~0.8% of a request's CPU).
  function endIfClosing(this: ServerResponse) {
    if (!server.listening) this.req.socket.end();
  }
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.on('finish', endIfClosing));
  return server;
}

/** The service's logger: Fastify's requests and the background work (jobs, notices) log through it. */
export function createLogger(level = 'info'): Logger {
  return pino({
    level,
    // Never log credentials or bodies (bodies carry private keys).
    redact: ['req.headers.authorization', 'req.headers["x-tc-token"]'],
    serializers: {
      req: (r: FastifyRequest) => ({ method: r.method, url: pathOf(r.url), remoteAddress: r.ip }),
    },
  });
}

export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const signatures = opts.signatures ?? createSignatureBinding(null);
  const authFailures = opts.authFailures ?? createAuthFailureLimit(0, null);
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: LIMITS.tc3Post + 1024,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
      opts.handlerSink?.(handler);
      return httpServer(handler, opts.keepAliveTimeout);
    },
    genReqId: () => randomUUID(),
    // The signed API logs one line per request itself (handle: action, account, outcome,
    // time), not Fastify's two: three synchronous writes per request were the info level's cost.
    // (Fastify 5.12's logController; its top-level disableRequestLogging is deprecated, FSTDEP023.)
    logController: new LogController({
      disableRequestLogging: (req: FastifyRequest | IncomingMessage) => 'routeOptions' in req && req.routeOptions.url === '/',
    }),
  });

  app.removeAllContentTypeParsers();
  // Raw bytes: the TC3 signature covers the body exactly as sent (FACTS.md).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(reply, req.id, errorFor(req, 'RequestSizeLimitExceeded', `The request body exceeds ${LIMITS.tc3Post} bytes.`));
    }
    if (err.statusCode && err.statusCode < 500) {
      return send(reply, req.id, errorFor(req, 'InvalidParameter', `The request could not be read: ${err.message}`));
    }
    req.log.error({ err }, 'unhandled error');
    return send(reply, req.id, errorFor(req, 'InternalError', 'An internal error occurred. Quote the RequestId when reporting it.'));
  });

  app.get('/healthz', async (_req, reply) => {
    try {
      await opts.ready();
      return reply.code(200).header('content-type', 'application/json').send(Buffer.from('{"status":"ok"}'));
    } catch {
      return reply.code(503).header('content-type', 'application/json').send(Buffer.from('{"status":"unavailable"}'));
    }
  });

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/',
    handler: (req, reply) => handle(req, reply),
  });

  async function handle(req: FastifyRequest, reply: FastifyReply) {
    const trace = header(req.headers, 'x-tc-traceid');
    if (trace) reply.header('X-TC-TraceId', trace);
    let incoming: Incoming | undefined;
    let executed = false;
    try {
      if (req.method !== 'GET' && req.method !== 'POST') {
        throw new ServiceError('UnsupportedProtocol', `HTTP method ${req.method} is not supported; use GET or POST.`);
      }
      incoming = await limitAuthFailures(authFailures, req, () => authenticate(req));
      const action = incoming.action!;
      const service = serviceOf(incoming);
      const table = service === 'tag' ? tagActions : actions;
      if (!Object.hasOwn(table, action)) throw new ServiceError('InvalidAction', `The action ${JSON.stringify(action)} does not exist${service === 'tag' ? ' in the Tag API' : ''}.`);
      const version = service === 'tag' ? TAG_API_VERSION : API_VERSION;
      if (incoming.version !== version) {
        throw new ServiceError('NoSuchVersion', `The version ${JSON.stringify(incoming.version ?? '')} does not exist; this API is ${version}.`);
      }
      const result = await runAction(opts, incoming.caller, action, incoming.params, req.id, { table, service, beforeRun: () => { executed = true; } });
      if (opts.logger.isLevelEnabled('info')) req.log.info(done(req, reply, { action, account: incoming.caller.accountUin }), 'ok');
      return send(reply, req.id, result);
    } catch (e) {
      if (incoming?.replayKey && !executed) await opts.replay.release(incoming.replayKey).catch(() => {});
      const problem = problemOf(e);
      if (problem) {
        if (opts.logger.isLevelEnabled('info')) req.log.info(done(req, reply, { action: incoming?.action, code: problem.code }), 'refused');
        return send(reply, req.id, errorFor(req, problem.code, problem.message));
      }
      req.log.error(done(req, reply, { err: e, action: incoming?.action }), 'action failed');
      return send(reply, req.id, errorFor(req, 'InternalError', 'An internal error occurred. Quote the RequestId when reporting it.'));
    }
  }

  /** What Fastify's request lines said (disableRequestLogging), on the request's one line. */
  function done(req: FastifyRequest, reply: FastifyReply, fields: Record<string, unknown>) {
    return { ...fields, method: req.method, remoteAddress: req.ip, responseTime: reply.elapsedTime };
  }

  async function authenticate(req: FastifyRequest): Promise<Incoming> {
    const url = req.url;
    if (req.method === 'GET' && Buffer.byteLength(url) > LIMITS.get) {
      throw new ServiceError('RequestSizeLimitExceeded', `A GET request may carry at most ${LIMITS.get} bytes.`);
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const authorization = header(req.headers, 'authorization');
    if (authorization && authorization.trim() !== '') {
      return authenticateTc3(req, authorization, body);
    }
    return authenticateV1(req, body);
  }

  async function authenticateTc3(req: FastifyRequest, authorization: string, body: Buffer): Promise<Incoming> {
    if (body.length > LIMITS.tc3Post) {
      throw new ServiceError('RequestSizeLimitExceeded', `A TC3-signed request may carry at most ${LIMITS.tc3Post} bytes.`);
    }
    const auth = parseTc3Authorization(authorization);
    const action = header(req.headers, 'x-tc-action');
    if (!action) throw new ServiceError('MissingParameter', 'The request is missing the required header `X-TC-Action`.');
    const version = header(req.headers, 'x-tc-version');
    if (!version) throw new ServiceError('MissingParameter', 'The request is missing the required header `X-TC-Version`.');
    const timestamp = header(req.headers, 'x-tc-timestamp');
    // Freshness is about the client's real clock, not the business clock (tests move that one).
    const ts = checkTimestamp(timestamp, Date.now());
    if (auth.date !== utcDate(ts)) {
      throw new ServiceError('AuthFailure.SignatureFailure',
        `The credential scope date ${auth.date} is not the UTC date of X-TC-Timestamp (${utcDate(ts)}).`);
    }
    const cred = await opts.services.accounts.credential(auth.secretId);
    const rawQuery = rawQueryOf(req.url);
    if (!verifyTc3({ method: req.method, rawQuery, headers: req.headers, body }, auth, timestamp!, cred.secretKey)) {
      throw new ServiceError('AuthFailure.SignatureFailure', 'The request signature does not match. Check the SecretKey and the signing steps.');
    }
    // X-TC-Action is not among the headers the SDKs sign, so a captured request could be sent
    // again as another action. The client itself does that legitimately: two actions with the
    // same body in the same second (DescribeCertificate then DownloadCertificate of one id) carry
    // one signature. So another action is refused when it comes from another address.
    const first = await signatures.bind(auth.signature, action, req.ip);
    if (first && refusesOtherAction(first, req.ip, Date.now())) {
      req.log.warn({ action, firstAction: first.action, firstAddress: first.address }, 'TC3 signature replayed with another action');
      throw new ServiceError('AuthFailure.SignatureFailure',
        `This signature was already used for the action ${first.action}${first.address !== req.ip ? ' from another address' : ''}; X-TC-Action is not signed, so a signed request counts for that action only. Sign each request anew.`);
    }
    let params: Record<string, unknown>;
    if (req.method === 'GET') {
      params = unflatten(formPairs(rawQuery).filter(([k]) => !V1_COMMON.has(k)));
    } else {
      const type = contentType(req);
      if (type !== 'application/json') {
        throw new ServiceError('InvalidParameter', `Content-Type ${JSON.stringify(type)} is not supported for TC3 POST requests; send application/json.`);
      }
      const text = body.toString('utf8').trim();
      if (text === '') params = {};
      else {
        try {
          params = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          throw new ServiceError('InvalidParameter', `The request body is not valid JSON: ${(e as Error).message}`);
        }
      }
    }
    return { action, version, service: auth.service, params, caller: { accountUin: cred.accountUin, userUin: cred.userUin } };
  }

  async function authenticateV1(req: FastifyRequest, body: Buffer): Promise<Incoming> {
    const pairs = v1Pairs(req, body);
    const get = (k: string) => pairs.find(([n]) => n === k)?.[1];
    const auth = await verifyV1Request(opts, req, pairs);
    const params = unflatten(pairs.filter(([k]) => !V1_COMMON.has(k)));
    return { action: get('Action'), version: get('Version'), params, caller: auth.caller, replayKey: auth.replayKey };
  }

  for (const plugin of opts.plugins ?? []) await plugin(app);
  return app;
}

/**
 * Which API a request is for, on the one endpoint (issue 23): the credential scope's service
 * when it names one (Python, Go, tccli sign `ssl` or `tag`), else the version (the Node and
 * Java SDKs sign the endpoint's first label; v1 has no scope).
 */
function serviceOf(incoming: Incoming): 'ssl' | 'tag' {
  if (incoming.service === 'tag' || incoming.service === 'ssl') return incoming.service;
  return incoming.version === TAG_API_VERSION ? 'tag' : 'ssl';
}

/**
 * Runs an authentication, refusing it outright when the address has failed too often and
 * counting an AuthFailure against the address (brute force, or a stolen SecretId tried).
 */
export async function limitAuthFailures<T>(limit: AuthFailureLimit, req: FastifyRequest, authenticate: () => Promise<T>): Promise<T> {
  if (await limit.blocked(req.ip)) {
    throw new ServiceError('RequestLimitExceeded', 'Too many failed authentications from this address: wait a minute, then sign requests correctly.');
  }
  try {
    return await authenticate();
  } catch (e) {
    if (e instanceof ServiceError && e.code.startsWith('AuthFailure')) await limit.failed(req.ip);
    throw e;
  }
}

/** v1 parameters from the query (GET) or a form body (POST), as sent. */
export function v1Pairs(req: FastifyRequest, body: Buffer): [string, string][] {
  if (req.method === 'GET') return formPairs(rawQueryOf(req.url));
  if (body.length > LIMITS.v1Post) {
    throw new ServiceError('RequestSizeLimitExceeded', `A v1-signed POST request may carry at most ${LIMITS.v1Post} bytes.`);
  }
  if (contentType(req) !== 'application/x-www-form-urlencoded') {
    throw new ServiceError('AuthFailure.InvalidAuthorization',
      'The request is not signed: send a TC3-HMAC-SHA256 Authorization header, or v1 parameters as application/x-www-form-urlencoded.');
  }
  return formPairs(body.toString('utf8'));
}

/**
 * Checks a v1 signature (spec "Signature"; also the legacy /v2/index.php API) and reserves
 * the request against replays. The signed path is the request's own path.
 */
export async function verifyV1Request(
  opts: Pick<ApiOptions, 'services' | 'replay'>, req: FastifyRequest, pairs: [string, string][],
): Promise<{ caller: Caller; replayKey: string }> {
  const get = (k: string) => pairs.find(([n]) => n === k)?.[1];
  if (!get('Signature') && !get('SecretId')) {
    throw new ServiceError('AuthFailure.InvalidAuthorization',
      'The request is not signed: send a TC3-HMAC-SHA256 Authorization header or the v1 SecretId, Timestamp, Nonce and Signature parameters.');
  }
  for (const name of ['Action', 'SecretId', 'Timestamp', 'Nonce', 'Signature']) {
    if (!get(name)) throw new ServiceError('MissingParameter', `The request is missing the required parameter \`${name}\`.`);
  }
  const method = (get('SignatureMethod') || 'HmacSHA1') as V1Method;
  if (method !== 'HmacSHA1' && method !== 'HmacSHA256') {
    throw new ServiceError('InvalidParameterValue', 'SignatureMethod must be HmacSHA1 or HmacSHA256.');
  }
  const timestamp = get('Timestamp')!;
  checkTimestamp(timestamp, Date.now());
  const secretId = get('SecretId')!;
  const signature = get('Signature')!;
  const cred = await opts.services.accounts.credential(secretId);
  if (!verifyV1(req.method, hostOf(req.headers), pathOf(req.url), pairs, signature, method, cred.secretKey)) {
    throw new ServiceError('AuthFailure.SignatureFailure', 'The request signature does not match. Check the SecretKey and the signing steps.');
  }
  const replayKey = [secretId, timestamp, get('Nonce'), signature].join('|');
  if (!(await opts.replay.reserve(replayKey))) {
    throw new ServiceError('AuthFailure.SignatureFailure', 'This signed request was already received (same Nonce, Timestamp and Signature); sign each request anew.');
  }
  return { caller: { accountUin: cred.accountUin, userUin: cred.userUin }, replayKey };
}

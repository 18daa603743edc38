// GET /metrics: Prometheus text format, from the service instance's registry (services/metrics.ts),
// plus the HTTP metrics measured here for every route of the server:
//
//   certport_http_request_duration_seconds{method, route, status_code, action}   histogram
//   certport_api_requests_total{action, code}                                    counter
//
// `route` is the route's pattern (`/ca/:file`), never the raw URL; every API call is `/`, so
// API calls also carry their `action` (known action names only, else "other"; "" off the API).
// The API answers HTTP 200 even for errors, so certport_api_requests_total counts the
// envelope's outcome: `Success` or the spec's error code (a closed set).
//
// With CERTPORT_METRICS_TOKEN it wants `Authorization: Bearer <token>` (401 otherwise). Without
// a token it is open only while the server listens on loopback alone (CERTPORT_HOST 127.0.0.1,
// the default, or ::1): its series name account Uins and certificate counts, which are not for
// whoever reaches the API port. Listening wider without a token, it answers 403 saying how to
// turn it on, and the log says so at start. CERTPORT_METRICS=0 leaves it out (404).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { actions } from '../actions/index.js';
import type { Metrics } from '../services/metrics.js';
import { LEGACY_PATH } from './legacy.js';
import { header } from './signature.js';
import { isLoopbackHost } from '../config/config.js';

export const METRICS_PATH = '/metrics';
/** The legacy (2019) API's actions (api/legacy.ts). */
const LEGACY_ACTIONS = new Set(['CertGetList', 'CertUpload', 'CertDelete']);
/** Longest v1 form body searched for `Action` (the v1 POST limit). */
const V1_BODY_LIMIT = 1024 * 1024;

export interface MetricsRoutesOptions {
  /** null: no endpoint and no HTTP metrics (CERTPORT_METRICS=0). */
  metrics: Metrics | null;
  /** Bearer token required to read /metrics; null = open on loopback, refused elsewhere. */
  token: string | null;
  /** Where the server listens (CERTPORT_HOST). */
  host: string;
}

/** The answer and the start-up warning when /metrics is refused for want of a token. */
export function metricsOffMessage(host: string): string {
  return `/metrics is off: certport listens on ${host}, not on loopback only, and CERTPORT_METRICS_TOKEN is not set. `
    + 'Set CERTPORT_METRICS_TOKEN (16+ characters; scrape with "Authorization: Bearer <token>"), or listen on 127.0.0.1 (CERTPORT_HOST), to turn it on.';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The action a request to the API named, if it is one certport knows; else "other". */
function actionOf(req: FastifyRequest, known: (name: string) => boolean): string {
  const name = header(req.headers, 'x-tc-action') ?? v1Action(req);
  return name !== undefined && known(name) ? name : 'other';
}

/** v1: `Action` in the query (GET) or in the form body (POST). */
function v1Action(req: FastifyRequest): string | undefined {
  const q = req.url.indexOf('?');
  if (q >= 0) {
    const a = new URLSearchParams(req.url.slice(q + 1)).get('Action');
    if (a) return a;
  }
  const body = req.body;
  if (req.method !== 'POST' || !Buffer.isBuffer(body) || body.length > V1_BODY_LIMIT) return undefined;
  const m = /(?:^|&)Action=([^&]*)/.exec(body.toString('latin1'));
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const TC3_ERROR = '{"Response":{"Error":{"Code":"';
const TC3_ERROR_BYTES = Buffer.from(TC3_ERROR);
const LEGACY_DESC = '"codeDesc":"';

/**
 * The envelope's outcome: `Success`, or the error code (TC3/v1 `Error.Code`, legacy `codeDesc`).
 * The API sends its envelope as a string (server.ts send), the legacy API as a Buffer.
 */
function outcomeOf(payload: unknown, legacy: boolean): string {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return 'Success';
  const text = payload as string | Buffer;
  let start = -1;
  if (legacy) {
    const i = text.indexOf(LEGACY_DESC);
    if (i >= 0) start = i + LEGACY_DESC.length;
  } else if (typeof text === 'string' ? text.startsWith(TC3_ERROR) : text.subarray(0, TC3_ERROR_BYTES.length).equals(TC3_ERROR_BYTES)) {
    start = TC3_ERROR.length;
  }
  if (start < 0) return 'Success';
  const end = text.indexOf('"', start);
  const code = end > start ? (typeof text === 'string' ? text.slice(start, end) : text.toString('latin1', start, end)) : '';
  return /^[A-Za-z][A-Za-z0-9.]{0,99}$/.test(code) ? code : 'other';
}

export function metricsRoutes(opts: MetricsRoutesOptions) {
  return (app: FastifyInstance) => {
    const metrics = opts.metrics;
    if (!metrics) return;
    metrics.onError = (err) => app.log.warn({ err }, 'metrics: reading the database figures failed');
    const registers = [metrics.registry];
    const duration = new Histogram({
      name: 'certport_http_request_duration_seconds',
      help: 'HTTP requests to this node by method, route pattern, status code and API action (the API answers 200 even for errors).',
      labelNames: ['method', 'route', 'status_code', 'action'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const apiRequests = new Counter({
      name: 'certport_api_requests_total',
      help: 'API calls answered by this node, by action and outcome: Success or the error code of the response.',
      labelNames: ['action', 'code'] as const,
      registers,
    });
    const outcomes = new WeakMap<FastifyRequest, string>();

    // Callback hooks, not async ones: no promise per request and hook (two on every request).
    app.addHook('onSend', (req, _reply, payload, next) => {
      const route = req.routeOptions.url;
      if (route === '/' || route === LEGACY_PATH) outcomes.set(req, outcomeOf(payload, route === LEGACY_PATH));
      next(null, payload);
    });
    app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, next) => {
      const route = req.routeOptions.url;
      let action = '';
      if (route === '/') action = actionOf(req, (n) => Object.hasOwn(actions, n));
      else if (route === LEGACY_PATH) action = actionOf(req, (n) => LEGACY_ACTIONS.has(n));
      duration.observe({ method: req.method, route: route ?? 'unmatched', status_code: String(reply.statusCode), action }, reply.elapsedTime / 1000);
      const code = outcomes.get(req);
      if (code !== undefined) apiRequests.inc({ action, code });
      next();
    });

    const want = opts.token === null ? null : digest(opts.token);
    const refused = want === null && !isLoopbackHost(opts.host);
    if (refused) app.log.warn(metricsOffMessage(opts.host));
    app.get(METRICS_PATH, async (req, reply) => {
      if (refused) return reply.code(403).type('text/plain').send(metricsOffMessage(opts.host) + '\n');
      if (want) {
        const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
        if (!m || !timingSafeEqual(digest(m[1]!.trim()), want)) {
          return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain')
            .send('A valid bearer token (CERTPORT_METRICS_TOKEN) is required.\n');
        }
      }
      const { contentType, body } = await metrics.scrape();
      return reply.code(200).header('content-type', contentType).header('cache-control', 'no-store').send(body);
    });
  };
}

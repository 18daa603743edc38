// The legacy (2019) API that older scripts still call: GET|POST /v2/index.php with the v1
// signature and the `{code, message, codeDesc, data}` envelope (spec 004). It serves the same
// accounts and store as the 2019-12-05 API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../actions/index.js';
import { projectInfo, STATUS_NAMES } from '../actions/shared/present.js';
import { formatTime } from '../actions/shared/time.js';
import { effectiveStatus } from '../services/certificates.js';
import { ServiceError } from '../domain/errors.js';
import { problemOf } from './problems.js';
import type { Caller } from '../domain/caller.js';
import type { CertificateRecord } from '../domain/certificate.js';
import type { ProjectRecord } from '../domain/account.js';
import { createAuthFailureLimit, type AuthFailureLimit, type ReplayGuard } from './guards.js';
import { limitAuthFailures, v1Pairs, verifyV1Request } from './server.js';
import { checkText } from './params.js';

export const LEGACY_PATH = '/v2/index.php';

/** The legacy common error codes: 4000 parameters, 4100 authentication, 4400 limits, 5000 internal. */
function legacyCode(code: string): number {
  if (code.startsWith('AuthFailure')) return 4100;
  if (code === 'RequestLimitExceeded') return 4400;
  if (code === 'InternalError') return 5000;
  return 4000;
}

function reply(r: FastifyReply, body: Record<string, unknown>) {
  return r.code(200).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body)));
}

function int(params: Map<string, string>, name: string, def: number, min: number, max: number): number {
  const v = params.get(name);
  if (v === undefined || v === '') return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new ServiceError('InvalidParameter', `${name} must be a whole number from ${min} to ${max}.`);
  }
  return Number(v);
}

/** True when a certificate name (possibly `*.`) covers the host. */
function covers(name: string, host: string): boolean {
  if (name === host) return true;
  return name.startsWith('*.') && host.endsWith(name.slice(1)) && host.slice(0, -name.length + 1).indexOf('.') < 0;
}

function listEntry(c: CertificateRecord, project: ProjectRecord | null, now: number, withCert: boolean) {
  const status = effectiveStatus(c, now);
  const p = projectInfo(c, project);
  return {
    ownerUin: c.accountUin,
    projectId: String(c.projectId),
    from: c.source,
    type: c.certificateType === 'CA' ? 1 : 2,
    certType: c.certificateType,
    productZhName: c.productZhName,
    domain: c.domain,
    alias: c.alias,
    status,
    vulnerability_status: 'INACTIVE',
    statusMsg: c.statusMsg,
    verifyType: c.verifyType,
    // Orders awaiting validation have no certificate (and no dates) yet.
    certBeginTime: c.certPem ? formatTime(c.notBefore) : null,
    certEndTime: c.certPem ? formatTime(c.notAfter) : null,
    validityPeriod: c.validityPeriod,
    insertTime: formatTime(c.createdAt),
    projectInfo: {
      projectId: p.ProjectId, ownerUin: p.OwnerUin, name: p.ProjectName, creatorUin: p.ProjectCreatorUin,
      createTime: p.ProjectCreateTime, info: p.ProjectResume,
    },
    id: c.id,
    subjectAltName: [...c.sans],
    type_name: c.productZhName,
    status_name: STATUS_NAMES[status] ?? String(status),
    is_vip: false,
    is_dv: c.isDv,
    is_wildcard: c.isWildcard,
    is_vulnerability: false,
    ...(withCert ? { cert: c.certPem } : {}),
  };
}

type Handler = (services: Services, caller: Caller, params: Map<string, string>) => Promise<unknown>;

const handlers: Record<string, Handler> = {
  async CertGetList(services, caller, params) {
    const page = int(params, 'page', 1, 1, 1_000_000);
    const count = int(params, 'count', 20, 1, 1000);
    const withCert = int(params, 'withCert', 0, 0, 1) === 1;
    const certType = params.get('certType');
    if (certType && certType !== 'CA' && certType !== 'SVR') throw new ServiceError('InvalidParameter', 'certType must be CA or SVR.');
    const id = params.get('id');
    const altDomain = params.get('altDomain')?.trim().toLowerCase();
    const now = services.clock();
    const query = {
      ...(params.get('searchKey') ? { searchKey: params.get('searchKey')! } : {}),
      ...(certType ? { certificateType: certType } : {}),
      ...(id ? { certIds: [id] } : {}),
      // Its entries tell issued from not by the PEM (listEntry).
      material: true,
    };
    let total: number;
    let items: CertificateRecord[];
    if (altDomain) {
      // Certificates that serve the domain, exactly or through a wildcard: found by the
      // domain's parent name, then matched name by name.
      const parent = altDomain.split('.').slice(-2).join('.');
      const r = await services.certificates.list({ ...query, searchKey: query.searchKey ?? parent, offset: 0, limit: 1000 }, caller);
      const hits = r.items.filter((c) => c.sans.some((n) => covers(n, altDomain)));
      total = hits.length;
      items = hits.slice((page - 1) * count, page * count);
    } else {
      const r = await services.certificates.list({ ...query, offset: (page - 1) * count, limit: count }, caller);
      total = r.total;
      items = r.items;
    }
    const projects = await services.certificates.findProjects(caller.accountUin, items.map((c) => c.projectId));
    const list = items.map((c) => listEntry(c, projects.get(c.projectId) ?? null, now, withCert));
    return { totalNum: total, list };
  },

  async CertUpload(services, caller, params) {
    const cert = params.get('cert');
    const certType = params.get('certType');
    if (!cert) throw new ServiceError('MissingParameter', 'The request is missing the required parameter `cert`.');
    if (!certType) throw new ServiceError('MissingParameter', 'The request is missing the required parameter `certType`.');
    const key = params.get('key');
    const alias = params.get('alias');
    const r = await services.certificates.upload(caller, {
      publicKey: cert, type: certType, ...(key ? { privateKey: key } : {}), ...(alias !== undefined ? { alias } : {}),
    });
    return { id: r.certificateId };
  },

  async CertDelete(services, caller, params) {
    const id = params.get('id');
    if (!id) throw new ServiceError('MissingParameter', 'The request is missing the required parameter `id`.');
    await services.certificates.delete(caller, id);
    return null;
  },
};

export function legacyApi(opts: { services: Services; replay: ReplayGuard; rateLimit: { take(a: string, b: string): Promise<boolean> }; authFailures?: AuthFailureLimit }) {
  const authFailures = opts.authFailures ?? createAuthFailureLimit(0, null);
  return (app: FastifyInstance) => {
    const handle = async (req: FastifyRequest, r: FastifyReply) => {
      let replayKey: string | undefined;
      let executed = false;
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const { pairs, auth } = await limitAuthFailures(authFailures, req, async () => {
          const pairs = v1Pairs(req, body);
          return { pairs, auth: await verifyV1Request(opts, req, pairs) };
        });
        replayKey = auth.replayKey;
        // Text as in the 2019-12-05 API: no control characters (PEM keeps its line breaks).
        for (const [k, v] of pairs) checkText(v, k, k === 'cert' || k === 'key');
        const params = new Map(pairs);
        const action = params.get('Action')!;
        const handler = Object.hasOwn(handlers, action) ? handlers[action] : undefined;
        if (!handler) throw new ServiceError('InvalidAction', `The action ${JSON.stringify(action)} does not exist in the legacy API.`);
        if (!(await opts.rateLimit.take(auth.caller.accountUin, action))) {
          throw new ServiceError('RequestLimitExceeded', `Too many ${action} requests: the limit is per second per account.`);
        }
        executed = true;
        const data = await handler(opts.services, auth.caller, params);
        return reply(r, { code: 0, message: '', codeDesc: 'Success', ...(data === null ? {} : { data }) });
      } catch (e) {
        if (replayKey && !executed) await opts.replay.release(replayKey).catch(() => {});
        const problem = problemOf(e);
        if (problem) return reply(r, { code: legacyCode(problem.code), message: problem.message, codeDesc: problem.code });
        req.log.error({ err: e }, 'legacy action failed');
        return reply(r, { code: 5000, message: 'An internal error occurred.', codeDesc: 'InternalError' });
      }
    };
    app.route({ method: ['GET', 'POST'], url: LEGACY_PATH, handler: handle });
  };
}

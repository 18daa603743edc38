// The operators' HTTP endpoint for resources (for the console): the same operations as
// `certport resource add|list|test|remove`, beside the other /admin routes and behind the same
// `Authorization: Bearer <CERTPORT_ADMIN_TOKEN>` (off when no token is configured). Never for
// API accounts: a resource's deployer may write files and run commands on this host.
//
//   GET    /admin/resources[?account=UIN]    list (never the secrets)
//   POST   /admin/resources                  add: {account, name, type, deployer, config, secrets?, region?, domains?, probe?, sni?, cert?}
//   PATCH  /admin/resources/:id             change settings: {name?, region?, domains?, probe? (null or "none": none), sni?, config? (merge patch), secrets?}
// Fields carry the CLI's flag names (account, cert; domains as a list or "a.com,b.com"); the
// earlier accountUin and certId are accepted too.
//   POST   /admin/resources/:id/test         dry run + TLS probe: {ok, lines}
//   DELETE /admin/resources/:id              remove
import type { FastifyRequest } from 'fastify';
import { DeployConfigError } from '../../deploy/types.js';
import { isServiceError } from '../../domain/errors.js';
import type { ResourceInput, ResourceService, ResourceUpdate } from '../../services/resources.js';
import { adminBody, adminJson as json, adminScope } from './scope.js';

/** The CLI's names (`account`, `cert`) as the fields they stand for; both spellings at once must agree. */
function cliNames(b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...b };
  for (const [cli, field] of [['account', 'accountUin'], ['cert', 'certId']] as const) {
    if (!Object.hasOwn(b, cli)) continue;
    if (Object.hasOwn(b, field) && b[field] !== b[cli]) throw new DeployConfigError(`${cli} and ${field} name the same thing and differ`);
    out[field] = b[cli];
    delete out[cli];
  }
  return out;
}

export function resourceRoutes(resources: ResourceService, token: string | null) {
  const status = (err: Error) => (err instanceof DeployConfigError || isServiceError(err) ? 400 : null);
  const body = (req: FastifyRequest): Record<string, unknown> => {
    const v = adminBody(req);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new DeployConfigError('the body must be a JSON object');
    return cliNames(v as Record<string, unknown>);
  };
  const domains = (v: unknown) => (Array.isArray(v) ? v.filter((d): d is string => typeof d === 'string')
    : typeof v === 'string' ? v.split(',').map((d) => d.trim()).filter(Boolean) : undefined);
  return adminScope(token, status, (admin) => {
    admin.get<{ Querystring: { account?: string } }>('/resources', async (req, reply) => json(reply, 200, await resources.listResources(req.query.account)));
    admin.post('/resources', async (req, reply) => {
      const b = body(req);
      const s = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
      for (const k of ['accountUin', 'name', 'type', 'deployer']) if (!s(k)) throw new DeployConfigError(`${k === 'accountUin' ? 'account' : k} is required`);
      const input: ResourceInput = {
        accountUin: s('accountUin')!, name: s('name')!, type: s('type')!, deployer: s('deployer')!, config: b.config ?? {}, secrets: b.secrets ?? {},
        domains: domains(b.domains) ?? [],
        ...(s('region') ? { region: s('region')! } : {}), ...(s('probe') ? { probe: s('probe')! } : {}),
        ...(s('sni') ? { sni: s('sni')! } : {}), ...(s('certId') ? { certId: s('certId')! } : {}),
      };
      return json(reply, 201, await resources.addResource(input));
    });
    admin.patch<{ Params: { id: string } }>('/resources/:id', async (req, reply) => {
      const b = body(req);
      const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
      const patch: ResourceUpdate = {
        ...(str('name') !== undefined ? { name: str('name')! } : {}), ...(str('region') !== undefined ? { region: str('region')! } : {}),
        ...(domains(b.domains) ? { domains: domains(b.domains)! } : {}),
        ...(b.probe === null || b.probe === 'none' ? { probe: null } : str('probe') !== undefined ? { probe: str('probe')! } : {}),
        ...(str('sni') !== undefined ? { sni: str('sni')! } : {}),
        ...(b.config !== undefined ? { config: b.config } : {}), ...(b.secrets !== undefined ? { secrets: b.secrets } : {}),
      };
      return json(reply, 200, await resources.updateResource(req.params.id, patch));
    });
    admin.post<{ Params: { id: string } }>('/resources/:id/test', async (req, reply) => json(reply, 200, await resources.testResource(req.params.id)));
    admin.delete<{ Params: { id: string } }>('/resources/:id', async (req, reply) => {
      if (!(await resources.removeResource(req.params.id))) return json(reply, 404, { error: `no resource ${req.params.id}` });
      return reply.code(204).send();
    });
  });
}

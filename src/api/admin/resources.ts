// The operators' HTTP endpoint for resources (for the console): the same operations as
// `certport resource add|list|test|remove`, beside the other /admin routes and behind the same
// `Authorization: Bearer <CERTPORT_ADMIN_TOKEN>` (off when no token is configured). Never for
// API accounts: a resource's deployer may write files and run commands on this host.
//
//   GET    /admin/resources[?account=UIN]    list (never the secrets)
//   POST   /admin/resources                  add: {accountUin, name, type, deployer, config, secrets?, region?, domains?, probe?, sni?, certId?}
//   PATCH  /admin/resources/:id             change settings: {name?, region?, domains?, probe? (null: none), sni?, config?, secrets?}
//   POST   /admin/resources/:id/test         dry run + TLS probe: {ok, lines}
//   DELETE /admin/resources/:id              remove
import type { FastifyRequest } from 'fastify';
import { DeployConfigError } from '../../deploy/types.js';
import { isServiceError } from '../../domain/errors.js';
import type { ResourceInput, ResourceService, ResourceUpdate } from '../../services/resources.js';
import { adminBody, adminJson as json, adminScope } from './scope.js';

export function resourceRoutes(resources: ResourceService, token: string | null) {
  const status = (err: Error) => (err instanceof DeployConfigError || isServiceError(err) ? 400 : null);
  const body = (req: FastifyRequest): Record<string, unknown> => {
    const v = adminBody(req);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new DeployConfigError('the body must be a JSON object');
    return v as Record<string, unknown>;
  };
  return adminScope(token, status, (admin) => {
    admin.get<{ Querystring: { account?: string } }>('/resources', async (req, reply) => json(reply, 200, await resources.listResources(req.query.account)));
    admin.post('/resources', async (req, reply) => {
      const b = body(req);
      const s = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
      for (const k of ['accountUin', 'name', 'type', 'deployer']) if (!s(k)) throw new DeployConfigError(`${k} is required`);
      const input: ResourceInput = {
        accountUin: s('accountUin')!, name: s('name')!, type: s('type')!, deployer: s('deployer')!, config: b.config ?? {}, secrets: b.secrets ?? {},
        domains: Array.isArray(b.domains) ? b.domains.filter((d): d is string => typeof d === 'string') : [],
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
        ...(Array.isArray(b.domains) ? { domains: b.domains.filter((d): d is string => typeof d === 'string') } : {}),
        ...(b.probe === null ? { probe: null } : str('probe') !== undefined ? { probe: str('probe')! } : {}),
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

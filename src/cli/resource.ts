// `certport resource add|list|test|remove`: the operator registers the account's servers and
// services that certificates are deployed to. Settings are JSON, inline or `@file`.
import { readFileSync } from 'node:fs';
import type { ResourceService, ResourceView } from '../services/resources.js';

export const RESOURCE_USAGE = `
  resource add --account UIN --name N --type clb|cdn|… --deployer local|ssh|webhook --config JSON|@FILE
               [--secrets JSON|@FILE] [--region R] [--domains a.com,b.com] [--probe HOST:PORT] [--sni NAME]
               [--cert CERT_ID] [--json]          register a resource (--cert: the certificate it serves today)
  resource update ID [--name N] [--region R] [--domains a.com,b.com] [--probe HOST:PORT|none] [--sni NAME]
               [--config JSON|@FILE] [--secrets JSON|@FILE] [--json]   change what is given, checked as on add
  resource list [--account UIN] [--json]          list resources (secrets are never shown)
  resource test ID                                dry run of the deployer and a TLS probe
  resource remove ID                              forget a resource`;

function jsonArg(v: string | true | undefined, name: string): unknown {
  if (v === undefined) return undefined;
  if (v === true) throw new Error(`--${name} needs a JSON value or @file`);
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`--${name} is not valid JSON: ${(e as Error).message}`);
  }
}

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function line(r: ResourceView): string {
  return [r.id, r.accountUin, r.type, r.region || '-', r.name, r.deployer, r.domains.join(',') || '-', r.probe?.address ?? '-',
    r.certId ?? '-', when(r.deployedAt)].join('\t');
}

export async function resourceCommand(d: ResourceService, sub: string | undefined, f: Record<string, string | true>, rest: string[], json: boolean): Promise<number> {
  const need = (k: string) => {
    const v = f[k];
    if (typeof v !== 'string') throw new Error(`--${k} is required`);
    return v;
  };
  const opt = (k: string) => (typeof f[k] === 'string' ? f[k] : undefined);
  if (sub === 'add') {
    const r = await d.addResource({
      accountUin: need('account'), name: need('name'), type: need('type'), deployer: need('deployer'),
      config: jsonArg(f.config, 'config') ?? {}, secrets: jsonArg(f.secrets, 'secrets') ?? {},
      domains: (opt('domains') ?? '').split(',').filter(Boolean),
      ...(opt('region') ? { region: opt('region')! } : {}), ...(opt('probe') ? { probe: opt('probe')! } : {}),
      ...(opt('sni') ? { sni: opt('sni')! } : {}), ...(opt('cert') ? { certId: opt('cert')! } : {}),
    });
    console.log(json ? JSON.stringify(r) : r.id);
    return 0;
  }
  if (sub === 'update') {
    const id = rest[0];
    if (!id) throw new Error('a resource id is required');
    const probe = opt('probe');
    const r = await d.updateResource(id, {
      ...(opt('name') !== undefined ? { name: opt('name')! } : {}), ...(opt('region') !== undefined ? { region: opt('region')! } : {}),
      ...(opt('domains') !== undefined ? { domains: opt('domains')!.split(',').filter(Boolean) } : {}),
      ...(probe !== undefined ? { probe: probe === 'none' ? null : probe } : {}), ...(opt('sni') !== undefined ? { sni: opt('sni')! } : {}),
      ...(f.config !== undefined ? { config: jsonArg(f.config, 'config') } : {}), ...(f.secrets !== undefined ? { secrets: jsonArg(f.secrets, 'secrets') } : {}),
    });
    console.log(json ? JSON.stringify(r) : line(r));
    return 0;
  }
  if (sub === 'list') {
    const list = await d.listResources(opt('account'));
    console.log(json ? JSON.stringify(list) : list.map(line).join('\n'));
    return 0;
  }
  if (sub === 'test') {
    const id = rest[0];
    if (!id) throw new Error('a resource id is required');
    const out = await d.testResource(id);
    console.log(json ? JSON.stringify(out) : out.lines.join('\n'));
    return out.ok ? 0 : 1;
  }
  if (sub === 'remove') {
    const id = rest[0];
    if (!id) throw new Error('a resource id is required');
    if (!(await d.removeResource(id))) throw new Error(`no resource ${id}`);
    if (!json) console.log(`${id} removed`);
    return 0;
  }
  console.error(`usage:${RESOURCE_USAGE}`);
  return 2;
}

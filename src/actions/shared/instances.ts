// Resources as the deployment actions show them: each type's instance shape (the SDK's
// *InstanceDetail models), the port a probe reaches, certificates' key algorithms, bound
// resources grouped by type and region.
import type { BoundResource, ResourceRecord } from '../../domain/deployment.js';
import type { ActionContext } from '../types.js';

/** What a resource looks like in the lists: its id, name, domains and the certificate on it. */
export interface Shown { id: string; name: string; region: string; domains: string[]; certId: string; algorithm: string; port: number; noMatch: string[] }

/** The instance-detail shape of each type (the SDK's *InstanceDetail models). */
export function instanceShape(type: string, r: Shown): Record<string, unknown> {
  const domain = r.domains[0] ?? r.name;
  switch (type) {
    case 'clb': return {
      LoadBalancerId: r.id, LoadBalancerName: r.name, Forward: 1,
      Listeners: [{
        ListenerId: r.id, ListenerName: r.name, SniSwitch: r.domains.length > 1 ? 1 : 0, Protocol: 'HTTPS',
        Certificate: { CertId: r.certId, DnsNames: r.domains, CertCaId: '', SSLMode: 'UNIDIRECTIONAL' }, Rules: [], NoMatchDomains: r.noMatch,
      }],
    };
    case 'cdn': return { Domain: domain, CertId: r.certId, Status: 'online', HttpsBillingSwitch: 'on' };
    case 'waf': return { Domain: domain, CertId: r.certId, Keepalive: 0 };
    case 'ddos': return { Domain: domain, InstanceId: r.id, Protocol: 'https', CertId: r.certId, VirtualPort: String(r.port || 443) };
    case 'live': return { Domain: domain, CertId: r.certId, Status: 1 };
    case 'vod': return { Domain: domain, CertId: r.certId };
    case 'teo': return { Host: domain, CertId: r.certId, ZoneId: r.id, Status: 'deployed', Algorithm: r.algorithm };
    case 'apigateway': return { ServiceId: r.id, ServiceName: r.name, Domain: domain, CertId: r.certId, Protocol: 'https' };
    case 'tke': return { ClusterId: r.id, ClusterName: r.name, NamespaceList: [], ClusterType: '', ClusterVersion: '' };
    case 'cos': return { Domain: domain, CertId: r.certId, Status: 'ENABLED', Bucket: r.name, Region: r.region };
    case 'lighthouse': return { InstanceId: r.id, InstanceName: r.name, IP: [], Domain: r.domains };
    case 'tse': return { GatewayId: r.id, GatewayName: r.name, CertificateList: [{ Id: r.id, Name: r.name, BindDomains: r.domains, CertSource: 'ssl', CertId: r.certId }] };
    case 'mqtt': return { InstanceId: r.id, InstanceName: r.name, InstanceStatus: 'RUNNING', NoMatchDomains: r.noMatch, ServerCertIdList: r.certId ? [r.certId] : [], CaCertIdList: [] };
    case 'tdmq': return { InstanceId: r.id, InstanceName: r.name, InstanceStatus: 'RUNNING', CertId: r.certId, CaCertId: '', NoMatchDomains: r.noMatch };
    case 'gaap': return { InstanceId: r.id, InstanceName: r.name, ListenerList: [{ ListenerStatus: 'RUNNING', ListenerId: r.id, ListenerName: r.name, NoMatchDomains: r.noMatch, CertIdList: r.certId ? [r.certId] : [], Protocol: 'HTTPS' }] };
    case 'scf': return { CertificateId: r.certId, Protocol: 'https', Domain: domain, Region: r.region };
    default: return { InstanceId: r.id, InstanceName: r.name };
  }
}

export function portOf(r: ResourceRecord): number {
  const m = /:(\d+)$/.exec(r.probe?.address ?? '');
  return m ? Number(m[1]) : 0;
}

export async function algorithmOf(ctx: ActionContext, certId: string | null, cache: Map<string, string>): Promise<string> {
  if (!certId) return '';
  if (!cache.has(certId)) {
    cache.set(certId, await ctx.services.certificates.get(ctx.caller, certId).then((c) => c.encryptAlgorithm, () => ''));
  }
  return cache.get(certId)!;
}

export function byTypeRegion(found: BoundResource[]): Map<string, Map<string, BoundResource[]>> {
  const out = new Map<string, Map<string, BoundResource[]>>();
  for (const r of found) {
    const regions = out.get(r.type) ?? new Map<string, BoundResource[]>();
    regions.set(r.region, [...(regions.get(r.region) ?? []), r]);
    out.set(r.type, regions);
  }
  return out;
}

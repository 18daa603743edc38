// Resources: the account's servers and services, each reached by a deployer, registered by
// operators (CLI and /admin/resources), and what each serves.
//
// A resource is "bound" to a certificate when the latest evidence says it serves it: what
// certport deployed there last (or the operator declared), or what the last TLS probe saw,
// whichever is newer.
import { randomBytes } from 'node:crypto';
import { ServiceError } from '../domain/errors.js';
import { probe, parseAddress, type ProbeResult } from '../deploy/probe.js';
import { kindOf, type DeployerRegistry } from '../deploy/registry.js';
import { DeployConfigError, type DeployContext, type Deployer } from '../deploy/types.js';
import type { Sealer } from '../secrets/sealer.js';
import type { ResourceRecord } from '../domain/deployment.js';
import type { ResourceStore } from '../domain/stores.js';
import type { CertificateRecord } from '../domain/certificate.js';
import { accountCaller, type Caller } from '../domain/caller.js';
import { mergePatch } from './merge-patch.js';
import type { Clock } from '../domain/clock.js';
import type { CertificateService } from './certificates.js';
import { aad } from '../secrets/aad.js';

/** Resource types: the spec's twelve and the ones the SDK adds. */
export const RESOURCE_TYPES = [
  'clb', 'cdn', 'waf', 'live', 'ddos', 'teo', 'apigateway', 'vod', 'tke', 'tcb', 'tse', 'cos',
  'mqtt', 'scf', 'tdmq', 'gaap', 'lighthouse',
] as const;

/** How long a probe's finding (and a bind-resource result, IsCache) is trusted by default: 30 min. */
export const DEFAULT_BIND_CACHE_MS = 30 * 60_000;

export interface ResourceOptions {
  probeTimeoutMs?: number;
  /** How long a probe's finding, and a bind-resource result (IsCache), is trusted; default 30 min. */
  bindCacheMs?: number;
}

export interface ResourceInput {
  accountUin: string;
  name: string;
  type: string;
  region?: string;
  domains: string[];
  /** `host:port` of a TLS endpoint to probe. */
  probe?: string;
  sni?: string;
  deployer: string;
  config: unknown;
  secrets?: unknown;
  /** The certificate the resource serves today (so UpdateCertificateInstance can find it). */
  certId?: string;
}

/** `resource update`: the settings to change (absent = unchanged; probe null = none). */
export interface ResourceUpdate {
  name?: string;
  region?: string;
  domains?: string[];
  probe?: string | null;
  sni?: string;
  /** A JSON merge patch (RFC 7396) on the stored config: null removes a key. */
  config?: unknown;
  /** The whole secrets object (they are never shown, so there is nothing to merge with). */
  secrets?: unknown;
}

/** A resource as operators see it: never the secrets. */
export interface ResourceView {
  id: string; accountUin: string; name: string; type: string; region: string; domains: string[];
  probe: { address: string; sni: string | null } | null; deployer: string; config: unknown; hasSecrets: boolean;
  certId: string | null; deployedAt: number | null; probeSha256: string | null; probeAt: number | null; probeError: string | null;
}

/** A resource's deployer, with whether it is handed the private key. */
export type ResourceDeployer = Deployer & { needsKey: boolean };

/** ResourceTypes as the API takes them: at least one, each known; lower-cased, once each. */
export function checkResourceTypes(types: string[]): string[] {
  if (types.length === 0) throw new ServiceError('InvalidParameterValue', 'ResourceTypes must name at least one resource type.');
  const out = [...new Set(types.map((t) => t.toLowerCase()))];
  const bad = out.filter((t) => !(RESOURCE_TYPES as readonly string[]).includes(t));
  if (bad.length) {
    throw new ServiceError('FailedOperation.CertificateHostResourceTypeInvalid',
      `Unknown resource type ${bad.map((b) => JSON.stringify(b)).join(', ')}; use ${RESOURCE_TYPES.join(', ')}.`);
  }
  return out;
}

/** Whether a certificate name (maybe `*.x`) covers a domain. */
export function nameCovers(pattern: string, domain: string): boolean {
  const p = pattern.toLowerCase();
  const d = domain.toLowerCase();
  if (p === d) return true;
  if (p.startsWith('*.')) {
    const i = d.indexOf('.');
    return i > 0 && d.slice(i + 1) === p.slice(2);
  }
  return false;
}

export function certificateCovers(c: Pick<CertificateRecord, 'sans' | 'domain'>, domain: string): boolean {
  const names = c.sans.length ? c.sans : [c.domain];
  return names.some((n) => nameCovers(n, domain));
}

/** Whether the resource is in the regions asked for its type (none asked: every region). */
export function inRegions(r: ResourceRecord, regions: Map<string, string[]>): boolean {
  const want = regions.get(r.type);
  return !want || want.length === 0 || want.includes(r.region);
}

/** The fingerprint the resource serves by the newest evidence (deployment or probe). */
export function servingSha256(r: ResourceRecord): string | null {
  if (r.probeAt !== null && r.probeSha256 && (r.deployedAt === null || r.probeAt >= r.deployedAt)) return r.probeSha256;
  return r.certSha256;
}

/** What a deployer is told about one delivery. */
export function deployContext(r: ResourceRecord, deliveryId: string): DeployContext {
  return { deliveryId, resource: { id: r.id, name: r.name, type: r.type, region: r.region, domains: r.domains } };
}

function newResourceId(type: string): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of randomBytes(16)) if (b < 252 && s.length < 10) s += alphabet[b % 36];
  return `${type}-${s}`;
}

const cleanDomains = (domains: string[]) => [...new Set(domains.map((d) => d.trim().toLowerCase()).filter(Boolean))];

export class ResourceService {
  readonly #o: Required<ResourceOptions>;

  constructor(
    private readonly store: ResourceStore,
    private readonly certificates: Pick<CertificateService, 'get'>,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly registry: DeployerRegistry,
    opts: ResourceOptions = {},
  ) {
    this.#o = { probeTimeoutMs: opts.probeTimeoutMs ?? 5000, bindCacheMs: opts.bindCacheMs ?? DEFAULT_BIND_CACHE_MS };
  }

  // ---- Operators (CLI and admin HTTP) ----

  #secretAad = (r: { accountUin: string; id: string }) => aad.deployerSecret(r.accountUin, r.id);

  async addResource(input: ResourceInput): Promise<ResourceView> {
    const type = input.type.toLowerCase();
    if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw new DeployConfigError(`unknown resource type ${JSON.stringify(input.type)} (one of ${RESOURCE_TYPES.join(', ')}).`);
    }
    if (!input.name.trim()) throw new DeployConfigError('a resource needs a name.');
    const domains = cleanDomains(input.domains);
    const kind = kindOf(this.registry, input.deployer);
    const { config, secrets } = kind.parse(input.config, input.secrets ?? {});
    if (input.probe !== undefined && !parseAddress(input.probe)) throw new DeployConfigError(`the probe address ${JSON.stringify(input.probe)} is not host:port.`);
    if (!(await this.store.accountExists(input.accountUin))) throw new DeployConfigError(`no account ${input.accountUin}.`);
    let cert: CertificateRecord | null = null;
    if (input.certId) cert = await this.certificates.get(accountCaller(input.accountUin), input.certId);
    const now = this.clock();
    const id = newResourceId(type);
    const hasSecrets = Object.keys(secrets as object).length > 0;
    const r: ResourceRecord = {
      id, accountUin: input.accountUin, name: input.name.trim(), type, region: input.region ?? '', domains,
      probe: input.probe ? { address: input.probe, sni: input.sni ?? null } : null,
      deployerType: kind.type, deployerConfig: config,
      deployerSecretSealed: hasSecrets ? this.sealer.seal(JSON.stringify(secrets), this.#secretAad({ accountUin: input.accountUin, id })) : null,
      certId: cert?.id ?? null, certSha256: cert?.fingerprintSha256 ?? null, deployedAt: cert ? now : null,
      probeSha256: null, probeAt: null, probeError: null, createdAt: now, updatedAt: now,
    };
    await this.store.insertResource(r);
    return view(r);
  }

  /**
   * Changes a resource's settings: what is given replaces what is stored, checked as on add
   * (the config against the stored secrets unless new ones come too). The deployer kind and the
   * account stay: a resource of another kind is a new resource.
   */
  async updateResource(id: string, patch: ResourceUpdate): Promise<ResourceView> {
    const r = await this.store.getResource(id);
    if (!r) throw new DeployConfigError(`no resource ${id}.`);
    const kind = kindOf(this.registry, r.deployerType);
    let merged: unknown = r.deployerConfig;
    try {
      merged = patch.config === undefined ? r.deployerConfig : mergePatch(r.deployerConfig, patch.config);
    } catch (e) {
      throw new DeployConfigError(`config: ${(e as Error).message}.`);
    }
    const { config, secrets } = kind.parse(merged, patch.secrets ?? this.#secrets(r));
    if (patch.name !== undefined && !patch.name.trim()) throw new DeployConfigError('a resource needs a name.');
    if (patch.probe !== undefined && patch.probe !== null && !parseAddress(patch.probe)) {
      throw new DeployConfigError(`the probe address ${JSON.stringify(patch.probe)} is not host:port.`);
    }
    const hasSecrets = Object.keys(secrets as object).length > 0;
    const probeAddress = patch.probe === undefined ? r.probe?.address ?? null : patch.probe;
    const next: ResourceRecord = {
      ...r,
      name: patch.name?.trim() ?? r.name,
      region: patch.region ?? r.region,
      domains: patch.domains ? cleanDomains(patch.domains) : r.domains,
      probe: probeAddress ? { address: probeAddress, sni: patch.sni ?? r.probe?.sni ?? null } : null,
      deployerConfig: config,
      deployerSecretSealed: hasSecrets ? this.sealer.seal(JSON.stringify(secrets), this.#secretAad(r)) : null,
      updatedAt: this.clock(),
    };
    await this.store.updateResourceSettings(next);
    return view(next);
  }

  async listResources(accountUin?: string): Promise<ResourceView[]> {
    return (await this.store.listResources(accountUin === undefined ? {} : { accountUin })).map(view);
  }

  async getResource(id: string): Promise<ResourceView | null> {
    const r = await this.store.getResource(id);
    return r ? view(r) : null;
  }

  async removeResource(id: string): Promise<boolean> {
    return this.store.deleteResource(id);
  }

  /** A dry run of the deployer and a TLS probe; changes nothing but the probe's finding. */
  async testResource(id: string): Promise<{ lines: string[]; ok: boolean }> {
    const r = await this.store.getResource(id);
    if (!r) throw new DeployConfigError(`no resource ${id}.`);
    const lines = await this.deployerOf(r).test(deployContext(r, `test-${randomBytes(6).toString('hex')}`));
    if (r.probe) {
      const p = await this.probe(r);
      lines.push(p.ok ? `ok: ${r.probe.address} presents ${p.subject || '(no CN)'} sha256 ${p.sha256}${r.certSha256 === p.sha256 ? ` (certificate ${r.certId})` : ''}`
        : `FAIL: probe ${r.probe.address}: ${p.error}`);
    }
    return { lines, ok: lines.every((l) => !l.startsWith('FAIL')) };
  }

  // ---- For the deployment work (records, bind sync) ----

  #secrets(r: ResourceRecord): unknown {
    return r.deployerSecretSealed ? JSON.parse(this.sealer.openString(r.deployerSecretSealed, this.#secretAad(r))) : {};
  }

  /** The resource's deployer, built from its settings and unsealed secrets. */
  deployerOf(r: ResourceRecord): ResourceDeployer {
    const kind = kindOf(this.registry, r.deployerType);
    const { config, secrets } = kind.parse(r.deployerConfig, this.#secrets(r));
    return Object.assign(kind.create(config, secrets), { needsKey: kind.needsPrivateKey(config) });
  }

  /** Probes the resource's TLS endpoint and keeps the finding. */
  async probe(r: ResourceRecord): Promise<ProbeResult> {
    const a = parseAddress(r.probe!.address)!;
    const res = await probe({ host: a.host, port: a.port, ...(r.probe!.sni ? { sni: r.probe!.sni } : r.domains[0] ? { sni: r.domains[0] } : {}) }, this.#o.probeTimeoutMs);
    await this.store.setProbe(r.id, res.ok ? res.sha256 : null, res.ok ? null : res.error, this.clock());
    return res;
  }

  /** Probes those of `resources` that have a probe address, 16 at a time; by resource id. */
  async probeAll(resources: ResourceRecord[]): Promise<Map<string, ProbeResult>> {
    const withProbe = resources.filter((r) => r.probe);
    const out = new Map<string, ProbeResult>();
    let i = 0;
    await Promise.all(Array.from({ length: Math.min(16, withProbe.length) }, async () => {
      while (i < withProbe.length) {
        const r = withProbe[i++]!;
        out.set(r.id, await this.probe(r));
      }
    }));
    return out;
  }

  /**
   * Resources of these types that certport knows nothing about yet (never deployed to, never
   * probed, or probed over bindCacheMs ago) but can probe: probed now, so that binding sees them.
   */
  async probeUnknown(accountUin: string, types: string[], regions: Map<string, string[]>): Promise<void> {
    const now = this.clock();
    const unknown = (await this.store.listResources({ accountUin, types }))
      .filter((r) => inRegions(r, regions) && r.certSha256 === null && (r.probeAt === null || now - r.probeAt > this.#o.bindCacheMs));
    await this.probeAll(unknown);
  }

  /** The account's resources serving `c` now. */
  async boundTo(c: CertificateRecord): Promise<ResourceRecord[]> {
    const candidates = await this.store.resourcesServing(c.accountUin, [c.id], [c.fingerprintSha256]);
    return candidates.filter((r) => servingSha256(r) === c.fingerprintSha256);
  }

  /**
   * For BoundResource: the resource types each certificate is on now (by what certport
   * deployed and the latest probes), in one query for a page of certificates.
   */
  async boundTypes(certs: Pick<CertificateRecord, 'id' | 'accountUin' | 'fingerprintSha256'>[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (certs.length === 0) return out;
    const bySha = new Map<string, string[]>();
    for (const c of certs) bySha.set(c.fingerprintSha256, [...(bySha.get(c.fingerprintSha256) ?? []), c.id]);
    const resources = await this.store.resourcesServing(certs[0]!.accountUin, certs.map((c) => c.id), [...bySha.keys()]);
    for (const r of resources) {
      const sha = servingSha256(r);
      for (const id of (sha && bySha.get(sha)) || []) {
        const types = out.get(id) ?? [];
        if (!types.includes(r.type)) types.push(r.type);
        out.set(id, types);
      }
    }
    return out;
  }

  /** BoundResource of one certificate from the resources read with its page (ListedSides.resources). */
  static typesServing(c: Pick<CertificateRecord, 'fingerprintSha256'>, resources: ResourceRecord[]): string[] {
    const types: string[] = [];
    for (const r of resources) if (servingSha256(r) === c.fingerprintSha256 && !types.includes(r.type)) types.push(r.type);
    return types;
  }

  /** Candidates for DescribeHost*InstanceList: resources of the type that could take the certificate. */
  async instancesFor(caller: Caller, certId: string, type: string): Promise<{ resource: ResourceRecord; covers: boolean; serving: boolean }[]> {
    const c = await this.certificates.get(caller, certId);
    const resources = await this.store.listResources({ accountUin: caller.accountUin, types: [type] });
    return resources.map((r) => ({
      resource: r,
      covers: r.domains.length === 0 || r.domains.some((d) => certificateCovers(c, d)),
      serving: servingSha256(r) === c.fingerprintSha256,
    }));
  }

  /** The account's resources, oldest first: of these types, or all. */
  listResourcesOf(accountUin: string, types?: string[]): Promise<ResourceRecord[]> {
    return this.store.listResources(types ? { accountUin, types } : { accountUin });
  }

  resourcesById(accountUin: string, ids: string[]): Promise<ResourceRecord[]> {
    return this.store.getResources(accountUin, [...new Set(ids)]);
  }

  resourceById(id: string): Promise<ResourceRecord | null> {
    return this.store.getResource(id);
  }
}

function view(r: ResourceRecord): ResourceView {
  return {
    id: r.id, accountUin: r.accountUin, name: r.name, type: r.type, region: r.region, domains: r.domains, probe: r.probe,
    deployer: r.deployerType, config: r.deployerConfig, hasSecrets: r.deployerSecretSealed !== null,
    certId: r.certId, deployedAt: r.deployedAt, probeSha256: r.probeSha256, probeAt: r.probeAt, probeError: r.probeError,
  };
}

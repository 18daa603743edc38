// Deployment: resources (the account's servers and services, each reached by a deployer),
// deployment records with one detail per resource, and the durable jobs that work them.
//
// A resource is "bound" to a certificate when the latest evidence says it serves it: what
// certport deployed there last (or the operator declared), or what the last TLS probe saw,
// whichever is newer. A record's job deploys its pending details a few at a time, retries
// transient failures with backoff, and settles the record when no detail is left to do. The
// job runs under the runner's lease (60 s), so one run starts new details for at most
// RUN_BUDGET_MS and then hands over to the next run.
import { randomBytes } from 'node:crypto';
import { ServiceError, isForeseen } from '../domain/errors.js';
import { parseCertificateChain } from '../pki/certificate.js';
import { probe, parseAddress, type ProbeResult } from '../deploy/probe.js';
import { kindOf, type DeployerRegistry } from '../deploy/registry.js';
import { DeployConfigError, DeployError, type CertificateMaterial, type DeployContext } from '../deploy/types.js';
import type { Sealer } from '../secrets/sealer.js';
import type { BindTask, BoundResource, DeployDetail, DeployRecord, NewDetail, RecordFamily, ResourceRecord } from '../domain/deployment.js';
import type { DeployStore } from '../domain/stores.js';
import type { DeleteTask } from '../domain/deployment.js';
import type { CertificateRecord, OperationLogRecord } from '../domain/certificate.js';
import { effectiveStatus, type CertificateService, type UploadInput } from './certificates.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { DETAIL, RECORD } from '../domain/deployment.js';
import { aad } from '../secrets/aad.js';

export const DEPLOY_RECORD = 'deploy-record';
export const BIND_SYNC = 'deploy-bind-sync';
export const CERT_DELETE = 'cert-delete';

/** Resource types: the spec's twelve and the ones the SDK adds. */
export const RESOURCE_TYPES = [
  'clb', 'cdn', 'waf', 'live', 'ddos', 'teo', 'apigateway', 'vod', 'tke', 'tcb', 'tse', 'cos',
  'mqtt', 'scf', 'tdmq', 'gaap', 'lighthouse',
] as const;


const FAILED = [DETAIL.failed, DETAIL.rollbackFailed];
const SUCCEEDED = [DETAIL.ok, DETAIL.rolledBack];

export interface DeploymentOptions {
  /** Details of one record deployed at once; default 8. */
  concurrency?: number;
  /** Tries for a detail whose failures are transient; default 5. */
  maxAttempts?: number;
  /** Pause before try n+1 after a transient failure; default 5 s doubling, at most 5 min. */
  retryDelay?: (attempt: number) => number;
  /** A run stops starting new details after this long (the runner's lease is 60 s); default 20 s. */
  runBudgetMs?: number;
  probeTimeoutMs?: number;
  /** How long a bind-resource result is served from cache (IsCache); default 30 min. */
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
  config?: unknown;
  secrets?: unknown;
}

/** A resource as operators see it: never the secrets. */
export interface ResourceView {
  id: string; accountUin: string; name: string; type: string; region: string; domains: string[];
  probe: { address: string; sni: string | null } | null; deployer: string; config: unknown; hasSecrets: boolean;
  certId: string | null; deployedAt: number | null; probeSha256: string | null; probeAt: number | null; probeError: string | null;
}

export interface UpdateInput {
  oldCertId: string;
  certId?: string;
  upload?: UploadInput;
  types: string[];
  /** Per type, the regions to limit it to (ResourceTypesRegions); absent = every region. */
  regions: Map<string, string[]>;
}

export interface SyncProgress { type: string; regions: { region: string; total: number }[] }
export interface UpdateOutcome { recordId: number; created: boolean; progress: SyncProgress[] }

const sysCaller = (accountUin: string): Caller => ({ accountUin, userUin: accountUin });

function newResourceId(type: string): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of randomBytes(16)) if (b < 252 && s.length < 10) s += alphabet[b % 36];
  return `${type}-${s}`;
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

export class DeploymentService {
  #o: Required<DeploymentOptions>;

  constructor(
    private readonly store: DeployStore,
    private readonly certificates: CertificateService,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly registry: DeployerRegistry,
    private readonly kick: () => void = () => {},
    opts: DeploymentOptions = {},
  ) {
    this.#o = {
      concurrency: opts.concurrency ?? 8,
      maxAttempts: opts.maxAttempts ?? 5,
      retryDelay: opts.retryDelay ?? ((n) => Math.min(300_000, 5000 * 2 ** Math.max(0, n - 1))),
      runBudgetMs: opts.runBudgetMs ?? 20_000,
      probeTimeoutMs: opts.probeTimeoutMs ?? 5000,
      bindCacheMs: opts.bindCacheMs ?? 30 * 60_000,
    };
  }

  /** Changes the tuning at run time (tests shorten the retry delays). */
  configure(opts: DeploymentOptions): void {
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) (this.#o as Record<string, unknown>)[k] = v;
  }

  // ---- Resources (operators: CLI and admin HTTP) ----

  #secretAad = (r: { accountUin: string; id: string }) => aad.deployerSecret(r.accountUin, r.id);

  async addResource(input: ResourceInput): Promise<ResourceView> {
    const type = input.type.toLowerCase();
    if (!(RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw new DeployConfigError(`unknown resource type ${JSON.stringify(input.type)} (one of ${RESOURCE_TYPES.join(', ')}).`);
    }
    if (!input.name.trim()) throw new DeployConfigError('a resource needs a name.');
    const domains = [...new Set(input.domains.map((d) => d.trim().toLowerCase()).filter(Boolean))];
    const kind = kindOf(this.registry, input.deployer);
    const { config, secrets } = kind.parse(input.config, input.secrets ?? {});
    if (input.probe !== undefined && !parseAddress(input.probe)) throw new DeployConfigError(`the probe address ${JSON.stringify(input.probe)} is not host:port.`);
    if (!(await this.store.accountExists(input.accountUin))) throw new DeployConfigError(`no account ${input.accountUin}.`);
    let cert: CertificateRecord | null = null;
    if (input.certId) cert = await this.certificates.get(sysCaller(input.accountUin), input.certId);
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
    const oldSecrets = r.deployerSecretSealed ? JSON.parse(this.sealer.openString(r.deployerSecretSealed, this.#secretAad(r))) : {};
    const { config, secrets } = kind.parse(patch.config ?? r.deployerConfig, patch.secrets ?? oldSecrets);
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
      domains: patch.domains ? [...new Set(patch.domains.map((d) => d.trim().toLowerCase()).filter(Boolean))] : r.domains,
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
    const lines = await this.#deployer(r).test(this.#ctx(r, `test-${randomBytes(6).toString('hex')}`));
    if (r.probe) {
      const p = await this.#probe(r);
      lines.push(p.ok ? `ok: ${r.probe.address} presents ${p.subject || '(no CN)'} sha256 ${p.sha256}${r.certSha256 === p.sha256 ? ` (certificate ${r.certId})` : ''}`
        : `FAIL: probe ${r.probe.address}: ${p.error}`);
    }
    return { lines, ok: lines.every((l) => !l.startsWith('FAIL')) };
  }

  #deployer(r: ResourceRecord) {
    const kind = kindOf(this.registry, r.deployerType);
    const secrets = r.deployerSecretSealed ? JSON.parse(this.sealer.openString(r.deployerSecretSealed, this.#secretAad(r))) : {};
    const { config, secrets: s } = kind.parse(r.deployerConfig, secrets);
    return Object.assign(kind.create(config, s), { needsKey: kind.needsPrivateKey(config) });
  }

  #ctx(r: ResourceRecord, deliveryId: string): DeployContext {
    return { deliveryId, resource: { id: r.id, name: r.name, type: r.type, region: r.region, domains: r.domains } };
  }

  async #probe(r: ResourceRecord): Promise<ProbeResult> {
    const a = parseAddress(r.probe!.address)!;
    const res = await probe({ host: a.host, port: a.port, ...(r.probe!.sni ? { sni: r.probe!.sni } : r.domains[0] ? { sni: r.domains[0] } : {}) }, this.#o.probeTimeoutMs);
    await this.store.setProbe(r.id, res.ok ? res.sha256 : null, res.ok ? null : res.error, this.clock());
    return res;
  }

  /**
   * Resources of these types that certport knows nothing about yet (never deployed to, never
   * probed, or probed over bindCacheMs ago) but can probe: probed now, so that binding sees them.
   */
  async #probeUnknown(accountUin: string, types: string[], regions: Map<string, string[]>): Promise<void> {
    const now = this.clock();
    const unknown = (await this.store.listResources({ accountUin, types }))
      .filter((r) => r.probe && inRegions(r, regions) && r.certSha256 === null && (r.probeAt === null || now - r.probeAt > this.#o.bindCacheMs));
    let i = 0;
    await Promise.all(Array.from({ length: Math.min(16, unknown.length) }, async () => {
      while (i < unknown.length) await this.#probe(unknown[i++]!);
    }));
  }

  /** The fingerprint the resource serves by the newest evidence (deployment or probe). */
  static serving(r: ResourceRecord): string | null {
    if (r.probeAt !== null && r.probeSha256 && (r.deployedAt === null || r.probeAt >= r.deployedAt)) return r.probeSha256;
    return r.certSha256;
  }

  /** The account's resources serving `c` now. */
  async boundTo(c: CertificateRecord): Promise<ResourceRecord[]> {
    const candidates = await this.store.resourcesServing(c.accountUin, [c.id], [c.fingerprintSha256]);
    return candidates.filter((r) => DeploymentService.serving(r) === c.fingerprintSha256);
  }

  // ---- Certificate material ----

  async material(accountUin: string, certId: string, withKey: boolean): Promise<CertificateMaterial> {
    const c = await this.certificates.get(sysCaller(accountUin), certId);
    if (c.certificateType !== 'SVR' || !c.certPem) throw new DeployError(`certificate ${certId} is not an issued server certificate`);
    const { leaf, chain } = parseCertificateChain(c.certPem);
    const selfSignedTop = chain.find((x) => x.selfSigned);
    const keyPem = withKey ? this.certificates.privateKeyPem(c) : null;
    if (withKey && !keyPem) throw new DeployError(`certificate ${certId} has no private key in certport`);
    return {
      certId: c.id, domain: c.domain || leaf.subjectCn || c.id, leafPem: leaf.pem,
      chainPems: chain.filter((x) => !x.selfSigned).map((x) => x.pem),
      rootPem: this.certificates.issuerRoot(c) ?? selfSignedTop?.pem ?? null,
      keyPem, sha256: leaf.sha256, notAfter: leaf.notAfter,
    };
  }

  #deployable(c: CertificateRecord): boolean {
    return c.certificateType === 'SVR' && c.privateKeySealed !== null && effectiveStatus(c, this.clock()) === 1;
  }

  // ---- UpdateCertificateInstance (and the upload variant) ----

  checkTypes(types: string[]): string[] {
    if (types.length === 0) throw new ServiceError('InvalidParameterValue', 'ResourceTypes must name at least one resource type.');
    const out = [...new Set(types.map((t) => t.toLowerCase()))];
    const bad = out.filter((t) => !(RESOURCE_TYPES as readonly string[]).includes(t));
    if (bad.length) {
      throw new ServiceError('FailedOperation.CertificateHostResourceTypeInvalid',
        `Unknown resource type ${bad.map((b) => JSON.stringify(b)).join(', ')}; use ${RESOURCE_TYPES.join(', ')}.`);
    }
    return out;
  }

  async updateInstance(caller: Caller, input: UpdateInput, family: RecordFamily = 'update'): Promise<UpdateOutcome> {
    const types = this.checkTypes(input.types);
    const old = await this.certificates.get(caller, input.oldCertId);
    const active = await this.store.activeRecord(caller.accountUin, family, { oldCertId: old.id });
    if (active) return { recordId: active.id, created: false, progress: await this.#progress(active) };
    let next: CertificateRecord;
    if (input.certId) {
      next = await this.certificates.get(caller, input.certId);
    } else if (input.upload) {
      const up = await this.certificates.upload(caller, input.upload);
      if (input.upload.repeatable === false && up.repeatCertId) {
        throw new ServiceError('FailedOperation.CertificateExists', `The certificate was uploaded already as ${up.repeatCertId}; Repeatable is false.`);
      }
      next = await this.certificates.get(caller, up.certificateId);
    } else {
      throw new ServiceError('InvalidParameter.WithDetailReason', 'Give CertificateId, or both CertificatePublicKey and CertificatePrivateKey.');
    }
    if (next.id === old.id) throw new ServiceError('InvalidParameter.WithDetailReason', 'CertificateId and OldCertificateId name the same certificate.');
    if (!this.#deployable(next)) {
      throw new ServiceError('FailedOperation.CertificateNotAvailable',
        `The certificate ${next.id} cannot be deployed: only issued, unexpired server certificates with their private key can.`);
    }
    await this.#probeUnknown(caller.accountUin, types, input.regions);
    const bound = (await this.boundTo(old)).filter((r) => types.includes(r.type) && inRegions(r, input.regions));
    const now = this.clock();
    const details = bound.map((r) => this.#detail(r, next.id, old.id, now));
    const rec: Omit<DeployRecord, 'id'> = {
      accountUin: caller.accountUin, userUin: caller.userUin, family, kind: 'update', certId: next.id, oldCertId: old.id,
      resourceTypes: types, regions: [...new Set([...input.regions.values()].flat())],
      status: details.length ? RECORD.pending : RECORD.ok, rollbackOf: null, createdAt: now, updatedAt: now,
    };
    const log = userLog(caller, 'deployUpdate', next.id, now,
      `updates the resources of certificate [id: ${old.id}] to certificate [id: ${next.id}]: ${details.length} resource(s) of ${types.join(', ')} (record #RECORD#)`);
    const id = await this.store.createRecord(rec, details, [log], details.length ? (rid) => this.#job(rid, now) : null);
    if (details.length) this.kick();
    return { recordId: id, created: true, progress: progressOf(types, bound, input.regions) };
  }

  #detail(r: ResourceRecord, certId: string, oldCertId: string | null, now: number): NewDetail {
    return {
      accountUin: r.accountUin, resourceId: r.id, resourceType: r.type, region: r.region, instanceName: r.name, domains: r.domains,
      certId, oldCertId, status: DETAIL.pending, errorMsg: null, attempts: 0, nextAt: now, startedAt: null, finishedAt: null,
      createdAt: now, updatedAt: now,
    };
  }

  #job = (recordId: number, now: number) => ({ kind: DEPLOY_RECORD, subject: String(recordId), runAt: now });

  async #progress(rec: DeployRecord): Promise<SyncProgress[]> {
    const details = await this.store.listDetails(rec.id);
    return rec.resourceTypes.map((type) => {
      const regions = new Map<string, number>();
      for (const d of details.filter((x) => x.resourceType === type)) regions.set(d.region, (regions.get(d.region) ?? 0) + 1);
      return { type, regions: [...regions].map(([region, total]) => ({ region, total })) };
    });
  }

  // ---- DeployCertificateInstance: one certificate to named resources ----

  /**
   * Each InstanceIdList entry (`id|…`, `domain|on`, `region|bucket|domain`…) names the
   * resources of the type whose id, or else one of whose domains, is one of its segments.
   */
  async deployInstance(caller: Caller, certId: string, type: string, instanceIds: string[]): Promise<{ recordId: number; created: boolean }> {
    const [t] = this.checkTypes([type]);
    const c = await this.certificates.get(caller, certId);
    if (!this.#deployable(c)) {
      throw new ServiceError('FailedOperation.CertificateNotAvailable',
        `The certificate ${c.id} cannot be deployed: only issued, unexpired server certificates with their private key can.`);
    }
    const entries = [...new Set(instanceIds.map((i) => i.trim()).filter(Boolean))];
    if (entries.length === 0) throw new ServiceError('FailedOperation.CertificateDeployInstanceEmpty', 'InstanceIdList names no instance.');
    const active = await this.store.activeRecord(caller.accountUin, 'deploy', { certId: c.id });
    if (active) return { recordId: active.id, created: false };
    const all = await this.store.listResources({ accountUin: caller.accountUin, types: [t!] });
    const chosen = new Map<string, ResourceRecord>();
    const missing: string[] = [];
    for (const entry of entries) {
      const segs = entry.split('|').map((s) => s.trim().toLowerCase()).filter(Boolean);
      let hit = all.filter((r) => segs.includes(r.id));
      if (hit.length === 0) hit = all.filter((r) => r.domains.some((d) => segs.includes(d)));
      if (hit.length === 0) missing.push(entry);
      for (const r of hit) chosen.set(r.id, r);
    }
    if (missing.length) {
      throw new ServiceError('FailedOperation.CertificateNotDeployInstance',
        `No ${t} resource ${missing.map((m) => JSON.stringify(m)).join(', ')} in this account.`);
    }
    const found = [...chosen.values()];
    const ids = found.map((r) => r.id);
    const now = this.clock();
    const details = found.map((r) => this.#detail(r, c.id, r.certId, now));
    const rec: Omit<DeployRecord, 'id'> = {
      accountUin: caller.accountUin, userUin: caller.userUin, family: 'deploy', kind: 'update', certId: c.id, oldCertId: null,
      resourceTypes: [t!], regions: [...new Set(found.map((r) => r.region).filter(Boolean))], status: RECORD.pending,
      rollbackOf: null, createdAt: now, updatedAt: now,
    };
    const log = userLog(caller, 'deploy', c.id, now, `deploys certificate [id: ${c.id}] to ${t} ${ids.join(', ')} (record #RECORD#)`);
    const id = await this.store.createRecord(rec, details, [log], (rid) => this.#job(rid, now));
    this.kick();
    return { recordId: id, created: true };
  }

  // ---- Records ----

  async record(caller: Caller, id: number, family: RecordFamily): Promise<DeployRecord> {
    const r = Number.isSafeInteger(id) && id > 0 ? await this.store.getRecord(id, caller.accountUin) : null;
    if (!r || r.family !== family) throw new ServiceError('FailedOperation.CertificateDeployNotExist', `The deployment record ${id} does not exist.`);
    return r;
  }

  /** The rollback records made from a record (UploadUpdateCertificateRecordRollback lists them under it). */
  async rollbacksOf(caller: Caller, id: number, family: RecordFamily): Promise<DeployRecord[]> {
    const rec = await this.record(caller, id, family);
    return this.store.rollbacksOf(rec.id);
  }

  listRecords(caller: Caller, family: RecordFamily, q: { certId?: string; oldCertId?: string; resourceType?: string; kind?: 'update' | 'rollback'; offset: number; limit: number }) {
    return this.store.listRecords({ accountUin: caller.accountUin, family, ...q });
  }

  async recordDetails(caller: Caller, id: number, family: RecordFamily, page?: { offset: number; limit: number }) {
    const rec = await this.record(caller, id, family);
    const counts = await this.store.countDetails(rec.id);
    const details = await this.store.listDetails(rec.id, page ?? {});
    const sum = (statuses: readonly number[]) => statuses.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    return {
      record: rec, details,
      total: [...counts.values()].reduce((a, b) => a + b, 0),
      succeeded: sum(SUCCEEDED), failed: sum(FAILED), running: sum([DETAIL.running]), pending: sum([DETAIL.pending]),
    };
  }

  /** Re-runs the failed details of a record, or one detail. */
  async retry(caller: Caller, family: RecordFamily, recordId: number | undefined, detailId: number | undefined): Promise<void> {
    if (recordId === undefined && detailId === undefined) {
      throw new ServiceError('FailedOperation.InvalidParam', 'Give DeployRecordId or DeployRecordDetailId.');
    }
    let rid = recordId;
    if (detailId !== undefined) {
      const d = await this.store.getDetail(detailId, caller.accountUin);
      if (!d) throw new ServiceError('FailedOperation.CertificateDeployNotExist', `The deployment record detail ${detailId} does not exist.`);
      if (rid !== undefined && rid !== d.recordId) throw new ServiceError('FailedOperation.InvalidParam', `Detail ${detailId} belongs to record ${d.recordId}, not ${rid}.`);
      rid = d.recordId;
    }
    const rec = await this.record(caller, rid!, family);
    if (rec.status === RECORD.pending || rec.status === RECORD.running) {
      throw new ServiceError('FailedOperation.CertificateDeployHasPendingRecord', `The record ${rec.id} is still running; retry once it is done.`);
    }
    const now = this.clock();
    const log = userLog(caller, 'deployRetry', rec.certId, now, `retries the failed deployments of record ${rec.id}${detailId !== undefined ? ` (detail ${detailId})` : ''}`);
    let n: number;
    try {
      n = await this.store.resetFailed(rec.id, detailId ?? null, FAILED, now, this.#job(rec.id, now), log);
    } catch {
      throw new ServiceError('FailedOperation.CertificateDeployHasPendingRecord', `The record ${rec.id} is still running; retry once it is done.`);
    }
    if (n === 0) throw new ServiceError('FailedOperation.CertificateDeployRetryStatusInvalid', `The record ${rec.id} has no failed deployment to retry.`);
    this.kick();
  }

  /** Deploys the previous certificate again to every resource the record touched, as a new record. */
  async rollback(caller: Caller, family: RecordFamily, recordId: number): Promise<number> {
    const rec = await this.record(caller, recordId, family);
    if (rec.status === RECORD.pending || rec.status === RECORD.running) {
      throw new ServiceError('FailedOperation.CertificateDeployDetailRollbackStatusInvalid', `The record ${rec.id} is still running; roll it back once it is done.`);
    }
    const touched = await this.store.listDetails(rec.id, { statuses: [...SUCCEEDED, ...FAILED] });
    if (!touched.some((d) => (SUCCEEDED as readonly number[]).includes(d.status))) {
      throw new ServiceError('FailedOperation.CertificateDeployRollbackStatusInvalid', `The record ${rec.id} deployed nothing that could be rolled back.`);
    }
    const now = this.clock();
    const resources = new Map((await this.store.getResources(caller.accountUin, touched.map((d) => d.resourceId))).map((r) => [r.id, r]));
    const details: NewDetail[] = [];
    for (const d of touched) {
      const r = resources.get(d.resourceId);
      const base: NewDetail = r ? this.#detail(r, d.oldCertId ?? '', d.certId, now)
        : { ...d, certId: d.oldCertId ?? '', oldCertId: d.certId, attempts: 0, nextAt: now, startedAt: null, finishedAt: null, createdAt: now, updatedAt: now, errorMsg: null, status: DETAIL.pending };
      if (!r) details.push({ ...base, status: DETAIL.rollbackFailed, errorMsg: 'the resource was removed', finishedAt: now });
      else if (!d.oldCertId) details.push({ ...base, status: DETAIL.nothing, errorMsg: 'no previous certificate is known for this resource', finishedAt: now });
      else details.push(base);
    }
    const work = details.filter((d) => d.status === DETAIL.pending).length;
    const anyFailed = details.some((d) => d.status === DETAIL.rollbackFailed);
    const newRec: Omit<DeployRecord, 'id'> = {
      accountUin: caller.accountUin, userUin: caller.userUin, family, kind: 'rollback', certId: rec.oldCertId ?? '', oldCertId: rec.certId,
      resourceTypes: rec.resourceTypes, regions: rec.regions, status: work ? RECORD.pending : anyFailed ? RECORD.failed : RECORD.ok,
      rollbackOf: rec.id, createdAt: now, updatedAt: now,
    };
    const log = userLog(caller, 'deployRollback', rec.certId, now, `rolls back record ${rec.id}: ${work} resource(s) get their previous certificate again (record #RECORD#)`);
    const id = await this.store.createRecord(newRec, details, [log], work ? (rid) => this.#job(rid, now) : null);
    if (work) this.kick();
    return id;
  }

  // ---- The job ----

  /** Works a record: deploys its due details; null when the record is settled. */
  async runRecord(recordId: number): Promise<number | null> {
    const rec = await this.store.getRecord(recordId);
    if (!rec || rec.status === RECORD.ok || rec.status === RECORD.failed) return null;
    const start = this.clock();
    if (rec.status === RECORD.pending) await this.store.setRecordStatus(rec.id, RECORD.running, start);
    const due = await this.store.dueDetails(rec.id, start, 1000);
    let i = 0;
    const worker = async () => {
      while (i < due.length && this.clock() - start < this.#o.runBudgetMs) {
        const d = due[i++]!;
        await this.#runDetail(rec, d);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, due.length) }, worker));
    const next = await this.store.nextDue(rec.id);
    if (next !== null) return Math.max(next, this.clock());
    const counts = await this.store.countDetails(rec.id);
    const failed = FAILED.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    const ok = SUCCEEDED.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    const now = this.clock();
    await this.store.setRecordStatus(rec.id, failed ? RECORD.failed : RECORD.ok, now, [
      systemLog(rec.accountUin, 'deployRecord', rec.certId, now, `Deployment record ${rec.id} finished: ${ok} succeeded, ${failed} failed`),
    ]);
    return null;
  }

  async #runDetail(rec: DeployRecord, d: DeployDetail): Promise<void> {
    const rollback = rec.kind === 'rollback';
    await this.store.startDetail(d.id, this.clock());
    const attempt = d.attempts + 1;
    const r = await this.store.getResource(d.resourceId);
    try {
      if (!r) throw new DeployError('the resource was removed');
      const deployer = this.#deployer(r);
      const m = await this.material(rec.accountUin, d.certId, deployer.needsKey);
      let out: { note?: string } | null = null;
      // Running when a node died: the deployment may have completed. Where a probe can tell,
      // do not deploy twice.
      if (d.status === DETAIL.running && r.probe) {
        const seen = await this.#probe(r);
        if (seen.ok && seen.sha256 === m.sha256) out = { note: 'already served (checked by the probe after an interruption)' };
      }
      out ??= await deployer.deploy(m, this.#ctx(r, `cp-${rec.id}-${d.id}`));
      const now = this.clock();
      await this.store.finishDetail(d, rollback ? DETAIL.rolledBack : DETAIL.ok, null, now, { sha256: m.sha256 },
        systemLog(rec.accountUin, rollback ? 'deployRollback' : 'deploy', d.certId, now,
          ` was deployed to ${r.type} resource [${r.id}] ${r.name}${rollback ? ' (rollback)' : ''}: ${out.note ?? 'ok'} (record ${rec.id})`));
    } catch (e) {
      const now = this.clock();
      const message = e instanceof DeployError || e instanceof DeployConfigError || isForeseen(e) ? e.message : `internal error: ${(e as Error)?.message ?? e}`;
      if (e instanceof DeployError && e.transient && attempt < this.#o.maxAttempts) {
        await this.store.deferDetail(d.id, now + this.#o.retryDelay(attempt), `try ${attempt} failed: ${message}`, now);
        return;
      }
      await this.store.finishDetail(d, rollback ? DETAIL.rollbackFailed : DETAIL.failed, message, now, null,
        systemLog(rec.accountUin, 'deployFailed', d.certId, now, ` could not be deployed to ${d.resourceType} resource [${d.resourceId}] ${d.instanceName}: ${message} (record ${rec.id})`));
    }
  }

  // ---- Bind-resource sync (CreateCertificateBindResourceSyncTask) ----

  /** The task for each certificate: a fresh one from cache (IsCache 1) or a new job. */
  async bindSync(caller: Caller, certIds: string[], useCache: boolean): Promise<{ certId: string; taskId: string }[]> {
    const out: { certId: string; taskId: string }[] = [];
    const now = this.clock();
    for (const certId of [...new Set(certIds)]) {
      await this.certificates.get(caller, certId);
      const last = await this.store.latestBindTask(caller.accountUin, certId);
      if (last && (last.status === 0 || (useCache && last.status === 1 && now - last.updatedAt < this.#o.bindCacheMs))) {
        out.push({ certId, taskId: last.id });
        continue;
      }
      const id = 'bind-' + randomBytes(8).toString('hex');
      await this.store.insertBindTask({ id, accountUin: caller.accountUin, certId, status: 0, result: null, error: null, createdAt: now, updatedAt: now },
        { kind: BIND_SYNC, subject: id, runAt: now });
      out.push({ certId, taskId: id });
    }
    this.kick();
    return out;
  }

  async bindTask(caller: Caller, id: string): Promise<BindTask> {
    const t = await this.store.getBindTask(id, caller.accountUin);
    if (!t) throw new ServiceError('FailedOperation.CertificateSyncTaskIdInvalid', `The task ${id} does not exist.`);
    return t;
  }

  /** The job: probes every resource of the account with a probe address, then records what serves the certificate. */
  async runBindSync(taskId: string): Promise<number | null> {
    const t = await this.store.getBindTaskAny(taskId);
    if (!t || t.status !== 0) return null;
    const now = this.clock();
    let c: CertificateRecord;
    try {
      c = await this.certificates.get(sysCaller(t.accountUin), t.certId);
    } catch {
      await this.store.finishBindTask(t.id, 2, null, `certificate ${t.certId} no longer exists`, now);
      return null;
    }
    const resources = await this.store.listResources({ accountUin: t.accountUin });
    const probed = new Map<string, ProbeResult>();
    let i = 0;
    const withProbe = resources.filter((r) => r.probe);
    await Promise.all(Array.from({ length: Math.min(16, withProbe.length) }, async () => {
      while (i < withProbe.length) {
        const r = withProbe[i++]!;
        probed.set(r.id, await this.#probe(r));
      }
    }));
    const found: BoundResource[] = [];
    for (const r of resources) {
      const p = probed.get(r.id);
      const how: BoundResource['how'] = [];
      if (p?.ok && p.sha256 === c.fingerprintSha256) how.push('probe');
      if (r.certSha256 === c.fingerprintSha256 && (!p || !p.ok || p.sha256 === c.fingerprintSha256)) how.push('deployed');
      if (how.length) found.push({ resourceId: r.id, type: r.type, region: r.region, name: r.name, domains: r.domains, how });
    }
    await this.store.finishBindTask(t.id, 1, found, null, this.clock());
    return null;
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
      const sha = DeploymentService.serving(r);
      for (const id of (sha && bySha.get(sha)) || []) {
        const types = out.get(id) ?? [];
        if (!types.includes(r.type)) types.push(r.type);
        out.set(id, types);
      }
    }
    return out;
  }

  /** Candidates for DescribeHost*InstanceList: resources of the type that could take the certificate. */
  async instancesFor(caller: Caller, certId: string, type: string): Promise<{ resource: ResourceRecord; covers: boolean; serving: boolean }[]> {
    const c = await this.certificates.get(caller, certId);
    const resources = await this.store.listResources({ accountUin: caller.accountUin, types: [type] });
    return resources.map((r) => ({
      resource: r,
      covers: r.domains.length === 0 || r.domains.some((d) => certificateCovers(c, d)),
      serving: DeploymentService.serving(r) === c.fingerprintSha256,
    }));
  }

  /** ModifyCertificatesExpiringNotificationSwitch (and UpdateCertificateInstance's switch for the old one). */
  async setIgnoreExpiry(caller: Caller, certIds: string[], ignore: boolean): Promise<void> {
    for (const id of certIds) await this.certificates.get(caller, id);
    await this.store.setIgnoreExpiry(caller.accountUin, certIds, ignore, this.clock());
  }

  ignoredExpiry(accountUin: string, certIds: string[]): Promise<Set<string>> {
    return this.store.ignoredExpiry(accountUin, certIds);
  }

  listResourcesOf(accountUin: string, type: string): Promise<ResourceRecord[]> {
    return this.store.listResources({ accountUin, types: [type] });
  }

  resourcesById(accountUin: string, ids: string[]): Promise<ResourceRecord[]> {
    return this.store.getResources(accountUin, [...new Set(ids)]);
  }

  covers(c: CertificateRecord, domain: string): boolean {
    return certificateCovers(c, domain);
  }

  // ---- DeleteCertificates ----

  /**
   * Deletes certificates that no resource serves. `asTask`: one task per certificate, worked by
   * a job (DescribeDeleteCertificatesTaskResult: 1 deleted, 2 failed, 4 still bound); else at once.
   */
  async deleteCertificates(caller: Caller, ids: string[], asTask: boolean): Promise<{ success: string[]; fail: { certId: string; msg: string }[]; tasks: { certId: string; taskId: string }[] }> {
    const unique = [...new Set(ids)];
    const out = { success: [] as string[], fail: [] as { certId: string; msg: string }[], tasks: [] as { certId: string; taskId: string }[] };
    if (asTask) {
      const now = this.clock();
      const tasks: DeleteTask[] = [];
      for (const certId of unique) {
        let domains: string[] = [];
        try {
          const c = await this.certificates.get(caller, certId);
          domains = c.sans.length ? c.sans : [c.domain];
        } catch (e) {
          out.fail.push({ certId, msg: (e as Error).message });
          continue;
        }
        tasks.push({ id: 'del-' + randomBytes(8).toString('hex'), accountUin: caller.accountUin, certId, domains, status: 0, error: null, createdAt: now, updatedAt: now });
      }
      await this.store.insertDeleteTasks(tasks, tasks.map((t) => ({ kind: CERT_DELETE, subject: t.id, runAt: now, payload: JSON.stringify({ userUin: caller.userUin }) })));
      out.tasks = tasks.map((t) => ({ certId: t.certId, taskId: t.id }));
      if (tasks.length) this.kick();
      return out;
    }
    for (const certId of unique) {
      try {
        await this.#deleteUnbound(caller, certId);
        out.success.push(certId);
      } catch (e) {
        out.fail.push({ certId, msg: (e as Error).message });
      }
    }
    return out;
  }

  async #deleteUnbound(caller: Caller, certId: string): Promise<void> {
    const c = await this.certificates.get(caller, certId);
    const bound = await this.boundTo(c);
    if (bound.length) {
      throw new ServiceError('FailedOperation.DeleteResourceFailed',
        `The certificate ${certId} is still deployed on ${bound.map((r) => `${r.type} ${r.id}`).join(', ')}; update or unbind those first.`);
    }
    await this.certificates.delete(caller, certId);
  }

  /** The job of one delete task. */
  async runDeleteTask(taskId: string, payload: string | null): Promise<null> {
    const t = await this.store.getDeleteTask(taskId);
    if (!t || t.status !== 0) return null;
    const userUin = payload ? (JSON.parse(payload) as { userUin?: string }).userUin ?? t.accountUin : t.accountUin;
    let status = 1;
    let error: string | null = null;
    try {
      await this.#deleteUnbound({ accountUin: t.accountUin, userUin }, t.certId);
    } catch (e) {
      error = (e as Error).message;
      status = e instanceof ServiceError && e.code === 'FailedOperation.DeleteResourceFailed' ? 4 : 2;
    }
    await this.store.finishDeleteTask(t.id, status, error, this.clock());
    return null;
  }

  deleteTasks(caller: Caller, ids: string[]): Promise<DeleteTask[]> {
    return this.store.getDeleteTasks(caller.accountUin, ids);
  }

}

function inRegions(r: ResourceRecord, regions: Map<string, string[]>): boolean {
  const want = regions.get(r.type);
  return !want || want.length === 0 || want.includes(r.region);
}

function progressOf(types: string[], bound: ResourceRecord[], regions: Map<string, string[]>): SyncProgress[] {
  return types.map((type) => {
    const counts = new Map<string, number>((regions.get(type) ?? []).map((r) => [r, 0]));
    for (const r of bound.filter((x) => x.type === type)) counts.set(r.region, (counts.get(r.region) ?? 0) + 1);
    return { type, regions: [...counts].map(([region, total]) => ({ region, total })) };
  });
}

function view(r: ResourceRecord): ResourceView {
  return {
    id: r.id, accountUin: r.accountUin, name: r.name, type: r.type, region: r.region, domains: r.domains, probe: r.probe,
    deployer: r.deployerType, config: r.deployerConfig, hasSecrets: r.deployerSecretSealed !== null,
    certId: r.certId, deployedAt: r.deployedAt, probeSha256: r.probeSha256, probeAt: r.probeAt, probeError: r.probeError,
  };
}

function userLog(caller: Caller, type: string, certId: string, now: number, what: string): OperationLogRecord {
  const who = caller.userUin === '--' ? '--' : caller.userUin;
  return { accountUin: caller.accountUin, userUin: caller.userUin, certId, type, createdAt: now, action: `User [uin: ${who}] ${what}` };
}

function systemLog(accountUin: string, type: string, certId: string, now: number, what: string): OperationLogRecord {
  return { accountUin, userUin: '--', certId, type, createdAt: now, action: what.startsWith(' ') ? `Certificate [id: ${certId}]${what}` : what };
}

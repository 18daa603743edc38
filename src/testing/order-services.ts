// The DV and paid order services built as main.ts builds them, for unit tests of their state
// machines: over the in-memory stores (./fakes/), with a clock the test moves, a validator the
// test answers for (no DNS, no HTTP), and certport's own CA, really signing. The CA material is
// made once per process and kept in an in-memory CaStore, so each test builds its services in
// a few milliseconds.
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { loadEmbeddedCa, type EmbeddedCa } from '../ca/embedded/setup.js';
import { Issuers } from '../ca/issuers.js';
import type { DnsProviderConfig } from '../config/config.js';
import type { ProjectRecord } from '../domain/account.js';
import type { Caller } from '../domain/caller.js';
import type { CertificateRecord } from '../domain/certificate.js';
import type { DvAuth, DvOrderRecord } from '../domain/dv-order.js';
import { ServiceError, type ErrorCode } from '../domain/errors.js';
import type { JobRecord } from '../domain/job.js';
import type { CaCustody, CaStore, ProjectStore, StoredCa } from '../domain/stores.js';
import { Sealer } from '../secrets/sealer.js';
import { CertificateService } from '../services/certificates.js';
import { DvOrderService, DV_VALIDATE, type DvOrderSettings } from '../services/dv-orders.js';
import type { DvValidator } from '../services/dv-validation.js';
import { PaidOrderService, type PaidSettings } from '../services/paid-orders.js';
import { joinStores } from '../store/open.js';
import { fakeStores, type FakeStores, type MemoryDb } from './fakes/index.js';

export const ACCOUNT = '100001';
export const CALLER: Caller = { accountUin: ACCOUNT, userUin: ACCOUNT };
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A clock the test moves. */
export interface FakeClock {
  (): number;
  advance(ms: number): void;
}

export function fakeClock(start: number): FakeClock {
  let now = start;
  return Object.assign(() => now, { advance: (ms: number) => { now += ms; } });
}

const txt = (name: string, value: string) => `${name}=${value}`;

/**
 * certport's validator as the test decides: a name passes when its value is "published"
 * (publish(), or a DNS_AUTO record made visible by propagate()); every provider call is recorded.
 */
export class FakeValidator implements DvValidator {
  readonly published = new Set<string>();
  readonly added: { zone: string; name: string; value: string }[] = [];
  readonly removed: { zone: string; name: string; value: string }[] = [];
  checks = 0;

  /** @param zones the zones a DNS provider (DNS_AUTO) is configured for. */
  constructor(private readonly zones: string[] = []) {}

  publish(...auths: DvAuth[]): void {
    for (const a of auths) this.published.add(txt(a.key, a.value));
  }

  /** The records DNS_AUTO wrote become visible to the checks. */
  propagate(): void {
    for (const r of this.added) this.published.add(txt(r.name, r.value));
  }

  async check(a: DvAuth) {
    this.checks++;
    return this.published.has(txt(a.key, a.value)) ? { ok: true, detail: 'found' } : { ok: false, detail: `nothing published at ${a.key}` };
  }

  /** CAA: these tests are about the order machine; validation/caa.test.ts checks CAA. */
  async checkCaa(): Promise<null> {
    return null;
  }

  providerFor(name: string): DnsProviderConfig | null {
    const host = name.replace(/^\*\./, '');
    const zone = this.zones.filter((z) => host === z || host.endsWith('.' + z)).sort((a, b) => b.length - a.length)[0];
    return zone ? { zone, type: 'rfc2136', server: '192.0.2.53:53' } : null;
  }

  async addTxt(zone: string, name: string, value: string) {
    this.added.push({ zone, name, value });
  }

  async removeTxt(zone: string, name: string, value: string) {
    this.removed.push({ zone, name, value });
    this.published.delete(txt(name, value));
  }
}

class MemoryCaStore implements CaStore {
  readonly #m = new Map<string, StoredCa>();
  async getCaMaterial(name: string) {
    return this.#m.get(name) ?? null;
  }
  async putCaMaterialOnce(name: string, rootPem: string, materialSealed: string, custody: CaCustody, now: number) {
    if (!this.#m.has(name)) this.#m.set(name, { rootPem, materialSealed, custody, createdAt: now });
    return this.#m.get(name)!;
  }
  async replaceCaMaterial(name: string, from: string, to: string, custody: CaCustody) {
    const r = this.#m.get(name);
    if (r?.materialSealed !== from) return false;
    this.#m.set(name, { ...r, materialSealed: to, custody });
    return true;
  }
  async listCaNames(custody: CaCustody) {
    return [...this.#m].filter(([, r]) => r.custody === custody).map(([n]) => n);
  }
}

/** Projects in memory (the fakes hold none; CertificateService makes project 0 on first use). */
class MemoryProjectStore implements ProjectStore {
  readonly #p = new Map<string, ProjectRecord>();
  async getProject(accountUin: string, projectId: number) {
    return this.#p.get(`${accountUin}/${projectId}`) ?? null;
  }
  async getProjects(accountUin: string, projectIds: number[]) {
    return projectIds.flatMap((id) => this.#p.get(`${accountUin}/${id}`) ?? []);
  }
  async ensureProject(p: ProjectRecord) {
    const key = `${p.accountUin}/${p.projectId}`;
    if (!this.#p.has(key)) this.#p.set(key, p);
    return this.#p.get(key)!;
  }
  async listProjects(accountUin: string) {
    return [...this.#p.values()].filter((p) => p.accountUin === accountUin);
  }
}

// One key and one CA store per process: the CA is made on the first load and read after.
const sealer = new Sealer(randomBytes(32));
const caSealer = new Sealer(randomBytes(32), 'ca');
const caStore = new MemoryCaStore();

export interface OrderCore {
  stores: FakeStores;
  db: MemoryDb;
  clock: FakeClock;
  validator: FakeValidator;
  ca: EmbeddedCa;
  certificates: CertificateService;
  orders: DvOrderService;
  paid: PaidOrderService;
  /** Certificate ids, once per onSettled call. */
  settled: string[];
  /** How often the services woke the job runner. */
  kicks: number;
  /** The stored certificate, straight from the fake database. */
  cert(id: string): CertificateRecord;
  dvOrder(id: string): DvOrderRecord;
  /** Jobs of a kind, as stored. */
  jobs(kind: string): JobRecord[];
  /** One step of the certificate's dv-validate job: when to run again, or null when settled. */
  step(id: string): Promise<number | null>;
  /** Log entries of a type for a certificate. */
  logs(id: string, type: string): number;
}

export async function orderCore(opts: { dv?: Partial<DvOrderSettings>; paid?: Partial<PaidSettings>; zones?: string[] } = {}): Promise<OrderCore> {
  const stores = fakeStores();
  // Real time at the start: the CA made on the first load is valid from then.
  const clock = fakeClock(Math.floor(Date.now() / 1000) * 1000);
  const validator = new FakeValidator(opts.zones);
  const ca = await loadEmbeddedCa(caStore, { master: sealer, ca: caSealer, token: null }, { publicBaseUrl: '', clock });
  const issuers = new Issuers([ca.issuer, ca.sm2Issuer], () => ca.issuer.source);
  const certificates = new CertificateService(joinStores(stores.certificates, new MemoryProjectStore(), stores.operationLog), sealer, clock);
  const settled: string[] = [];
  const core: OrderCore = {
    stores, db: stores.db, clock, validator, ca, certificates, settled, kicks: 0,
    orders: null!, paid: null!,
    cert: (id) => structuredClone(stores.db.certificates.get(id) ?? assert.fail(`no certificate ${id}`)),
    dvOrder: (id) => structuredClone(stores.db.dvOrders.get(id) ?? assert.fail(`no DV order ${id}`)),
    jobs: (kind) => [...stores.db.jobs.values()].filter((j) => j.kind === kind),
    step: (id) => core.orders.validateStep(id, 1),
    logs: (id, type) => stores.db.logs.filter((l) => l.certId === id && l.type === type).length,
  };
  core.orders = new DvOrderService(joinStores(stores.certificates, stores.dvOrders, stores.jobs, stores.paidOrders), certificates, issuers, validator, sealer, clock, {
    freeCertLimit: 0, mainDomainCertLimit: 0, dvAuthHours: 72, validationIntervalMs: 60_000, ...opts.dv,
  }, () => { core.kicks++; }, async (c) => { settled.push(c.id); });
  core.paid = new PaidOrderService(joinStores(stores.certificates, stores.paidOrders, stores.dvOrders), certificates, core.orders, sealer, clock, {
    products: '*', maxDays: 398, maxDomains: 100, orderLimit: 100, source: ca.issuer.source, ...opts.paid,
  });
  return core;
}

/** The dv-validate job of a certificate, as stored (null when there is none). */
export function dvJob(core: OrderCore, id: string): JobRecord | null {
  return core.jobs(DV_VALIDATE).find((j) => j.subject === id) ?? null;
}

/** Rejects with a ServiceError of this code; gives its message. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<string> {
  let message = '';
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, `a ServiceError, not ${String(e)}`);
    assert.equal(e.code, code, e.message);
    message = e.message;
    return true;
  });
  return message;
}

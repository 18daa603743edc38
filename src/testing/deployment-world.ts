// Test support: the deployment services on the in-memory stores (testing/fakes/), with a fake
// deployer that records what it is given and fails on demand, and a clock the test moves. For
// unit tests of the record and hosting state machines; real deployers (nginx, ssh, webhooks)
// are tested at SDK level.
import { randomBytes } from 'node:crypto';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { CertificateRecord } from '../domain/certificate.js';
import { DeployError, obj, type CertificateMaterial, type DeployContext, type Deployer, type DeployerKind } from '../deploy/types.js';
import { Sealer } from '../secrets/sealer.js';
import { CertificateService } from '../services/certificates.js';
import { DeploymentService, type DeploymentOptions } from '../services/deployments.js';
import { ResourceService } from '../services/resources.js';
import { joinStores } from '../store/open.js';
import { fakeStores, type FakeStores } from './fakes/index.js';
import type { TestChain } from './pki-fixtures.js';

export const ACCOUNT = '100001';

export interface Delivery { resourceId: string; certId: string; sha256: string; deliveryId: string }

/** The `fake` deployer kind: every deploy is recorded; failures are queued per resource. */
export class FakeDeployer implements DeployerKind<Record<string, unknown>, Record<string, unknown>> {
  readonly type = 'fake';
  readonly deliveries: Delivery[] = [];
  /** Called inside each deploy (before it succeeds or fails), to look at the state mid-way. */
  during: ((ctx: DeployContext) => Promise<void> | void) | null = null;
  readonly #failures = new Map<string, DeployError[]>();

  /** The next deploys to this resource fail with these errors, in order; then they succeed. */
  fail(resourceId: string, ...errors: DeployError[]): void {
    this.#failures.set(resourceId, [...(this.#failures.get(resourceId) ?? []), ...errors]);
  }

  parse(config: unknown, secrets: unknown) {
    return { config: obj(config, 'config'), secrets: obj(secrets, 'secrets') };
  }

  needsPrivateKey(): boolean {
    return true;
  }

  create(): Deployer {
    return {
      deploy: async (m: CertificateMaterial, ctx: DeployContext) => {
        await this.during?.(ctx);
        const failure = this.#failures.get(ctx.resource.id)?.shift();
        if (failure) throw failure;
        if (!m.keyPem) throw new Error('the fake deployer wants the key');
        this.deliveries.push({ resourceId: ctx.resource.id, certId: m.certId, sha256: m.sha256, deliveryId: ctx.deliveryId });
        return { note: 'fake' };
      },
      test: async () => ['ok: fake'],
    };
  }
}

export interface DeploymentWorld {
  stores: FakeStores;
  /** The clock's reading; tests move it. */
  time: { now: number };
  clock: Clock;
  caller: Caller;
  certificates: CertificateService;
  resources: ResourceService;
  deployments: DeploymentService;
  deployer: FakeDeployer;
  /** How many times the services asked the job runner to look for work. */
  kicks: { n: number };
  /** Uploads the chain (leaf + intermediate, with its key) as the account's certificate. */
  upload(chain: TestChain): Promise<CertificateRecord>;
  /** A `fake` resource of `type` that serves `certId` (as if certport had deployed it there). */
  addResource(name: string, certId: string | null, type?: string): Promise<string>;
  /** Changes a stored certificate as another service would (issuance, failure, cancellation). */
  setCertificate(id: string, patch: Partial<CertificateRecord>): void;
}

export function deploymentWorld(opts: DeploymentOptions = {}): DeploymentWorld {
  const stores = fakeStores();
  stores.db.accounts.add(ACCOUNT);
  const time = { now: Date.now() };
  const clock: Clock = () => time.now;
  const caller: Caller = { accountUin: ACCOUNT, userUin: ACCOUNT };
  const sealer = new Sealer(randomBytes(32));
  const certificates = new CertificateService(joinStores(stores.certificates, stores.projects, stores.operationLog), sealer, clock);
  const deployer = new FakeDeployer();
  const resources = new ResourceService(stores.deployments, certificates, sealer, clock, new Map([[deployer.type, deployer]]));
  const kicks = { n: 0 };
  const deployments = new DeploymentService(stores.deployments, resources, certificates, clock, opts, () => kicks.n++);
  return {
    stores, time, clock, caller, certificates, resources, deployments, deployer, kicks,
    async upload(chain) {
      const { certificateId } = await certificates.upload(caller, { publicKey: chain.leafPem + chain.intermediatePem, privateKey: chain.keyPem });
      return certificates.get(caller, certificateId);
    },
    async addResource(name, certId, type = 'clb') {
      const r = await resources.addResource({
        accountUin: ACCOUNT, name, type, region: 'ap-test', domains: [], deployer: deployer.type, config: {}, ...(certId ? { certId } : {}),
      });
      return r.id;
    },
    setCertificate(id, patch) {
      const c = stores.db.certificates.get(id);
      if (!c) throw new Error(`no certificate ${id}`);
      stores.db.write(() => Object.assign(c, patch));
    },
  };
}

// What every action handler gets: the authenticated caller and the services. Handlers check
// their parameters, call services, and shape the response exactly as the spec's data types.
import type { HostingService } from '../services/hosting.js';
import type { AccountService } from '../services/accounts.js';
import type { CertificateService } from '../services/certificates.js';
import type { CsrService } from '../services/csrs.js';
import type { DeploymentService } from '../services/deployments.js';
import type { ResourceService } from '../services/resources.js';
import type { BindSyncService } from '../services/bind-sync.js';
import type { CertificateDeletionService } from '../services/certificate-deletion.js';
import type { ExpirySwitchService } from '../services/expiry-switch.js';
import type { DvOrderService } from '../services/dv-orders.js';
import type { PaidOrderService } from '../services/paid-orders.js';
import type { OrganizationService } from '../services/organizations.js';
import type { TagService } from '../services/tags.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { PageCache, SerializedResult } from '../services/page-cache.js';
import type { RevocationService } from '../services/revocations.js';
import type { CrlService } from '../services/crls.js';
import type { OcspService } from '../services/ocsp.js';
import type { PackageOrderService, PackageService } from '../services/packages.js';

export interface Services {
  accounts: AccountService;
  certificates: CertificateService;
  orders: DvOrderService;
  paid: PaidOrderService;
  orgs: OrganizationService;
  csrs: CsrService;
  /** The account's resources and what they serve. */
  resources: ResourceService;
  /** Deployment records (update, deploy, upload), retry and rollback. */
  deployments: DeploymentService;
  bindSync: BindSyncService;
  deletions: CertificateDeletionService;
  expirySwitch: ExpirySwitchService;
  hosting: HostingService;
  /** Certificate tags as the Tag API (2018-08-13) sees them. */
  tags: TagService;
  /** DescribeCertificates pages, reused while current. */
  pages: PageCache;
  clock: Clock;
  /** RevokeCertificate, UploadRevokeLetter, keyCompromise and blocked keys. */
  revocations: RevocationService;
  /** Each issuing CA's CRL. */
  crls: CrlService;
  /** The OCSP responder. */
  ocsp: OcspService;
  /** certport's own roots (RSA/ECDSA and SM2), trusted by CheckCertificateChain beside the system's. */
  trustedRoots: readonly string[];
  /** The operator's grants of paid-certificate units (DescribePackages). */
  packages: PackageService;
  /** CreateCertificateByPackage. */
  packageOrders: PackageOrderService;
}

export interface ActionContext {
  caller: Caller;
  services: Services;
  requestId: string;
}

/** Params arrive already checked against the SDK's `<Action>Request` model. A handler may answer
 * with its result already serialized (a reused page). */
export type ActionHandler<Req = any, Res = object> = (ctx: ActionContext, params: Req) => Promise<Omit<Res, 'RequestId'> | SerializedResult>;

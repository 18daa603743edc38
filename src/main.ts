// Composition root: the only place that picks implementations.
// What only some commands or settings use (the HTTP API, Redis, an ACME CA, SMTP, Prometheus) is
// imported when it is used: every CLI command opens this core, and loading all of it took
// ~1 s of a command's time (issue 22).
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Services } from './actions/index.js';
import type { Config } from './config/config.js';
import { CaKeyError, caKeyFile, unlockKey, type Sealer } from './secrets/sealer.js';
import type { Pkcs11Token } from './ca/pkcs11/token.js';
import { CpuPool } from './pki/cpu-pool.js';
import { AccountService } from './services/accounts.js';
import { CertificateService } from './services/certificates.js';
import { CsrService } from './services/csrs.js';
import { systemClock, type Clock } from './domain/clock.js';
import { caKeyProbe, loadEmbeddedCa, type EmbeddedCa } from './ca/embedded/setup.js';
import { Issuers } from './ca/issuers.js';
import { CrossChains } from './ca/cross-chains.js';
import { DvOrderService, DNS_CLEANUP, DV_VALIDATE } from './services/dv-orders.js';
import { PaidOrderService } from './services/paid-orders.js';
import { PackageOrderService, PackageService } from './services/packages.js';
import { OrganizationService } from './services/organizations.js';
import { joinStores, type Stores } from './store/open.js';
import { consoleService, noticeService, openDatabase, unlock } from './storage.js';
import { Validator } from './validation/validator.js';
import { JobRunner } from './workers/runner.js';
import { defaultDeployers } from './deploy/registry.js';
import { DEPLOY_RECORD, DeploymentService, type DeploymentOptions } from './services/deployments.js';
import { ResourceService, type ResourceOptions } from './services/resources.js';
import { BIND_SYNC, BindSyncService } from './services/bind-sync.js';
import { CERT_DELETE, CertificateDeletionService } from './services/certificate-deletion.js';
import { ExpirySwitchService } from './services/expiry-switch.js';
import { HOSTING_STEP, HostingService, hostingOnSettled } from './services/hosting.js';
import { PageCache } from './services/page-cache.js';
import type { NoticeService } from './notify/notices.js';
import type { Notifier } from './notify/types.js';
import type { JobHandler } from './domain/job.js';
import { quietLog, type Log } from './domain/log.js';
import { jobsOnDelete } from './services/dv-validation.js';
import { MASTER_KEY_REFRESH_MS, MasterKeyService } from './services/master-keys.js';
import { TagService } from './services/tags.js';
import { CaServingSource, FileServingSource, ManagedServingSource, type ServingSource } from './services/tls-serving.js';
import { TlsListener, type Handler } from './api/tls.js';
import { ACME_SERVER_SOURCE, AcmeServerService } from './services/acme-server.js';
import { acmeRoutes } from './api/acme/routes.js';
import { REVOKE_CHECK, RevocationService } from './services/revocations.js';
import { CRL_REFRESH, CrlService } from './services/crls.js';
import { revocationRoutes } from './api/admin/revocations.js';
import { OcspService } from './services/ocsp.js';
import { ocspRoutes } from './api/ocsp-routes.js';
import type { ConsoleService } from './services/console-users.js';
import { consoleApi } from './api/console/routes.js';
import { consoleStatic } from './api/console/static.js';
import { createLoginThrottle } from './api/console/throttle.js';

export interface Core {
  config: Readonly<Config>;
  stores: Stores;
  services: Services;
  ca: EmbeddedCa;
  runner: JobRunner;
  /** What the runner works, by job kind (given to it when this node runs workers). */
  jobHandlers: Readonly<Record<string, JobHandler>>;
  /** Notices to certificate owners: `raise` once per event, delivered by email and webhook. */
  notifier: Notifier;
  /** The same service for operators: channels, test sends, the expiry sweep. */
  notices: NoticeService;
  redis: Redis | null;
  /** Master-key rotation (`certport master-key`). */
  masterKeys: MasterKeyService;
  /** CA-key rotation (`certport master-key rotate --ca`). */
  caKeys: MasterKeyService;
  /** Worker threads for CPU-heavy pki work (CERTPORT_CPU_THREADS); started on first use or by warm(). */
  cpu: CpuPool;
  /** The HTTPS listener's certificate from certport's CA, for `hostnames` (null: the stored certificate's). */
  servingFromCa(hostnames: string[] | null, log?: Log): CaServingSource;
  /** certport's own ACME server (CERTPORT_ACME_SERVER), or null. */
  acmeServer: AcmeServerService | null;
  /** Console users' passwords and sessions. */
  console: ConsoleService;
  close(): Promise<void>;
}

export interface CoreOptions {
  clock?: Clock;
  /** Where background work logs (the server's pino logger); quiet by default (the CLI). */
  log?: Log;
  /** Deployment tuning (tests shorten the retry delays); each deployment service reads its part. */
  deployment?: DeploymentOptions & ResourceOptions;
}

/** Opens storage and builds the services; used by `serve` and by every CLI command. */
export async function openCore(config: Readonly<Config>, opts: CoreOptions = {}): Promise<Core> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? quietLog;
  const stores = await openDatabase(config);
  let sealer: Sealer;
  let caSealer: Sealer;
  let ca: EmbeddedCa;
  let crossChains = CrossChains.none;
  let token: Pkcs11Token | null = null;
  try {
    // Each key is checked against the stored data before anything uses it.
    sealer = (await unlock(config, stores)).sealer;
    const legacy = await stores.ca.listCaNames('master');
    caSealer = unlockKey('ca', config.caKey, config.dataDir, await caKeyProbe(stores.ca), await stores.masterKeys.listMasterKeys('ca'));
    if (caSealer.exportSealingKey().equals(sealer.exportSealingKey())) {
      throw new CaKeyError(`the CA key (CERTPORT_CA_KEY or ${caKeyFile(config.dataDir)}) is the master key: the CA's keys must be sealed apart from customer data`);
    }
    if (config.caPkcs11) token = (await import('./ca/pkcs11/token.js')).Pkcs11Token.open(config.caPkcs11);
    ca = await loadEmbeddedCa(stores.ca, { master: sealer, ca: caSealer, token }, { publicBaseUrl: config.publicUrl, clock });
    if (legacy.length) log.info({ cas: legacy }, 'sealed the CAs\' keys again under the CA key, apart from customer data (they were under the master key)');
    if (token && ca.custody.embedded !== 'pkcs11') {
      token.close();
      token = null;
      log.warn({}, 'a PKCS#11 token is configured but the embedded CA was made with software keys before: it keeps them (sealed under the CA key); the token holds the keys of a CA made with it');
    }
    if (config.caCrossCerts) {
      const own = [ca.rootPem, ...ca.issuer.signingCas().map((c) => c.certPem), ca.sm2RootPem, ...ca.sm2Issuer.signingCas().map((c) => c.certPem)];
      crossChains = CrossChains.parse(config.caCrossCerts, own, clock());
      log.info({ paths: crossChains.size }, 'cross-signed CA certificates: the ACME server offers alternate chains');
    }
  } catch (e) {
    token?.close();
    await stores.close();
    throw e;
  }
  // A rotation started anywhere hands its key over through the ring: read it now and then.
  const masterKeys = new MasterKeyService(stores.masterKeys, sealer, clock);
  const caKeys = new MasterKeyService(stores.masterKeys, caSealer, clock);
  const keyRefresh = setInterval(() => {
    masterKeys.refresh().then(
      (changed) => changed && log.info({ kid: sealer.keyId }, 'sealing under the new master key from the key ring'),
      (e: unknown) => log.warn({ err: e }, 'reading the master key ring failed'),
    );
    caKeys.refresh().then(
      (changed) => changed && log.info({ kid: caSealer.keyId }, 'sealing the CA\'s keys under the new CA key from the key ring'),
      (e: unknown) => log.warn({ err: e }, 'reading the CA key ring failed'),
    );
  }, MASTER_KEY_REFRESH_MS);
  keyRefresh.unref();
  const redis = config.redisUrl ? new (await import('ioredis')).Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false }) : null;
  const validator = new Validator({
    resolvers: config.dnsResolvers,
    allowPrivate: config.validationAllowPrivate,
    httpPort: config.validationHttpPort,
    httpsPort: config.validationHttpsPort,
    providers: config.dnsProviders,
    caaIdentities: config.caa ? config.caaIdentities : null,
  });
  // Built first so that services can wake it; it gets their job handlers when it starts.
  const runner = new JobRunner({ store: stores.jobs, clock, log });
  const email = config.smtp ? new (await import('./notify/email.js')).EmailSender(config.smtp) : null;
  const notices = noticeService(config, stores, sealer, clock, email, runner.kick, log);
  // The CAs: certport's own (RSA/ECDSA and SM2) always; an upstream ACME CA when configured,
  // for the accounts it is configured for ('*' = all). A stored certificate stays with its CA.
  const acme = config.acme
    ? new (await import('./ca/acme/issuer.js')).AcmeIssuer({ directoryUrl: config.acme.directoryUrl, email: config.acme.email, eab: config.acme.eab, caPem: config.acme.caPem }, stores.acmeAccounts, sealer)
    : null;
  const acmeAccounts = config.acme?.accounts ?? '*';
  const issuers = new Issuers([ca.issuer, ca.sm2Issuer, ...(acme ? [acme] : [])],
    (accountUin) => (acme && (acmeAccounts === '*' || acmeAccounts.includes(accountUin)) ? acme.source : ca.issuer.source),
    { [ACME_SERVER_SOURCE]: ca.issuer.source });
  const cpu = new CpuPool({ size: config.cpuThreads });
  const certificates = new CertificateService(joinStores(stores.certificates, stores.projects, stores.operationLog), sealer, clock, {
    // Chains from an ACME CA end at its intermediate; only certport's own roots are known here.
    // The ACME server's certificates are the embedded CA's.
    rootOf: (c) => issuers.rootOf(c.source === ACME_SERVER_SOURCE ? { ...c, source: ca.issuer.source } : c),
    publicUrl: config.publicUrl,
    jobsOnDelete: (c) => jobsOnDelete(stores.dvOrders, c, clock()),
  }, cpu);
  const orders = new DvOrderService(joinStores(stores.certificates, stores.dvOrders, stores.jobs, stores.paidOrders), certificates, issuers, validator, sealer, clock, {
    freeCertLimit: config.freeCertLimit,
    mainDomainCertLimit: config.mainDomainCertLimit,
    dvAuthHours: config.dvAuthHours,
    validationIntervalMs: config.validationIntervalMs,
  }, runner.kick, hostingOnSettled(stores.hosting, stores.jobs, clock, runner.kick), log, notices);
  const orgs = new OrganizationService(stores.organizations, clock);
  const paid = new PaidOrderService(joinStores(stores.certificates, stores.paidOrders, stores.dvOrders), certificates, orders, sealer, clock, {
    products: config.paidProducts, maxDays: config.paidMaxDays, maxDomains: config.paidMaxDomains, orderLimit: config.paidOrderLimit, letterLevels: config.paidLetterLevels,
    source: ca.issuer.source,
  }, orgs);
  const tuning = opts.deployment ?? {};
  const resources = new ResourceService(stores.deployments, certificates, sealer, clock, defaultDeployers(), tuning);
  const deployments = new DeploymentService(stores.deployments, resources, certificates, clock, tuning, runner.kick);
  const bindSync = new BindSyncService(stores.deployments, resources, certificates, clock, tuning, runner.kick);
  const deletions = new CertificateDeletionService(stores.deployments, certificates, resources, clock, runner.kick, orders);
  const hosting = new HostingService(stores.hosting, stores.jobs, certificates, orders, paid, deployments, notices, clock,
    { renewBeforeDays: config.renewBeforeDays }, runner.kick);
  const signingCas = [...ca.issuer.signingCas(), ...ca.sm2Issuer.signingCas()];
  const crls = new CrlService(joinStores(stores.revocations, stores.jobs), signingCas, clock, config.crlHours);
  const ocsp = new OcspService(stores.revocations, signingCas, clock, { validityHours: config.ocspHours, cacheSeconds: config.ocspCacheSeconds });
  const revocations = new RevocationService(joinStores(stores.certificates, stores.dvOrders, stores.paidOrders, stores.revocations, stores.jobs), certificates, issuers,
    validator, sealer, clock, { proofAfterDays: config.revokeProofDays, proofHours: config.dvAuthHours, validationIntervalMs: config.validationIntervalMs },
    runner.kick, async (issuer) => {
      ocsp.invalidate(issuer);
      await crls.regenerate(issuer);
    }, log);
  orders.keyCheck = (spki, what) => revocations.assertKeyAllowed(spki, what);
  paid.keyCheck = (spki, what) => revocations.assertKeyAllowed(spki, what);
  const jobHandlers: Record<string, JobHandler> = {
    [REVOKE_CHECK]: (job) => revocations.checkStep(job.subject, job.attempts),
    [CRL_REFRESH]: () => crls.refreshStep(),
    ...notices.handlers(),
    [DEPLOY_RECORD]: (job) => deployments.runRecord(Number(job.subject)),
    [BIND_SYNC]: (job) => bindSync.runBindSync(job.subject),
    [CERT_DELETE]: (job) => deletions.runDeleteTask(job.subject, job.payload),
    [DV_VALIDATE]: (job) => orders.validateStep(job.subject, job.attempts),
    [HOSTING_STEP]: (job) => hosting.step(job.subject),
    [DNS_CLEANUP]: async (job) => {
      await orders.cleanupStep(job.payload);
      return null;
    },
  };
  const csrs = new CsrService(stores.csrs, sealer, clock);
  const acmeServer = config.acmeServer
    ? new AcmeServerService(stores.acmeServer, stores.accounts, certificates, ca.issuer, validator, sealer, clock, config.acmeServer, log, revocations, crossChains)
    : null;
  const services: Services = {
    accounts: new AccountService(stores.accounts, sealer, clock), certificates, orders, paid, orgs, csrs,
    resources, deployments, bindSync, deletions, expirySwitch: new ExpirySwitchService(stores.deployments, certificates, clock), hosting,
    pages: new PageCache(config.pageCacheMb * 1024 * 1024), clock, tags: new TagService(stores.tags, clock), revocations, crls, ocsp,
    trustedRoots: [ca.rootPem, ca.sm2RootPem],
    packages: new PackageService(stores.packages, stores.accounts, clock),
    packageOrders: new PackageOrderService(stores.packages, paid, certificates, sealer, clock),
  };
  const consoleUsers = await consoleService(config, stores, services.accounts, clock);
  return {
    config, stores, services, ca, runner, jobHandlers, redis, notifier: notices, notices, masterKeys, caKeys, cpu, acmeServer, console: consoleUsers,
    servingFromCa: (hostnames, l = log) => new CaServingSource(stores.tlsServing, ca.issuer, sealer, clock, hostnames, l),
    async close() {
      clearInterval(keyRefresh);
      await runner.stop();
      await acmeServer?.drain();
      // Archives of answered downloads still being kept are written before the database closes.
      await certificates.settled();
      await cpu.close();
      token?.close();
      email?.close();
      redis?.disconnect();
      await stores.close();
    },
  };
}

/**
 * First start: the first account gets CERTPORT_BOOTSTRAP_SECRET_ID/KEY, or a generated key
 * written once to <data dir>/bootstrap-credentials.json (mode 0600), never printed in full.
 */
export async function bootstrap(core: Core, log: (msg: string) => void): Promise<void> {
  if ((await core.stores.accounts.listAccounts()).length > 0) return;
  const { config } = core;
  if (config.bootstrapSecretId && config.bootstrapSecretKey) {
    const cred = await core.services.accounts.createAccount('bootstrap', { secretId: config.bootstrapSecretId, secretKey: config.bootstrapSecretKey });
    log(`created the first account ${cred.accountUin} with the SecretId from CERTPORT_BOOTSTRAP_SECRET_ID`);
    return;
  }
  const cred = await core.services.accounts.createAccount('bootstrap');
  const file = path.join(config.dataDir, 'bootstrap-credentials.json');
  writeFileSync(file, JSON.stringify({ Uin: cred.accountUin, SecretId: cred.secretId, SecretKey: cred.secretKey }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  log(`created the first account ${cred.accountUin} (SecretId ${cred.secretId.slice(0, 8)}…); its key is in ${file}`);
}

/** The built web app (`vite build` into dist/console; this file is dist/src/main.js). */
export const CONSOLE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'console');

export interface RunningService {
  app: FastifyInstance;
  core: Core;
  url: string;
  /** The HTTPS listener (CERTPORT_TLS_PORT), when configured. */
  tls: TlsListener | null;
  close(): Promise<void>;
}

export async function startService(config: Readonly<Config>, opts: CoreOptions = {}): Promise<RunningService> {
  const [{ createRateLimit, createReplayGuard, createAuthFailureLimit, createSignatureBinding, createAcmeOrderLimit }, { legacyApi }, { buildApi, createLogger }, { caRoutes }, { orderRoutes }, { downloadRoutes },
    { resourceRoutes }, { metricsRoutes }, { Metrics }, { hostingRoutes }, { notifyRoutes }] = await Promise.all([
    import('./api/guards.js'), import('./api/legacy.js'), import('./api/server.js'), import('./api/ca-routes.js'), import('./api/admin/orders.js'),
    import('./api/download-routes.js'), import('./api/admin/resources.js'), import('./api/metrics-routes.js'), import('./services/metrics.js'),
    import('./api/admin/hosting.js'), import('./api/admin/notify.js')]);
  const log = createLogger(config.logLevel);
  const core = await openCore(config, { ...opts, log });
  try {
    let handler: Handler | null = null;
    const rateLimit = createRateLimit(config.rateLimit, core.redis);
    const replay = createReplayGuard(core.redis);
    const authFailures = createAuthFailureLimit(config.authFailureLimit, core.redis);
    const app = await buildApi({
      services: core.services,
      rateLimit,
      replay,
      signatures: createSignatureBinding(core.redis),
      authFailures,
      ready: () => core.stores.ping(),
      logger: log,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      handlerSink: (h) => { handler = h; },
      plugins: [legacyApi({ services: core.services, replay, rateLimit, authFailures }), caRoutes(core.ca, core.services.crls), ocspRoutes(core.services.ocsp), downloadRoutes(core.services.certificates), orderRoutes({ token: config.adminToken, paid: core.services.paid }), resourceRoutes(core.services.resources, config.adminToken), hostingRoutes(core.services.hosting, config.adminToken), notifyRoutes(core.notices, config.adminToken), revocationRoutes(core.services.revocations, config.adminToken),
        metricsRoutes({ metrics: config.metrics ? new Metrics(core.stores.metrics, core.services.clock) : null, token: config.metricsToken, host: config.host }),
        ...(core.acmeServer ? [acmeRoutes({ service: core.acmeServer, base: `${config.publicUrl}/acme`, eabRequired: config.acmeServer!.eab === 'required',
          orderLimit: createAcmeOrderLimit(config.acmeServer!.ordersPerHour, core.redis), ordersPerHour: config.acmeServer!.ordersPerHour })] : []),
        consoleApi({ console: core.console, dispatch: { services: core.services, rateLimit }, throttle: createLoginThrottle(core.redis), publicUrl: config.publicUrl, ca: core.ca, notices: core.notices }),
        consoleStatic(CONSOLE_DIR)],
    });
    await bootstrap(core, (m) => app.log.info(m));
    core.cpu.warm();
    core.services.ocsp.warm();
    if (config.workers) {
      await core.notices.ensureSweep();
      await core.services.crls.ensureRefresh();
      core.runner.start(core.jobHandlers);
    }
    const address = await app.listen({ host: config.host, port: config.port });
    let tls: TlsListener | null = null;
    if (config.tls) {
      const t = config.tls;
      const source: ServingSource = t.certFile && t.keyFile ? new FileServingSource(t.certFile, t.keyFile, log)
        : t.certificateId ? new ManagedServingSource(core.services.certificates, t.certificateId) : core.servingFromCa(t.hostnames);
      tls = new TlsListener(handler!, { host: config.host, port: t.port, source, reloadMs: t.reloadMs, keepAliveTimeout: config.keepAliveTimeoutMs, log });
      try {
        app.log.info(`HTTPS on ${await tls.start()}`);
      } catch (e) {
        await tls.close();
        await app.close();
        throw e;
      }
    }
    return {
      app, core, url: address, tls,
      async close() {
        await Promise.all([tls?.close(), app.close()]);
        await core.close();
      },
    };
  } catch (e) {
    await core.close();
    throw e;
  }
}


// Opening the database, unlocking the master key, and the few services that touch one row at a
// time, without the rest of the composition root (main.ts). main.ts builds on it; CLI commands
// that change or read an account, a key, a resource or notice channels use it alone (issue 22:
// every command took 1.5–9 s loading and setting up all of certport, the CA and the HTTP server
// included). Services are built on first use and their modules imported then.
import { mkdirSync } from 'node:fs';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { quietLog, type Log } from './domain/log.js';
import { masterKeyProbe, recordMasterKeyCheck } from './ca/embedded/probe.js';
import { unlockSealer, type Sealer } from './secrets/sealer.js';
import { createPgSchema } from './store/db.js';
import { joinStores, openStores, type Stores } from './store/open.js';
import type { AccountService } from './services/accounts.js';
import type { ResourceService } from './services/resources.js';
import type { EmailSender } from './notify/email.js';
import type { ConsoleService } from './services/console-users.js';
import type { PackageService } from './services/packages.js';
import { NoticeService } from './notify/notices.js';

/** The database of `config`, brought up to date. */
export async function openDatabase(config: Readonly<Config>): Promise<Stores> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.databaseSchema && !config.databaseUrl.startsWith('sqlite:')) {
    await createPgSchema(config.databaseUrl, config.databaseSchema);
  }
  return openStores(config.databaseUrl, {
    synchronous: config.sqliteSynchronous,
    poolSize: config.databasePoolSize,
    sharedFile: config.processes > 1,
    listingThread: config.listingThread,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
  });
}

/** The master key, checked against the stored data before anything uses it (secrets/sealer.ts). */
export async function unlock(config: Readonly<Config>, stores: Stores): Promise<{ sealer: Sealer; fresh: boolean }> {
  const probe = await masterKeyProbe(stores);
  const sealer = unlockSealer(config.masterKey, config.dataDir, probe, await stores.masterKeys.listMasterKeys('master'));
  // What later starts check the master key against (a value sealed under it, not the CA).
  await recordMasterKeyCheck(stores.masterKeys, sealer);
  return { sealer, fresh: probe === null };
}

/** The notice service of `config` (channels, the operator's default channel, SMTP). */
export function noticeService(config: Readonly<Config>, stores: Stores, sealer: Sealer, clock: Clock, email: EmailSender | null, kick: () => void, log: Log): NoticeService {
  return new NoticeService(joinStores(stores.notices, stores.jobs), stores.accounts, sealer, clock, email,
    { expiryDays: config.expiryNoticeDays, sweepMs: config.noticeSweepMs, defaults: config.noticeDefaults }, kick, log);
}

export interface Storage {
  readonly config: Readonly<Config>;
  readonly stores: Stores;
  readonly clock: Clock;
  accounts(): Promise<AccountService>;
  notices(): Promise<NoticeService>;
  /** Add, change, list and remove resources (a deployment or a test needs the whole core). */
  resources(): Promise<ResourceService>;
  /** Console users and their passwords. */
  console(): Promise<ConsoleService>;
  /** Packages: grants of paid-certificate units. */
  packages(): Promise<PackageService>;
  close(): Promise<void>;
}

/** The database, the master key checked, and on first use the services named. */
export async function openStorage(config: Readonly<Config>, clock: Clock = systemClock): Promise<Storage> {
  const stores = await openDatabase(config);
  const closers: (() => void)[] = [];
  const once = <T>(make: () => Promise<T>) => {
    let p: Promise<T> | null = null;
    return () => (p ??= make());
  };
  // The CA is made by the first `serve` (or a command that opens the whole core), with the CA key.
  const sealer = once(async () => (await unlock(config, stores)).sealer);
  // Every command checks the master key against the stored data first, as `serve` does: a
  // wrong or retired key is refused at once, whatever the command reads.
  try {
    await sealer();
  } catch (e) {
    await stores.close();
    throw e;
  }
  const accounts = once(async () => new (await import('./services/accounts.js')).AccountService(stores.accounts, await sealer(), clock));
  return {
    config, stores, clock,
    accounts,
    notices: once(async () => {
      const email = config.smtp ? new (await import('./notify/email.js')).EmailSender(config.smtp) : null;
      if (email) closers.push(() => email.close());
      return noticeService(config, stores, await sealer(), clock, email, () => {}, quietLog);
    }),
    resources: once(async () => {
      const [{ CertificateService }, { ResourceService }, { defaultDeployers }, { inlineCpu }] = await Promise.all([
        import('./services/certificates.js'), import('./services/resources.js'), import('./deploy/registry.js'), import('./pki/cpu-pool.js')]);
      const s = await sealer();
      // Resources read a certificate's owner and status (get); nothing here builds a chain or a download.
      const certificates = new CertificateService(joinStores(stores.certificates, stores.projects, stores.operationLog), s, clock, undefined, inlineCpu);
      return new ResourceService(stores.deployments, certificates, s, clock, defaultDeployers(), {});
    }),
    console: once(async () => consoleService(config, stores, await accounts(), clock)),
    packages: once(async () => new (await import('./services/packages.js')).PackageService(stores.packages, stores.accounts, clock)),
    async close() {
      for (const c of closers) c();
      await stores.close();
    },
  };
}

/** The console's users and sessions service of `config`. */
export async function consoleService(config: Readonly<Config>, stores: Stores, accounts: AccountService, clock: Clock): Promise<ConsoleService> {
  const { ConsoleService } = await import('./services/console-users.js');
  return new ConsoleService(stores.console, stores.accounts, accounts, clock,
    { idleMs: config.consoleIdleMinutes * 60_000, absoluteMs: config.consoleSessionHours * 3_600_000 });
}

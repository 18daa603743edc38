// Configuration: environment variables over an optional JSON file (CERTPORT_CONFIG), checked
// once at start and frozen. Bad values stop the process with a message naming the variable.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { isIssuerDomainName } from '../domain/caa.js';

/** certport's own ACME server (issue 26), under <publicUrl>/acme/. */
export interface AcmeServerConfig {
  /** `required`: every ACME account needs an External Account Binding; `optional`: without one it goes to defaultAccountUin. */
  eab: 'required' | 'optional';
  defaultAccountUin: string | null;
  /** Validity of the certificates it issues. */
  validityDays: number;
  /** New orders per certport account and hour (0: no limit). */
  ordersPerHour: number;
  /** Certificates per registered domain (Public Suffix List) and 7 days, all accounts together; renewals exempt (0: no limit). */
  certsPerDomainPerWeek: number;
  /** IP address identifiers (RFC 8738): off, an `ip` identifier is unsupportedIdentifier. */
  ipIdentifiers: boolean;
}

export interface Config {
  host: string;
  port: number;
  /** How long an idle keep-alive connection stays open: longer than a load balancer's idle
   * timeout (60 s is common), or it reuses a connection the server is closing. */
  keepAliveTimeoutMs: number;
  dataDir: string;
  /** `sqlite:<path>` (default `<dataDir>/certport.db`) or a `postgres://` URL. */
  databaseUrl: string;
  /** PostgreSQL schema to use (created if missing); null = the server's default search_path. */
  databaseSchema: string | null;
  /** PostgreSQL: connections in the pool (CERTPORT_DATABASE_POOL_SIZE, default 8). */
  databasePoolSize: number;
  /** SQLite's `synchronous` pragma: FULL (the default: an acknowledged write survives a power
   * loss), NORMAL (WAL synced at checkpoints only) or EXTRA. */
  sqliteSynchronous: SqliteSynchronous;
  redisUrl: string | null;
  /** 32-byte key, base64 or hex; null = generate/read `<dataDir>/master.key`. */
  masterKey: string | null;
  /** The CA key: 32 bytes, base64 or hex, sealing the software CA keys apart from customer data; null = `<dataDir>/ca.key`. */
  caKey: string | null;
  /** A PKCS#11 token holding the embedded CA's keys (generated there, never exported); null = software keys under the CA key. */
  caPkcs11: Pkcs11Config | null;
  /**
   * PEM read from CERTPORT_CA_CROSS_CERTS_FILE: certificates of certport's CA cross-signed by
   * another CA (each optionally followed by that CA's chain); the ACME server offers them as
   * alternate chains. Matched against the CA at start (ca/cross-chains.ts). null: none.
   */
  caCrossCerts: string | null;
  /** Requests per second per action per account; 0 disables the limit. */
  rateLimit: number;
  /** Failed authentications per minute per source address before its requests are refused; 0 disables the limit. */
  authFailureLimit: number;
  publicUrl: string;
  logLevel: string;
  bootstrapSecretId: string | null;
  bootstrapSecretKey: string | null;
  /** DNS servers for validation lookups ('ip' or 'ip:port'); empty = the system's. */
  dnsResolvers: string[];
  /** Let FILE validation fetch from loopback/private addresses (tests, private networks). */
  validationAllowPrivate: boolean;
  validationHttpPort: number;
  validationHttpsPort: number;
  /** Zones whose TXT records certport writes itself for DNS_AUTO (RFC 2136 + TSIG). */
  dnsProviders: DnsProviderConfig[];
  /** Ask CAA (RFC 8659) before certport's own CAs sign (CERTPORT_CAA=0 turns it off, e.g. in a lab without DNS). */
  caa: boolean;
  /**
   * The issuer domain names certport's own CAs answer to in CAA records, lower-case: by default
   * `certport.local` and the host of the public URL when it is a DNS name. Empty when caa is off.
   */
  caaIdentities: string[];
  /** Free certificates an account may hold at once (issued or pending); 0 = unlimited. */
  freeCertLimit: number;
  /** Free certificates per main domain (registrable name); 0 = unlimited. */
  mainDomainCertLimit: number;
  /** How long a DV order waits for validation (FACTS.md: up to 3 days). */
  dvAuthHours: number;
  /** Longest pause between two validation checks of one pending order. */
  validationIntervalMs: number;
  /** DV revocation asks fresh proof of control of certificates older than this whose key certport does not hold. */
  revokeProofDays: number;
  /** How long each CRL is current (nextUpdate − thisUpdate); it is made again at half of it and on every revocation. */
  crlHours: number;
  /** How long an OCSP answer is good for (nextUpdate − thisUpdate). */
  ocspHours: number;
  /** How long a node serves a signed OCSP answer (without a nonce) again from memory. */
  ocspCacheSeconds: number;
  /** Run background jobs (validation, issuance) in this process. */
  workers: boolean;
  /**
   * Processes of `certport serve` sharing the port (node:cluster), so that requests use more
   * than one core; each behaves as a node of a cluster (see README "Processes").
   */
  processes: number;
  /** An upstream ACME CA for free certificates instead of the embedded CA (null = embedded). */
  acme: AcmeConfig | null;
  /** Paid (OV/EV) products offered: '*' or ProductIds. */
  paidProducts: '*' | number[];
  /** Longest paid certificate, days (CA/B BR: 398; private roots may allow more). */
  paidMaxDays: number;
  paidMaxDomains: number;
  paidOrderLimit: number;
  /** Validation levels whose orders wait for a signed confirmation letter (status 8) before review. */
  paidLetterLevels: ('OV' | 'EV')[];
  /** Serve GET /metrics (Prometheus) on the API port (CERTPORT_METRICS=0 turns it off). */
  metrics: boolean;
  /** Bearer token /metrics requires; null = open. */
  metricsToken: string | null;
  /** MiB of DescribeCertificates pages kept for reuse while provably current; 0 turns it off. */
  pageCacheMb: number;
  /** SQLite: DescribeCertificates pages read on a thread of their own (CERTPORT_LISTING_THREAD=0: on the request thread). */
  listingThread: boolean;
  /** Worker threads for CPU-heavy work (parsing uploads, PFX/JKS/ZIP); 0 = on the request thread. */
  cpuThreads: number;
  /** Bearer token for the operators' /admin endpoint; null disables it. */
  adminToken: string | null;
  /** Hosting renews this many days before expiry (or at a third of the lifetime if sooner). */
  renewBeforeDays: number;
  /** The SMTP server email notices go through; null = no email channel. */
  smtp: SmtpConfig | null;
  /** Days before notAfter when expiry notices go out (30, 7, 1), largest first. */
  expiryNoticeDays: number[];
  /** How often the expiry sweep looks for certificates nearing expiry. */
  noticeSweepMs: number;
  /** The HTTPS listener (CERTPORT_TLS_PORT); null = plain HTTP only. */
  tls: TlsConfig | null;
  /** certport's own ACME server; null when CERTPORT_ACME_SERVER=0. */
  acmeServer: AcmeServerConfig | null;
  /** The operator's channel for the notices of accounts that have none of their own. */
  noticeDefaults: NoticeDefaults;
  /** Console sessions end after this many idle minutes, and this many hours after sign-in. */
  consoleIdleMinutes: number;
  consoleSessionHours: number;
}

/** Tencent's API host names tools hard-code (issue 23): the serving certificate covers them. */
export const TENCENT_API_HOSTNAMES = ['ssl.tencentcloudapi.com', 'ssl.intl.tencentcloudapi.com', 'tag.tencentcloudapi.com', 'wss.api.qcloud.com'] as const;

export interface TlsConfig {
  port: number;
  /** The names the serving certificate from certport's own CA covers, lower-case. */
  hostnames: string[];
  /** An operator's certificate (chain) and key files, re-read when they change. */
  certFile: string | null;
  keyFile: string | null;
  /** A certificate certport manages, served with its key (followed to its renewal). */
  certificateId: string | null;
  /** How often the source is looked at for a change (files, the stored certificate). */
  reloadMs: number;
}


/** CERTPORT_NOTIFY_DEFAULT_*: where notices go for an account without channels (empty: nowhere). */
export interface NoticeDefaults {
  emails: string[];
  /** With its signing secret (webhooks are always signed). */
  webhook: { url: string; secret: string } | null;
}

export const SQLITE_SYNCHRONOUS = ['NORMAL', 'FULL', 'EXTRA'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS)[number];

export interface SmtpConfig {
  host: string;
  port: number;
  /** smtps://: TLS from the first byte; smtp://: STARTTLS whenever the server offers it. */
  secure: boolean;
  user: string | null;
  pass: string | null;
  from: string;
  /** PEM of CAs to trust for the server's TLS certificate (CERTPORT_SMTP_CA_FILE). */
  caPem: string | null;
  /** Refuse to send unless STARTTLS succeeds (CERTPORT_SMTP_REQUIRE_TLS=1). */
  requireTls: boolean;
}

export interface AcmeConfig {
  directoryUrl: string;
  email: string | null;
  eab: { kid: string; hmacKey: string } | null;
  /** PEM of extra CAs to trust for the directory's TLS (read from CERTPORT_ACME_CA_FILE). */
  caPem: string | null;
  /** Accounts (Uins) whose free certificates come from the ACME CA; '*' = every account. */
  accounts: '*' | string[];
}

export interface Pkcs11Config {
  /** Path to the PKCS#11 module (.so), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: string;
  /** The token: by slot id, or by label (exactly one). */
  slot: number | null;
  tokenLabel: string | null;
  /** The user PIN (from CERTPORT_CA_PKCS11_PIN, or the file CERTPORT_CA_PKCS11_PIN_FILE names). */
  pin: string;
}

export interface DnsProviderConfig {
  zone: string;
  type: 'rfc2136';
  /** 'ip', 'ip:port' or '[v6]:port' of the primary that accepts updates. */
  server: string;
  tsig?: { name: string; algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha384' | 'hmac-sha1'; secret: string };
}

export class ConfigError extends Error {}

type Source = Record<string, string | undefined>;

const KEYS: Record<keyof Config, string> = {
  host: 'CERTPORT_HOST',
  port: 'CERTPORT_PORT',
  keepAliveTimeoutMs: 'CERTPORT_KEEP_ALIVE_TIMEOUT_MS',
  dataDir: 'CERTPORT_DATA_DIR',
  databaseUrl: 'CERTPORT_DATABASE_URL',
  databaseSchema: 'CERTPORT_DATABASE_SCHEMA',
  databasePoolSize: 'CERTPORT_DATABASE_POOL_SIZE',
  sqliteSynchronous: 'CERTPORT_SQLITE_SYNCHRONOUS',
  redisUrl: 'CERTPORT_REDIS_URL',
  masterKey: 'CERTPORT_MASTER_KEY',
  caKey: 'CERTPORT_CA_KEY',
  caPkcs11: 'CERTPORT_CA_PKCS11_MODULE',
  caCrossCerts: 'CERTPORT_CA_CROSS_CERTS_FILE',
  rateLimit: 'CERTPORT_RATE_LIMIT',
  authFailureLimit: 'CERTPORT_AUTH_FAILURE_LIMIT',
  publicUrl: 'CERTPORT_PUBLIC_URL',
  logLevel: 'CERTPORT_LOG_LEVEL',
  bootstrapSecretId: 'CERTPORT_BOOTSTRAP_SECRET_ID',
  bootstrapSecretKey: 'CERTPORT_BOOTSTRAP_SECRET_KEY',
  dnsResolvers: 'CERTPORT_DNS_RESOLVERS',
  validationAllowPrivate: 'CERTPORT_VALIDATION_ALLOW_PRIVATE',
  validationHttpPort: 'CERTPORT_VALIDATION_HTTP_PORT',
  validationHttpsPort: 'CERTPORT_VALIDATION_HTTPS_PORT',
  dnsProviders: 'CERTPORT_DNS_PROVIDERS',
  caa: 'CERTPORT_CAA',
  caaIdentities: 'CERTPORT_CAA_IDENTITIES',
  freeCertLimit: 'CERTPORT_FREE_CERT_LIMIT',
  mainDomainCertLimit: 'CERTPORT_MAIN_DOMAIN_CERT_LIMIT',
  dvAuthHours: 'CERTPORT_DV_AUTH_HOURS',
  validationIntervalMs: 'CERTPORT_VALIDATION_INTERVAL_MS',
  revokeProofDays: 'CERTPORT_REVOKE_PROOF_DAYS',
  crlHours: 'CERTPORT_CRL_HOURS',
  ocspHours: 'CERTPORT_OCSP_HOURS',
  ocspCacheSeconds: 'CERTPORT_OCSP_CACHE_SECONDS',
  workers: 'CERTPORT_WORKERS',
  processes: 'CERTPORT_PROCESSES',
  acme: 'CERTPORT_ACME_DIRECTORY_URL',
  paidProducts: 'CERTPORT_PAID_PRODUCTS',
  paidMaxDays: 'CERTPORT_PAID_MAX_DAYS',
  paidMaxDomains: 'CERTPORT_PAID_MAX_DOMAINS',
  paidOrderLimit: 'CERTPORT_PAID_ORDER_LIMIT',
  paidLetterLevels: 'CERTPORT_PAID_LETTER',
  metrics: 'CERTPORT_METRICS',
  metricsToken: 'CERTPORT_METRICS_TOKEN',
  pageCacheMb: 'CERTPORT_PAGE_CACHE_MB',
  listingThread: 'CERTPORT_LISTING_THREAD',
  cpuThreads: 'CERTPORT_CPU_THREADS',
  adminToken: 'CERTPORT_ADMIN_TOKEN',
  consoleIdleMinutes: 'CERTPORT_CONSOLE_IDLE_MINUTES',
  consoleSessionHours: 'CERTPORT_CONSOLE_SESSION_HOURS',
  renewBeforeDays: 'CERTPORT_RENEW_BEFORE_DAYS',
  smtp: 'CERTPORT_SMTP_URL',
  expiryNoticeDays: 'CERTPORT_EXPIRY_NOTICE_DAYS',
  noticeSweepMs: 'CERTPORT_NOTICE_SWEEP_MS',
  tls: 'CERTPORT_TLS_PORT',
  acmeServer: 'CERTPORT_ACME_SERVER',
  noticeDefaults: 'CERTPORT_NOTIFY_DEFAULT_EMAIL',
};
const ACME_SERVER_KEYS = {
  eab: 'CERTPORT_ACME_SERVER_EAB',
  defaultAccount: 'CERTPORT_ACME_SERVER_DEFAULT_ACCOUNT',
  validityDays: 'CERTPORT_ACME_SERVER_VALIDITY_DAYS',
  ordersPerHour: 'CERTPORT_ACME_SERVER_ORDERS_PER_HOUR',
  certsPerDomainPerWeek: 'CERTPORT_ACME_SERVER_CERTS_PER_DOMAIN_PER_WEEK',
  ipIdentifiers: 'CERTPORT_ACME_SERVER_IP_IDENTIFIERS',
} as const;
const TLS_KEYS = {
  certFile: 'CERTPORT_TLS_CERT_FILE',
  keyFile: 'CERTPORT_TLS_KEY_FILE',
  certificateId: 'CERTPORT_TLS_CERTIFICATE_ID',
  hostnames: 'CERTPORT_API_HOSTNAMES',
  hostnamesDefaults: 'CERTPORT_API_HOSTNAMES_DEFAULTS',
  reloadMs: 'CERTPORT_TLS_RELOAD_MS',
} as const;
const NOTIFY_DEFAULT_KEYS = {
  webhookUrl: 'CERTPORT_NOTIFY_DEFAULT_WEBHOOK_URL',
  webhookSecret: 'CERTPORT_NOTIFY_DEFAULT_WEBHOOK_SECRET',
} as const;
const SMTP_KEYS = {
  from: 'CERTPORT_SMTP_FROM',
  caFile: 'CERTPORT_SMTP_CA_FILE',
  requireTls: 'CERTPORT_SMTP_REQUIRE_TLS',
} as const;
const PKCS11_KEYS = {
  slot: 'CERTPORT_CA_PKCS11_SLOT',
  tokenLabel: 'CERTPORT_CA_PKCS11_TOKEN_LABEL',
  pin: 'CERTPORT_CA_PKCS11_PIN',
  pinFile: 'CERTPORT_CA_PKCS11_PIN_FILE',
} as const;
const ACME_KEYS = {
  email: 'CERTPORT_ACME_EMAIL',
  eabKid: 'CERTPORT_ACME_EAB_KID',
  eabHmacKey: 'CERTPORT_ACME_EAB_HMAC_KEY',
  caFile: 'CERTPORT_ACME_CA_FILE',
  accounts: 'CERTPORT_ACME_ACCOUNTS',
} as const;

/** The environment variable that sets `k`, for messages outside this file. */
export const envName = (k: keyof Config): string => KEYS[k];

/** Reads the optional JSON file named by CERTPORT_CONFIG; its keys are the Config field names. */
function fileSource(env: Source): Source {
  const file = env.CERTPORT_CONFIG;
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`CERTPORT_CONFIG: cannot read ${file}: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`CERTPORT_CONFIG: ${file} must hold a JSON object`);
  }
  const out: Source = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!(k in KEYS)) throw new ConfigError(`CERTPORT_CONFIG: unknown key "${k}" in ${file}`);
    out[KEYS[k as keyof Config]] = v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

function int(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function loadConfig(env: Source = process.env): Readonly<Config> {
  const merged: Source = { ...fileSource(env), ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')) };
  const get = (k: keyof Config) => merged[KEYS[k]];
  const dataDir = path.resolve(get('dataDir') ?? 'data');
  const host = get('host') ?? '127.0.0.1';
  const port = int(KEYS.port, get('port') ?? '8080', 0, 65535);
  let databaseUrl = get('databaseUrl') ?? `sqlite:${path.join(dataDir, 'certport.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(`${KEYS.databaseUrl} must start with sqlite: or postgres://, got ${JSON.stringify(databaseUrl)}`);
  }
  if (databaseUrl.startsWith('sqlite:') && databaseUrl !== 'sqlite::memory:') {
    databaseUrl = 'sqlite:' + path.resolve(databaseUrl.slice('sqlite:'.length));
  }
  const databaseSchema = get('databaseSchema') ?? null;
  if (databaseSchema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError(`${KEYS.databaseSchema} must be a lowercase SQL identifier, got ${JSON.stringify(databaseSchema)}`);
  }
  // 8: a DescribeCertificates page is one statement with its side facts (one connection), and
  // more connections than the database server's cores can run at once only make them wait
  // their turn inside it: varied listings at 50 concurrent requests on 2 cores, pool 8 or 6
  // against 20, 1.3–1.4× the requests a second (bench/throughput.ts, issue 27).
  const databasePoolSize = int(KEYS.databasePoolSize, get('databasePoolSize') ?? '8', 1, 1000);
  const sqliteSynchronous = (get('sqliteSynchronous') ?? 'FULL').trim().toUpperCase();
  if (!(SQLITE_SYNCHRONOUS as readonly string[]).includes(sqliteSynchronous)) {
    throw new ConfigError(`${KEYS.sqliteSynchronous} must be one of ${SQLITE_SYNCHRONOUS.join(', ')}, got ${JSON.stringify(sqliteSynchronous)}`);
  }
  const redisUrl = get('redisUrl') ?? null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(`${KEYS.redisUrl} must be a redis:// URL, got ${JSON.stringify(redisUrl)}`);
  }
  const masterKey = get('masterKey') ?? null;
  if (masterKey !== null) parseMasterKey(masterKey);
  const caKey = get('caKey') ?? null;
  if (caKey !== null) parseMasterKey(caKey, KEYS.caKey);
  if (caKey !== null && masterKey !== null && parseMasterKey(caKey).equals(parseMasterKey(masterKey))) {
    throw new ConfigError(`${KEYS.caKey} must differ from ${KEYS.masterKey}: the CA's keys are sealed apart from customer data`);
  }
  const rateLimit = int(KEYS.rateLimit, get('rateLimit') ?? '10', 0, 1_000_000);
  const authFailureLimit = int(KEYS.authFailureLimit, get('authFailureLimit') ?? '60', 0, 1_000_000);
  const publicUrl = (get('publicUrl') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`${KEYS.publicUrl} must be a URL, got ${JSON.stringify(publicUrl)}`);
  }
  const logLevel = get('logLevel') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`${KEYS.logLevel} must be one of fatal,error,warn,info,debug,trace,silent`);
  }
  const bootstrapSecretId = get('bootstrapSecretId') ?? null;
  const bootstrapSecretKey = get('bootstrapSecretKey') ?? null;
  if ((bootstrapSecretId === null) !== (bootstrapSecretKey === null)) {
    throw new ConfigError(`${KEYS.bootstrapSecretId} and ${KEYS.bootstrapSecretKey} must be set together`);
  }
  const dnsResolvers = (get('dnsResolvers') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of dnsResolvers) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d+)?|\[[0-9a-fA-F:]+\](:\d+)?|[0-9a-fA-F:]+)$/.test(r)) {
      throw new ConfigError(`${KEYS.dnsResolvers} must list IP addresses (optionally :port), got ${JSON.stringify(r)}`);
    }
  }
  const caa = bool(KEYS.caa, get('caa') ?? '1');
  return Object.freeze({
    host, port, dataDir, databaseUrl, databaseSchema, databasePoolSize, sqliteSynchronous: sqliteSynchronous as SqliteSynchronous, redisUrl, masterKey, caKey,
    caPkcs11: pkcs11Config(get('caPkcs11'), (k) => merged[PKCS11_KEYS[k]]), caCrossCerts: readCaFile(KEYS.caCrossCerts, get('caCrossCerts')), rateLimit, authFailureLimit, publicUrl, logLevel,
    bootstrapSecretId, bootstrapSecretKey,
    dnsResolvers,
    keepAliveTimeoutMs: int(KEYS.keepAliveTimeoutMs, get('keepAliveTimeoutMs') ?? '75000', 1000, 3_600_000),
    validationAllowPrivate: bool(KEYS.validationAllowPrivate, get('validationAllowPrivate') ?? '0'),
    validationHttpPort: int(KEYS.validationHttpPort, get('validationHttpPort') ?? '80', 1, 65535),
    validationHttpsPort: int(KEYS.validationHttpsPort, get('validationHttpsPort') ?? '443', 1, 65535),
    dnsProviders: dnsProviders(get('dnsProviders')),
    caa,
    caaIdentities: caaIdentities(caa, get('caaIdentities'), publicUrl),
    freeCertLimit: int(KEYS.freeCertLimit, get('freeCertLimit') ?? '50', 0, 10_000_000),
    mainDomainCertLimit: int(KEYS.mainDomainCertLimit, get('mainDomainCertLimit') ?? '20', 0, 10_000_000),
    dvAuthHours: int(KEYS.dvAuthHours, get('dvAuthHours') ?? '72', 1, 24 * 30),
    validationIntervalMs: int(KEYS.validationIntervalMs, get('validationIntervalMs') ?? '20000', 100, 3_600_000),
    revokeProofDays: int(KEYS.revokeProofDays, get('revokeProofDays') ?? '30', 0, 3650),
    crlHours: int(KEYS.crlHours, get('crlHours') ?? '24', 1, 24 * 30),
    ocspHours: int(KEYS.ocspHours, get('ocspHours') ?? '4', 1, 24 * 7),
    ocspCacheSeconds: int(KEYS.ocspCacheSeconds, get('ocspCacheSeconds') ?? '60', 0, 3600),
    workers: bool(KEYS.workers, get('workers') ?? '1'),
    processes: int(KEYS.processes, get('processes') ?? '1', 1, 64),
    acme: acmeConfig(get('acme'), (k) => merged[ACME_KEYS[k]]),
    paidProducts: productList(get('paidProducts')),
    paidMaxDays: int(KEYS.paidMaxDays, get('paidMaxDays') ?? '398', 1, 3650),
    paidMaxDomains: int(KEYS.paidMaxDomains, get('paidMaxDomains') ?? '100', 1, 1000),
    paidOrderLimit: int(KEYS.paidOrderLimit, get('paidOrderLimit') ?? '100', 0, 10_000_000),
    paidLetterLevels: letterLevels(get('paidLetterLevels')),
    metrics: bool(KEYS.metrics, get('metrics') ?? '1'),
    metricsToken: metricsToken(get('metricsToken')),
    pageCacheMb: int(KEYS.pageCacheMb, get('pageCacheMb') ?? '32', 0, 65_536),
    listingThread: bool(KEYS.listingThread, get('listingThread') ?? '1'),
    // One core is left to the request thread, so that it answers while the workers are busy.
    cpuThreads: int(KEYS.cpuThreads, get('cpuThreads') ?? String(Math.max(1, availableParallelism() - 1)), 0, 256),
    adminToken: adminToken(get('adminToken')),
    renewBeforeDays: int(KEYS.renewBeforeDays, get('renewBeforeDays') ?? '30', 1, 365),
    smtp: smtpConfig(get('smtp'), (k) => merged[SMTP_KEYS[k]]),
    expiryNoticeDays: expiryNoticeDays(get('expiryNoticeDays')),
    noticeSweepMs: int(KEYS.noticeSweepMs, get('noticeSweepMs') ?? '600000', 1000, 86_400_000),
    tls: tlsConfig(get('tls'), (k) => merged[TLS_KEYS[k]], publicUrl),
    acmeServer: acmeServerConfig(get('acmeServer'), (k) => merged[ACME_SERVER_KEYS[k]]),
    noticeDefaults: noticeDefaults(get('noticeDefaults'), (k) => merged[NOTIFY_DEFAULT_KEYS[k]]),
    consoleIdleMinutes: int(KEYS.consoleIdleMinutes, get('consoleIdleMinutes') ?? '30', 1, 7 * 24 * 60),
    consoleSessionHours: int(KEYS.consoleSessionHours, get('consoleSessionHours') ?? '12', 1, 30 * 24),
  });
}

/** Settings that only mean something with their main variable: refuse them without it. */
function requireMain<K extends string>(keys: Record<K, string>, get: (k: K) => string | undefined, main: string): void {
  for (const k of Object.keys(keys) as K[]) {
    if (get(k)) throw new ConfigError(`${keys[k]} needs ${main}`);
  }
}

/** A PEM file of CA certificates to trust (…_CA_FILE), read and checked at start. */
function readCaFile(name: string, file: string | undefined): string | null {
  if (!file) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${name}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`${name}: ${file} holds no PEM certificate`);
  return pem;
}

/** CERTPORT_SMTP_URL: smtp://[user:pass@]host[:port] (STARTTLS when offered, port 587) or smtps:// (TLS, port 465). */
function pkcs11Config(module: string | undefined, get: (k: keyof typeof PKCS11_KEYS) => string | undefined): Pkcs11Config | null {
  if (!module) {
    requireMain(PKCS11_KEYS, get, KEYS.caPkcs11);
    return null;
  }
  if (!path.isAbsolute(module) || !existsSync(module)) throw new ConfigError(`${KEYS.caPkcs11} must be the absolute path of a PKCS#11 module (.so), got ${JSON.stringify(module)}`);
  const slotRaw = get('slot');
  const tokenLabel = get('tokenLabel') ?? null;
  if ((slotRaw === undefined) === (tokenLabel === null)) {
    throw new ConfigError(`${KEYS.caPkcs11} needs the token named by exactly one of ${PKCS11_KEYS.slot} and ${PKCS11_KEYS.tokenLabel}`);
  }
  const slot = slotRaw === undefined ? null : int(PKCS11_KEYS.slot, slotRaw, 0, 2 ** 32 - 1);
  let pin = get('pin');
  const pinFile = get('pinFile');
  if (pin !== undefined && pinFile !== undefined) throw new ConfigError(`set ${PKCS11_KEYS.pin} or ${PKCS11_KEYS.pinFile}, not both`);
  if (pinFile !== undefined) {
    try {
      pin = readFileSync(pinFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new ConfigError(`${PKCS11_KEYS.pinFile}: cannot read ${pinFile}: ${(e as Error).message}`);
    }
  }
  if (!pin) throw new ConfigError(`${KEYS.caPkcs11} needs the token's user PIN in ${PKCS11_KEYS.pin} or ${PKCS11_KEYS.pinFile}`);
  return { module, slot, tokenLabel, pin };
}

function smtpConfig(raw: string | undefined, get: (k: keyof typeof SMTP_KEYS) => string | undefined): SmtpConfig | null {
  if (!raw) {
    requireMain(SMTP_KEYS, get, KEYS.smtp);
    return null;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${KEYS.smtp} must be smtp://[user:password@]host[:port] or smtps://…`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError(`${KEYS.smtp} must start with smtp:// or smtps://`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new ConfigError(`${KEYS.smtp} names no host`);
  const secure = url.protocol === 'smtps:';
  const port = url.port ? int(KEYS.smtp + ' port', url.port, 1, 65535) : secure ? 465 : 587;
  let user: string | null = null;
  let pass: string | null = null;
  try {
    user = url.username ? decodeURIComponent(url.username) : null;
    pass = url.password ? decodeURIComponent(url.password) : null;
  } catch {
    throw new ConfigError(`${KEYS.smtp}: the user or password is not valid percent-encoding`);
  }
  const from = get('from');
  if (!from) throw new ConfigError(`${SMTP_KEYS.from} is required with ${KEYS.smtp} (the notices' From address)`);
  if (!/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(from.trim())) {
    throw new ConfigError(`${SMTP_KEYS.from} must be an address (ops@example.com or "certport <ops@example.com>"), got ${JSON.stringify(from)}`);
  }
  const caPem = readCaFile(SMTP_KEYS.caFile, get('caFile'));
  return { host, port, secure, user, pass, from: from.trim(), caPem, requireTls: bool(SMTP_KEYS.requireTls, get('requireTls') ?? '0') };
}

/** CERTPORT_EXPIRY_NOTICE_DAYS: comma-separated whole days, e.g. 30,7,1. */
function expiryNoticeDays(raw: string | undefined): number[] {
  const list = (raw ?? '30,7,1').split(',').map((x) => x.trim()).filter(Boolean);
  if (list.length === 0) throw new ConfigError(`${KEYS.expiryNoticeDays} must list at least one number of days, e.g. 30,7,1`);
  const days = list.map((x) => int(KEYS.expiryNoticeDays, x, 1, 3650));
  return [...new Set(days)].sort((a, b) => b - a);
}

function acmeConfig(directoryUrl: string | undefined, get: (k: keyof typeof ACME_KEYS) => string | undefined): AcmeConfig | null {
  if (!directoryUrl) {
    requireMain(ACME_KEYS, get, KEYS.acme);
    return null;
  }
  let url: URL;
  try {
    url = new URL(directoryUrl);
  } catch {
    throw new ConfigError(`${KEYS.acme} must be the https:// URL of an ACME directory, got ${JSON.stringify(directoryUrl)}`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(`${KEYS.acme} must be an https:// URL (RFC 8555 requires TLS)`);
  const kid = get('eabKid') ?? null;
  const hmacKey = get('eabHmacKey') ?? null;
  if ((kid === null) !== (hmacKey === null)) throw new ConfigError(`${ACME_KEYS.eabKid} and ${ACME_KEYS.eabHmacKey} must be set together`);
  const caPem = readCaFile(ACME_KEYS.caFile, get('caFile'));
  const email = get('email') ?? null;
  if (email !== null && !/^[^\s@]+@[^\s@]+$/.test(email)) throw new ConfigError(`${ACME_KEYS.email} must be an email address`);
  const list = (get('accounts') ?? '*').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    directoryUrl: url.toString(),
    email,
    eab: kid !== null && hmacKey !== null ? { kid, hmacKey } : null,
    caPem,
    accounts: list.length === 0 || list.includes('*') ? '*' : list,
  };
}

function acmeServerConfig(on: string | undefined, get: (k: keyof typeof ACME_SERVER_KEYS) => string | undefined): AcmeServerConfig | null {
  if (!bool(KEYS.acmeServer, on ?? '1')) return null;
  const eab = (get('eab') ?? 'required').trim().toLowerCase();
  if (eab !== 'required' && eab !== 'optional') throw new ConfigError(`${ACME_SERVER_KEYS.eab} must be required or optional, got ${JSON.stringify(eab)}`);
  const defaultAccountUin = get('defaultAccount')?.trim() || null;
  if (eab === 'optional' && !defaultAccountUin) throw new ConfigError(`${ACME_SERVER_KEYS.eab}=optional needs ${ACME_SERVER_KEYS.defaultAccount} (the certport account that ACME accounts without a binding belong to)`);
  if (defaultAccountUin !== null && !/^\d{1,20}$/.test(defaultAccountUin)) throw new ConfigError(`${ACME_SERVER_KEYS.defaultAccount} must be a Uin, got ${JSON.stringify(defaultAccountUin)}`);
  return { eab, defaultAccountUin, validityDays: int(ACME_SERVER_KEYS.validityDays, get('validityDays') ?? '90', 1, 398),
    ordersPerHour: int(ACME_SERVER_KEYS.ordersPerHour, get('ordersPerHour') ?? '300', 0, 1_000_000),
    certsPerDomainPerWeek: int(ACME_SERVER_KEYS.certsPerDomainPerWeek, get('certsPerDomainPerWeek') ?? '50', 0, 1_000_000),
    ipIdentifiers: bool(ACME_SERVER_KEYS.ipIdentifiers, get('ipIdentifiers') ?? '0') };
}

function tlsConfig(rawPort: string | undefined, get: (k: keyof typeof TLS_KEYS) => string | undefined, publicUrl: string): TlsConfig | null {
  if (!rawPort) {
    requireMain(TLS_KEYS, get, KEYS.tls);
    return null;
  }
  const port = int(KEYS.tls, rawPort, 0, 65535);
  const certFile = get('certFile') ?? null;
  const keyFile = get('keyFile') ?? null;
  if ((certFile === null) !== (keyFile === null)) throw new ConfigError(`${TLS_KEYS.certFile} and ${TLS_KEYS.keyFile} must be set together`);
  const certificateId = get('certificateId') ?? null;
  if (certificateId !== null && certFile !== null) throw new ConfigError(`${TLS_KEYS.certificateId} and ${TLS_KEYS.certFile} are two sources: set one`);
  const defaults = bool(TLS_KEYS.hostnamesDefaults, get('hostnamesDefaults') ?? '1');
  const names: string[] = defaults ? [...TENCENT_API_HOSTNAMES] : [];
  const publicHost = new URL(publicUrl).hostname.toLowerCase();
  if (defaults && publicHost && !isIP(publicHost.replace(/^\[|\]$/g, ''))) names.push(publicHost);
  for (const n of (get('hostnames') ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (!/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(n)) {
      throw new ConfigError(`${TLS_KEYS.hostnames} must list DNS names, got ${JSON.stringify(n)}`);
    }
    names.push(n);
  }
  const hostnames = [...new Set(names)];
  if (hostnames.length === 0 && certFile === null && certificateId === null) {
    throw new ConfigError(`${TLS_KEYS.hostnames} lists no name and ${TLS_KEYS.hostnamesDefaults}=0: the serving certificate would cover nothing`);
  }
  return { port, hostnames, certFile, keyFile, certificateId, reloadMs: int(TLS_KEYS.reloadMs, get('reloadMs') ?? '5000', 100, 10_000) };
}

function metricsToken(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const t = raw.trim();
  if (t.length < 16 || /\s/.test(t)) throw new ConfigError(`${KEYS.metricsToken} must be at least 16 characters without spaces (it is sent as "Authorization: Bearer <token>")`);
  return t;
}

function noticeDefaults(rawEmails: string | undefined, get: (k: keyof typeof NOTIFY_DEFAULT_KEYS) => string | undefined): NoticeDefaults {
  const emails = [...new Set((rawEmails ?? '').split(',').map((e) => e.trim()).filter(Boolean))];
  for (const e of emails) {
    // The same practical check as an account's addresses (notify/channels.ts), kept short here.
    if (e.length > 254 || !/^[^\s@,]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(e) || e.includes('..')) {
      throw new ConfigError(`${KEYS.noticeDefaults}: ${JSON.stringify(e)} is not an email address (comma-separated addresses)`);
    }
  }
  const url = get('webhookUrl')?.trim();
  const secret = get('webhookSecret');
  if (!url) {
    if (secret) throw new ConfigError(`${NOTIFY_DEFAULT_KEYS.webhookSecret} needs ${NOTIFY_DEFAULT_KEYS.webhookUrl}`);
    return { emails, webhook: null };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`${NOTIFY_DEFAULT_KEYS.webhookUrl} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${NOTIFY_DEFAULT_KEYS.webhookUrl} must be an http:// or https:// URL`);
  if (u.username || u.password) throw new ConfigError(`${NOTIFY_DEFAULT_KEYS.webhookUrl} must not carry a user or password (the body is signed)`);
  if (!secret || secret.length < 16 || secret.length > 512) {
    throw new ConfigError(`${NOTIFY_DEFAULT_KEYS.webhookUrl} needs ${NOTIFY_DEFAULT_KEYS.webhookSecret} (16 to 512 characters): every webhook notice is signed with it`);
  }
  return { emails, webhook: { url: u.toString(), secret } };
}

/** Whether CERTPORT_HOST reaches this machine only (127.0.0.0/8, ::1, localhost): /metrics is open there. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^(?:::ffff:)?127(?:\.\d{1,3}){3}$/.test(h);
}

function adminToken(raw: string | undefined): string | null {
  if (!raw) return null;
  if (raw.trim().length < 16) throw new ConfigError(`${KEYS.adminToken} must be at least 16 characters`);
  return raw.trim();
}

/** The identity every certport answers to unless told otherwise; an operator's own name belongs beside it. */
const DEFAULT_CAA_IDENTITY = 'certport.local';

/**
 * CERTPORT_CAA_IDENTITIES: comma-separated issuer domain names. Unset (or empty, which the loader
 * reads as unset) gives the default, never an empty list: CAA is turned off only by CERTPORT_CAA=0.
 */
function caaIdentities(on: boolean, raw: string | undefined, publicUrl: string): string[] {
  if (!on) {
    if (raw !== undefined) throw new ConfigError(`${KEYS.caaIdentities} needs ${KEYS.caa}=1 (CAA is off)`);
    return [];
  }
  if (raw === undefined) {
    const host = new URL(publicUrl).hostname.toLowerCase();
    return isIP(host.replace(/^\[|\]$/g, '')) || !isIssuerDomainName(host) || host === DEFAULT_CAA_IDENTITY ? [DEFAULT_CAA_IDENTITY] : [DEFAULT_CAA_IDENTITY, host];
  }
  const list = raw.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  if (list.length === 0) throw new ConfigError(`${KEYS.caaIdentities} must list at least one issuer domain name (turn CAA off with ${KEYS.caa}=0)`);
  for (const x of list) {
    if (!isIssuerDomainName(x)) throw new ConfigError(`${KEYS.caaIdentities} must list issuer domain names such as ca.example.net (RFC 8659 4.2), got ${JSON.stringify(x)}`);
  }
  return [...new Set(list)];
}

function productList(raw: string | undefined): '*' | number[] {
  const list = (raw ?? '*').split(',').map((x) => x.trim()).filter(Boolean);
  if (list.length === 0 || list.includes('*')) return '*';
  return list.map((x) => int(KEYS.paidProducts, x, 1, 1000));
}

/** CERTPORT_PAID_LETTER: "EV" (the default), "OV,EV", or "none". */
function letterLevels(raw: string | undefined): ('OV' | 'EV')[] {
  const list = (raw ?? 'EV').split(',').map((x) => x.trim().toUpperCase()).filter(Boolean);
  if (list.length === 1 && list[0] === 'NONE') return [];
  for (const x of list) if (x !== 'OV' && x !== 'EV') throw new ConfigError(`${KEYS.paidLetterLevels} is a list of OV and EV, or none; got ${JSON.stringify(raw)}`);
  return [...new Set(list)] as ('OV' | 'EV')[];
}

function bool(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be 1 or 0, got ${JSON.stringify(raw)}`);
}

const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512', 'hmac-sha384', 'hmac-sha1'];

/** CERTPORT_DNS_PROVIDERS: a JSON array of {zone, type: "rfc2136", server, tsig?: {name, algorithm, secret}}. */
function dnsProviders(raw: string | undefined): DnsProviderConfig[] {
  if (!raw) return [];
  const name = KEYS.dnsProviders;
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} must be a JSON array`);
  }
  if (!Array.isArray(list)) throw new ConfigError(`${name} must be a JSON array`);
  return list.map((p, i) => {
    const at = `${name}[${i}]`;
    if (!p || typeof p !== 'object') throw new ConfigError(`${at} must be an object`);
    const { zone, type, server, tsig } = p as Record<string, unknown>;
    if (typeof zone !== 'string' || !/^[a-z0-9.-]+$/i.test(zone) || zone.startsWith('.')) throw new ConfigError(`${at}.zone must be a DNS zone name`);
    if ((type ?? 'rfc2136') !== 'rfc2136') throw new ConfigError(`${at}.type must be "rfc2136"`);
    if (typeof server !== 'string' || server === '') throw new ConfigError(`${at}.server must be "ip" or "ip:port"`);
    let key: DnsProviderConfig['tsig'];
    if (tsig !== undefined) {
      const t = tsig as Record<string, unknown>;
      if (typeof t.name !== 'string' || typeof t.secret !== 'string' || Buffer.from(t.secret, 'base64').length === 0) {
        throw new ConfigError(`${at}.tsig needs a name and a base64 secret`);
      }
      const algorithm = String(t.algorithm ?? 'hmac-sha256').toLowerCase();
      if (!TSIG_ALGORITHMS.includes(algorithm)) throw new ConfigError(`${at}.tsig.algorithm must be one of ${TSIG_ALGORITHMS.join(', ')}`);
      key = { name: t.name, algorithm: algorithm as NonNullable<DnsProviderConfig['tsig']>['algorithm'], secret: t.secret };
    }
    return { zone: zone.toLowerCase().replace(/\.$/, ''), type: 'rfc2136', server, ...(key ? { tsig: key } : {}) };
  });
}

/** A master key is 32 bytes, given as 64 hex digits or base64. */
export function parseMasterKey(raw: string, name: string = KEYS.masterKey): Buffer {
  const s = raw.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (buf.length !== 32) {
    throw new ConfigError(`${name} must be 32 bytes as 64 hex digits or base64 (got ${buf.length} bytes)`);
  }
  return buf;
}

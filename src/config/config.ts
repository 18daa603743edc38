// Configuration: environment variables over an optional JSON file (CERTPORT_CONFIG), checked
// once at start and frozen. Bad values stop the process with a message naming the variable.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<path>` (default `<dataDir>/certport.db`) or a `postgres://` URL. */
  databaseUrl: string;
  /** PostgreSQL schema to use (created if missing); null = the server's default search_path. */
  databaseSchema: string | null;
  redisUrl: string | null;
  /** 32-byte key, base64 or hex; null = generate/read `<dataDir>/master.key`. */
  masterKey: string | null;
  /** Requests per second per action per account; 0 disables the limit. */
  rateLimit: number;
  publicUrl: string;
  logLevel: string;
  bootstrapSecretId: string | null;
  bootstrapSecretKey: string | null;
}

export class ConfigError extends Error {}

type Source = Record<string, string | undefined>;

const KEYS: Record<keyof Config, string> = {
  host: 'CERTPORT_HOST',
  port: 'CERTPORT_PORT',
  dataDir: 'CERTPORT_DATA_DIR',
  databaseUrl: 'CERTPORT_DATABASE_URL',
  databaseSchema: 'CERTPORT_DATABASE_SCHEMA',
  redisUrl: 'CERTPORT_REDIS_URL',
  masterKey: 'CERTPORT_MASTER_KEY',
  rateLimit: 'CERTPORT_RATE_LIMIT',
  publicUrl: 'CERTPORT_PUBLIC_URL',
  logLevel: 'CERTPORT_LOG_LEVEL',
  bootstrapSecretId: 'CERTPORT_BOOTSTRAP_SECRET_ID',
  bootstrapSecretKey: 'CERTPORT_BOOTSTRAP_SECRET_KEY',
};

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
    out[KEYS[k as keyof Config]] = v === null ? undefined : String(v);
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
  const redisUrl = get('redisUrl') ?? null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(`${KEYS.redisUrl} must be a redis:// URL, got ${JSON.stringify(redisUrl)}`);
  }
  const masterKey = get('masterKey') ?? null;
  if (masterKey !== null) parseMasterKey(masterKey);
  const rateLimit = int(KEYS.rateLimit, get('rateLimit') ?? '10', 0, 1_000_000);
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
  return Object.freeze({
    host, port, dataDir, databaseUrl, databaseSchema, redisUrl, masterKey, rateLimit, publicUrl, logLevel,
    bootstrapSecretId, bootstrapSecretKey,
  });
}

/** A master key is 32 bytes, given as 64 hex digits or base64. */
export function parseMasterKey(raw: string): Buffer {
  const s = raw.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64');
  if (buf.length !== 32) {
    throw new ConfigError(`${KEYS.masterKey} must be 32 bytes as 64 hex digits or base64 (got ${buf.length} bytes)`);
  }
  return buf;
}

// Test support: a real certport server on 127.0.0.1 with a throw-away data dir, on SQLite or
// on a fresh PostgreSQL schema, and the official SDK client pointed at it.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tc from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/index.js';
import { loadConfig, type Config } from '../config/config.js';
import { startService, type CoreOptions, type RunningService } from '../main.js';
import type { Clock } from '../domain/clock.js';
import { dropPgSchema } from '../store/db.js';
import { freePort } from './net.js';

export const PG_URL = process.env.CERTPORT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export type Backend = 'sqlite' | 'postgres';
/** Every store-backed suite runs on both; CERTPORT_TEST_BACKENDS narrows it (e.g. `sqlite`). */
export const BACKENDS: Backend[] = (process.env.CERTPORT_TEST_BACKENDS ?? 'sqlite,postgres').split(',') as Backend[];

export type SslClient = InstanceType<typeof tc.v20191205.Client>;

export interface Cred { accountUin: string; userUin?: string; secretId: string; secretKey: string }

export function sdkClient(port: number, cred: Cred, profile: Record<string, unknown> = {}, httpProfile: Record<string, unknown> = {}): SslClient {
  return new tc.v20191205.Client({
    credential: { secretId: cred.secretId, secretKey: cred.secretKey },
    region: '',
    profile: { ...profile, httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 30, ...httpProfile } },
  });
}

export interface TestService {
  svc: RunningService;
  port: number;
  dataDir: string;
  backend: Backend;
  env: Record<string, string>;
  /** The bootstrap account's credential. */
  cred: Cred;
  client: SslClient;
  newAccount(): Promise<Cred>;
  /** Stops the server and opens it again on the same data (and port); `more`: settings added from now on. */
  restart(more?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** `deployment`: the deployment tuning, as openCore takes it (tests shorten the retry delays). */
export async function startTestService(backend: Backend, opts: { env?: Record<string, string>; clock?: Clock; deployment?: CoreOptions['deployment'] } = {}): Promise<TestService> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'certport-test-'));
  const schema = backend === 'postgres' ? 't_' + randomBytes(6).toString('hex') : null;
  const secretId = 'AKIDtest' + randomBytes(12).toString('hex');
  const secretKey = randomBytes(16).toString('hex');
  const env: Record<string, string> = {
    CERTPORT_DATA_DIR: dataDir,
    // A known port, so CERTPORT_PUBLIC_URL's default (AIA, signed download links) is right.
    CERTPORT_PORT: String(await freePort()),
    CERTPORT_LOG_LEVEL: 'silent',
    CERTPORT_RATE_LIMIT: '0',
    // Tests that count failed authentications opt in; Redis-backed counters are shared between test processes.
    CERTPORT_AUTH_FAILURE_LIMIT: '0',
    CERTPORT_BOOTSTRAP_SECRET_ID: secretId,
    CERTPORT_BOOTSTRAP_SECRET_KEY: secretKey,
    ...(schema ? { CERTPORT_DATABASE_URL: PG_URL, CERTPORT_DATABASE_SCHEMA: schema } : {}),
    ...opts.env,
  };
  let config: Readonly<Config> = loadConfig(env);
  const core: CoreOptions = { ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.deployment ? { deployment: opts.deployment } : {}) };
  let svc = await startService(config, core);
  const port = Number(new URL(svc.url).port);
  const accountUin = (await svc.core.stores.accounts.listAccounts())[0]!.uin;
  const cred: Cred = { accountUin, secretId, secretKey };
  const t: TestService = {
    get svc() { return svc; },
    port, dataDir, backend, env, cred,
    client: sdkClient(port, cred),
    async newAccount() {
      const c = await svc.core.services.accounts.createAccount('test');
      return { accountUin: c.accountUin, userUin: c.userUin, secretId: c.secretId, secretKey: c.secretKey };
    },
    async restart(more = {}) {
      Object.assign(env, more);
      await svc.close();
      // The SDK pools keep-alive sockets in Node's global agent; those died with the server.
      http.globalAgent.destroy();
      config = loadConfig({ ...env, CERTPORT_PORT: String(port) });
      svc = await startService(config, core);
    },
    async close() {
      await svc.close();
      if (schema) await dropPgSchema(PG_URL, schema);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Asserts that a promise rejects with a TencentCloudSDKHttpException carrying `code`. */
export async function expectCode(p: Promise<unknown>, code: string): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
    return err.message ?? '';
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

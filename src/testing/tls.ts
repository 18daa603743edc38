// Test support for the HTTPS listener (issue 23): clients that reach Tencent's host names on
// 127.0.0.1, the way a hosts entry and a port forward would, and what openssl sees.
import { execFile, spawn } from 'node:child_process';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import * as ssl from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/index.js';
import * as tag from 'tencentcloud-sdk-nodejs/tencentcloud/services/tag/v20180813/index.js';
import type { Cred } from './harness.js';

/**
 * An agent that connects every request to 127.0.0.1:port while the URL, the Host header, SNI and
 * the certificate check keep the name asked for (what a hosts entry plus a port forward give).
 * `ca` trusts certport's root; without it, Node's own trust (NODE_EXTRA_CA_CERTS) applies.
 */
export class LoopbackAgent extends https.Agent {
  constructor(private readonly port: number, ca?: string) {
    super({ keepAlive: true, ...(ca ? { ca } : {}) });
  }

  override createConnection(options: any, cb?: any): Duplex {
    const servername = options.servername ?? options.host;
    return (https.Agent.prototype as any).createConnection.call(this, { ...options, host: '127.0.0.1', port: this.port, servername }, cb);
  }
}

export type TagClient = InstanceType<typeof tag.v20180813.Client>;

/** The official SDK with its default https:// and a Tencent endpoint, reaching certport through `agent`. */
export function sslOverTls(cred: Cred, agent: https.Agent, endpoint = 'ssl.tencentcloudapi.com') {
  return new ssl.v20191205.Client({
    credential: { secretId: cred.secretId, secretKey: cred.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint, agent, reqTimeout: 30 } },
  });
}

export function tagOverTls(cred: Cred, agent: https.Agent, endpoint = 'tag.tencentcloudapi.com'): TagClient {
  return new tag.v20180813.Client({
    credential: { secretId: cred.secretId, secretKey: cred.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint, agent, reqTimeout: 30 } },
  });
}

/** The tag client over plain HTTP (the SDK signs the endpoint's first label, `127`). */
export function tagClient(port: number, cred: Cred): TagClient {
  return new tag.v20180813.Client({
    credential: { secretId: cred.secretId, secretKey: cred.secretKey },
    region: '',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 30 } },
  });
}

/** `openssl s_client` once against 127.0.0.1:port with `args`; its output and exit code. */
export async function sClient(port: number, args: string[], env: Record<string, string> = {}): Promise<{ out: string; code: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'ssl.tencentcloudapi.com', ...args],
      { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolve({ out, code: code ?? -1 }));
    p.stdin.end();
  });
}

/** The serial of the certificate a new connection is served (lower-case hex, as openssl prints it). */
export async function servedSerial(port: number): Promise<string> {
  const { out } = await sClient(port, ['-showcerts']);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0];
  if (!pem) throw new Error(`no certificate in s_client output: ${out.slice(0, 400)}`);
  const child = execFile('openssl', ['x509', '-noout', '-serial'], () => {});
  child.stdin!.end(pem);
  const serial = await new Promise<string>((resolve) => {
    let s = '';
    child.stdout!.on('data', (d: Buffer) => { s += d.toString(); });
    child.on('close', () => resolve(s));
  });
  return serial.trim().replace(/^serial=/, '').toLowerCase().replace(/^0+(?=.)/, '');
}

export const execFileP = promisify(execFile);

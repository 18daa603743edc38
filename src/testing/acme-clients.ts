// Test support for certport's ACME server: the real clients (certbot, lego) run as child
// processes against it, and a raw signer for requests no well-behaved client sends.
import { execFile } from 'node:child_process';
import { createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `certbot certonly`: --standalone (http-01 on `httpPort`), or --manual dns-01 through `dnsHooks`
 * (see certbotDnsHooks). `extra`: more arguments (`--preferred-chain NAME`).
 */
export async function certbot(o: {
  dir: string; directory: string; caFile: string; domains: string[]; kid: string; hmacKey: string;
  httpPort?: number; dnsHooks?: { auth: string; cleanup: string }; extra?: string[];
}) {
  const how = o.dnsHooks
    ? ['--manual', '--preferred-challenges', 'dns', '--manual-auth-hook', o.dnsHooks.auth, '--manual-cleanup-hook', o.dnsHooks.cleanup]
    : ['--standalone', '--http-01-port', String(o.httpPort), '--http-01-address', '127.0.0.1'];
  const args = ['certonly', ...how, '--non-interactive', '--agree-tos', '--no-eff-email', '-m', 'ops@example.com',
    '--server', o.directory, '--config-dir', `${o.dir}/config`, '--work-dir', `${o.dir}/work`, '--logs-dir', `${o.dir}/logs`,
    `--eab-kid=${o.kid}`, `--eab-hmac-key=${o.hmacKey}`, // '=': a key may begin with '-', which argparse takes for an option
    '--key-type', 'ecdsa', '--cert-name', 'c', ...(o.extra ?? []), ...o.domains.flatMap((d) => ['-d', d])];
  return run('certbot', args, { env: { ...process.env, REQUESTS_CA_BUNDLE: o.caFile }, timeout: 120_000 });
}

/**
 * certbot's --manual-auth-hook and --manual-cleanup-hook for dns-01, as an operator would write
 * them for a DNS provider's API: shell scripts that put certbot's CERTBOT_VALIDATION under
 * `_acme-challenge.$CERTBOT_DOMAIN` (a wildcard's domain comes without `*.`) through
 * pebble-challtestsrv's management API, and clear it. Each call appends a line to `<dir>/hooks.log`.
 */
export async function certbotDnsHooks(dir: string, managementUrl: string): Promise<{ auth: string; cleanup: string; log: string }> {
  await mkdir(dir, { recursive: true });
  const log = path.join(dir, 'hooks.log');
  const script = (what: 'set-txt' | 'clear-txt') => `#!/bin/sh
set -eu
echo "${what} _acme-challenge.$CERTBOT_DOMAIN" >> '${log}'
${what === 'set-txt'
    ? `body=$(printf '{"host":"_acme-challenge.%s.","value":"%s"}' "$CERTBOT_DOMAIN" "$CERTBOT_VALIDATION")`
    : `body=$(printf '{"host":"_acme-challenge.%s."}' "$CERTBOT_DOMAIN")`}
curl -fsS -X POST -d "$body" '${managementUrl}/${what}'
`;
  const [auth, cleanup] = [path.join(dir, 'auth-hook.sh'), path.join(dir, 'cleanup-hook.sh')];
  await writeFile(auth, script('set-txt'), { mode: 0o755 });
  await writeFile(cleanup, script('clear-txt'), { mode: 0o755 });
  return { auth, cleanup, log };
}

/** Another certbot command (`renew`, `revoke`, …) on the state `certbot()` left in `dir`. */
export async function certbotCmd(o: { dir: string; directory: string; caFile: string }, ...cmd: string[]) {
  const args = [...cmd, '--non-interactive', '--server', o.directory, '--config-dir', `${o.dir}/config`, '--work-dir', `${o.dir}/work`, '--logs-dir', `${o.dir}/logs`];
  return run('certbot', args, { env: { ...process.env, REQUESTS_CA_BUNDLE: o.caFile }, timeout: 120_000 });
}

/** `challenge`: http-01 on `port` (the default) or tls-alpn-01 on it. */
export async function lego(o: { dir: string; directory: string; caFile: string; port: number; domains: string[]; kid: string; hmacKey: string; challenge?: 'http' | 'tls' }) {
  const challenge = o.challenge ?? 'http';
  const args = ['--server', o.directory, '--email', 'ops@example.com', '--accept-tos', '--path', o.dir, '--key-type', 'ec256',
    '--eab', `--kid=${o.kid}`, `--hmac=${o.hmacKey}`, `--${challenge}`, `--${challenge}.port`, `127.0.0.1:${o.port}`,
    ...o.domains.flatMap((d) => ['--domains', d]), 'run'];
  return run('lego', args, { env: { ...process.env, LEGO_CA_CERTIFICATES: o.caFile }, timeout: 120_000 });
}

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: any }

/** One HTTPS request trusting `ca`. */
export function request(url: string, ca: string, method = 'GET', body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // Plain http for a certport whose public URL is its API port (tests of the wire, not of TLS).
    const mod = url.startsWith('http:') ? http : https;
    const req = mod.request(url, { method, ca, headers: body ? { 'content-type': 'application/jose+json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { /* PEM or empty */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

/** A hand-driven ACME account with an ES256 key (tests of what clients never send). */
export class RawAcme {
  readonly key: KeyObject;
  readonly jwk: Record<string, string>;
  kid: string | null = null;
  lastNonce: string | null = null;

  constructor(readonly directoryUrl: string, readonly ca: string) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    const j = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
    this.jwk = { kty: j.kty!, crv: j.crv!, x: j.x!, y: j.y! };
  }

  async directory() {
    return (await request(this.directoryUrl, this.ca)).json;
  }

  async nonce(): Promise<string> {
    const r = await request((await this.directory()).newNonce, this.ca, 'HEAD');
    return r.headers['replay-nonce'] as string;
  }

  jws(url: string, payload: unknown, nonce: string, o: { useJwk?: boolean; tamper?: boolean } = {}): string {
    const header = { alg: 'ES256', nonce, url, ...(o.useJwk || !this.kid ? { jwk: this.jwk } : { kid: this.kid }) };
    const p = b64(header);
    const body = payload === '' ? '' : b64(payload);
    const sig = sign('sha256', Buffer.from(`${p}.${body}`), { key: this.key, dsaEncoding: 'ieee-p1363' });
    if (o.tamper) sig[5] ^= 0xff;
    return JSON.stringify({ protected: p, payload: body, signature: sig.toString('base64url') });
  }

  /** EAB (RFC 8555 7.3.4) over this account's key. */
  eab(kid: string, hmacKey: string, url: string) {
    const p = b64({ alg: 'HS256', kid, url });
    const payload = b64(this.jwk);
    const signature = createHmac('sha256', Buffer.from(hmacKey, 'base64url')).update(`${p}.${payload}`).digest('base64url');
    return { protected: p, payload, signature };
  }

  /** `to`: where to send it when not to `url` itself (another node behind the same public URL). */
  async post(url: string, payload: unknown, o: { useJwk?: boolean; tamper?: boolean; nonce?: string; to?: string } = {}): Promise<RawResponse> {
    const nonce = o.nonce ?? await this.nonce();
    this.lastNonce = nonce;
    return request(o.to ?? url, this.ca, 'POST', this.jws(url, payload, nonce, o));
  }

  async register(eab?: { kid: string; hmacKey: string }): Promise<RawResponse> {
    const url = (await this.directory()).newAccount;
    const r = await this.post(url, { termsOfServiceAgreed: true, ...(eab ? { externalAccountBinding: this.eab(eab.kid, eab.hmacKey, url) } : {}) }, { useJwk: true });
    if (r.status === 201 || r.status === 200) this.kid = r.headers.location as string;
    return r;
  }
}

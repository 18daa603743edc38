// Test support: hand-signed requests over node:http, to exercise what the SDK never sends
// (other Host forms, lowercased header values, v1 replays, oversize and malformed bodies).
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { tc3CanonicalRequest, tc3Signature, utcDate, v1Signature, v1StringToSign } from '../api/signature.js';
import type { Cred } from './harness.js';

export interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: any }

/** `localAddress`: the source address to connect from (any of 127.0.0.0/8 reaches the server). */
export function rawRequest(port: number, opts: { method: string; path: string; headers: Record<string, string>; body?: Buffer | string; localAddress?: string }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const req = request({
      host: '127.0.0.1', port, method: opts.method, path: opts.path, ...(opts.localAddress ? { localAddress: opts.localAddress, agent: false } : {}),
      headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...opts.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

export interface Tc3Options {
  action: string;
  body?: string | Buffer;
  method?: 'GET' | 'POST';
  query?: string;
  version?: string;
  timestamp?: number;
  /** What goes into the signature as host (default: the Host header sent). */
  signHost?: string;
  host?: string;
  service?: string;
  contentType?: string;
  /** Extra signed headers (name → value), e.g. x-tc-action. */
  extraSigned?: Record<string, string>;
  lowercaseValues?: boolean;
  unsignedPayload?: boolean;
  headers?: Record<string, string>;
  scopeDate?: string;
  secretKey?: string;
  /** The source address to send from. */
  localAddress?: string;
}

/** The headers of a TC3-signed POST for `host` (for clients other than node:http, e.g. curl). */
export function tc3Headers(cred: Cred, o: { host: string; action: string; version?: string; service?: string; body: string }): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  const date = utcDate(ts);
  const service = o.service ?? 'ssl';
  const signed: [string, string][] = [['content-type', 'application/json'], ['host', o.host]];
  const canonical = tc3CanonicalRequest('POST', '', signed, createHash('sha256').update(o.body).digest('hex'));
  const signature = tc3Signature(cred.secretKey, date, service, String(ts), canonical);
  return {
    'Content-Type': 'application/json',
    'X-TC-Action': o.action,
    'X-TC-Version': o.version ?? '2019-12-05',
    'X-TC-Timestamp': String(ts),
    Authorization: `TC3-HMAC-SHA256 Credential=${cred.secretId}/${date}/${service}/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
  };
}

export function tc3Request(port: number, cred: Cred, o: Tc3Options): Promise<RawResponse> {
  const method = o.method ?? 'POST';
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  const host = o.host ?? `127.0.0.1:${port}`;
  const contentType = o.contentType ?? (method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json');
  const body = method === 'GET' ? Buffer.alloc(0) : Buffer.from(o.body ?? '{}');
  const service = o.service ?? 'ssl';
  const date = o.scopeDate ?? utcDate(ts);
  const lower = (v: string) => (o.lowercaseValues ? v.toLowerCase() : v);
  const signed: [string, string][] = [['content-type', lower(contentType)], ['host', lower(o.signHost ?? host)]];
  for (const [k, v] of Object.entries(o.extraSigned ?? {})) signed.push([k.toLowerCase(), lower(v)]);
  const payload = o.unsignedPayload ? createHash('sha256').update('UNSIGNED-PAYLOAD').digest('hex') : createHash('sha256').update(body).digest('hex');
  const canonical = tc3CanonicalRequest(method, method === 'GET' ? (o.query ?? '') : '', signed, payload);
  const signature = tc3Signature(o.secretKey ?? cred.secretKey, date, service, String(ts), canonical);
  const signedNames = signed.map(([k]) => k).sort().join(';');
  const headers: Record<string, string> = {
    Host: host,
    'Content-Type': contentType,
    'X-TC-Action': o.action,
    'X-TC-Version': o.version ?? '2019-12-05',
    'X-TC-Timestamp': String(ts),
    Authorization: `TC3-HMAC-SHA256 Credential=${cred.secretId}/${date}/${service}/tc3_request, SignedHeaders=${signedNames}, Signature=${signature}`,
    ...(o.unsignedPayload ? { 'X-TC-Content-SHA256': 'UNSIGNED-PAYLOAD' } : {}),
    ...o.headers,
  };
  const path = method === 'GET' && o.query ? `/?${o.query}` : '/';
  return rawRequest(port, { method, path, headers, ...(method === 'POST' ? { body } : {}), ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
}

export interface V1Options {
  action: string;
  params?: Record<string, string>;
  method?: 'GET' | 'POST';
  signatureMethod?: 'HmacSHA1' | 'HmacSHA256';
  nonce?: string;
  timestamp?: number;
  path?: string;
  version?: string;
  /** The host signed (default 127.0.0.1:port). */
  host?: string;
}

/** v1 parameters, signed, as `[key, value]` pairs; send with sendV1. */
export function signV1(port: number, cred: Cred, o: V1Options): [string, string][] {
  const params: Record<string, string> = {
    Action: o.action,
    Version: o.version ?? '2019-12-05',
    SecretId: cred.secretId,
    Timestamp: String(o.timestamp ?? Math.floor(Date.now() / 1000)),
    Nonce: o.nonce ?? String(Math.floor(Math.random() * 1e9)),
    Region: '',
    ...(o.signatureMethod ? { SignatureMethod: o.signatureMethod } : {}),
    ...o.params,
  };
  const pairs = Object.entries(params);
  const s2s = v1StringToSign(o.method ?? 'GET', o.host ?? `127.0.0.1:${port}`, o.path ?? '/', pairs);
  pairs.push(['Signature', v1Signature(cred.secretKey, o.signatureMethod ?? 'HmacSHA1', s2s)]);
  return pairs;
}

export function sendV1(port: number, pairs: [string, string][], method: 'GET' | 'POST' = 'GET', path = '/'): Promise<RawResponse> {
  const qs = new URLSearchParams(pairs).toString();
  const host = `127.0.0.1:${port}`;
  return method === 'GET'
    ? rawRequest(port, { method, path: `${path}?${qs}`, headers: { Host: host } })
    : rawRequest(port, { method, path, headers: { Host: host, 'Content-Type': 'application/x-www-form-urlencoded' }, body: qs });
}

export const hmacSha1 = (k: string, s: string) => createHmac('sha1', k).update(s).digest('base64');

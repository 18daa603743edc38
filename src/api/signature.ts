// Request signatures: TC3-HMAC-SHA256 ("Signature v3") and the legacy v1 HmacSHA1/HmacSHA256.
// What real clients actually send differs from the spec's ideal in small ways (FACTS.md,
// "What real clients send"); every tolerance below is one of those measured differences.
import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { ServiceError } from '../domain/errors.js';

export const SIGNATURE_WINDOW_SECONDS = 300;

export type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The Host the client signed: the Host header, or over HTTP/2 the `:authority` pseudo-header. */
export function hostOf(headers: Headers): string {
  return header(headers, 'host') ?? header(headers, ':authority') ?? '';
}

// One-shot hash: about half the cost of a Hash object for the few hundred bytes signed here.
const sha256hex = (data: string | Buffer) => hash('sha256', data, 'hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

export interface Tc3Authorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const authFailure = (code: 'InvalidAuthorization' | 'SecretIdNotFound' | 'SignatureExpire' | 'SignatureFailure', message: string) =>
  new ServiceError(`AuthFailure.${code}`, message);

const SIGNATURE_TAIL = 'Signature='.length + 64;
const HEX64 = /^[0-9a-fA-F]{64}$/;
/**
 * Parsed authorizations by their text before the signature (`…, Signature=`): a client sends
 * the same Credential and SignedHeaders all day, and the full parse was ~1.5% of a request's CPU.
 * Only exact `Signature=<64 hex>` endings are looked up; with any 64 hex digits after it, a
 * kept prefix parses to the same parts. Short prefixes only: at most 10,000 of 512 characters.
 */
const parsedPrefixes = new Map<string, Omit<Tc3Authorization, 'signature'>>();

/** Parses `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=hex`. */
export function parseTc3Authorization(value: string): Tc3Authorization {
  const tail = value.length - SIGNATURE_TAIL;
  const prefix = tail > 0 && value.startsWith('Signature=', tail) ? value.slice(0, tail) : null;
  const kept = prefix === null ? undefined : parsedPrefixes.get(prefix);
  const signature = value.slice(value.length - 64);
  if (kept && HEX64.test(signature)) {
    return { secretId: kept.secretId, date: kept.date, service: kept.service, signedHeaders: [...kept.signedHeaders], signature: signature.toLowerCase() };
  }
  const parsed = parseTc3AuthorizationText(value);
  if (prefix !== null && prefix.length <= 512) {
    if (parsedPrefixes.size >= 10_000) parsedPrefixes.clear();
    // Kept apart from what is returned: a caller changing its array changes no later parse.
    parsedPrefixes.set(prefix, { secretId: parsed.secretId, date: parsed.date, service: parsed.service, signedHeaders: [...parsed.signedHeaders] });
  }
  return parsed;
}

function parseTc3AuthorizationText(value: string): Tc3Authorization {
  const m = /^TC3-HMAC-SHA256\s+Credential=(\S+?),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]{64})\s*$/.exec(value);
  if (!m) throw authFailure('InvalidAuthorization', 'The Authorization header is not a valid TC3-HMAC-SHA256 authorization.');
  const credential = m[1]!;
  // The service label may hold ':' '[' ']' (Node and Java SDKs use the endpoint's first host
  // label, e.g. `localhost:8443`), so the scope is taken apart from both ends.
  const first = credential.indexOf('/');
  const suffix = '/tc3_request';
  if (first <= 0 || !credential.endsWith(suffix)) {
    throw authFailure('InvalidAuthorization', 'The Credential in the Authorization header must be SecretId/Date/Service/tc3_request.');
  }
  const secretId = credential.slice(0, first);
  const rest = credential.slice(first + 1, credential.length - suffix.length);
  const slash = rest.indexOf('/');
  const date = slash > 0 ? rest.slice(0, slash) : '';
  const service = slash > 0 ? rest.slice(slash + 1) : '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || service === '') {
    throw authFailure('InvalidAuthorization', 'The Credential in the Authorization header must be SecretId/Date/Service/tc3_request.');
  }
  const signedHeaders = m[2]!.toLowerCase().split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('content-type')) {
    throw authFailure('InvalidAuthorization', 'SignedHeaders must include content-type and host.');
  }
  return { secretId, date, service, signedHeaders, signature: m[3]!.toLowerCase() };
}

/** The last day formatted (every request asks; toISOString was ~0.4% of a request's CPU). */
let lastDay = { day: NaN, text: '' };
export function utcDate(timestampSeconds: number): string {
  const day = Math.floor(timestampSeconds / 86_400);
  if (day !== lastDay.day) lastDay = { day, text: new Date(timestampSeconds * 1000).toISOString().slice(0, 10) };
  return lastDay.text;
}

export interface Tc3Request {
  method: string;
  rawQuery: string;
  headers: Headers;
  body: Buffer;
}

/** The spec's CanonicalRequest, with the signed header values supplied by the caller. */
export function tc3CanonicalRequest(
  method: string,
  rawQuery: string,
  headerValues: [name: string, value: string][],
  payloadHash: string,
): string {
  const sorted = [...headerValues].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const canonicalHeaders = sorted.map(([k, v]) => `${k}:${v}\n`).join('');
  const signed = sorted.map(([k]) => k).join(';');
  return `${method}\n/\n${rawQuery}\n${canonicalHeaders}\n${signed}\n${payloadHash}`;
}

export function tc3Signature(secretKey: string, date: string, service: string, timestamp: string, canonicalRequest: string): string {
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${scope}\n${sha256hex(canonicalRequest)}`;
  return createHmac('sha256', signingKey(secretKey, date, service)).update(stringToSign, 'utf8').digest('hex');
}

// The derived key changes once a day per credential and service: three HMACs saved per request.
const signingKeys = new Map<string, Buffer>();
function signingKey(secretKey: string, date: string, service: string): Buffer {
  const id = `${date}\n${service}\n${secretKey}`;
  let k = signingKeys.get(id);
  if (!k) {
    k = hmac(hmac(hmac('TC3' + secretKey, date), service), 'tc3_request');
    if (signingKeys.size >= 10_000) signingKeys.clear();
    signingKeys.set(id, k);
  }
  return k;
}

const UNSIGNED_PAYLOAD_HASH = sha256hex('UNSIGNED-PAYLOAD');
const EMPTY_HASH = sha256hex('');

export function payloadHash(req: Tc3Request): string {
  const declared = header(req.headers, 'x-tc-content-sha256');
  if (declared === 'UNSIGNED-PAYLOAD') return UNSIGNED_PAYLOAD_HASH;
  return req.method === 'GET' || req.body.length === 0 ? EMPTY_HASH : sha256hex(req.body);
}

/** Host as sent, then without a trailing `:port` (the Node SDK signs the bare hostname). */
export function hostCandidates(host: string): string[] {
  const out = [host];
  const m = /^(.*):\d+$/.exec(host);
  if (m && m[1]) out.push(m[1]);
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a TC3 signature. The spec lowercases header values, while SDKs sign Content-Type
 * verbatim; both spellings and both Host forms are tried (each try costs three HMACs).
 */
export function verifyTc3(req: Tc3Request, auth: Tc3Authorization, timestamp: string, secretKey: string): boolean {
  const method = req.method.toUpperCase();
  const query = method === 'GET' ? req.rawQuery : '';
  const hash = payloadHash(req);
  const hosts = hostCandidates(hostOf(req.headers));
  for (const host of hosts) {
    for (const lower of [false, true]) {
      const values: [string, string][] = auth.signedHeaders.map((name) => {
        const raw = name === 'host' ? host : (header(req.headers, name) ?? '');
        const v = raw.trim();
        return [name, lower ? v.toLowerCase() : v];
      });
      const canonical = tc3CanonicalRequest(method, query, values, hash);
      if (safeEqual(tc3Signature(secretKey, auth.date, auth.service, timestamp, canonical), auth.signature)) return true;
      // Lowercasing changes nothing when every value is already lowercase.
      if (values.every(([, v]) => v === v.toLowerCase())) break;
    }
  }
  return false;
}

// ---- v1 ------------------------------------------------------------------------------

export type V1Method = 'HmacSHA1' | 'HmacSHA256';

/** `METHOD + Host + path + "?" + k=v&…` with keys sorted bytewise and decoded values. */
export function v1StringToSign(method: string, host: string, path: string, params: [string, string][]): string {
  const sorted = params
    .filter(([k]) => k !== 'Signature')
    .sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return `${method.toUpperCase()}${host}${path}?${sorted.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

export function v1Signature(secretKey: string, method: V1Method, stringToSign: string): string {
  return createHmac(method === 'HmacSHA256' ? 'sha256' : 'sha1', secretKey).update(stringToSign, 'utf8').digest('base64');
}

export function verifyV1(
  httpMethod: string,
  hostHeader: string,
  path: string,
  params: [string, string][],
  signature: string,
  method: V1Method,
  secretKey: string,
): boolean {
  for (const host of hostCandidates(hostHeader)) {
    const expected = v1Signature(secretKey, method, v1StringToSign(httpMethod, host, path, params));
    if (safeEqual(expected, signature)) return true;
  }
  return false;
}

export function checkTimestamp(timestamp: string | undefined, nowMs: number): number {
  if (timestamp === undefined || timestamp === '') {
    throw new ServiceError('MissingParameter', 'The request is missing the required parameter `Timestamp`.');
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new ServiceError('InvalidParameterValue', 'The parameter `Timestamp` must be a UNIX time in seconds.');
  }
  const ts = Number(timestamp);
  const skew = Math.abs(nowMs / 1000 - ts);
  if (skew > SIGNATURE_WINDOW_SECONDS) {
    throw authFailure(
      'SignatureExpire',
      `The signature has expired: the request Timestamp ${ts} differs from server time ${Math.floor(nowMs / 1000)} by more than ${SIGNATURE_WINDOW_SECONDS} seconds.`,
    );
  }
  return ts;
}

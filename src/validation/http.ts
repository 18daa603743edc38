// FILE validation: fetch http://<domain>/.well-known/pki-validation/fileauth.txt (then the
// https:// URL if that fails; the spec's ApplyCertificate says either suffices) and compare
// the body with the expected content.
//
// What a public CA's validator does, and this does too (CA/B Forum BR 3.2.2.4.18/19,
// Boulder va/http.go): resolve the name itself and connect to that address, refuse private
// and reserved addresses, send Host (and SNI) = the domain, follow a bounded number of
// redirects to http/https on the validation ports only, re-checking every target, and cap
// the body. Any TLS certificate is accepted: ownership is proven by the content, and a site
// awaiting its first certificate has no trusted one yet. An IP address identifier (ACME, RFC
// 8738 section 4) is checked at that address itself, with Host the address and no SNI (RFC
// 6066 forbids addresses there); the same address rules apply to it.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { canonicalIp } from '../pki/ip.js';
import { lookupAddresses, type CheckResult } from './dns.js';
import { normalizeDomain } from './names.js';

export interface HttpFileCheck {
  /** The name whose file is fetched; with `isAddress`, an IP address. */
  domain: string;
  /** `domain` is an IP address (RFC 8738): fetched from that address, no DNS. */
  isAddress?: boolean;
  /** e.g. '/.well-known/pki-validation/fileauth.txt' */
  path: string;
  expected: string;
  /** Port for http:// URLs, initial and redirected; default 80. */
  httpPort?: number;
  /** Port for https:// URLs, initial and redirected; default 443. */
  httpsPort?: number;
  /** DNS servers for A/AAAA, 'ip' or 'ip:port'; the system's when absent. */
  resolvers?: string[];
  /** Allow loopback/private/reserved targets (tests, private networks). Default false. */
  allowPrivate?: boolean;
  /** Per request (connect, headers and body); default 10000 ms. */
  timeoutMs?: number;
  /** Default 10. */
  maxRedirects?: number;
  /** Default 64 KiB. */
  maxBytes?: number;
  /** Where to look first, then next; default http then https. ACME http-01 starts at http only (RFC 8555 8.3). */
  schemes?: ('http:' | 'https:')[];
}

export const USER_AGENT = 'certport-validation/1.0 (+FILE domain validation)';

// IANA special-purpose registries (RFC 6890 and updates): not reachable as public sites.
// Separate lists per family: node's BlockList matches IPv4 addresses against IPv6 rules
// covering ::ffff:0:0/96 (and IPv4-mapped IPv6 addresses against IPv4 rules).
const reserved4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16],
  ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) reserved4.addSubnet(net, prefix, 'ipv4');
const reserved6 = new BlockList();
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23],
  ['2001:db8::', 32], ['2002::', 16], ['3fff::', 20], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) reserved6.addSubnet(net, prefix, 'ipv6');
/** An AAAA record holding an IPv4-mapped address is bogus: refuse it whatever it maps to. */
const mapped = new BlockList();
mapped.addSubnet('::ffff:0:0', 96, 'ipv6');

/** False for loopback, private, link-local, CGNAT, documentation, multicast and other reserved addresses. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !reserved4.check(ip, 'ipv4');
  if (family === 6) return !mapped.check(ip, 'ipv6') && !reserved6.check(ip, 'ipv6');
  return false;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A failed check; `url` is where it happened (after redirects), when a request was involved. */
class Failure extends Error {
  constructor(
    message: string,
    readonly url?: URL,
  ) {
    super(message);
  }
}

interface Settings {
  ports: { 'http:': number; 'https:': number };
  /** The IP address identifier being checked (canonical), whose URLs name no host to resolve. */
  address?: string;
  resolvers?: string[];
  allowPrivate: boolean;
  timeoutMs: number;
  maxRedirects: number;
  maxBytes: number;
}

const normalizeBody = (s: string) => s.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').trim();

export async function checkHttpFile(opts: HttpFileCheck): Promise<CheckResult> {
  let host: string;
  let address: string | undefined;
  if (opts.isAddress) {
    const ip = canonicalIp(opts.domain);
    if (ip === null) return { ok: false, detail: `${JSON.stringify(opts.domain)} is not an IP address` };
    address = ip;
    host = ip.includes(':') ? `[${ip}]` : ip;
  } else {
    try {
      host = normalizeDomain(opts.domain, { allowWildcard: false });
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }
  if (!opts.path.startsWith('/') || /[\s#?]/.test(opts.path)) return { ok: false, detail: `path ${JSON.stringify(opts.path)} must be an absolute path` };
  const s: Settings = {
    ports: { 'http:': opts.httpPort ?? 80, 'https:': opts.httpsPort ?? 443 },
    ...(address ? { address } : {}),
    resolvers: opts.resolvers,
    allowPrivate: opts.allowPrivate ?? false,
    timeoutMs: opts.timeoutMs ?? 10_000,
    maxRedirects: opts.maxRedirects ?? 10,
    maxBytes: opts.maxBytes ?? 64 * 1024,
  };
  const want = normalizeBody(opts.expected);
  const failures: string[] = [];
  let lastFound: string[] | undefined;
  for (const scheme of opts.schemes ?? (['http:', 'https:'] as const)) {
    const start = new URL(`${scheme}//${host}:${s.ports[scheme]}${opts.path}`);
    try {
      const { body, url } = await fetchFollowing(start, s);
      if (normalizeBody(body) === want) return { ok: true, detail: `${display(url)}: has the expected content`, found: [normalizeBody(body)] };
      lastFound = [normalizeBody(body).slice(0, 1024)];
      failures.push(`${display(url)}: has different content (${JSON.stringify(preview(body))})`);
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      failures.push(`${display(e.url ?? start)}: ${e.message}`);
      if (e.message.startsWith('DNS') || e.message.includes('private or reserved')) break; // https would fail the same way
    }
  }
  return { ok: false, detail: failures.join('; '), ...(lastFound ? { found: lastFound } : {}) };
}

const preview = (body: string) => {
  const t = body.trim();
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
};

/** WHATWG URLs already drop default ports, so this is what a user would type. */
const display = (u: URL) => u.href;

async function fetchFollowing(first: URL, s: Settings): Promise<{ body: string; url: URL }> {
  let url = first;
  const resolved = new Map<string, string[]>();
  for (let redirects = 0; ; redirects++) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const addresses = resolved.get(url.hostname) ?? (await addressesFor(url.hostname, s));
    resolved.set(url.hostname, addresses);
    const res = await getFromAny(url, port, addresses, s);
    if (REDIRECTS.has(res.status)) {
      if (redirects >= s.maxRedirects) throw new Failure(`more than ${s.maxRedirects} redirects`, url);
      if (!res.location) throw new Failure(`HTTP ${res.status} without a Location`, url);
      let next: URL;
      try {
        next = new URL(res.location, url);
      } catch {
        throw new Failure(`redirects to an invalid URL ${JSON.stringify(res.location)}`, url);
      }
      checkRedirectTarget(next, url, s);
      url = next;
      continue;
    }
    if (res.status !== 200) throw new Failure(`answered HTTP ${res.status}`, url);
    return { body: res.body, url };
  }
}

function checkRedirectTarget(next: URL, from: URL, s: Settings): void {
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Failure(`redirect to ${next.protocol} URL ${display(next)} is not allowed`, from);
  if (next.username || next.password) throw new Failure(`redirect to ${display(next)} carries credentials`, from);
  const host = next.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    // An address identifier's own address is where its check already is (e.g. http to https).
    if (s.address === undefined || canonicalIp(host) !== s.address) {
      throw new Failure(`redirect to the IP address ${host} is not allowed; validation follows names only${s.address ? ` (or the address ${s.address} itself)` : ''}`, from);
    }
    return checkPort(next, from, s);
  }
  try {
    normalizeDomain(host, { allowWildcard: false });
  } catch (e) {
    throw new Failure(`redirect to ${display(next)}: ${(e as Error).message}`, from);
  }
  checkPort(next, from, s);
}

function checkPort(next: URL, from: URL, s: Settings): void {
  const protocol = next.protocol as 'http:' | 'https:';
  const port = Number(next.port || (protocol === 'https:' ? 443 : 80));
  if (port !== s.ports[protocol]) throw new Failure(`redirect to port ${port} is not allowed (only ${s.ports[protocol]} for ${protocol.slice(0, -1)})`, from);
}

async function addressesFor(host: string, s: Settings): Promise<string[]> {
  const literal = host.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    // Only the identifier's own address gets here (checkRedirectTarget); it is not resolved.
    if (!s.allowPrivate && !isPublicAddress(literal)) throw new Failure(`${literal} is a private or reserved address`);
    return [literal];
  }
  let all: string[];
  try {
    all = await lookupAddresses(host, { resolvers: s.resolvers, timeoutMs: Math.min(s.timeoutMs, 5000) });
  } catch (e) {
    throw new Failure(`DNS: ${(e as Error).message}`);
  }
  if (all.length === 0) throw new Failure(`DNS: ${host} has no A or AAAA record`);
  const usable = s.allowPrivate ? all : all.filter(isPublicAddress);
  if (usable.length === 0) throw new Failure(`${host} resolves only to private or reserved addresses (${all.join(', ')})`);
  return usable;
}

interface Fetched {
  status: number;
  location?: string;
  body: string;
}

/** Tries each address in turn until one answers (connection failures move on; HTTP answers do not). */
async function getFromAny(url: URL, port: number, addresses: string[], s: Settings): Promise<Fetched> {
  let lastError = '';
  for (const address of addresses) {
    try {
      return await get(url, port, address, s);
    } catch (e) {
      if (!(e instanceof ConnectError)) throw e;
      lastError = `${address}: ${e.message}`;
    }
  }
  throw new Failure(`cannot connect to ${url.hostname} port ${port} (${lastError})`, url);
}

class ConnectError extends Error {}

function get(url: URL, port: number, address: string, s: Settings): Promise<Fetched> {
  const https = url.protocol === 'https:';
  const defaultPort = https ? 443 : 80;
  return new Promise<Fetched>((resolve, reject) => {
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = (https ? httpsRequest : httpRequest)({
      host: address,
      port,
      path: url.pathname + url.search,
      method: 'GET',
      headers: {
        Host: port === defaultPort ? url.hostname : `${url.hostname}:${port}`,
        'User-Agent': USER_AGENT,
        Accept: '*/*',
        Connection: 'close',
      },
      agent: false,
      // No SNI for an address (RFC 6066 3): node leaves it out when none is given and Host is one.
      ...(https ? { ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: url.hostname }), rejectUnauthorized: false } : {}),
    });
    let connected = false;
    req.on('socket', (sock) => {
      sock.once(https ? 'secureConnect' : 'connect', () => (connected = true));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(() => reject(connected ? new Failure(`timed out after ${s.timeoutMs} ms`, url) : new ConnectError(`timed out after ${s.timeoutMs} ms`)));
    }, s.timeoutMs);
    req.on('error', (e) => done(() => reject(connected ? new Failure(e.message, url) : new ConnectError(e.message))));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.destroy();
        const location = res.headers.location;
        done(() => resolve({ status, location, body: '' }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > s.maxBytes) {
          done(() => reject(new Failure(`sent more than ${s.maxBytes} bytes`, url)));
          res.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => done(() => resolve({ status, body: Buffer.concat(chunks).toString('utf8') })));
      res.on('error', (e) => done(() => reject(new Failure(e.message, url))));
      res.on('aborted', () => done(() => reject(new Failure('connection closed mid-body', url))));
    });
    req.end();
  });
}

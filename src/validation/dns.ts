// DNS checks for DV validation: TXT records (DvAuthVerifyType "TXT") and CNAME records
// (DvAuthVerifyType "CNAME"). Pure: nothing is stored, the resolvers are injected.
//
// node:dns Resolver (c-ares) returns the TXT records when the server's answer holds the
// whole CNAME chain (what recursive resolvers send), but an empty list when the server
// answers with the CNAME alone (what an authoritative server does when the target lies in
// a zone it does not serve). So CNAMEs are followed here, at most MAX_CNAME_HOPS deep.
import { Resolver } from 'node:dns/promises';

export interface DnsOptions {
  /** Servers to ask, 'ip' or 'ip:port' ('[v6]:port' for IPv6); the system's when absent. */
  resolvers?: string[];
  /** Per query attempt; default 5000 ms. */
  timeoutMs?: number;
}

export const MAX_CNAME_HOPS = 8;

/** A query that failed (timeout, SERVFAIL, REFUSED), as opposed to a name with no records. */
export class DnsLookupError extends Error {
  constructor(
    readonly query: string,
    readonly code: string,
  ) {
    super(`DNS lookup of ${query} failed (${code})`);
    this.name = 'DnsLookupError';
  }
}

/** No such name or no records of the type: an answer, not a failure. */
const NO_DATA: ReadonlySet<string> = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * A fresh resolver per check: c-ares caches answers per channel (c-ares 1.23+), and a record
 * the user has just added must not be hidden by a cached negative answer.
 */
export function resolver(opts: DnsOptions): Resolver {
  const r = new Resolver({ timeout: opts.timeoutMs ?? 5000, tries: 2 });
  if (opts.resolvers?.length) r.setServers(opts.resolvers);
  return r;
}

const strip = (name: string) => name.trim().replace(/\.$/, '').toLowerCase();

async function query<T>(name: string, fn: () => Promise<T[]>, noData = NO_DATA): Promise<T[]> {
  try {
    return await fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    if (noData.has(code)) return [];
    throw new DnsLookupError(name, code);
  }
}

/**
 * Follows the CNAME chain from `name`; returns the names visited, the last being where records
 * live. `noData`: the error codes that mean "nothing here" (others throw DnsLookupError).
 */
export async function chase<T>(r: Resolver, start: string, lookup: (name: string) => Promise<T[]>, noData = NO_DATA): Promise<{ records: T[]; chain: string[] }> {
  const chain = [strip(start)];
  for (;;) {
    const name = chain[chain.length - 1];
    const records = await query(name, () => lookup(name), noData);
    if (records.length) return { records, chain };
    const [target] = await query(name, () => r.resolveCname(name), noData);
    if (!target) return { records: [], chain };
    const next = strip(target);
    if (chain.includes(next)) throw new DnsLookupError(start, `CNAME loop at ${next}`);
    if (chain.length > MAX_CNAME_HOPS) throw new DnsLookupError(start, `more than ${MAX_CNAME_HOPS} CNAMEs`);
    chain.push(next);
  }
}

/** The TXT strings at `name` (each record's character-strings joined), following CNAMEs. */
export async function lookupTxt(name: string, opts: DnsOptions = {}): Promise<string[]> {
  return (await lookupTxtChain(name, opts)).records;
}

async function lookupTxtChain(name: string, opts: DnsOptions): Promise<{ records: string[]; chain: string[] }> {
  const r = resolver(opts);
  const { records, chain } = await chase(r, name, (n) => r.resolveTxt(n));
  return { records: records.map((parts) => parts.join('')), chain };
}

/**
 * The IPv4 then IPv6 addresses of `name`, following CNAMEs. Empty when the name has none;
 * DnsLookupError when a query fails.
 */
export async function lookupAddresses(name: string, opts: DnsOptions = {}): Promise<string[]> {
  const r = resolver(opts);
  const [v4, v6] = await Promise.all([chase(r, name, (n) => r.resolve4(n)), chase(r, name, (n) => r.resolve6(n))]);
  return [...v4.records, ...v6.records];
}

export interface CheckResult {
  ok: boolean;
  detail: string;
  /** What was found (TXT values, or the file's content), for CheckValue. */
  found?: string[];
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1').trim();

/**
 * Whether a TXT record at recordName (e.g. `_dnsauth.shop.example.com`) holds expectedValue.
 * Surrounding quotes pasted into a DNS console are forgiven; the value itself is compared exactly.
 */
export async function checkDnsTxt(recordName: string, expectedValue: string, opts: DnsOptions = {}): Promise<CheckResult> {
  const want = unquote(expectedValue);
  let found: { records: string[]; chain: string[] };
  try {
    found = await lookupTxtChain(recordName, opts);
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  }
  const via = found.chain.length > 1 ? ` (via CNAME ${found.chain.slice(1).join(' -> ')})` : '';
  if (found.records.length === 0) return { ok: false, detail: `no TXT record at ${strip(recordName)}${via}` };
  const values = found.records.slice(0, 10);
  if (found.records.some((v) => unquote(v) === want)) return { ok: true, detail: `TXT record at ${strip(recordName)}${via} matches`, found: values };
  const shown = found.records.slice(0, 5).map((v) => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)).join(', ');
  return { ok: false, detail: `TXT record at ${strip(recordName)}${via} does not match: found ${shown}`, found: values };
}

/** Whether recordName is a CNAME pointing at expectedTarget (case and trailing dot ignored). */
export async function checkDnsCname(recordName: string, expectedTarget: string, opts: DnsOptions = {}): Promise<CheckResult> {
  let targets: string[];
  try {
    targets = await query(strip(recordName), () => resolver(opts).resolveCname(strip(recordName)));
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  }
  if (targets.length === 0) return { ok: false, detail: `no CNAME record at ${strip(recordName)}` };
  if (targets.some((t) => strip(t) === strip(expectedTarget))) return { ok: true, detail: `CNAME at ${strip(recordName)} matches` };
  return { ok: false, detail: `CNAME at ${strip(recordName)} points to ${targets.map(strip).join(', ')}, not ${strip(expectedTarget)}` };
}

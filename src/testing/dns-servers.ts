// Test-only: real DNS servers on loopback, started as child processes.
//  - pebble-challtestsrv (Debian package `pebble`): mock DNS with a management API; it
//    answers every A query with 127.0.0.1 and chases CNAMEs itself.
//  - named (Debian package `bind9`): an authoritative server, which does NOT chase a CNAME
//    into a zone it does not serve, so the client must follow it.
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild } from './net.js';
import type { TsigKey } from '../validation/rfc2136.js';

export { freePort };

const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv';
const NAMED = '/usr/sbin/named';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, child: ChildProcess, output: () => string, probe: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}): ${output()}`);
    if (await probe().catch(() => false)) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not come up within ${ms} ms: ${output()}`);
}

function requireBinary(path: string, pkg: string) {
  if (!existsSync(path)) throw new Error(`${path} is missing: apt-get install -y ${pkg}`);
}

function spawnLogged(cmd: string, args: string[]) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => { log = (log + b.toString()).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => log };
}


export interface ChallTestSrv {
  /** '127.0.0.1:port' for DnsOptions.resolvers */
  dns: string;
  /** Its management API (`POST /set-txt`, `/clear-txt`, …), for hooks in other processes. */
  managementUrl: string;
  setTxt(host: string, value: string): Promise<void>;
  clearTxt(host: string): Promise<void>;
  setCname(host: string, target: string): Promise<void>;
  clearCname(host: string): Promise<void>;
  addA(host: string, addresses: string[]): Promise<void>;
  clearA(host: string): Promise<void>;
  addAaaa(host: string, addresses: string[]): Promise<void>;
  clearAaaa(host: string): Promise<void>;
  setServfail(host: string): Promise<void>;
  /** CAA records at `host` (flags 0: challtestsrv sets no critical bit; BIND zones can). */
  addCaa(host: string, policies: { tag: string; value: string }[]): Promise<void>;
  clearCaa(host: string): Promise<void>;
  stop(): Promise<void>;
}

const fqdn = (h: string) => (h.endsWith('.') ? h : `${h}.`);

export async function startChallTestSrv(): Promise<ChallTestSrv> {
  requireBinary(CHALLTESTSRV, 'pebble');
  const [mgmtPort, dnsPort] = [await freePort(), await freePort()];
  const { child, output } = spawnLogged(CHALLTESTSRV, [
    '-management', `127.0.0.1:${mgmtPort}`, '-dns01', `127.0.0.1:${dnsPort}`,
    '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '',
  ]);
  const api = async (path: string, body: object) => {
    const res = await fetch(`http://127.0.0.1:${mgmtPort}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`challtestsrv ${path}: HTTP ${res.status} ${await res.text()}`);
  };
  const dns = `127.0.0.1:${dnsPort}`;
  await waitFor('pebble-challtestsrv', child, output, async () => {
    await api('/clear-txt', { host: 'ready.test.' });
    const r = new Resolver({ timeout: 200, tries: 1 });
    r.setServers([dns]);
    return (await r.resolve4('ready.test')).length > 0;
  });
  return {
    dns,
    managementUrl: `http://127.0.0.1:${mgmtPort}`,
    setTxt: (host, value) => api('/set-txt', { host: fqdn(host), value }),
    clearTxt: (host) => api('/clear-txt', { host: fqdn(host) }),
    setCname: (host, target) => api('/set-cname', { host: fqdn(host), target: fqdn(target) }),
    clearCname: (host) => api('/clear-cname', { host: fqdn(host) }),
    addA: (host, addresses) => api('/add-a', { host: fqdn(host), addresses }),
    clearA: (host) => api('/clear-a', { host: fqdn(host) }),
    addAaaa: (host, addresses) => api('/add-aaaa', { host: fqdn(host), addresses }),
    clearAaaa: (host) => api('/clear-aaaa', { host: fqdn(host) }),
    setServfail: (host) => api('/set-servfail', { host: fqdn(host) }),
    addCaa: (host, policies) => api('/add-caa', { host: fqdn(host), policies }),
    clearCaa: (host) => api('/clear-caa', { host: fqdn(host) }),
    stop: () => stopChild(child),
  };
}

export interface Bind {
  dns: string;
  stop(): Promise<void>;
}

export interface BindOptions {
  /** A TSIG key that may update every zone (RFC 2136). */
  tsig?: TsigKey;
  /** Let anyone update every zone without a signature. */
  allowUpdateUnsigned?: boolean;
}

/**
 * An authoritative-only BIND 9 on a loopback port serving the given zones (zone name →
 * records in zone-file syntax; SOA and NS are added). Dynamic updates are refused unless
 * `opts` allows them; the journal goes beside the zone files in a private temp directory.
 */
export async function startBind(zones: Record<string, string>, opts: BindOptions = {}): Promise<Bind> {
  requireBinary(NAMED, 'bind9');
  const dir = await mkdtemp(join(tmpdir(), 'certport-bind-'));
  const port = await freePort();
  const allowed = [...(opts.tsig ? [`key "${opts.tsig.name}";`] : []), ...(opts.allowUpdateUnsigned ? ['any;'] : [])];
  const allowUpdate = allowed.length ? ` allow-update { ${allowed.join(' ')} };` : '';
  const conf = [
    `options { directory "${dir}"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };`,
    `  recursion no; dnssec-validation no; pid-file none; session-keyfile none; managed-keys-directory "${dir}"; };`,
    'controls { };',
    ...(opts.tsig ? [`key "${opts.tsig.name}" { algorithm ${opts.tsig.algorithm}; secret "${opts.tsig.secret}"; };`] : []),
    ...Object.keys(zones).map((z) => `zone "${z}" { type primary; file "${join(dir, `${z}.zone`)}";${allowUpdate} };`),
  ].join('\n');
  await writeFile(join(dir, 'named.conf'), conf);
  for (const [zone, records] of Object.entries(zones)) {
    await writeFile(join(dir, `${zone}.zone`),
      `$TTL 60\n$ORIGIN ${zone}.\n@ IN SOA ns.${zone}. hostmaster.${zone}. 1 60 60 60 60\n@ IN NS ns.${zone}.\nns IN A 127.0.0.1\n${records}\n`);
  }
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const { child, output } = spawnLogged(NAMED, ['-g', '-c', join(dir, 'named.conf'), ...user]);
  const dns = `127.0.0.1:${port}`;
  try {
    await waitFor('named', child, output, async () => {
      const r = new Resolver({ timeout: 200, tries: 1 });
      r.setServers([dns]);
      return (await r.resolveNs(Object.keys(zones)[0])).length > 0;
    });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dns,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

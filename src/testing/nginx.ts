// Test support: a real nginx (Debian's /usr/sbin/nginx) serving TLS on loopback ports from
// certificate files, run as the test's own instance (-p <dir> -c <conf>, daemon off), and
// `openssl s_client` reading which leaf it serves. The test stops it by its PID.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitPort } from './net.js';

export const NGINX = '/usr/sbin/nginx';

/** `extra`: more directives for the server block (e.g. OCSP stapling). */
export interface NginxSite { name: string; port: number; certFile: string; keyFile: string; extra?: string }

export interface Nginx {
  dir: string;
  conf: string;
  pid: number;
  /** argv that reloads this instance (nginx -s reload with the same -p/-c/pid). */
  reloadArgv: string[];
  /** Writes the configuration again, optionally with a directive that breaks it. */
  writeConf(opts?: { broken?: boolean }): void;
  /** `nginx -s reload`, resolved once new workers run (the configuration and certificate files were read again). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export async function startNginx(sites: NginxSite[], dir?: string): Promise<Nginx> {
  const root = dir ?? await mkdtemp(path.join(tmpdir(), 'certport-nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(path.join(root, d), { recursive: true });
  const conf = path.join(root, 'nginx.conf');
  const pidFile = path.join(root, 'nginx.pid');
  const writeConf = (opts: { broken?: boolean } = {}) => writeFileSync(conf, `
worker_processes 1;
error_log ${root}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${root}/tmp/body;
  proxy_temp_path ${root}/tmp/proxy;
  fastcgi_temp_path ${root}/tmp/fastcgi;
  uwsgi_temp_path ${root}/tmp/uwsgi;
  scgi_temp_path ${root}/tmp/scgi;
  ${opts.broken ? 'certport_broken_directive on;' : ''}
${sites.map((s) => `  server {
    listen 127.0.0.1:${s.port} ssl;
    server_name ${s.name};
    ssl_certificate ${s.certFile};
    ssl_certificate_key ${s.keyFile};
    ${s.extra ?? ''}
    location / { return 200 "ok\\n"; }
  }`).join('\n')}
}
`);
  writeConf();
  const child: ChildProcess = spawn(NGINX, ['-p', root, '-c', conf, '-g', `daemon off; pid ${pidFile};`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  try {
    for (const s of sites) await waitPort(s.port, 200);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`nginx did not start: ${stderr} ${(e as Error).message}`);
  }
  const reloadArgv = [NGINX, '-p', root, '-c', conf, '-g', `pid ${pidFile};`, '-s', 'reload'];
  return {
    dir: root, conf, pid: child.pid!,
    reloadArgv,
    writeConf,
    async reload() {
      const workers = () => readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').split(' ').filter(Boolean);
      const before = new Set(workers());
      execFileSync(reloadArgv[0]!, reloadArgv.slice(1), { stdio: 'pipe' });
      for (const deadline = Date.now() + 10_000; !workers().some((w) => !before.has(w));) {
        if (Date.now() > deadline) throw new Error('nginx started no new workers after the reload');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      // SIGQUIT: graceful shutdown of the master and its workers; SIGKILL if it lingers.
      process.kill(child.pid!, 'SIGQUIT');
      const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(t);
      if (!dir) await rm(root, { recursive: true, force: true });
    },
  };
}

/** The SHA-256 fingerprint (lower-case hex) of the leaf `openssl s_client` is served for `name`. */
export function servedFingerprint(port: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name], { timeout: 10_000 }, (err, stdout) => {
      const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout);
      if (!m) return reject(new Error(`openssl s_client found no certificate on ${port}: ${err?.message ?? ''}`));
      resolve(new X509Certificate(m[0]).fingerprint256.replace(/:/g, '').toLowerCase());
    });
    p.stdin?.end();
  });
}

/** Polls until the port serves `sha256` (nginx reloads asynchronously), or fails with what it serves. */
export async function waitServed(port: number, name: string, sha256: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    last = await servedFingerprint(port, name).catch((e: Error) => e.message);
    if (last === sha256) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} serves ${last}, not ${sha256}`);
}

// Test-only: Let's Encrypt's Pebble (Debian package `pebble`) as a real ACME server on
// loopback. Debian ships no test certificates, so its TLS certificate is made here with
// openssl (FACTS.md). Pebble keeps everything in memory: restart() is a CA that forgot
// every account and order, with a new root.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './pki-fixtures.js';
import { freePort, stopChild } from './net.js';

const PEBBLE = '/usr/bin/pebble';

export interface Pebble {
  directoryUrl: string;
  /** The PEM file certport must trust for Pebble's TLS (CERTPORT_ACME_CA_FILE). */
  tlsCaFile: string;
  /** Pebble's current issuing root (it changes on every start). */
  rootPem(): Promise<string>;
  /** What Pebble says of a certificate it issued, by serial (hex): its management API's JSON, e.g. {"Status":"Revoked","Reason":4}. */
  certStatus(serialHex: string): Promise<{ Status?: string; Reason?: number }>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and start again: every order and account is forgotten. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export interface PebbleOptions {
  /** 'ip:port' of the DNS server Pebble resolves through (pebble-challtestsrv). */
  dnsServer: string;
  /** Port Pebble connects to for http-01 (the test's web server). */
  httpPort: number;
  domainBlocklist?: string[];
}


export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  if (!existsSync(PEBBLE)) throw new Error(`${PEBBLE} is missing: apt-get install -y pebble`);
  const dir = await mkdtemp(path.join(tmpdir(), 'certport-pebble-'));
  const cert = path.join(dir, 'tls.pem');
  const key = path.join(dir, 'tls.key');
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=pebble test', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  const [acmePort, mgmtPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
  await writeFile(path.join(dir, 'pebble.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: cert,
      privateKey: key,
      httpPort: opts.httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      domainBlocklist: opts.domainBlocklist ?? [],
    },
  }));
  const ca = await readFile(cert, 'utf8');
  const agent = new https.Agent({ ca });
  const get = (url: string) => new Promise<{ status: number; body: string }>((ok, fail) => {
    https.get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    }).on('error', fail);
  });

  let child: ChildProcess | null = null;
  let log = '';
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const p: Pebble = {
    directoryUrl,
    tlsCaFile: cert,
    async rootPem() {
      return (await get(`https://127.0.0.1:${mgmtPort}/roots/0`)).body;
    },
    async certStatus(serialHex: string) {
      return JSON.parse((await get(`https://127.0.0.1:${mgmtPort}/cert-status-by-serial/${serialHex}`)).body) as { Status?: string; Reason?: number };
    },
    async start() {
      child = spawn(PEBBLE, ['-config', path.join(dir, 'pebble.json'), '-dnsserver', opts.dnsServer], {
        stdio: ['ignore', 'pipe', 'pipe'],
        // No sleeping validations, no random nonce rejections, no authorization reuse.
        env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      });
      const keep = (b: Buffer) => { log = (log + b.toString()).slice(-4000); };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null) throw new Error(`pebble exited (${child.exitCode}): ${log}`);
        if ((await get(directoryUrl).catch(() => ({ status: 0 }))).status === 200) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`pebble did not come up: ${log}`);
    },
    async stop() {
      if (child) await stopChild(child);
      child = null;
    },
    async restart() {
      await p.stop();
      await p.start();
    },
    async dispose() {
      await p.stop();
      agent.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await p.start();
  return p;
}

// Test support for domain validation: a web server that serves validation files, and a
// poll for a certificate reaching a status (validation runs in the background).
import http from 'node:http';
import type { SslClient } from './harness.js';
import { freePort } from './net.js';

export interface FileServer {
  port: number;
  /** host + path → body */
  files: Map<string, string>;
  stop(): Promise<void>;
}

export async function startFileServer(port?: number): Promise<FileServer> {
  const files = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const body = files.get(host + (req.url ?? ''));
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(body ?? 'not found');
  });
  const p = port ?? await freePort();
  await new Promise<void>((ok) => server.listen(p, '127.0.0.1', ok));
  return {
    port: p,
    files,
    stop: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** Service settings that validate against a test DNS server (`ip:port`) and this file server. */
export function validationEnv(dns: string, web: FileServer): Record<string, string> {
  return {
    CERTPORT_DNS_RESOLVERS: dns,
    CERTPORT_VALIDATION_ALLOW_PRIVATE: '1',
    CERTPORT_VALIDATION_HTTP_PORT: String(web.port),
    CERTPORT_VALIDATION_HTTPS_PORT: String(web.port),
    CERTPORT_VALIDATION_INTERVAL_MS: '500',
  };
}

export type Described = Awaited<ReturnType<SslClient['DescribeCertificate']>>;

/** Polls DescribeCertificate until `until` holds. */
export async function waitFor(c: SslClient, id: string, until: (d: Described) => boolean, ms = 30_000): Promise<Described> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await c.DescribeCertificate({ CertificateId: id });
    if (until(d)) return d;
    if (Date.now() > deadline) {
      const list = await c.DescribeCertificates({ CertIds: [id] });
      throw new Error(`certificate ${id} stayed in status ${d.Status} (${d.StatusMsg}); last check: ${list.Certificates?.[0]?.AwaitingValidationMsg}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

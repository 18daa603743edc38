// The TLS probe: which leaf certificate does a server present for a name? A handshake only
// (no HTTP), trusting nothing: the answer is the leaf's SHA-256 fingerprint.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';

export interface ProbeTarget { host: string; port: number; sni?: string }
export type ProbeResult = { ok: true; sha256: string; subject: string; notAfter: number } | { ok: false; error: string };

/** `host:port` or `[v6]:port`; the port defaults to 443. */
export function parseAddress(address: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(address.trim());
  if (!m) return null;
  const port = m[3] ? Number(m[3]) : 443;
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] ?? m[2])!, port };
}

export function probe(t: ProbeTarget, timeoutMs = 5000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(r);
    };
    const servername = t.sni ?? (isIP(t.host) ? undefined : t.host);
    const sock = tls.connect({ host: t.host, port: t.port, ...(servername ? { servername } : {}), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    sock.setTimeout(timeoutMs, () => finish({ ok: false, error: `no TLS handshake within ${timeoutMs} ms` }));
    sock.once('secureConnect', () => {
      const peer = sock.getPeerCertificate();
      if (!peer?.raw) return finish({ ok: false, error: 'the server presented no certificate' });
      finish({
        ok: true,
        sha256: createHash('sha256').update(peer.raw).digest('hex'),
        subject: peer.subject?.CN ? String(peer.subject.CN) : '',
        notAfter: Date.parse(peer.valid_to),
      });
    });
    sock.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, error: `${e.code ?? e.message}` }));
  });
}

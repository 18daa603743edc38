// The HTTPS listener (issue 23): the same Fastify handler as the HTTP port, behind TLS 1.2+
// with HTTP/2 and HTTP/1.1 offered by ALPN. Its certificate comes from a ServingSource
// (services/tls-serving.ts), polled every reloadMs; new material replaces the secure context
// in place (server.setSecureContext), so connections already open keep theirs and every new
// handshake gets the new certificate, without a restart.
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Log } from '../domain/log.js';
import type { ServingMaterial, ServingSource } from '../services/tls-serving.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TlsListenerOptions {
  host: string;
  port: number;
  source: ServingSource;
  reloadMs: number;
  keepAliveTimeout: number;
  log: Log;
}

export class TlsListener {
  readonly server: Http2SecureServer;
  #timer: NodeJS.Timeout | null = null;
  #polling = false;
  #closing = false;
  /** HTTP/1.1 connections with the number of requests they are answering. */
  readonly #http1 = new Map<Socket, number>();
  readonly #sessions = new Set<Http2Session>();
  /** What is being served now. */
  current: ServingMaterial | null = null;

  constructor(handler: Handler, private readonly opts: TlsListenerOptions) {
    const headersTimeout = Math.max(60_000, opts.keepAliveTimeout + 1_000);
    this.server = createSecureServer({
      allowHTTP1: true,
      minVersion: 'TLSv1.2',
      // GET requests may carry 32 KB of query (LIMITS.get), over either protocol.
      maxHeaderSize: 64 * 1024,
      settings: { maxHeaderListSize: 80 * 1024 },
      // Replaced by the source's first answer before listening.
      key: undefined,
      cert: undefined,
    } as Parameters<typeof createSecureServer>[0], handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
    // Node's HTTP/1.1 fallback reads these from the server, as on the plain HTTP port.
    Object.assign(this.server, { keepAliveTimeout: opts.keepAliveTimeout, headersTimeout, requestTimeout: Math.max(300_000, headersTimeout), maxHeaderSize: 64 * 1024 });
    this.server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.setTimeout(opts.keepAliveTimeout, () => session.close());
      session.once('close', () => this.#sessions.delete(session));
    });
    this.server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') return;
      this.#http1.set(socket, 0);
      socket.once('close', () => this.#http1.delete(socket));
    });
    this.server.on('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      if (req.httpVersionMajor === 2) return;
      const socket = req.socket as Socket;
      this.#http1.set(socket, (this.#http1.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const n = (this.#http1.get(socket) ?? 1) - 1;
        this.#http1.set(socket, n);
        // Answers given while closing end their connection, as on the HTTP port.
        if (this.#closing && n === 0) socket.end();
      });
    });
  }

  /** Takes the source's first answer (a failure stops the start), then listens and polls. */
  async start(): Promise<string> {
    const first = await this.opts.source.poll();
    if (!first) throw new Error('the TLS certificate source answered nothing');
    this.#use(first);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.#timer = setInterval(() => void this.check(), this.opts.reloadMs);
    this.#timer.unref();
    const a = this.server.address() as AddressInfo;
    return `https://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** One look at the source; new material is swapped in. Errors are logged and the old certificate stays. */
  async check(): Promise<void> {
    if (this.#polling || this.#closing) return;
    this.#polling = true;
    try {
      const m = await this.opts.source.poll();
      if (m) this.#use(m);
    } catch (e) {
      this.opts.log.warn({ error: (e as Error).message }, 'the TLS certificate source failed; keeping the certificate being served');
    } finally {
      this.#polling = false;
    }
  }

  #use(m: ServingMaterial): void {
    this.server.setSecureContext({ cert: m.certPem, key: m.keyPem, minVersion: 'TLSv1.2' });
    this.current = m;
    this.opts.log.info({ serial: m.serialHex, notAfter: new Date(m.notAfter).toISOString(), origin: m.origin }, 'serving HTTPS with a new certificate');
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#timer) clearInterval(this.#timer);
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.#sessions) s.close();
    for (const [socket, n] of this.#http1) if (n === 0) socket.end();
    // Connections that outlive a grace period (a stuck client) are cut.
    const cut = setTimeout(() => {
      for (const s of this.#sessions) s.destroy();
      for (const socket of this.#http1.keys()) socket.destroy();
    }, 5_000);
    cut.unref();
    await closed;
    clearTimeout(cut);
  }
}

// Test support: a webhook receiver on loopback that checks certport's HMAC signature, records
// verified deliveries and answers with scripted statuses. Tests stop it.
import http from 'node:http';
import { freePort } from './net.js';
import { SIGNATURE_HEADER, verifySignature } from '../secrets/webhook-signature.js';

export interface Receiver {
  url: string;
  /** Deliveries whose signature verified, in order. */
  got: { headers: http.IncomingHttpHeaders; body: Record<string, any> }[];
  /** Requests refused for a bad signature. */
  forged: number;
  /** Status codes to answer the next requests with (then 200). */
  script: number[];
  stop(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const r: Omit<Receiver, 'stop' | 'url'> = { got: [], forged: 0, script: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      if (!verifySignature(secret, req.headers[SIGNATURE_HEADER] as string | undefined, body)) {
        r.forged++;
        return res.writeHead(401).end('bad signature');
      }
      const status = r.script.shift() ?? 200;
      if (status === 200) r.got.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(status).end(status === 200 ? 'installed' : 'try later');
    });
  });
  const port = await freePort();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}/hook`,
    stop: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  }) as Receiver;
}


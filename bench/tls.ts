// Benchmark (issue 23): the HTTPS listener against the plain HTTP port of the same node
// (`certport serve`, SQLite, its own process), in one run:
//   1. new connections per second, each making one GET /healthz and closing: TCP alone vs a
//      full TLS 1.3 handshake (ECDSA P-256 certificate from certport's CA, no session resumption);
//   2. signed DescribeCertificates per second over keep-alive connections (HTTP/1.1), plain vs TLS.
// CERTPORT_BENCH_SECONDS (default 10) per measurement; 8 concurrent clients for 1, 32 connections for 2.
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { freePort, waitPort } from '../src/testing/net.js';
import { load, machine, signedRequest } from './lib.js';
import { prepareData, startNode } from './node.js';

const SECONDS = Number(process.env.CERTPORT_BENCH_SECONDS ?? 10);
const HEALTHZ = Buffer.from('GET /healthz HTTP/1.1\r\nHost: ssl.tencentcloudapi.com\r\nConnection: close\r\n\r\n');

/** `clients` loops, each opening a connection, sending GET /healthz, reading to the close. */
async function connectionsPerSecond(open: () => net.Socket, readyEvent: string, clients: number): Promise<{ rate: number; errors: number }> {
  let done = 0;
  let errors = 0;
  const stopAt = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < stopAt) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = open();
        let got = '';
        s.once(readyEvent, () => s.write(HEALTHZ));
        s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
        s.once('error', () => resolve(false));
        s.once('close', () => resolve(got.startsWith('HTTP/1.1 200')));
      });
      if (ok) done++;
      else errors++;
    }
  }));
  return { rate: done / ((performance.now() - t0) / 1000), errors };
}

const data = await prepareData('sqlite', 1);
const tlsPort = await freePort();
const node = await startNode(data, { CERTPORT_TLS_PORT: String(tlsPort) });
try {
  await waitPort(tlsPort);
  const ca = (await (await fetch(`http://127.0.0.1:${node.port}/ca/root.pem`)).text());
  // One client context: a `ca` option per connection would build a context per handshake (the client's cost, not the server's).
  const secureContext = tls.createSecureContext({ ca });
  const tlsOpen = () => tls.connect({ host: '127.0.0.1', port: tlsPort, servername: 'ssl.tencentcloudapi.com', secureContext, ALPNProtocols: ['http/1.1'] });
  const plainOpen = () => net.connect({ host: '127.0.0.1', port: node.port });
  console.log(machine());
  console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const probe = tlsOpen();
  await new Promise((r) => probe.once('secureConnect', r));
  console.log(`TLS: ${probe.getProtocol()}, ${probe.getCipher().name}, ALPN ${probe.alpnProtocol}`);
  probe.destroy();

  console.log(`1. new connections/s, each one GET /healthz (8 clients, ${SECONDS} s)`);
  const plainConn = await connectionsPerSecond(plainOpen, 'connect', 8);
  console.log(`   plain HTTP:           ${plainConn.rate.toFixed(0)}/s  (${plainConn.errors} errors)`);
  const tlsConn = await connectionsPerSecond(tlsOpen, 'secureConnect', 8);
  console.log(`   TLS handshake + GET:  ${tlsConn.rate.toFixed(0)}/s  (${tlsConn.errors} errors)  = ${(tlsConn.rate / plainConn.rate).toFixed(2)} of plain`);

  console.log(`2. signed DescribeCertificates/s, 32 keep-alive connections (${SECONDS} s, 2 s warm-up)`);
  const req = (port: number) => signedRequest(port, data.cred, 'DescribeCertificates', { Limit: 10 });
  let stamp = 0;
  let plainReq = req(node.port);
  let tlsReq = req(tlsPort);
  // A fresh signature every second (they are valid 300 s; this keeps the run honest past that).
  const next = (which: 'plain' | 'tls') => {
    const now = Math.floor(Date.now() / 1000);
    if (now !== stamp) {
      stamp = now;
      plainReq = req(node.port);
      tlsReq = req(tlsPort);
    }
    return which === 'plain' ? plainReq : tlsReq;
  };
  const plain = await load(node.port, { connections: 32, seconds: SECONDS, warmup: 2, next: () => next('plain') });
  console.log(`   plain HTTP: ${plain.rps.toFixed(0)} req/s  p50 ${plain.p50.toFixed(1)} ms  p99 ${plain.p99.toFixed(1)} ms  (${plain.errors} errors${plain.firstError ? `: ${plain.firstError}` : ''})`);
  const secure = await load(tlsPort, { connections: 32, seconds: SECONDS, warmup: 2, next: () => next('tls'), connect: () => ({ socket: tlsOpen(), readyEvent: 'secureConnect' }) });
  console.log(`   TLS:        ${secure.rps.toFixed(0)} req/s  p50 ${secure.p50.toFixed(1)} ms  p99 ${secure.p99.toFixed(1)} ms  (${secure.errors} errors${secure.firstError ? `: ${secure.firstError}` : ''})  = ${(secure.rps / plain.rps).toFixed(2)} of plain`);
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await node.stop();
  await data.cleanup();
}

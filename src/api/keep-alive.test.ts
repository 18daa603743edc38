// Idle keep-alive connections stay open for CERTPORT_KEEP_ALIVE_TIMEOUT_MS (75 s by default,
// above the 60 s idle timeout common to load balancers), not Node's 5 s: the API's server
// comes from a serverFactory, which Fastify's own keepAliveTimeout option does not reach.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../config/config.js';
import { startTestService, type TestService } from '../testing/harness.js';

/** One GET /healthz on a fresh connection; resolves when the answer is in, with the socket. */
async function idleAfterOneRequest(port: number): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let answeredAt = 0;
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - answeredAt)));
  await new Promise<void>((resolve, reject) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (answeredAt === 0 && got.includes('\r\n\r\n') && got.endsWith('{"status":"ok"}')) {
        answeredAt = Date.now();
        resolve();
      }
    });
    socket.once('error', reject);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  });
  return { socket, closed };
}

test('CERTPORT_KEEP_ALIVE_TIMEOUT_MS: 75 s by default; whole milliseconds, at least 1 s', () => {
  assert.equal(loadConfig({}).keepAliveTimeoutMs, 75_000);
  assert.equal(loadConfig({ CERTPORT_KEEP_ALIVE_TIMEOUT_MS: '1500' }).keepAliveTimeoutMs, 1500);
  assert.throws(() => loadConfig({ CERTPORT_KEEP_ALIVE_TIMEOUT_MS: '75s' }), /CERTPORT_KEEP_ALIVE_TIMEOUT_MS must be a whole number/);
  assert.throws(() => loadConfig({ CERTPORT_KEEP_ALIVE_TIMEOUT_MS: '500' }), /CERTPORT_KEEP_ALIVE_TIMEOUT_MS must be between 1000/);
});

describe('keep-alive on the API server', () => {
  let byDefault: TestService;
  let short: TestService;
  before(async () => {
    byDefault = await startTestService('sqlite');
    short = await startTestService('sqlite', { env: { CERTPORT_KEEP_ALIVE_TIMEOUT_MS: '1500' } });
  });
  after(async () => {
    await byDefault?.close();
    await short?.close();
  });

  test('the default server keeps idle connections 75 s, with headersTimeout above that', () => {
    const server = byDefault.svc.app.server;
    assert.equal(server.keepAliveTimeout, 75_000);
    assert.ok(server.headersTimeout > server.keepAliveTimeout, `headersTimeout ${server.headersTimeout}`);
    assert.ok(server.requestTimeout === 0 || server.requestTimeout >= server.headersTimeout, `requestTimeout ${server.requestTimeout}`);
  });

  test('an idle connection is closed after the configured time, not before', async () => {
    assert.equal(short.svc.app.server.keepAliveTimeout, 1500);
    const { socket, closed } = await idleAfterOneRequest(short.port);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(socket.destroyed, false, 'still open 1 s after the answer');
      const idle = await closed;
      assert.ok(idle >= 1400 && idle < 4000, `closed ${idle} ms after the answer (configured 1500, Node's default 5000)`);
    } finally {
      socket.destroy();
    }
  });

  test('closing ends idle connections, and a request in progress once it is answered', async () => {
    const t = await startTestService('sqlite');
    const idle = await idleAfterOneRequest(t.port);
    // A request whose body is still coming when the close starts.
    const busy = net.connect({ port: t.port, host: '127.0.0.1' });
    let answer = '';
    busy.on('data', (d) => { answer += d.toString('latin1'); });
    const busyClosed = new Promise((resolve) => busy.once('close', resolve));
    busy.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const closing = t.close();
    await new Promise((r) => setTimeout(r, 200));
    busy.write('}');
    await closing;
    const took = Date.now() - t0;
    await Promise.all([idle.closed, busyClosed]);
    assert.match(answer, /^HTTP\/1\.1 200 /, 'the request in progress was answered');
    assert.ok(took < 5000, `closed in ${took} ms (the keep-alive timeout is 75 s)`);
  });
});

// RFC 2136 updates against a real BIND 9 on loopback; the answers are read back with
// node:dns. Tampering proxies and dummy TCP servers cover what BIND will not do on request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { addTxtRecord, deleteTxtRecord, DnsUpdateError, type Rfc2136Target, type TsigKey } from './rfc2136.js';
import { freePort, startBind, type Bind } from '../testing/dns-servers.js';

const newKey = (name: string, algorithm: TsigKey['algorithm']): TsigKey => ({ name, algorithm, secret: randomBytes(32).toString('base64') });

/** TXT values at name as the server now serves them, character-strings joined. */
async function txt(bind: Bind, name: string): Promise<string[]> {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([bind.dns]);
  try {
    return (await r.resolveTxt(name)).map((parts) => parts.join('')).sort();
  } catch (e) {
    if (['ENODATA', 'ENOTFOUND'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
}

async function rejectsWith(p: Promise<unknown>, rcode: string, message?: RegExp): Promise<DnsUpdateError> {
  const e = await p.then(
    () => assert.fail(`expected a DnsUpdateError with rcode ${rcode}`),
    (err: unknown) => err,
  );
  assert.ok(e instanceof DnsUpdateError, `not a DnsUpdateError: ${String(e)}`);
  assert.equal(e.rcode, rcode, e.message);
  if (message) assert.match(e.message, message);
  return e;
}

/** Reads one length-prefixed DNS message from a TCP stream. */
function readFramed(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        socket.off('data', onData);
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

const frame = (msg: Buffer) => Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);

/** A TCP DNS proxy in front of BIND that lets a test tamper with the answer. */
async function tamperingProxy(bind: Bind, tamper: (answer: Buffer) => Buffer): Promise<{ server: string; close(): Promise<void> }> {
  const [host, port] = bind.dns.split(':');
  const srv: Server = createServer(async (client) => {
    client.on('error', () => {});
    const upstream = connect(Number(port), host);
    upstream.on('error', () => client.destroy());
    try {
      const request = await readFramed(client);
      upstream.write(frame(request));
      client.end(frame(tamper(Buffer.from(await readFramed(upstream)))));
    } catch {
      client.destroy(); // the client then fails with NETWORK, and the test says so
    } finally {
      upstream.destroy();
    }
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  return {
    server: `127.0.0.1:${(srv.address() as { port: number }).port}`,
    close: () => new Promise<void>((ok) => srv.close(() => ok())),
  };
}

describe('a zone that accepts updates signed with a hmac-sha256 key', () => {
  const key = newKey('certport-update', 'hmac-sha256');
  let bind: Bind;
  let t: Rfc2136Target;

  before(async () => {
    bind = await startBind({ 'example.com': '' }, { tsig: key });
    t = { server: bind.dns, zone: 'example.com', tsig: key, timeoutMs: 2000 };
  });
  after(() => bind?.stop());

  test('adds a TXT record that the server then serves', async () => {
    await addTxtRecord(t, '_dnsauth.shop.example.com', 'token-1');
    assert.deepEqual(await txt(bind, '_dnsauth.shop.example.com'), ['token-1']);
  });

  test('adds a second value beside the first, and deletes one value only', async () => {
    await addTxtRecord(t, '_dnsauth.two.example.com', 'first');
    await addTxtRecord(t, '_dnsauth.two.example.com.', 'second', 120);
    assert.deepEqual(await txt(bind, '_dnsauth.two.example.com'), ['first', 'second']);
    await deleteTxtRecord(t, '_dnsauth.two.example.com', 'first');
    assert.deepEqual(await txt(bind, '_dnsauth.two.example.com'), ['second']);
  });

  test('deletes every TXT record at a name when no value is given', async () => {
    await addTxtRecord(t, '_dnsauth.all.example.com', 'a');
    await addTxtRecord(t, '_dnsauth.all.example.com', 'b');
    await deleteTxtRecord(t, '_dnsauth.all.example.com');
    assert.deepEqual(await txt(bind, '_dnsauth.all.example.com'), []);
  });

  test('re-adding a value and deleting an absent one both succeed', async () => {
    await addTxtRecord(t, '_dnsauth.again.example.com', 'same');
    await addTxtRecord(t, '_dnsauth.again.example.com', 'same');
    assert.deepEqual(await txt(bind, '_dnsauth.again.example.com'), ['same']);
    await deleteTxtRecord(t, '_dnsauth.again.example.com', 'not-there');
    await deleteTxtRecord(t, '_dnsauth.nothing.example.com');
    assert.deepEqual(await txt(bind, '_dnsauth.again.example.com'), ['same']);
  });

  test('splits a value longer than 255 octets into character-strings', async () => {
    const long = 'x'.repeat(300);
    await addTxtRecord(t, '_dnsauth.long.example.com', long);
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([bind.dns]);
    assert.deepEqual((await r.resolveTxt('_dnsauth.long.example.com')).map((parts) => parts.map((p) => p.length)), [[255, 45]]);
    await deleteTxtRecord(t, '_dnsauth.long.example.com', long);
    assert.deepEqual(await txt(bind, '_dnsauth.long.example.com'), []);
  });

  test('fails with BADSIG when the secret is wrong', async () => {
    const wrong = { ...key, secret: randomBytes(32).toString('base64') };
    const e = await rejectsWith(addTxtRecord({ ...t, tsig: wrong }, '_dnsauth.bad.example.com', 'v'), 'BADSIG');
    assert.match(e.message, new RegExp(`_dnsauth\\.bad\\.example\\.com.*example\\.com at ${bind.dns.replace(/\./g, '\\.')}`));
    assert.deepEqual(await txt(bind, '_dnsauth.bad.example.com'), []);
  });

  test('fails with BADKEY for a key name the server does not know', async () => {
    const unknown = { ...key, name: 'someone-else' };
    await rejectsWith(addTxtRecord({ ...t, tsig: unknown }, '_dnsauth.bad.example.com', 'v'), 'BADKEY', /TSIG key/);
  });

  test('fails with BADKEY when the algorithm differs from the key the server has', async () => {
    const other = { ...key, algorithm: 'hmac-sha512' as const };
    await rejectsWith(addTxtRecord({ ...t, tsig: other }, '_dnsauth.bad.example.com', 'v'), 'BADKEY');
  });

  test('fails with NOTAUTH for a zone the server does not serve', async () => {
    await rejectsWith(addTxtRecord({ ...t, zone: 'not-served.org' }, '_dnsauth.not-served.org', 'v'), 'NOTAUTH', /not-served\.org/);
  });

  test('an unsigned update is REFUSED when the zone requires the key', async () => {
    await rejectsWith(addTxtRecord({ ...t, tsig: undefined }, '_dnsauth.unsigned.example.com', 'v'), 'REFUSED');
    assert.deepEqual(await txt(bind, '_dnsauth.unsigned.example.com'), []);
  });

  test('rejects an answer whose signature does not verify', async () => {
    // Flip the case of the zone name's first letter echoed in the answer: DNS does not care,
    // but the MAC covers the bytes.
    const proxy = await tamperingProxy(bind, (a) => ((a[13] ^= 0x20), a));
    try {
      await rejectsWith(addTxtRecord({ ...t, server: proxy.server }, '_dnsauth.proxied.example.com', 'v'), 'BADSIG', /failed TSIG verification/);
    } finally {
      await proxy.close();
    }
  });

  test('rejects a success answer that is not signed', async () => {
    const proxy = await tamperingProxy(bind, (a) => {
      const keyWire = Buffer.concat([Buffer.from([key.name.length]), Buffer.from(key.name), Buffer.from([0, 0, 250])]);
      const start = a.lastIndexOf(keyWire);
      assert.ok(start > 0, 'no TSIG in the answer');
      const cut = Buffer.from(a.subarray(0, start));
      cut.writeUInt16BE(cut.readUInt16BE(10) - 1, 10);
      return cut;
    });
    try {
      await rejectsWith(addTxtRecord({ ...t, server: proxy.server }, '_dnsauth.proxied.example.com', 'v'), 'BADSIG', /not signed/);
    } finally {
      await proxy.close();
    }
  });

  test('rejects an answer with another message id', async () => {
    const proxy = await tamperingProxy(bind, (a) => (a.writeUInt16BE(a.readUInt16BE(0) ^ 1, 0), a));
    try {
      await rejectsWith(addTxtRecord({ ...t, server: proxy.server }, '_dnsauth.proxied.example.com', 'v'), 'BADRESPONSE', /id/);
    } finally {
      await proxy.close();
    }
  });
});

describe('a zone that accepts updates signed with a hmac-sha512 key, or unsigned', () => {
  const key = newKey('sha512-key.certport.', 'hmac-sha512');
  let bind: Bind;
  let t: Rfc2136Target;

  before(async () => {
    bind = await startBind({ 'example.net': 'existing IN TXT "kept"' }, { tsig: key, allowUpdateUnsigned: true });
    t = { server: bind.dns, zone: 'example.net.', tsig: key, timeoutMs: 2000 };
  });
  after(() => bind?.stop());

  test('adds and deletes with a hmac-sha512 key', async () => {
    await addTxtRecord(t, '_dnsauth.EXAMPLE.net', 'token-512');
    assert.deepEqual(await txt(bind, '_dnsauth.example.net'), ['token-512']);
    await deleteTxtRecord(t, '_dnsauth.example.net', 'token-512');
    assert.deepEqual(await txt(bind, '_dnsauth.example.net'), []);
  });

  test('adds and deletes at the zone apex without a key when the server allows it', async () => {
    const unsigned = { ...t, tsig: undefined };
    await addTxtRecord(unsigned, 'example.net', 'apex-value');
    assert.deepEqual(await txt(bind, 'example.net'), ['apex-value']);
    await deleteTxtRecord(unsigned, 'example.net');
    assert.deepEqual(await txt(bind, 'example.net'), []);
    assert.deepEqual(await txt(bind, 'existing.example.net'), ['kept']);
  });
});

describe('without a working server', () => {
  test('refuses a name outside the zone with NOTZONE before sending anything', async () => {
    let connections = 0;
    const srv = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    try {
      const server = `127.0.0.1:${(srv.address() as { port: number }).port}`;
      for (const name of ['_dnsauth.example.org', 'notexample.com', 'com']) {
        await rejectsWith(addTxtRecord({ server, zone: 'example.com' }, name, 'v'), 'NOTZONE', /not inside zone example\.com/);
        await rejectsWith(deleteTxtRecord({ server, zone: 'example.com' }, name), 'NOTZONE');
      }
      assert.equal(connections, 0);
    } finally {
      await new Promise<void>((ok) => srv.close(() => ok()));
    }
  });

  test('fails quickly with NETWORK when nothing listens on the port', async () => {
    const port = await freePort();
    const started = Date.now();
    await rejectsWith(addTxtRecord({ server: `127.0.0.1:${port}`, zone: 'example.com', timeoutMs: 3000 }, 'a.example.com', 'v'), 'NETWORK', /ECONNREFUSED/);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  test('gives up with TIMEOUT on a server that never answers, and closes the connection', async () => {
    let closed!: Promise<void>;
    const srv = createServer((s) => {
      closed = new Promise((ok) => s.once('close', () => ok()));
      s.on('error', () => {}).resume(); // read (and drop) the request, or the client's FIN goes unseen
    });
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    try {
      const server = `127.0.0.1:${(srv.address() as { port: number }).port}`;
      const started = Date.now();
      await rejectsWith(addTxtRecord({ server, zone: 'example.com', timeoutMs: 300 }, 'a.example.com', 'v'), 'TIMEOUT', /300 ms/);
      assert.ok(Date.now() - started < 1500);
      await closed;
    } finally {
      await new Promise<void>((ok) => srv.close(() => ok()));
    }
  });

  test('rejects a server address it cannot parse', async () => {
    for (const server of ['127.0.0.1:0', '127.0.0.1:70000', '[127.0.0.1]:53', '::1:53:x', '']) {
      await rejectsWith(addTxtRecord({ server, zone: 'example.com' }, 'a.example.com', 'v'), 'INVALID');
    }
  });
});

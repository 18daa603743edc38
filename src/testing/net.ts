// Test support: loopback ports for servers the tests start, and stopping them by PID.
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { ChildProcess } from 'node:child_process';

/** A port free for both TCP and UDP on 127.0.0.1 (DNS listens on both). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    await new Promise<void>((ok, fail) => tcp.once('error', fail).listen(0, '127.0.0.1', ok));
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const free = await new Promise<boolean>((ok) => {
      udp.once('error', () => ok(false));
      udp.bind(port, '127.0.0.1', () => ok(true));
    });
    await new Promise<void>((ok) => tcp.close(() => ok()));
    await new Promise<void>((ok) => udp.close(() => ok()));
    if (free) return port;
  }
  throw new Error('no free port');
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitPort(port: number, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => { s.end(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && child.pid && process.kill(child.pid, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

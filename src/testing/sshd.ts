// Test support: a real OpenSSH server (Debian's /usr/sbin/sshd) run as the test's own process
// on a loopback port (-D -e, its own configuration, host key and authorized_keys in a temporary
// folder), with a generated client key that logs in as the current user. Stopped by its PID.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort, waitPort } from './net.js';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  dir: string;
  port: number;
  pid: number;
  username: string;
  /** The host key's fingerprint as `ssh-keygen -l` prints it (SHA256:…). */
  hostKeyFingerprint: string;
  /** The private key (OpenSSH format) listed in authorized_keys. */
  clientKey: string;
  stop(): Promise<void>;
}

const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'certport-test', '-f', file], { stdio: 'pipe' });

export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(path.join(tmpdir(), 'certport-sshd-'));
  // As root, sshd wants its privilege-separation folder.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = path.join(dir, 'host_key');
  const clientKey = path.join(dir, 'client_key');
  keygen(hostKey);
  keygen(clientKey);
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(clientKey + '.pub'), { mode: 0o600 });
  const hostKeyFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', hostKey + '.pub'], { encoding: 'utf8' }).split(' ')[1]!;
  const port = await freePort();
  const cfg = path.join(dir, 'sshd_config');
  writeFileSync(cfg, [
    'ListenAddress 127.0.0.1', `Port ${port}`, `HostKey ${hostKey}`, `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`, 'StrictModes no', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'UsePAM no', 'PermitRootLogin prohibit-password',
    'Subsystem sftp internal-sftp', 'LogLevel ERROR', '',
  ].join('\n'));
  const child: ChildProcess = spawn(SSHD, ['-f', cfg, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  try {
    await waitPort(port, 200);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`sshd did not start: ${stderr} ${(e as Error).message}`);
  }
  return {
    dir, port, pid: child.pid!, username: userInfo().username, hostKeyFingerprint, clientKey: readFileSync(clientKey, 'utf8'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        const t = setTimeout(() => { try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

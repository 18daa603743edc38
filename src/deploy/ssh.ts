// `ssh`: what `local` does, on another host over SSH (ssh2). The host key is pinned (the
// `SHA256:…` fingerprint `ssh-keygen -l` prints): a mismatch ends the connection before
// authentication, so nothing is written. Files go over SFTP to a temporary name beside their
// target (exclusive create, chmod, fsync@openssh.com when offered), then are renamed into place
// (posix-rename@openssh.com when offered, which overwrites atomically), the previous files kept
// (hardlink@openssh.com); the reload command runs with `exec` under a timeout, its stderr the
// error when it fails, and then the previous files are put back.
import { createHash } from 'node:crypto';
import path from 'node:path';
import ssh2, { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { formatNeedsKey, parseFiles, placeFiles, reloadOrRestore, renderFile, stagingName, type FileOps, type FileSpec, type PlacedFiles } from './files.js';
import { parseReload } from './local.js';
import { DeployConfigError, DeployError, int, obj, onlyKeys, str, type Deployer, type DeployerKind } from './types.js';

export interface SshConfig {
  host: string;
  port: number;
  username: string;
  /** The pinned host key fingerprint, `SHA256:<base64 without padding>`. */
  hostKey: string;
  files: FileSpec[];
  /** A command line (run by the remote user's shell) or an argv list (quoted for it). */
  reload?: string | string[];
  timeoutMs: number;
  connectTimeoutMs: number;
}
export interface SshSecrets { privateKey?: string; passphrase?: string; password?: string; keystorePassword?: string }

const MAX_OUTPUT = 4096;
// `utils` is not among the names Node detects in ssh2's CommonJS exports: through the default.
const { utils } = ssh2;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The fingerprint of a host key blob the way `ssh-keygen -l` prints it. */
export function sshFingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** POSIX shell quoting of one argument. */
export const shellQuote = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);

interface Session { conn: Client; sftp(): Promise<SFTPWrapper>; close(): void }

/** Connects, checks the pinned host key, authenticates. */
function connect(c: SshConfig, s: SshSecrets, signal?: AbortSignal): Promise<Session> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let seen: string | null = null;
    let settled = false;
    const fail = (e: DeployError) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      conn.end();
      reject(e);
    };
    const onAbort = () => fail(new DeployError(`ssh to ${c.host}:${c.port}: aborted`, true));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const where = `ssh to ${c.username}@${c.host}:${c.port}`;
    conn.once('ready', () => {
      if (settled) return conn.end();
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      let sftp: Promise<SFTPWrapper> | undefined;
      resolve({
        conn,
        sftp: () => (sftp ??= new Promise((ok, ko) => conn.sftp((e, w) => (e ? ko(new DeployError(`${where}: cannot start SFTP: ${e.message}`)) : ok(w))))),
        close: () => conn.end(),
      });
    });
    conn.on('error', (e: Error & { level?: string; code?: string }) => {
      if (seen !== null && seen !== c.hostKey) {
        return fail(new DeployError(`${where}: host key mismatch: the server presented ${seen}, but ${c.hostKey} is pinned; nothing was written`));
      }
      if (e.level === 'client-authentication') {
        return fail(new DeployError(`${where}: authentication failed (${s.privateKey ? 'private key' : 'password'} rejected)`));
      }
      const transient = e.level === 'client-timeout' || (e.code !== undefined && TRANSIENT_CODES.has(e.code));
      fail(new DeployError(`${where}: ${e.code && !e.message.includes(e.code) ? e.code + ' ' : ''}${e.message}`, transient));
    });
    conn.once('close', () => fail(new DeployError(`${where}: the connection closed before login`, true)));
    const cfg: ConnectConfig = {
      host: c.host, port: c.port, username: c.username, readyTimeout: c.connectTimeoutMs,
      hostVerifier: (key: Buffer) => {
        seen = sshFingerprint(key);
        return seen === c.hostKey;
      },
      ...(s.privateKey ? { privateKey: s.privateKey, ...(s.passphrase ? { passphrase: s.passphrase } : {}) } : {}),
      ...(s.password ? { password: s.password } : {}),
    };
    try {
      conn.connect(cfg);
    } catch (e) {
      fail(new DeployError(`${where}: ${(e as Error).message}`));
    }
  });
}

const cb = <T = void>(f: (done: (err: Error | null | undefined, v?: T) => void) => void) =>
  new Promise<T>((ok, ko) => f((err, v) => (err ? ko(err) : ok(v as T))));

function sftpError(e: unknown): string {
  const err = e as Error & { code?: number };
  return err.message || String(err.code);
}

const supports = (sftp: SFTPWrapper, ext: string) => (sftp as unknown as { _extensions?: Record<string, string> })._extensions?.[ext] === '1';

const NO_SUCH_FILE = 2; // SSH_FX_NO_SUCH_FILE

/** FileOps over SFTP: OpenSSH's hardlink and posix-rename extensions where offered. */
function sftpOps(sftp: SFTPWrapper): FileOps {
  const posixRename = supports(sftp, 'posix-rename@openssh.com');
  const fail = (e: unknown) => { throw new Error(sftpError(e)); };
  const missing = (e: unknown) => (e as { code?: number }).code === NO_SUCH_FILE;
  return {
    async keep(target, backup) {
      if (supports(sftp, 'hardlink@openssh.com')) {
        return cb((d) => sftp.ext_openssh_hardlink(target, backup, d)).then(() => true, (e) => (missing(e) ? false : fail(e)));
      }
      // No hard links: a copy with the same mode.
      const st = await cb<{ mode: number }>((d) => sftp.stat(target, d)).catch((e) => (missing(e) ? null : fail(e)));
      if (!st) return false;
      const body = await cb<Buffer>((d) => sftp.readFile(target, d)).catch(fail);
      await cb((d) => sftp.writeFile(backup, body, { flag: 'wx', mode: st.mode & 0o7777 }, d)).catch(fail);
      await cb((d) => sftp.chmod(backup, st.mode & 0o7777, d)).catch(fail);
      return true;
    },
    async replace(from, to) {
      if (posixRename) return cb((d) => sftp.ext_openssh_rename(from, to, d)).catch(fail);
      // Plain SFTP rename refuses an existing target: remove it first (not atomic).
      await cb((d) => sftp.unlink(to, d)).catch(() => {});
      await cb((d) => sftp.rename(from, to, d)).catch(fail);
    },
    remove: (p) => cb((d) => sftp.unlink(p, d)).catch(fail),
    // SFTP cannot fsync a folder; the files themselves were fsynced where the server allows.
    syncDirs: async () => {},
  };
}

/** Writes the staged files over SFTP, then puts them in place, keeping the previous ones (placeFiles). */
async function writeRemote(sftp: SFTPWrapper, files: { spec: FileSpec; body: Buffer }[]): Promise<PlacedFiles> {
  const staged: { tmp: string; path: string }[] = [];
  try {
    for (const { spec, body } of files) {
      const dir = path.posix.dirname(spec.path);
      const tmp = stagingName(spec.path);
      const handle = await cb<Buffer>((d) => sftp.open(tmp, 'wx', { mode: spec.mode }, d)).catch((e) => {
        throw new DeployError(`cannot write in ${dir}: ${sftpError(e)}`);
      });
      staged.push({ tmp, path: spec.path });
      try {
        let off = 0;
        while (off < body.length) {
          const n = Math.min(32 * 1024, body.length - off);
          await cb((d) => sftp.write(handle, body, off, n, off, d));
          off += n;
        }
        await cb((d) => sftp.fchmod(handle, spec.mode, d)); // the remote umask may have narrowed it
        if (spec.owner || spec.group) {
          const st = await cb<{ uid: number; gid: number }>((d) => sftp.fstat(handle, d));
          const uid = spec.owner ? Number(spec.owner) : st.uid;
          const gid = spec.group ? Number(spec.group) : st.gid;
          await cb((d) => sftp.fchown(handle, uid, gid, d)).catch((e) => {
            throw new DeployError(`cannot give ${spec.path} to ${spec.owner ?? ''}:${spec.group ?? ''}: ${sftpError(e)}`);
          });
        }
        if (supports(sftp, 'fsync@openssh.com')) await cb((d) => sftp.ext_openssh_fsync(handle, (e) => d(e)));
      } catch (e) {
        throw e instanceof DeployError ? e : new DeployError(`cannot write ${tmp}: ${sftpError(e)}`);
      } finally {
        await cb((d) => sftp.close(handle, d)).catch(() => {});
      }
    }
    const placed = await placeFiles(sftpOps(sftp), staged);
    staged.length = 0;
    return placed;
  } finally {
    for (const s of staged) await cb((d) => sftp.unlink(s.tmp, d)).catch(() => {});
  }
}

export interface ExecResult { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }

/** Runs a command on the session; on timeout it signals it (where the server allows) and closes the channel. */
export function execRemote(conn: Client, command: string, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (err, ch: ClientChannel) => {
      if (err) return reject(new DeployError(`cannot run the reload command: ${err.message}`));
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let sig: string | null = null;
      let timedOut = false;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ code, signal: sig, stdout: stdout.slice(0, MAX_OUTPUT), stderr: stderr.slice(0, MAX_OUTPUT), timedOut });
      };
      // On timeout: a KILL signal (OpenSSH >= 7.9 delivers it to the session's process), the
      // channel closed, and no waiting for its end (children holding its output open would
      // keep it alive); the caller then drops the connection.
      const timer = setTimeout(() => {
        timedOut = true;
        try { ch.signal('KILL'); } catch { /* not supported */ }
        try { ch.close(); } catch { /* already closing */ }
        finish();
      }, timeoutMs);
      ch.on('data', (d: Buffer) => { if (stdout.length < MAX_OUTPUT) stdout += d.toString(); });
      ch.stderr.on('data', (d: Buffer) => { if (stderr.length < MAX_OUTPUT) stderr += d.toString(); });
      ch.on('exit', (c: number | null, s?: string) => {
        code = c;
        sig = s ?? null;
      });
      ch.once('close', finish);
    });
  });
}

function execFailure(r: ExecResult, timeoutMs: number): string | null {
  const what = 'the reload command';
  if (r.timedOut) return `${what} timed out after ${timeoutMs} ms${r.stderr.trim() ? ': ' + r.stderr.trim() : ''}`;
  if (r.code === 0) return null;
  const how = r.code === null ? (r.signal ? `was killed by SIG${r.signal}` : 'ended without an exit status') : `exited with status ${r.code}`;
  return `${what} ${how}: ${(r.stderr.trim() || r.stdout.trim() || '(no output)')}`;
}

const commandLine = (reload: string | string[]) => (typeof reload === 'string' ? reload : reload.map(shellQuote).join(' '));

/**
 * The reload as sent: under the remote `timeout` (coreutils) when there is one, which runs it
 * in its own process group and kills the whole group at the deadline (status 124, or 137
 * after -k), so a timed-out command leaves nothing behind; else under /bin/sh alone, killed
 * (where sshd allows signals) by the local backstop.
 */
export function remoteReload(reload: string | string[], timeoutMs: number): string {
  const inner = shellQuote(commandLine(reload));
  const secs = (timeoutMs / 1000).toFixed(3);
  return `if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 ${secs} /bin/sh -c ${inner}; else exec /bin/sh -c ${inner}; fi`;
}
const REMOTE_TIMEOUT_GRACE_MS = 3000;

export const sshKind: DeployerKind<SshConfig, SshSecrets> = {
  type: 'ssh',
  parse(config, secrets) {
    const c = obj(config, 'ssh');
    onlyKeys(c, ['host', 'port', 'username', 'hostKey', 'files', 'reload', 'timeoutMs', 'connectTimeoutMs'], 'ssh');
    const s = obj(secrets, 'ssh secrets');
    onlyKeys(s, ['privateKey', 'passphrase', 'password', 'keystorePassword'], 'ssh secrets');
    const host = str(c, 'host', 'ssh', true)!;
    const username = str(c, 'username', 'ssh', true)!;
    const hostKey = str(c, 'hostKey', 'ssh', true)!;
    if (!FINGERPRINT.test(hostKey)) {
      throw new DeployConfigError('ssh.hostKey must be the host key fingerprint as `ssh-keygen -l -f <key>.pub` prints it (SHA256:…, 43 base64 characters).');
    }
    const files = parseFiles(c.files, 'ssh', (p) => path.posix.isAbsolute(p));
    files.forEach((f, i) => {
      for (const k of ['owner', 'group'] as const) {
        if (f[k] !== undefined && !/^\d+$/.test(f[k]!)) throw new DeployConfigError(`ssh.files[${i}].${k} must be a numeric id on the remote host.`);
      }
    });
    const privateKey = str(s, 'privateKey', 'ssh secrets');
    const passphrase = str(s, 'passphrase', 'ssh secrets');
    const password = str(s, 'password', 'ssh secrets');
    const keystorePassword = str(s, 'keystorePassword', 'ssh secrets');
    if (!privateKey && !password) throw new DeployConfigError('ssh secrets need privateKey (OpenSSH or PEM) or password.');
    if (privateKey) {
      const parsed = utils.parseKey(privateKey, passphrase);
      if (parsed instanceof Error) throw new DeployConfigError(`ssh secrets.privateKey cannot be used: ${parsed.message} (an OpenSSH or PEM private key${passphrase ? '' : '; an encrypted one needs secrets.passphrase'}).`);
    }
    if (files.some((f) => f.format === 'pfx' || f.format === 'jks') && !keystorePassword) {
      throw new DeployConfigError('PFX and JKS files need secrets.keystorePassword.');
    }
    const reload = parseReload(c, 'ssh');
    return {
      config: {
        host, port: int(c, 'port', 'ssh', 1, 65535) ?? 22, username, hostKey, files, ...(reload ? { reload } : {}),
        // At most 30 s each: a record's job runs under a 60 s lease (services/deployments.ts).
        timeoutMs: int(c, 'timeoutMs', 'ssh', 100, 30_000) ?? 30_000,
        connectTimeoutMs: int(c, 'connectTimeoutMs', 'ssh', 100, 30_000) ?? 10_000,
      },
      secrets: {
        ...(privateKey ? { privateKey } : {}), ...(passphrase ? { passphrase } : {}), ...(password ? { password } : {}),
        ...(keystorePassword ? { keystorePassword } : {}),
      },
    };
  },
  needsPrivateKey: (c) => c.files.some((f) => formatNeedsKey(f.format)),
  create(c, s): Deployer {
    const target = `${c.username}@${c.host}:${c.port}`;
    return {
      async deploy(m, ctx) {
        const files = [];
        for (const spec of c.files) files.push({ spec, body: await renderFile(m, spec.format, s.keystorePassword) });
        const session = await connect(c, s, ctx.signal);
        try {
          const placed = await writeRemote(await session.sftp(), files);
          const reload = c.reload;
          if (!reload) {
            await placed.commit();
            return { note: `wrote ${files.length} file(s) on ${target}` };
          }
          return await reloadOrRestore(placed, async () => {
            const r = await execRemote(session.conn, remoteReload(reload, c.timeoutMs), c.timeoutMs + REMOTE_TIMEOUT_GRACE_MS);
            if (r.code === 124 || r.code === 137) r.timedOut = true;
            const failed = execFailure(r, c.timeoutMs);
            if (failed) throw new DeployError(failed);
            return { note: `wrote ${files.length} file(s) on ${target} and reloaded` };
          });
        } finally {
          session.close();
        }
      },
      async test(ctx) {
        const out: string[] = [];
        let session: Session;
        try {
          session = await connect(c, s, ctx.signal);
        } catch (e) {
          return [`FAIL: ${(e as Error).message}`];
        }
        try {
          out.push(`ok: logged in to ${target}, host key ${c.hostKey}`);
          const sftp = await session.sftp();
          for (const f of c.files) {
            const dir = path.posix.dirname(f.path);
            try {
              const st = await cb<{ isDirectory(): boolean }>((d) => sftp.stat(dir, d));
              if (!st.isDirectory()) out.push(`FAIL: ${dir} is not a directory`);
              else out.push(`ok: ${dir} exists (${f.path}, ${f.format}, mode ${f.mode.toString(8)})`);
            } catch (e) {
              out.push(`FAIL: ${dir} on ${c.host}: ${sftpError(e)}`);
            }
          }
          if (Array.isArray(c.reload)) {
            const exe = c.reload[0]!;
            const probe = path.posix.isAbsolute(exe) ? `test -x ${shellQuote(exe)}` : `command -v ${shellQuote(exe)}`;
            const r = await execRemote(session.conn, probe, 10_000);
            out.push(r.code === 0 ? `ok: reload runs ${exe}` : `FAIL: ${exe} is not executable on ${c.host}`);
          } else if (c.reload) {
            out.push(`ok: reload runs ${JSON.stringify(c.reload)} in the remote shell`);
          } else {
            out.push('note: no reload command');
          }
        } catch (e) {
          out.push(`FAIL: ${(e as Error).message}`);
        } finally {
          session.close();
        }
        return out;
      },
    };
  },
};

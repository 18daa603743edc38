// `local`: writes the certificate files on the certport host (atomically, with owner and mode)
// and runs a reload command with a timeout; a failing command's stderr is the error, and the
// previous files are put back so that the server's next reload keeps serving them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatNeedsKey, parseFiles, reloadOrRestore, renderFile, writeFilesAtomically, type FileSpec } from './files.js';
import { DeployConfigError, DeployError, int, obj, onlyKeys, str, type Deployer, type DeployerKind } from './types.js';

export interface LocalConfig {
  files: FileSpec[];
  /** A shell command line (run by /bin/sh -c) or an argv list. */
  reload?: string | string[];
  timeoutMs: number;
}
export interface LocalSecrets { keystorePassword?: string }

const MAX_OUTPUT = 4096;

export interface CommandResult { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }

/**
 * Runs a command in its own process group; on timeout the whole group is killed. Its output
 * goes to temporary files, not pipes: if certport dies mid-command, the command still runs to
 * its end (a pipe would kill it with SIGPIPE at its first message, e.g. nginx's "signal
 * process started", before it did its work).
 */
export function runCommand(cmd: string | string[], timeoutMs: number, env?: Record<string, string>): Promise<CommandResult> {
  const [file, args] = typeof cmd === 'string' ? ['/bin/sh', ['-c', cmd]] : [cmd[0]!, cmd.slice(1)];
  const base = path.join(tmpdir(), `certport-cmd-${randomBytes(6).toString('hex')}`);
  const outFd = openSync(base + '.out', 'w+', 0o600);
  const errFd = openSync(base + '.err', 'w+', 0o600);
  // Unlinked at once: the open descriptors (ours and the child's) keep the files alive, and
  // nothing is left behind whoever exits first.
  for (const f of [base + '.out', base + '.err']) rmSync(f, { force: true });
  const read = (fd: number) => {
    const buf = Buffer.alloc(MAX_OUTPUT);
    const n = readSync(fd, buf, 0, MAX_OUTPUT, 0);
    return buf.subarray(0, n).toString();
  };
  const cleanup = () => {
    for (const fd of [outFd, errFd]) closeSync(fd);
  };
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(file, args, { detached: true, stdio: ['ignore', outFd, errFd], env: { ...process.env, ...env } });
    } catch (e) {
      cleanup();
      return reject(new DeployError(`cannot run the reload command: ${(e as Error).message}`));
    }
    let timedOut = false;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2000).unref();
    }, timeoutMs);
    let settled = false;
    child.once('error', (e) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      cleanup();
      reject(new DeployError(`cannot run the reload command: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      const stdout = read(outFd);
      const stderr = read(errFd);
      cleanup();
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

export function commandFailure(what: string, r: CommandResult, timeoutMs: number): string | null {
  if (r.timedOut) return `${what} timed out after ${timeoutMs} ms${r.stderr.trim() ? ': ' + r.stderr.trim() : ''}`;
  if (r.code === 0) return null;
  const how = r.code === null ? `was killed by ${r.signal}` : `exited with status ${r.code}`;
  return `${what} ${how}: ${(r.stderr.trim() || r.stdout.trim() || '(no output)')}`;
}

export function parseReload(o: Record<string, unknown>, what: string): string | string[] | undefined {
  const v = o.reload;
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '')) return v as string[];
  throw new DeployConfigError(`${what}.reload must be a command line or a non-empty list of arguments.`);
}

export const localKind: DeployerKind<LocalConfig, LocalSecrets> = {
  type: 'local',
  parse(config, secrets) {
    const c = obj(config, 'local');
    onlyKeys(c, ['files', 'reload', 'timeoutMs'], 'local');
    const s = obj(secrets, 'local secrets');
    onlyKeys(s, ['keystorePassword'], 'local secrets');
    const files = parseFiles(c.files, 'local', path.isAbsolute);
    const keystorePassword = str(s, 'keystorePassword', 'local secrets');
    if (files.some((f) => f.format === 'pfx' || f.format === 'jks') && !keystorePassword) {
      throw new DeployConfigError('PFX and JKS files need secrets.keystorePassword.');
    }
    const reload = parseReload(c, 'local');
    return {
      config: { files, ...(reload ? { reload } : {}), // At most 30 s: a record's job runs under a 60 s lease (services/deployments.ts).
        timeoutMs: int(c, 'timeoutMs', 'local', 100, 30_000) ?? 30_000 },
      secrets: keystorePassword ? { keystorePassword } : {},
    };
  },
  needsPrivateKey: (c) => c.files.some((f) => formatNeedsKey(f.format)),
  create(c, s): Deployer {
    return {
      async deploy(m) {
        const files = [];
        for (const spec of c.files) files.push({ spec, body: await renderFile(m, spec.format, s.keystorePassword) });
        const placed = await writeFilesAtomically(files);
        const reload = c.reload;
        if (!reload) {
          await placed.commit();
          return { note: `wrote ${files.length} file(s)` };
        }
        return reloadOrRestore(placed, async () => {
          const r = await runCommand(reload, c.timeoutMs);
          const failed = commandFailure('the reload command', r, c.timeoutMs);
          if (failed) throw new DeployError(failed);
          return { note: `wrote ${files.length} file(s) and reloaded` };
        });
      },
      async test() {
        const out: string[] = [];
        for (const f of c.files) {
          const dir = path.dirname(f.path);
          try {
            await access(dir, constants.W_OK);
            out.push(`ok: ${dir} is writable (${f.path}, ${f.format}, mode ${f.mode.toString(8)})`);
          } catch (e) {
            out.push(`FAIL: ${dir} is not writable: ${(e as NodeJS.ErrnoException).code}`);
          }
        }
        if (Array.isArray(c.reload)) {
          const exe = c.reload[0]!;
          try {
            if (path.isAbsolute(exe)) await access(exe, constants.X_OK);
            out.push(`ok: reload runs ${exe}${path.isAbsolute(exe) && (await stat(exe)).isFile() ? '' : ' (found on PATH at run time)'}`);
          } catch {
            out.push(`FAIL: ${exe} is not executable`);
          }
        } else if (c.reload) {
          out.push(`ok: reload runs /bin/sh -c ${JSON.stringify(c.reload)}`);
        } else {
          out.push('note: no reload command');
        }
        return out;
      },
    };
  },
};

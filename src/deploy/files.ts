// The certificate files a deployer writes, in the download formats (PEM pieces, a key+chain
// bundle, PFX, JKS), and the atomic write: temporary file, fsync, rename, fsync of the folder,
// with the previous files kept until the reload has worked (put back when it fails).
import { randomBytes } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { chmod, chown, copyFile, link, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DeployConfigError, DeployError, fullchainPem, int, obj, onlyKeys, str, type CertificateMaterial } from './types.js';

export const FORMATS = ['fullchain', 'cert', 'chain', 'key', 'bundle', 'root', 'pfx', 'jks'] as const;
export type FileFormat = (typeof FORMATS)[number];
const KEYED: ReadonlySet<FileFormat> = new Set(['key', 'bundle', 'pfx', 'jks']);

export interface FileSpec {
  path: string;
  format: FileFormat;
  mode: number;
  owner?: string;
  group?: string;
}

export const formatNeedsKey = (f: FileFormat) => KEYED.has(f);

/** `files: [{path, format, mode?, owner?, group?}]`; paths are absolute (local) or remote. */
export function parseFiles(v: unknown, what: string, absolute: (p: string) => boolean): FileSpec[] {
  if (!Array.isArray(v) || v.length === 0) throw new DeployConfigError(`${what}.files must be a non-empty list of {path, format}.`);
  const seen = new Set<string>();
  return v.map((raw, i) => {
    const w = `${what}.files[${i}]`;
    const o = obj(raw, w);
    onlyKeys(o, ['path', 'format', 'mode', 'owner', 'group'], w);
    const p = str(o, 'path', w, true)!;
    if (!absolute(p)) throw new DeployConfigError(`${w}.path must be an absolute path.`);
    if (seen.has(p)) throw new DeployConfigError(`${w}.path ${p} is listed twice.`);
    seen.add(p);
    const format = (str(o, 'format', w) ?? 'fullchain') as FileFormat;
    if (!FORMATS.includes(format)) throw new DeployConfigError(`${w}.format must be one of ${FORMATS.join(', ')}.`);
    let mode: number;
    if (typeof o.mode === 'string' && /^0?[0-7]{3}$/.test(o.mode)) mode = parseInt(o.mode, 8);
    else if (o.mode === undefined) mode = KEYED.has(format) ? 0o600 : 0o644;
    else mode = int(o, 'mode', w, 0, 0o777)!;
    const owner = str(o, 'owner', w);
    const group = str(o, 'group', w);
    return { path: p, format, mode, ...(owner ? { owner } : {}), ...(group ? { group } : {}) };
  });
}

/** The bytes of one file. PFX and JKS need the keystore password. */
export async function renderFile(m: CertificateMaterial, format: FileFormat, password: string | undefined): Promise<Buffer> {
  const key = () => {
    if (!m.keyPem) throw new DeployError(`the ${format} file needs the private key, which this certificate does not have`);
    return m.keyPem;
  };
  const pw = () => {
    if (!password) throw new DeployError(`the ${format} file needs secrets.keystorePassword`);
    return password;
  };
  switch (format) {
    case 'fullchain': return Buffer.from(fullchainPem(m));
    case 'cert': return Buffer.from(m.leafPem.trim() + '\n');
    case 'chain': return Buffer.from(m.chainPems.map((p) => p.trim() + '\n').join(''));
    case 'root': return Buffer.from(m.rootPem ? m.rootPem.trim() + '\n' : '');
    case 'key': return Buffer.from(key().trim() + '\n');
    case 'bundle': return Buffer.from(fullchainPem(m) + key().trim() + '\n');
    // Keystore code loads when a keystore is written, not with every deployer.
    case 'pfx': return (await import('../pki/pfx.js')).buildPfx({ keyPem: key(), certPems: [m.leafPem, ...m.chainPems], password: pw(), friendlyName: m.domain || m.certId });
    case 'jks': return (await import('../pki/jks.js')).buildJks({ keyPem: key(), certPems: [m.leafPem, ...m.chainPems], password: pw(), alias: m.domain || m.certId });
  }
}

/** Numeric ids, or names looked up in /etc/passwd and /etc/group. */
function resolveId(name: string, file: '/etc/passwd' | '/etc/group'): number {
  if (/^\d+$/.test(name)) return Number(name);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no such file: only numeric ids then
  }
  for (const line of text.split('\n')) {
    const [n, , id] = line.split(':');
    if (n === name && id !== undefined) return Number(id);
  }
  throw new DeployError(`no ${file === '/etc/passwd' ? 'user' : 'group'} named ${JSON.stringify(name)} on this host`);
}

/**
 * How files are swapped on one host (here, or over SFTP), for placeFiles.
 */
export interface FileOps {
  /** Keeps `target` as `backup` (a hard link, so contents, mode and owner stay); false when there is no `target`. */
  keep(target: string, backup: string): Promise<boolean>;
  /** Puts `from` in the place of `to` (atomically where the host can). */
  replace(from: string, to: string): Promise<void>;
  remove(p: string): Promise<void>;
  /** Makes renames in these folders durable (where the host can). */
  syncDirs(dirs: string[]): Promise<void>;
}

/** Files put in place, with the ones they replaced kept until the deployment is known to work. */
export interface PlacedFiles {
  /** Puts the previous files back (removing those that were not there before). */
  restore(): Promise<void>;
  /** Drops the previous files. */
  commit(): Promise<void>;
}

const sibling = (p: string, ext: string) => path.posix.join(path.posix.dirname(p), `.${path.posix.basename(p)}.certport-${randomBytes(4).toString('hex')}.${ext}`);
/** The temporary name a new file is staged under, beside its target. */
export const stagingName = (p: string) => sibling(p, 'tmp');

/**
 * Renames staged files into place, keeping each previous file beside it first, so that a
 * failed reload can put them back: the server's next reload then serves what it served before,
 * as the deployment record says. A rename that fails half way puts back those already done.
 */
export async function placeFiles(ops: FileOps, staged: { tmp: string; path: string }[]): Promise<PlacedFiles> {
  const kept: { path: string; backup: string | null }[] = [];
  const dirs = [...new Set(staged.map((s) => path.posix.dirname(s.path)))];
  const restore = async () => {
    for (const k of kept.reverse()) {
      if (k.backup) await ops.replace(k.backup, k.path);
      else await ops.remove(k.path);
    }
    kept.length = 0;
    await ops.syncDirs(dirs);
  };
  try {
    for (const s of staged) {
      const backup = sibling(s.path, 'old');
      const had = await ops.keep(s.path, backup).catch((e: Error) => {
        throw new DeployError(`cannot keep the previous ${s.path}: ${e.message}`);
      });
      kept.push({ path: s.path, backup: had ? backup : null });
      await ops.replace(s.tmp, s.path).catch(async (e: Error) => {
        if (had) await ops.remove(backup).catch(() => {});
        kept.pop();
        throw e instanceof DeployError ? e : new DeployError(`cannot rename ${s.tmp} to ${s.path}: ${e.message}`);
      });
    }
    await ops.syncDirs(dirs);
  } catch (e) {
    await restore().catch(() => {});
    throw e;
  }
  return {
    restore,
    async commit() {
      for (const k of kept) if (k.backup) await ops.remove(k.backup).catch(() => {});
      kept.length = 0;
    },
  };
}

/**
 * Runs the reload with the new files in place; when it fails, the previous files are put back
 * before its error is passed on. Else the previous files are dropped.
 */
export async function reloadOrRestore<T>(placed: PlacedFiles, reload: () => Promise<T>): Promise<T> {
  let out: T;
  try {
    out = await reload();
  } catch (e) {
    await placed.restore().catch((r: Error) => {
      if (!(e instanceof DeployError)) throw e;
      throw new DeployError(`${e.message}; putting the previous files back failed too: ${r.message}`, e.transient);
    });
    throw e;
  }
  await placed.commit();
  return out;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** FileOps on this host: hard links, rename(2) and fsync of the folders. */
const localOps: FileOps = {
  async keep(target, backup) {
    try {
      await link(target, backup);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      // No hard links here (some network and FUSE file systems): a copy, with mode and, where allowed, owner.
      try {
        await copyFile(target, backup, constants.COPYFILE_EXCL);
        const st = await stat(target);
        await chmod(backup, st.mode & 0o7777);
        await chown(backup, st.uid, st.gid).catch(() => {});
        return true;
      } catch (c) {
        throw new Error(errno(c));
      }
    }
  },
  replace: (from, to) => rename(from, to).catch((e) => { throw new Error(errno(e)); }),
  remove: (p) => unlink(p).catch((e) => { throw new Error(errno(e)); }),
  async syncDirs(dirs) {
    for (const dir of dirs) {
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    }
  },
};

/**
 * Writes every file to a temporary name beside its target (fsynced), then renames them all
 * into place and fsyncs the folders, so a reader sees either the old set or the new one and a
 * crash leaves no half-written file. The previous files are kept until the result is committed.
 */
export async function writeFilesAtomically(files: { spec: FileSpec; body: Buffer }[]): Promise<PlacedFiles> {
  const staged: { tmp: string; path: string }[] = [];
  try {
    for (const { spec, body } of files) {
      const dir = path.dirname(spec.path);
      const tmp = stagingName(spec.path);
      const fh = await open(tmp, 'wx', spec.mode).catch((e: NodeJS.ErrnoException) => {
        throw new DeployError(`cannot write in ${dir}: ${e.code ?? e.message}`);
      });
      staged.push({ tmp, path: spec.path });
      try {
        await fh.writeFile(body);
        await fh.chmod(spec.mode); // the umask may have narrowed the mode given to open()
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (spec.owner || spec.group) {
        const uid = spec.owner ? resolveId(spec.owner, '/etc/passwd') : -1;
        const gid = spec.group ? resolveId(spec.group, '/etc/group') : -1;
        await chown(tmp, uid, gid).catch((e: NodeJS.ErrnoException) => {
          throw new DeployError(`cannot give ${spec.path} to ${spec.owner ?? ''}:${spec.group ?? ''}: ${e.code ?? e.message}`);
        });
      }
    }
    const placed = await placeFiles(localOps, staged);
    staged.length = 0;
    return placed;
  } finally {
    for (const s of staged) await unlink(s.tmp).catch(() => {});
  }
}

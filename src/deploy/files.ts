// The certificate files a deployer writes, in the download formats (PEM pieces, a key+chain
// bundle, PFX, JKS), and the atomic write: temporary file, fsync, rename, fsync of the folder.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chown, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { buildJks } from '../pki/jks.js';
import { buildPfx } from '../pki/pfx.js';
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
    case 'pfx': return buildPfx({ keyPem: key(), certPems: [m.leafPem, ...m.chainPems], password: pw(), friendlyName: m.domain || m.certId });
    case 'jks': return buildJks({ keyPem: key(), certPems: [m.leafPem, ...m.chainPems], password: pw(), alias: m.domain || m.certId });
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
 * Writes every file to a temporary name beside its target (fsynced), then renames them all
 * into place and fsyncs the folders, so a reader sees either the old set or the new one and a
 * crash leaves no half-written file.
 */
export async function writeFilesAtomically(files: { spec: FileSpec; body: Buffer }[]): Promise<void> {
  const staged: { tmp: string; spec: FileSpec }[] = [];
  try {
    for (const { spec, body } of files) {
      const dir = path.dirname(spec.path);
      const tmp = path.join(dir, `.${path.basename(spec.path)}.certport-${randomBytes(4).toString('hex')}.tmp`);
      const fh = await open(tmp, 'wx', spec.mode).catch((e: NodeJS.ErrnoException) => {
        throw new DeployError(`cannot write in ${dir}: ${e.code ?? e.message}`);
      });
      staged.push({ tmp, spec });
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
    for (const s of staged) await rename(s.tmp, s.spec.path);
    staged.length = 0;
    for (const dir of new Set(files.map((f) => path.dirname(f.spec.path)))) {
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    }
  } finally {
    for (const s of staged) await unlink(s.tmp).catch(() => {});
  }
}

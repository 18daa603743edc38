// `certport master-key rotate|forget|status`: re-seal everything under a new master key while
// the service runs, hand the new key to the operator, and empty the key ring afterwards.
import { chmodSync, copyFileSync, constants, existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { envName } from '../config/config.js';
import type { Core } from '../main.js';
import { findMasterKey, keyId, masterKeyFile } from '../secrets/sealer.js';
import { syncDir } from '../store/backup.js';

export const MASTER_KEY_USAGE = `
  master-key rotate [--out FILE] [--json] re-seal every sealed value under a new master key while the service runs; the new
                                          key replaces <data dir>/master.key (the old one kept beside it), or, when
                                          CERTPORT_MASTER_KEY is set, is written to FILE for you to configure
  master-key forget [--json]              once every node is configured with the new key: empty the key ring
  master-key status [--json]              the configured key's id, the sealing key's and the key ring`;

function configuredKey(core: Core): { key: Buffer; source: string } {
  const found = findMasterKey(core.config.masterKey, core.config.dataDir);
  if (!found) throw new Error(`no master key is configured (${envName('masterKey')} or ${masterKeyFile(core.config.dataDir)})`);
  return found;
}

/** Writes the key file atomically (a new file renamed over the old), mode 0600. */
function replaceKeyFile(file: string, key: Buffer): void {
  const tmp = `${file}.new`;
  writeFileSync(tmp, key.toString('base64') + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  syncDir(path.dirname(file));
}

export async function masterKeyCommand(core: Core, sub: string | undefined, f: Record<string, string | true>, json: boolean): Promise<number> {
  const configured = configuredKey(core);
  const kid = keyId(configured.key);
  const out = typeof f.out === 'string' ? f.out : null;
  if (sub === 'rotate') {
    if (core.config.masterKey && !out) {
      throw new Error(`${envName('masterKey')} is set, so the new key cannot replace it from here: name a file to write it to with --out FILE`);
    }
    if (out && existsSync(out)) throw new Error(`${out} exists: name a new file`);
    const report = await core.masterKeys.rotate(kid, json ? {} : { progress: (m) => console.log(m) });
    const key = core.masterKeys.sealingKey();
    let where: string;
    if (out) {
      writeFileSync(out, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      where = `The new key is in ${out}: set ${envName('masterKey')} to it on every node (running nodes already use it; one started with the old key still works through the key ring), then run \`certport master-key forget\`.`;
    } else {
      const file = configured.source;
      const old = `${file}.${report.from}.old`;
      if (!existsSync(old)) copyFileSync(file, old, constants.COPYFILE_EXCL);
      chmodSync(old, 0o600);
      replaceKeyFile(file, key);
      where = `The new key is in ${file}, the previous one in ${old}; then run \`certport master-key forget\`.`;
    }
    if (json) {
      console.log(JSON.stringify({ ...report, keyFile: out ?? configured.source }));
    } else {
      const total = Object.values(report.resealed).reduce((a, b) => a + b, 0);
      console.log(`${report.resumed ? 'finished the rotation' : 'rotated'} from key ${report.from} to ${report.to}: ${total} values sealed again in ${report.passes} passes`);
      for (const [column, n] of Object.entries(report.resealed)) console.log(`  ${column} ${n}`);
      console.log(where);
      console.log('Backups taken before now open only with the previous key: keep it with them (and only there).');
    }
  } else if (sub === 'forget') {
    const forgotten = await core.masterKeys.forget(kid);
    console.log(json ? JSON.stringify({ kid, forgotten }) : `the key ring is empty (${forgotten} entries forgotten); key ${kid} seals and opens everything`);
  } else if (sub === 'status') {
    await core.masterKeys.refresh();
    const ring = await core.stores.masterKeys.listMasterKeys();
    const sealing = keyId(core.masterKeys.sealingKey());
    if (json) {
      console.log(JSON.stringify({ configured: kid, source: configured.source, sealing, ring: ring.map((e) => ({ kid: e.kid, sealedBy: e.sealedBy, createdAt: new Date(e.createdAt).toISOString() })) }));
    } else {
      console.log(`configured key ${kid} (${configured.source}); values are sealed under ${sealing}`);
      for (const e of ring) console.log(`  ring: ${e.kid} sealed under ${e.sealedBy}, ${new Date(e.createdAt).toISOString()}`);
    }
  } else {
    throw new Error(`usage:${MASTER_KEY_USAGE}`);
  }
  return 0;
}

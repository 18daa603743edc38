// `certport master-key rotate|forget|status`: re-seal everything under a new master key while
// the service runs, hand the new key to the operator, and empty the key ring afterwards.
import { chmodSync, copyFileSync, constants, existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { envName } from '../config/config.js';
import type { Core } from '../main.js';
import { caKeyFile, findKey, keyId, masterKeyFile, type KeyPurpose } from '../secrets/sealer.js';
import { syncDir } from '../store/backup.js';

export const MASTER_KEY_USAGE = `
  master-key rotate [--ca] [--out FILE] [--json]
                                          re-seal every sealed value under a new master key while the service runs; the new
                                          key replaces <data dir>/master.key (the old one kept beside it), or, when
                                          CERTPORT_MASTER_KEY is set, is written to FILE for you to configure. --ca: the CA
                                          key instead (the CAs' software keys; <data dir>/ca.key or CERTPORT_CA_KEY)
  master-key forget [--ca] [--json]       once every node is configured with the new key: empty the key ring
  master-key status [--json]              the configured keys' ids, the sealing keys' and the key rings`;

const KEYS = {
  master: { setting: 'masterKey', file: masterKeyFile, what: 'master key' },
  ca: { setting: 'caKey', file: caKeyFile, what: 'CA key' },
} as const;

function configuredKey(core: Core, purpose: KeyPurpose): { key: Buffer; source: string } {
  const k = KEYS[purpose];
  const found = findKey(purpose, core.config[k.setting], core.config.dataDir);
  if (!found) throw new Error(`no ${k.what} is configured (${envName(k.setting)} or ${k.file(core.config.dataDir)})`);
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
  const purpose: KeyPurpose = f.ca === true ? 'ca' : 'master';
  const { setting, what } = KEYS[purpose];
  const service = purpose === 'ca' ? core.caKeys : core.masterKeys;
  const configured = configuredKey(core, purpose);
  const kid = keyId(configured.key, purpose);
  const out = typeof f.out === 'string' ? f.out : null;
  if (sub === 'rotate') {
    if (core.config[setting] && !out) {
      throw new Error(`${envName(setting)} is set, so the new key cannot replace it from here: name a file to write it to with --out FILE`);
    }
    if (out && existsSync(out)) throw new Error(`${out} exists: name a new file`);
    const report = await service.rotate(kid, json ? {} : { progress: (m) => console.log(m) });
    const key = service.sealingKey();
    let where: string;
    if (out) {
      writeFileSync(out, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      where = `The new key is in ${out}: set ${envName(setting)} to it on every node (running nodes already use it; one started with the old key still works through the key ring), then run \`certport master-key forget${purpose === 'ca' ? ' --ca' : ''}\`.`;
    } else {
      const file = configured.source;
      const old = `${file}.${report.from}.old`;
      if (!existsSync(old)) copyFileSync(file, old, constants.COPYFILE_EXCL);
      chmodSync(old, 0o600);
      replaceKeyFile(file, key);
      where = `The new key is in ${file}, the previous one in ${old}; then run \`certport master-key forget${purpose === 'ca' ? ' --ca' : ''}\`.`;
    }
    if (json) {
      console.log(JSON.stringify({ ...report, keyFile: out ?? configured.source }));
    } else {
      const total = Object.values(report.resealed).reduce((a, b) => a + b, 0);
      console.log(`${report.resumed ? 'finished the rotation' : 'rotated'} the ${what} from key ${report.from} to ${report.to}: ${total} values sealed again in ${report.passes} passes`);
      for (const [column, n] of Object.entries(report.resealed)) console.log(`  ${column} ${n}`);
      console.log(where);
      console.log('Backups taken before now open only with the previous key: keep it with them (and only there).');
    }
  } else if (sub === 'forget') {
    const forgotten = await service.forget(kid);
    console.log(json ? JSON.stringify({ kid, forgotten }) : `the ${what}'s key ring is empty (${forgotten} entries forgotten); key ${kid} seals and opens everything it seals`);
  } else if (sub === 'status') {
    const status = async (p: KeyPurpose) => {
      const s = p === 'ca' ? core.caKeys : core.masterKeys;
      const c = configuredKey(core, p);
      await s.refresh();
      const ring = await core.stores.masterKeys.listMasterKeys(p);
      return { configured: keyId(c.key, p), source: c.source, sealing: keyId(s.sealingKey(), p), ring: ring.map((e) => ({ kid: e.kid, sealedBy: e.sealedBy, createdAt: new Date(e.createdAt).toISOString() })) };
    };
    const master = await status('master');
    const ca = await status('ca');
    const custody = core.ca.custody;
    if (json) {
      console.log(JSON.stringify({ ...master, ca: { ...ca, custody } }));
    } else {
      for (const [label, st] of [['master key', master], ['CA key', ca]] as const) {
        console.log(`${label}: configured ${st.configured} (${st.source}); values are sealed under ${st.sealing}`);
        for (const e of st.ring) console.log(`  ring: ${e.kid} sealed under ${e.sealedBy}, ${e.createdAt}`);
      }
      console.log(`CA keys: RSA/ECDSA ${custody.embedded === 'pkcs11' ? 'in the PKCS#11 token' : 'sealed under the CA key'}, SM2 sealed under the CA key`);
    }
  } else {
    throw new Error(`usage:${MASTER_KEY_USAGE}`);
  }
  return 0;
}

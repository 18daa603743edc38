// `certport backup FILE` and `certport restore FILE`: a consistent copy of the configured
// database taken while the service runs, and its restore onto a fresh data dir or an empty
// PostgreSQL database. Neither needs nor copies the master key; the restore says whether the
// key it finds opens the restored data, since a backup without its key is useless.
import { existsSync, statSync } from 'node:fs';
import { envName, type Config } from '../config/config.js';
import { caKeyProbe, masterKeyProbe } from '../ca/embedded/setup.js';
import { MasterKeyError, caKeyFile, findKey, masterKeyFile, unlockKey } from '../secrets/sealer.js';
import { backupKind, type Counts } from '../store/backup.js';
import { backupSqlite, restoreSqlite } from '../store/backup-sqlite.js';
import { backupPostgres, restorePostgres } from '../store/backup-postgres.js';
import { openStores } from '../store/open.js';

export const BACKUP_USAGE = `
  backup FILE [--force] [--json]          copy the database while the service runs (SQLite: one file; PostgreSQL: a pg_dump
                                          archive); --force overwrites FILE. The master key is not in it: keep it apart
  restore FILE [--force] [--json]         restore a backup onto a fresh data dir or an empty database/schema; --force replaces
                                          an existing one (stop the service first)`;

const sqliteFile = (config: Readonly<Config>) => (config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl.slice('sqlite:'.length) : null);

function printCounts(counts: Counts): void {
  console.log(`  certificates ${counts.certificates ?? 0} (${counts.certificate_keys ?? 0} with a private key)`);
  const rest = Object.entries(counts).filter(([t, n]) => n > 0 && t !== 'certificates' && t !== 'certificate_keys');
  if (rest.length) console.log('  ' + rest.map(([t, n]) => `${t} ${n}`).join(', '));
}

function keyReminder(config: Readonly<Config>): string {
  return `The master key and the CA key are not in the backup, and the backup is useless without them: keep ${envName('masterKey')}` +
    (config.masterKey ? '' : ` (here: ${masterKeyFile(config.dataDir)})`) + ` and ${envName('caKey')}` +
    (config.caKey ? '' : ` (here: ${caKeyFile(config.dataDir)})`) + ' somewhere else, as safe as the backup (a PKCS#11 token keeps its own keys: back it up by its own means).';
}

export async function backupCommand(config: Readonly<Config>, rest: string[], force: boolean, json: boolean): Promise<number> {
  const file = rest[0];
  if (!file || rest.length > 1) throw new Error('usage: certport backup FILE [--force] [--json]');
  if (existsSync(file) && !force) throw new Error(`${file} exists: pass --force to overwrite it`);
  const started = Date.now();
  const db = sqliteFile(config);
  if (db === ':memory:') throw new Error('an in-memory database cannot be backed up');
  const counts = db !== null ? await backupSqlite(db, file) : await backupPostgres(config.databaseUrl, config.databaseSchema, file);
  const out = { file, backend: db !== null ? 'sqlite' : 'postgres', bytes: statSync(file).size, ms: Date.now() - started, counts };
  if (json) {
    console.log(JSON.stringify(out));
  } else {
    console.log(`backed up the ${out.backend} database to ${file} (${(out.bytes / 1048576).toFixed(1)} MiB, ${(out.ms / 1000).toFixed(1)} s):`);
    printCounts(counts);
    console.log(keyReminder(config));
  }
  return 0;
}

type KeyState = { state: 'ok' | 'missing' | 'wrong'; message: string };

/** Whether the keys this configuration finds open the restored data (the master key, and the CA key for the CAs' keys): 'ok', or why not. */
async function checkKeys(config: Readonly<Config>): Promise<{ master: KeyState; ca: KeyState }> {
  const stores = await openStores(config.databaseUrl, config.databaseSchema ? { schema: config.databaseSchema } : {});
  const check = async (purpose: 'master' | 'ca'): Promise<KeyState> => {
    const setting = purpose === 'master' ? 'masterKey' : 'caKey';
    const what = purpose === 'master' ? 'master key' : 'CA key';
    const found = findKey(purpose, config[setting], config.dataDir);
    const probe = purpose === 'master' ? await masterKeyProbe(stores) : await caKeyProbe(stores.ca);
    if (!found) {
      if (!probe) return { state: 'ok', message: `nothing in the restored data is sealed under a ${what}` };
      return { state: 'missing', message: `no ${what} is configured: before starting, set ${envName(setting)} to the key of the backed-up service, or put it in ${(purpose === 'master' ? masterKeyFile : caKeyFile)(config.dataDir)}` };
    }
    try {
      unlockKey(purpose, config[setting], config.dataDir, probe);
      return { state: 'ok', message: `the ${what} from ${found.source} opens the restored data` };
    } catch (e) {
      if (e instanceof MasterKeyError) return { state: 'wrong', message: e.message };
      throw e;
    }
  };
  try {
    return { master: await check('master'), ca: await check('ca') };
  } finally {
    await stores.close();
  }
}

export async function restoreCommand(config: Readonly<Config>, rest: string[], force: boolean, json: boolean): Promise<number> {
  const file = rest[0];
  if (!file || rest.length > 1) throw new Error('usage: certport restore FILE [--force] [--json]');
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  const db = sqliteFile(config);
  if (db === ':memory:') throw new Error('cannot restore into an in-memory database');
  const kind = backupKind(file);
  const want = db !== null ? 'sqlite' : 'postgres';
  if (kind === null) throw new Error(`${file} is not a certport backup (neither an SQLite database nor a pg_dump archive)`);
  if (kind !== want) throw new Error(`${file} is a ${kind} backup and ${envName('databaseUrl')} names a ${want} database`);
  const started = Date.now();
  const counts = db !== null ? await restoreSqlite(file, db, force) : await restorePostgres(file, config.databaseUrl, config.databaseSchema, force);
  const keys = await checkKeys(config);
  if (json) {
    console.log(JSON.stringify({ file, backend: want, ms: Date.now() - started, counts, masterKey: keys.master.state, caKey: keys.ca.state }));
  } else {
    console.log(`restored ${file} into the ${want} database (${((Date.now() - started) / 1000).toFixed(1)} s):`);
    printCounts(counts);
  }
  for (const key of [keys.master, keys.ca]) {
    if (key.state === 'ok') {
      if (!json) console.log(key.message);
    } else {
      console.error(`certport: warning: ${key.message}`);
    }
  }
  return 0;
}

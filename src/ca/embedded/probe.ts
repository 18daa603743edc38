// What the master key and the CA key are checked against, apart from the CA's making
// (./setup.ts), so that the CLI can unlock the master key without loading the CA's code.
import type { Sealer, SealedProbe } from '../../secrets/sealer.js';
import type { CaStore, MasterKeyStore } from '../../domain/stores.js';
import { aad } from '../../secrets/aad.js';

/** The embedded CA's name in the CaStore. */
export const CA_EMBEDDED = 'embedded';
const EMBEDDED = CA_EMBEDDED;

/**
 * A value sealed under the master key, which tells whether the configured master key is the
 * database's: the key check row, or on a database from before 0019_ca_custody the CA's
 * material (sealed under the master key then). Null on a fresh database.
 */
export async function masterKeyProbe(stores: { ca: CaStore; masterKeys: MasterKeyStore }): Promise<SealedProbe | null> {
  const check = await stores.masterKeys.getKeyCheck('master');
  if (check) return { sealed: check, aad: aad.keyCheck('master') };
  const stored = await stores.ca.getCaMaterial(EMBEDDED);
  return stored?.custody === 'master' ? { sealed: stored.materialSealed, aad: aad.ca(EMBEDDED) } : null;
}

/** Records the key check under the (just unlocked) master key, unless the database has one. */
export async function recordMasterKeyCheck(store: MasterKeyStore, master: Sealer): Promise<void> {
  if (await store.getKeyCheck('master')) return;
  await store.putKeyCheckOnce('master', master.seal('certport', aad.keyCheck('master')));
}

/** A CA sealed under the CA key, which tells whether the configured CA key is the database's; null when none is. */
export async function caKeyProbe(store: CaStore): Promise<SealedProbe | null> {
  const [name] = await store.listCaNames('ca-key');
  const stored = name ? await store.getCaMaterial(name) : null;
  return stored ? { sealed: stored.materialSealed, aad: aad.caMaterial(name!) } : null;
}


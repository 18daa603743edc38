// What the master key is checked against, apart from the CA's making (./setup.ts), so that the
// CLI can unlock the key without loading the CA's code.
import type { SealedProbe } from '../../secrets/sealer.js';
import type { CaStore } from '../../domain/stores.js';
import { aad } from '../../secrets/aad.js';

/** The embedded CA's name in the CaStore. */
export const CA_EMBEDDED = 'embedded';

/**
 * The embedded CA's sealed material, which every database has from its first start: what
 * opens it is the key the whole database was sealed with (null on a fresh database).
 */
export async function masterKeyProbe(store: CaStore): Promise<SealedProbe | null> {
  const stored = await store.getCaMaterial(CA_EMBEDDED);
  return stored ? { sealed: stored.materialSealed, aad: aad.ca(CA_EMBEDDED) } : null;
}

// Master-key rotation, online. A new key is put in the key ring sealed under the current one;
// every node reads the ring every MASTER_KEY_REFRESH_MS and from then on seals under the new
// key and opens values under either. Once they all have (a pause of two refresh periods),
// every sealed value is opened and sealed again under the new key, one row per statement and
// only if the row did not change meanwhile, in passes until a pass finds nothing left to do
// (a value sealed by a node that had not refreshed yet is caught by the next pass). The
// operator then configures the new key, and `forget` empties the ring.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { MasterKeyStore, SealedValue, SealedValueStore } from '../domain/stores.js';
import { keyId, type KeyPurpose, type Sealer } from '../secrets/sealer.js';

/** How often a node reads the key ring. */
export const MASTER_KEY_REFRESH_MS = 5000;
/** How long a rotation waits after putting its key in the ring: every running node has read it by then. */
export const MASTER_KEY_SETTLE_MS = 2 * MASTER_KEY_REFRESH_MS + 1000;
const BATCH = 500;
const MAX_PASSES = 10;

export interface RotationReport {
  /** The configured key's id and the new key's. */
  from: string;
  to: string;
  /** A rotation started earlier (its key already in the ring) was carried on. */
  resumed: boolean;
  passes: number;
  /** Values sealed again, per column ('table.column'). */
  resealed: Record<string, number>;
}

/** A stored value no key held here opens: the rotation stops and names it. */
export class UnopenableValue extends Error {}

export class MasterKeyService {
  /** Which ring and which columns: the master key's (customer data) or the CA key's (the CAs' software keys). */
  readonly purpose: KeyPurpose;

  constructor(
    private readonly store: MasterKeyStore & SealedValueStore,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
  ) {
    this.purpose = sealer.purpose;
  }

  /** Reads the ring again; true when a newer key became the sealing key here. */
  async refresh(): Promise<boolean> {
    return this.sealer.learn(await this.store.listMasterKeys(this.purpose));
  }

  /** The key values are now sealed under (what the operator configures after a rotation). */
  sealingKey(): Buffer {
    return this.sealer.exportSealingKey();
  }

  /**
   * Re-seals everything under a new key, or under the ring's newest key when a rotation
   * away from the configured key (`configuredKid`) was started before and not finished.
   */
  async rotate(configuredKid: string, opts: { settleMs?: number; progress?: (msg: string) => void } = {}): Promise<RotationReport> {
    await this.refresh();
    const resumed = this.sealer.keyId !== configuredKid;
    if (!resumed) {
      const key = randomBytes(32);
      const kid = keyId(key, this.purpose);
      await this.store.addMasterKey({ kid, keySealed: this.sealer.seal(key.toString('base64'), this.sealer.ringAad(kid)), sealedBy: this.sealer.keyId, createdAt: this.clock() }, this.purpose);
      this.sealer.adopt(key);
    }
    const report: RotationReport = { from: configuredKid, to: this.sealer.keyId, resumed, passes: 0, resealed: {} };
    const settle = opts.settleMs ?? MASTER_KEY_SETTLE_MS;
    opts.progress?.(`key ${report.to} is in the key ring; waiting ${(settle / 1000).toFixed(0)} s for every node to read it`);
    await new Promise((r) => setTimeout(r, settle));
    for (;;) {
      report.passes++;
      const left = await this.#pass(report.resealed);
      opts.progress?.(`pass ${report.passes}: ${left} values sealed again or changed meanwhile`);
      if (left === 0) return report;
      if (report.passes >= MAX_PASSES) throw new Error(`values were still being sealed under an older key after ${MAX_PASSES} passes; run the rotation again`);
    }
  }

  /** One pass over every sealed column: how many values were not under the sealing key. */
  async #pass(resealed: Record<string, number>): Promise<number> {
    let left = 0;
    for (const column of this.store.sealedColumns(this.purpose)) {
      for (let after: string | null = null; ;) {
        const batch: SealedValue[] = await this.store.sealedValues(column, after, BATCH);
        for (const v of batch) {
          if (this.sealer.isCurrent(v.sealed, v.aad)) continue;
          left++;
          let plain: Buffer;
          try {
            plain = this.sealer.open(v.sealed, v.aad);
          } catch {
            throw new UnopenableValue(`${column} of ${v.key} opens under neither the configured key nor a key of the ring: the rotation stopped there (what it sealed again opens under the new key, which the ring holds)`);
          }
          // A row changed meanwhile was written by a node sealing under the new key (or not yet: the next pass sees it).
          if (await this.store.replaceSealed(v, this.sealer.seal(plain, v.aad))) resealed[column] = (resealed[column] ?? 0) + 1;
        }
        if (batch.length < BATCH) break;
        after = batch[batch.length - 1]!.key;
      }
    }
    return left;
  }

  /**
   * Empties the key ring once the configured key is the newest and every value is sealed
   * under it: the ring would otherwise let the retired key unwrap the new one.
   */
  async forget(configuredKid: string): Promise<number> {
    await this.refresh();
    if (this.sealer.keyId !== configuredKid) {
      throw new Error(`the newest key is ${this.sealer.keyId} and the configured one ${configuredKid}: configure the new key on every node first (or finish the rotation with \`certport master-key rotate\`)`);
    }
    // Values a node sealed under an older key after the rotation ended are sealed again first.
    for (let pass = 1; (await this.#pass({})) > 0; pass++) {
      if (pass >= MAX_PASSES) throw new Error(`values were still being sealed under an older key after ${MAX_PASSES} passes; try again`);
    }
    return this.store.clearMasterKeys(this.purpose);
  }
}

// certport's own CAs' material: the `ca_material` table.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { CaCustody, CaStore, StoredCa } from '../domain/stores.js';

export class SqlCaStore implements CaStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getCaMaterial(name: string): Promise<StoredCa | null> {
    const r = await this.db.selectFrom('ca_material').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? { rootPem: r.root_pem, materialSealed: r.material_sealed, custody: r.custody as CaCustody, createdAt: Number(r.created_at) } : null;
  }

  async putCaMaterialOnce(name: string, rootPem: string, materialSealed: string, custody: CaCustody, now: number): Promise<StoredCa> {
    await this.db.insertInto('ca_material').values({ name, root_pem: rootPem, material_sealed: materialSealed, custody, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    return (await this.getCaMaterial(name))!;
  }

  async replaceCaMaterial(name: string, from: string, to: string, custody: CaCustody): Promise<boolean> {
    const r = await this.db.updateTable('ca_material').set({ material_sealed: to, custody })
      .where('name', '=', name).where('material_sealed', '=', from).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async listCaNames(custody: CaCustody): Promise<string[]> {
    return (await this.db.selectFrom('ca_material').select('name').where('custody', '=', custody).orderBy('name').execute()).map((r) => r.name);
  }
}

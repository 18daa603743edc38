// The embedded CA's material: the `ca_material` table.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { CaStore } from '../domain/stores.js';

export class SqlCaStore implements CaStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getCaMaterial(name: string) {
    const r = await this.db.selectFrom('ca_material').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? { rootPem: r.root_pem, materialSealed: r.material_sealed, createdAt: Number(r.created_at) } : null;
  }

  async putCaMaterialOnce(name: string, rootPem: string, materialSealed: string, now: number) {
    await this.db.insertInto('ca_material').values({ name, root_pem: rootPem, material_sealed: materialSealed, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    const r = (await this.getCaMaterial(name))!;
    return { rootPem: r.rootPem, materialSealed: r.materialSealed };
  }
}

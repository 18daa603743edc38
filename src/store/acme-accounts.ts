// ACME accounts, one per directory: the `acme_accounts` table.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { AcmeAccountStore } from '../domain/stores.js';

export class SqlAcmeAccountStore implements AcmeAccountStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getAcmeAccount(directoryUrl: string) {
    const r = await this.db.selectFrom('acme_accounts').selectAll().where('directory_url', '=', directoryUrl).executeTakeFirst();
    return r ? { keySealed: r.key_sealed } : null;
  }

  async putAcmeAccountOnce(directoryUrl: string, keySealed: string, now: number) {
    await this.db.insertInto('acme_accounts').values({ directory_url: directoryUrl, key_sealed: keySealed, created_at: now })
      .onConflict((oc) => oc.column('directory_url').doNothing()).execute();
    return (await this.getAcmeAccount(directoryUrl))!;
  }
}

// The key ring (`master_keys`) and every sealed column, for master-key rotation: the ring
// hands a new key to the running nodes, and each sealed value is replaced in place, row by
// row, only if nobody changed it meanwhile.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { MasterKeyEntry, MasterKeyStore, SealedValue, SealedValueStore } from '../domain/stores.js';
import { aad } from '../secrets/aad.js';

interface SealedColumn {
  table: keyof Database;
  key: string;
  /** The row key is an integer (compared as a number when paging). */
  numeric?: boolean;
  /** What the value is bound to, from the row. */
  aad: (r: Record<string, string>) => string;
}

/**
 * Every column sealed under the master key. `master_keys.key_sealed` is not one: each entry
 * is sealed under the key before it on purpose.
 */
const SEALED: Readonly<Record<string, SealedColumn>> = {
  'api_keys.secret_key_sealed': { table: 'api_keys', key: 'secret_id', aad: (r) => aad.apiKey(r.secret_id!) },
  'certificate_material.private_key_sealed': { table: 'certificate_material', key: 'cert_id', aad: (r) => aad.certKey(r.cert_id!) },
  'certificate_material.key_password_sealed': { table: 'certificate_material', key: 'cert_id', aad: (r) => aad.keyPassword(r.cert_id!) },
  'certificate_material.encrypt_key_sealed': { table: 'certificate_material', key: 'cert_id', aad: (r) => aad.encryptKey(r.cert_id!) },
  'paid_orders.letter_sealed': { table: 'paid_orders', key: 'cert_id', aad: (r) => aad.letter(r.cert_id!) },
  'revocations.letter_sealed': { table: 'revocations', key: 'cert_id', aad: (r) => aad.revokeLetter(r.cert_id!) },
  'ca_material.material_sealed': { table: 'ca_material', key: 'name', aad: (r) => aad.ca(r.name!) },
  'acme_accounts.key_sealed': { table: 'acme_accounts', key: 'directory_url', aad: (r) => aad.acmeAccount(r.directory_url!) },
  'csrs.private_key_sealed': { table: 'csrs', key: 'id', numeric: true, aad: (r) => aad.csrKey(r.account_uin!, Number(r.id)) },
  'csrs.key_password_sealed': { table: 'csrs', key: 'id', numeric: true, aad: (r) => aad.csrKeyPassword(r.account_uin!, Number(r.id)) },
  'deploy_resources.deployer_secret_sealed': { table: 'deploy_resources', key: 'id', aad: (r) => aad.deployerSecret(r.account_uin!, r.id!) },
  'notification_channels.webhook_secret_sealed': { table: 'notification_channels', key: 'account_uin', aad: (r) => aad.webhookSecret(r.account_uin!) },
};

export class SqlMasterKeyStore implements MasterKeyStore, SealedValueStore {
  constructor(private readonly db: Kysely<Database>) {}

  async listMasterKeys(): Promise<MasterKeyEntry[]> {
    const rows = await this.db.selectFrom('master_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
    return rows.map((r) => ({ kid: r.kid, keySealed: r.key_sealed, sealedBy: r.sealed_by, createdAt: Number(r.created_at) }));
  }

  async addMasterKey(e: MasterKeyEntry): Promise<void> {
    await this.db.insertInto('master_keys').values({ kid: e.kid, key_sealed: e.keySealed, sealed_by: e.sealedBy, created_at: e.createdAt }).execute();
  }

  async clearMasterKeys(): Promise<number> {
    return Number((await this.db.deleteFrom('master_keys').executeTakeFirst()).numDeletedRows);
  }

  sealedColumns(): readonly string[] {
    return Object.keys(SEALED);
  }

  async sealedValues(column: string, after: string | null, limit: number): Promise<SealedValue[]> {
    const c = SEALED[column]!;
    const name = column.slice(column.indexOf('.') + 1);
    const from = after === null ? sql`` : sql`and ${sql.ref(c.key)} > ${c.numeric ? Number(after) : after}`;
    const rows = (await sql<Record<string, string>>`select * from ${sql.table(c.table)} where ${sql.ref(name)} is not null ${from}
      order by ${sql.ref(c.key)} limit ${limit}`.execute(this.db)).rows;
    return rows.map((r) => ({ column, key: String(r[c.key]), sealed: r[name]!, aad: c.aad(r) }));
  }

  async replaceSealed(v: SealedValue, next: string): Promise<boolean> {
    const c = SEALED[v.column]!;
    const name = v.column.slice(v.column.indexOf('.') + 1);
    const r = await sql`update ${sql.table(c.table)} set ${sql.ref(name)} = ${next}
      where ${sql.ref(c.key)} = ${c.numeric ? Number(v.key) : v.key} and ${sql.ref(name)} = ${v.sealed}`.execute(this.db);
    return Number(r.numAffectedRows ?? 0) === 1;
  }
}

// The key ring (`master_keys`) and every sealed column, for master-key rotation: the ring
// hands a new key to the running nodes, and each sealed value is replaced in place, row by
// row, only if nobody changed it meanwhile.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { KeyRingPurpose, MasterKeyEntry, MasterKeyStore, SealedValue, SealedValueStore } from '../domain/stores.js';
import { aad } from '../secrets/aad.js';

interface SealedColumn {
  table: keyof Database;
  key: string;
  /** The row key is an integer (compared as a number when paging). */
  numeric?: boolean;
  /** What the value is bound to, from the row. */
  aad: (r: Record<string, string>) => string;
  /** Only the rows whose column holds this value. */
  only?: [column: string, value: string];
}

/**
 * Every column sealed under the master key, then those sealed under the CA key.
 * `master_keys.key_sealed` is not one: each entry is sealed under the key before it on purpose.
 */
const SEALED: Readonly<Record<string, SealedColumn>> = {
  'key_checks.sealed': { table: 'key_checks', key: 'purpose', aad: (r) => aad.keyCheck(r.purpose!) },
  'api_keys.secret_key_sealed': { table: 'api_keys', key: 'secret_id', aad: (r) => aad.apiKey(r.secret_id!) },
  'certificate_material.private_key_sealed': { table: 'certificate_material', key: 'cert_id', aad: (r) => aad.certKey(r.cert_id!) },
  'certificate_material.key_password_sealed': { table: 'certificate_material', key: 'cert_id', aad: (r) => aad.keyPassword(r.cert_id!) },
  'certificate_material.encrypt_key_sealed': { table: 'certificate_material', key: 'cert_id', aad: (r) => aad.encryptKey(r.cert_id!) },
  'certificate_downloads.password_sealed': { table: 'certificate_downloads', key: 'cert_id', aad: (r) => aad.downloadPassword(r.cert_id!) },
  'certificate_downloads.zip_sealed': { table: 'certificate_downloads', key: 'cert_id', aad: (r) => aad.downloadZip(r.cert_id!) },
  'paid_orders.letter_sealed': { table: 'paid_orders', key: 'cert_id', aad: (r) => aad.letter(r.cert_id!) },
  'revocations.letter_sealed': { table: 'revocations', key: 'cert_id', aad: (r) => aad.revokeLetter(r.cert_id!) },
  'acme_accounts.key_sealed': { table: 'acme_accounts', key: 'directory_url', aad: (r) => aad.acmeAccount(r.directory_url!) },
  'csrs.private_key_sealed': { table: 'csrs', key: 'id', numeric: true, aad: (r) => aad.csrKey(r.account_uin!, Number(r.id)) },
  'csrs.key_password_sealed': { table: 'csrs', key: 'id', numeric: true, aad: (r) => aad.csrKeyPassword(r.account_uin!, Number(r.id)) },
  'deploy_resources.deployer_secret_sealed': { table: 'deploy_resources', key: 'id', aad: (r) => aad.deployerSecret(r.account_uin!, r.id!) },
  'acme_srv_eab.hmac_sealed': { table: 'acme_srv_eab', key: 'kid', aad: (r) => aad.acmeEab(r.kid!) },
  'tls_serving.key_sealed': { table: 'tls_serving', key: 'name', aad: (r) => aad.tlsKey(r.name!) },
  'notification_channels.webhook_secret_sealed': { table: 'notification_channels', key: 'account_uin', aad: (r) => aad.webhookSecret(r.account_uin!) },
};

const CA_SEALED: Readonly<Record<string, SealedColumn>> = {
  'ca_material.material_sealed': { table: 'ca_material', key: 'name', aad: (r) => aad.caMaterial(r.name!), only: ['custody', 'ca-key'] },
};

const columnOf = (column: string): SealedColumn => SEALED[column] ?? CA_SEALED[column]!;

export class SqlMasterKeyStore implements MasterKeyStore, SealedValueStore {
  constructor(private readonly db: Kysely<Database>) {}

  async listMasterKeys(purpose: KeyRingPurpose = 'master'): Promise<MasterKeyEntry[]> {
    const rows = await this.db.selectFrom('master_keys').selectAll().where('purpose', '=', purpose).orderBy('created_at').orderBy('kid').execute();
    return rows.map((r) => ({ kid: r.kid, keySealed: r.key_sealed, sealedBy: r.sealed_by, createdAt: Number(r.created_at) }));
  }

  async addMasterKey(e: MasterKeyEntry, purpose: KeyRingPurpose = 'master'): Promise<void> {
    await this.db.insertInto('master_keys').values({ kid: e.kid, key_sealed: e.keySealed, sealed_by: e.sealedBy, created_at: e.createdAt, purpose }).execute();
  }

  async clearMasterKeys(purpose: KeyRingPurpose = 'master'): Promise<number> {
    return Number((await this.db.deleteFrom('master_keys').where('purpose', '=', purpose).executeTakeFirst()).numDeletedRows);
  }

  async getKeyCheck(purpose: KeyRingPurpose): Promise<string | null> {
    return (await this.db.selectFrom('key_checks').select('sealed').where('purpose', '=', purpose).executeTakeFirst())?.sealed ?? null;
  }

  async putKeyCheckOnce(purpose: KeyRingPurpose, sealed: string): Promise<void> {
    await this.db.insertInto('key_checks').values({ purpose, sealed }).onConflict((oc) => oc.column('purpose').doNothing()).execute();
  }

  sealedColumns(purpose: KeyRingPurpose = 'master'): readonly string[] {
    return Object.keys(purpose === 'master' ? SEALED : CA_SEALED);
  }

  async sealedValues(column: string, after: string | null, limit: number): Promise<SealedValue[]> {
    const c = columnOf(column);
    const name = column.slice(column.indexOf('.') + 1);
    const from = after === null ? sql`` : sql`and ${sql.ref(c.key)} > ${c.numeric ? Number(after) : after}`;
    const only = c.only ? sql`and ${sql.ref(c.only[0])} = ${c.only[1]}` : sql``;
    const rows = (await sql<Record<string, string>>`select * from ${sql.table(c.table)} where ${sql.ref(name)} is not null ${from} ${only}
      order by ${sql.ref(c.key)} limit ${limit}`.execute(this.db)).rows;
    return rows.map((r) => ({ column, key: String(r[c.key]), sealed: r[name]!, aad: c.aad(r) }));
  }

  async replaceSealed(v: SealedValue, next: string): Promise<boolean> {
    const c = columnOf(v.column);
    const name = v.column.slice(v.column.indexOf('.') + 1);
    const r = await sql`update ${sql.table(c.table)} set ${sql.ref(name)} = ${next}
      where ${sql.ref(c.key)} = ${c.numeric ? Number(v.key) : v.key} and ${sql.ref(name)} = ${v.sealed}`.execute(this.db);
    return Number(r.numAffectedRows ?? 0) === 1;
  }
}

// Accounts, their users and API keys: the `accounts`, `users` and `api_keys` tables.
import type { Kysely } from 'kysely';
import type { AccountRow, ApiKeyRow, Database, UserRow } from './schema.js';
import type { AccountRecord, ApiKeyRecord, UserRecord } from '../domain/account.js';
import type { AccountStore } from '../domain/stores.js';

const accountRecord = (r: AccountRow): AccountRecord => ({ uin: r.uin, name: r.name, status: r.status, createdAt: Number(r.created_at) });
const userRecord = (r: UserRow): UserRecord => ({ uin: r.uin, accountUin: r.account_uin, name: r.name, createdAt: Number(r.created_at) });
const keyRecord = (r: ApiKeyRow): ApiKeyRecord => ({
  secretId: r.secret_id,
  accountUin: r.account_uin,
  userUin: r.user_uin,
  secretKeySealed: r.secret_key_sealed,
  status: r.status as ApiKeyRecord['status'],
  createdAt: Number(r.created_at),
});

export class SqlAccountStore implements AccountStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The account and its first user (the account's own uin). */
  async createAccount(a: AccountRecord) {
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('accounts').values({ uin: a.uin, name: a.name, status: a.status, created_at: a.createdAt }).execute();
      await tx.insertInto('users').values({ uin: a.uin, account_uin: a.uin, name: a.name, created_at: a.createdAt }).execute();
    });
  }
  async getAccount(uin: string) {
    const r = await this.db.selectFrom('accounts').selectAll().where('uin', '=', uin).executeTakeFirst();
    return r ? accountRecord(r) : null;
  }
  async setAccountStatus(uin: string, status: 'active' | 'disabled') {
    const r = await this.db.updateTable('accounts').set({ status }).where('uin', '=', uin).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async listAccounts() {
    const rows = await this.db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
    return rows.map(accountRecord);
  }

  async createUser(u: UserRecord) {
    await this.db.insertInto('users').values({ uin: u.uin, account_uin: u.accountUin, name: u.name, created_at: u.createdAt }).execute();
  }
  async getUser(uin: string) {
    const r = await this.db.selectFrom('users').selectAll().where('uin', '=', uin).executeTakeFirst();
    return r ? userRecord(r) : null;
  }
  async listUsers(accountUin: string) {
    const rows = await this.db.selectFrom('users').selectAll().where('account_uin', '=', accountUin).orderBy('created_at').execute();
    return rows.map(userRecord);
  }

  async createKey(k: ApiKeyRecord) {
    await this.db.insertInto('api_keys').values({
      secret_id: k.secretId, account_uin: k.accountUin, user_uin: k.userUin,
      secret_key_sealed: k.secretKeySealed, status: k.status, created_at: k.createdAt,
    }).execute();
  }
  async findKey(secretId: string) {
    const r = await this.db.selectFrom('api_keys').selectAll().where('secret_id', '=', secretId).executeTakeFirst();
    return r ? keyRecord(r) : null;
  }
  async listKeys(accountUin: string) {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('account_uin', '=', accountUin).orderBy('created_at').execute();
    return rows.map(keyRecord);
  }
  async setKeyStatus(secretId: string, status: 'active' | 'disabled') {
    const r = await this.db.updateTable('api_keys').set({ status }).where('secret_id', '=', secretId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async deleteKey(secretId: string) {
    const r = await this.db.deleteFrom('api_keys').where('secret_id', '=', secretId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

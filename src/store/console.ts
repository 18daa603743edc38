// Console passwords and sessions: the `console_passwords` and `console_sessions` tables.
import type { Kysely } from 'kysely';
import type { ConsoleSessionRow, Database } from './schema.js';
import type { ConsolePasswordRecord, ConsoleSessionRecord, ConsoleStore } from '../domain/console.js';

const sessionRecord = (r: ConsoleSessionRow): ConsoleSessionRecord => ({
  idHash: r.id_hash, accountUin: r.account_uin, userUin: r.user_uin, csrfToken: r.csrf_token,
  createdAt: Number(r.created_at), lastSeenAt: Number(r.last_seen_at), expiresAt: Number(r.expires_at),
  address: r.address, userAgent: r.user_agent,
});

export class SqlConsoleStore implements ConsoleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getPassword(userUin: string) {
    const r = await this.db.selectFrom('console_passwords').selectAll().where('user_uin', '=', userUin).executeTakeFirst();
    return r ? { userUin: r.user_uin, accountUin: r.account_uin, hash: r.password_hash, updatedAt: Number(r.updated_at) } : null;
  }
  async putPassword(p: ConsolePasswordRecord) {
    const values = { user_uin: p.userUin, account_uin: p.accountUin, password_hash: p.hash, updated_at: p.updatedAt };
    await this.db.insertInto('console_passwords').values(values)
      .onConflict((oc) => oc.column('user_uin').doUpdateSet({ password_hash: p.hash, updated_at: p.updatedAt })).execute();
  }
  async createSession(s: ConsoleSessionRecord) {
    await this.db.insertInto('console_sessions').values({
      id_hash: s.idHash, account_uin: s.accountUin, user_uin: s.userUin, csrf_token: s.csrfToken, created_at: s.createdAt,
      last_seen_at: s.lastSeenAt, expires_at: s.expiresAt, address: s.address, user_agent: s.userAgent,
    }).execute();
  }
  async getSession(idHash: string) {
    const r = await this.db.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    return r ? sessionRecord(r) : null;
  }
  async touchSession(idHash: string, lastSeenAt: number) {
    await this.db.updateTable('console_sessions').set({ last_seen_at: lastSeenAt }).where('id_hash', '=', idHash).execute();
  }
  async deleteSession(idHash: string) {
    await this.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
  }
  async deleteUserSessions(userUin: string) {
    const r = await this.db.deleteFrom('console_sessions').where('user_uin', '=', userUin).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
  async deleteStaleSessions(now: number, idleBefore: number) {
    const r = await this.db.deleteFrom('console_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleBefore)])).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
  async isOperator(userUin: string) {
    return (await this.db.selectFrom('console_operators').select('user_uin').where('user_uin', '=', userUin).executeTakeFirst()) !== undefined;
  }
  async setOperator(userUin: string, accountUin: string, on: boolean, at: number) {
    if (!on) {
      await this.db.deleteFrom('console_operators').where('user_uin', '=', userUin).execute();
      return;
    }
    await this.db.insertInto('console_operators').values({ user_uin: userUin, account_uin: accountUin, granted_at: at })
      .onConflict((oc) => oc.column('user_uin').doNothing()).execute();
  }
  async listOperators() {
    const rows = await this.db.selectFrom('console_operators').selectAll().orderBy('granted_at').execute();
    return rows.map((r) => ({ userUin: r.user_uin, accountUin: r.account_uin, grantedAt: Number(r.granted_at) }));
  }
}

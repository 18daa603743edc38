// certport's ACME server: the `acme_srv_*` tables (nonces, bindings, accounts, orders, authorizations).
import type { Kysely } from 'kysely';
import type { AcmeServerAccountRow, AcmeServerAuthzRow, AcmeServerEabRow, AcmeServerOrderRow, Database } from './schema.js';
import type { AcmePolicy, AcmeAuthz, AcmeIdentifier, AcmeOrder, AcmeServerAccount, AcmeServerStore, EabRecord } from '../domain/acme-server.js';

const account = (r: AcmeServerAccountRow): AcmeServerAccount => ({
  id: r.id, thumbprint: r.thumbprint, jwk: JSON.parse(r.jwk), accountUin: r.account_uin, status: r.status as AcmeServerAccount['status'],
  contact: JSON.parse(r.contact), eabKid: r.eab_kid, createdAt: Number(r.created_at),
});
const eab = (r: AcmeServerEabRow): EabRecord => ({
  kid: r.kid, accountUin: r.account_uin, hmacSealed: r.hmac_sealed, createdAt: Number(r.created_at),
  usedAt: r.used_at === null ? null : Number(r.used_at), acmeAccountId: r.acme_account_id,
});
const order = (r: AcmeServerOrderRow): AcmeOrder => ({
  id: r.id, acmeAccountId: r.acme_account_id, accountUin: r.account_uin, status: r.status as AcmeOrder['status'],
  identifiers: JSON.parse(r.identifiers), authzIds: JSON.parse(r.authz_ids), expiresAt: Number(r.expires_at),
  error: r.error ? JSON.parse(r.error) : null, certificateId: r.certificate_id, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});
const authz = (r: AcmeServerAuthzRow): AcmeAuthz => ({
  id: r.id, acmeAccountId: r.acme_account_id, identifier: { type: r.identifier_type === 'ip' ? 'ip' : 'dns', value: r.identifier }, wildcard: Number(r.wildcard) === 1,
  status: r.status as AcmeAuthz['status'], expiresAt: Number(r.expires_at), challenges: JSON.parse(r.challenges),
  createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});
const authzRow = (a: AcmeAuthz): AcmeServerAuthzRow => ({
  id: a.id, acme_account_id: a.acmeAccountId, identifier: a.identifier.value, identifier_type: a.identifier.type, wildcard: a.wildcard ? 1 : 0, status: a.status,
  expires_at: a.expiresAt, challenges: JSON.stringify(a.challenges), created_at: a.createdAt, updated_at: a.updatedAt,
});

export const identifiersKey = (ids: { type: string; value: string }[]) => ids.map((i) => `${i.type}:${i.value}`).sort().join(',');

/** Nonces kept in memory beyond this many: the oldest go first (their clients get badNonce and retry). */
const MEMORY_NONCES_MAX = 200_000;

export class SqlAcmeServerStore implements AcmeServerStore {
  /**
   * On SQLite (one node) nonces live in this process's memory: every ACME request hands out one
   * and uses one, and two synchronous commits per request were most of the server's time (see
   * bench/acme-server.ts). A restart forgets them; clients retry badNonce (RFC 8555 6.5), as
   * Boulder's in-memory nonces are forgotten. On PostgreSQL they stay in the table, so that any
   * node accepts a nonce another node handed out.
   */
  readonly #memory: Map<string, number> | null;

  constructor(private readonly db: Kysely<Database>, opts: { memoryNonces?: boolean } = {}) {
    this.#memory = opts.memoryNonces ? new Map() : null;
  }

  async getPolicy(accountUin: string) {
    const r = await this.db.selectFrom('acme_srv_policies').selectAll().where('account_uin', '=', accountUin).executeTakeFirst();
    return r ? {
      accountUin: r.account_uin, suffixes: JSON.parse(r.suffixes) as string[], wildcard: Number(r.wildcard) === 1, maxDays: Number(r.max_days),
      ipRanges: r.ip_ranges === null ? null : JSON.parse(r.ip_ranges) as string[],
    } : null;
  }
  async putPolicy(p: AcmePolicy, now: number) {
    const row = { suffixes: JSON.stringify(p.suffixes), wildcard: p.wildcard ? 1 : 0, max_days: p.maxDays, updated_at: now, ip_ranges: p.ipRanges === null ? null : JSON.stringify(p.ipRanges) };
    await this.db.insertInto('acme_srv_policies').values({ account_uin: p.accountUin, ...row })
      .onConflict((oc) => oc.column('account_uin').doUpdateSet(row)).execute();
  }

  async putNonce(nonce: string, expiresAt: number) {
    const m = this.#memory;
    if (m) {
      m.set(nonce, expiresAt);
      // A Map iterates in insertion order: the first key is the oldest.
      if (m.size > MEMORY_NONCES_MAX) m.delete(m.keys().next().value!);
      return;
    }
    await this.db.insertInto('acme_srv_nonces').values({ nonce, expires_at: expiresAt }).execute();
  }
  async takeNonce(nonce: string, now: number) {
    const m = this.#memory;
    if (m) {
      const exp = m.get(nonce);
      m.delete(nonce);
      return exp !== undefined && exp > now;
    }
    const r = await this.db.deleteFrom('acme_srv_nonces').where('nonce', '=', nonce).where('expires_at', '>', now).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
  async sweepNonces(now: number) {
    const m = this.#memory;
    if (m) {
      // Insertion order is expiry order (one lifetime for all): stop at the first live one.
      for (const [n, exp] of m) {
        if (exp > now) break;
        m.delete(n);
      }
      return;
    }
    await this.db.deleteFrom('acme_srv_nonces').where('expires_at', '<=', now).execute();
  }

  async putEab(e: EabRecord) {
    await this.db.insertInto('acme_srv_eab').values({
      kid: e.kid, account_uin: e.accountUin, hmac_sealed: e.hmacSealed, created_at: e.createdAt, used_at: e.usedAt, acme_account_id: e.acmeAccountId,
    }).execute();
  }
  async getEab(kid: string) {
    const r = await this.db.selectFrom('acme_srv_eab').selectAll().where('kid', '=', kid).executeTakeFirst();
    return r ? eab(r) : null;
  }
  async createAccountWithEab(a: AcmeServerAccount, eabKid: string | null, now: number) {
    return this.db.transaction().execute(async (tx) => {
      if (eabKid !== null) {
        const used = await tx.updateTable('acme_srv_eab').set({ used_at: now, acme_account_id: a.id })
          .where('kid', '=', eabKid).where('used_at', 'is', null).executeTakeFirst();
        if (Number(used.numUpdatedRows) !== 1) return false;
      }
      await tx.insertInto('acme_srv_accounts').values({
        id: a.id, thumbprint: a.thumbprint, jwk: JSON.stringify(a.jwk), account_uin: a.accountUin, status: a.status,
        contact: JSON.stringify(a.contact), eab_kid: a.eabKid, created_at: a.createdAt,
      }).execute();
      return true;
    });
  }
  async getAccount(id: string) {
    const r = await this.db.selectFrom('acme_srv_accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? account(r) : null;
  }
  async findAccountByThumbprint(thumbprint: string) {
    const r = await this.db.selectFrom('acme_srv_accounts').selectAll().where('thumbprint', '=', thumbprint).executeTakeFirst();
    return r ? account(r) : null;
  }
  async updateAccount(id: string, patch: Partial<Pick<AcmeServerAccount, 'status' | 'contact' | 'jwk' | 'thumbprint'>>) {
    await this.db.updateTable('acme_srv_accounts').set({
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.contact ? { contact: JSON.stringify(patch.contact) } : {}),
      ...(patch.jwk ? { jwk: JSON.stringify(patch.jwk) } : {}),
      ...(patch.thumbprint ? { thumbprint: patch.thumbprint } : {}),
    }).where('id', '=', id).execute();
  }

  async insertOrder(o: AcmeOrder, authzs: AcmeAuthz[]) {
    await this.db.transaction().execute(async (tx) => {
      if (authzs.length) await tx.insertInto('acme_srv_authzs').values(authzs.map(authzRow)).execute();
      await tx.insertInto('acme_srv_orders').values({
        id: o.id, acme_account_id: o.acmeAccountId, account_uin: o.accountUin, status: o.status, identifiers: JSON.stringify(o.identifiers),
        identifiers_key: identifiersKey(o.identifiers), authz_ids: JSON.stringify(o.authzIds), expires_at: o.expiresAt,
        error: o.error ? JSON.stringify(o.error) : null, certificate_id: o.certificateId, created_at: o.createdAt, updated_at: o.updatedAt,
      }).execute();
    });
  }
  async getOrder(id: string) {
    const r = await this.db.selectFrom('acme_srv_orders').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? order(r) : null;
  }
  async updateOrder(id: string, from: AcmeOrder['status'][], patch: Partial<Pick<AcmeOrder, 'status' | 'error' | 'certificateId'>>, now: number) {
    const r = await this.db.updateTable('acme_srv_orders').set({
      updated_at: now,
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.error !== undefined ? { error: patch.error ? JSON.stringify(patch.error) : null } : {}),
      ...(patch.certificateId !== undefined ? { certificate_id: patch.certificateId } : {}),
    }).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
  async findReusableOrder(acmeAccountId: string, key: string, now: number) {
    const r = await this.db.selectFrom('acme_srv_orders').selectAll().where('acme_account_id', '=', acmeAccountId)
      .where('identifiers_key', '=', key).where('status', 'in', ['pending', 'ready']).where('expires_at', '>', now)
      .orderBy('created_at', 'desc').executeTakeFirst();
    return r ? order(r) : null;
  }
  async findOrderByCertificate(certificateId: string) {
    const r = await this.db.selectFrom('acme_srv_orders').selectAll().where('certificate_id', '=', certificateId).executeTakeFirst();
    return r ? order(r) : null;
  }

  async listOrderIds(acmeAccountId: string, limit: number) {
    const rows = await this.db.selectFrom('acme_srv_orders').select('id').where('acme_account_id', '=', acmeAccountId)
      .orderBy('created_at', 'desc').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  async getAuthz(id: string) {
    const r = await this.db.selectFrom('acme_srv_authzs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? authz(r) : null;
  }
  async getAuthzs(ids: string[]) {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('acme_srv_authzs').selectAll().where('id', 'in', ids).execute();
    const byId = new Map(rows.map((r) => [r.id, authz(r)]));
    return ids.map((id) => byId.get(id)).filter((a): a is AcmeAuthz => !!a);
  }
  async findValidAuthz(acmeAccountId: string, identifier: AcmeIdentifier, wildcard: boolean, until: number) {
    const r = await this.db.selectFrom('acme_srv_authzs').selectAll().where('acme_account_id', '=', acmeAccountId)
      .where('identifier', '=', identifier.value).where('identifier_type', '=', identifier.type).where('status', '=', 'valid').where('wildcard', '=', wildcard ? 1 : 0)
      .where('expires_at', '>', until).orderBy('expires_at', 'desc').executeTakeFirst();
    return r ? authz(r) : null;
  }
  async updateAuthz(a: AcmeAuthz, expectedUpdatedAt: number) {
    const row = authzRow(a);
    // expires_at too: a passed challenge makes the authorization good for its reuse period.
    const r = await this.db.updateTable('acme_srv_authzs').set({ status: row.status, challenges: row.challenges, expires_at: row.expires_at, updated_at: row.updated_at })
      .where('id', '=', a.id).where('updated_at', '=', expectedUpdatedAt).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async recordIssuance(certificateId: string, registeredDomains: string[], namesKey: string, issuedAt: number) {
    if (!registeredDomains.length) return;
    await this.db.insertInto('acme_srv_issuances')
      .values(registeredDomains.map((d) => ({ certificate_id: certificateId, registered_domain: d, names_key: namesKey, issued_at: issuedAt })))
      .onConflict((oc) => oc.columns(['certificate_id', 'registered_domain']).doNothing()).execute();
  }
  async issuancesOfDomain(registeredDomain: string, since: number, limit: number) {
    const rows = await this.db.selectFrom('acme_srv_issuances').select('issued_at').where('registered_domain', '=', registeredDomain)
      .where('issued_at', '>', since).orderBy('issued_at', 'desc').limit(limit).execute();
    return rows.map((r) => Number(r.issued_at));
  }
  async issuedBefore(namesKey: string) {
    return !!(await this.db.selectFrom('acme_srv_issuances').select('certificate_id').where('names_key', '=', namesKey).limit(1).executeTakeFirst());
  }
}

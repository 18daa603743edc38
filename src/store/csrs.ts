// CSR records (CreateCSR and friends): the only code that reads and writes the `csrs` table.
// Every query is scoped to the account, so another account's id reads as absent.
import { sql, type Kysely } from 'kysely';
import { likeContaining } from './db.js';
import type { CsrRow, Database } from './schema.js';
import type { Tag } from '../domain/certificate.js';
import type { CsrQuery, CsrRecord, CsrSummary } from '../domain/csr.js';
import type { CsrStore } from '../domain/stores.js';

const SUMMARY_COLUMNS = [
  'id', 'account_uin', 'domain', 'organization', 'department', 'email', 'province', 'city', 'country',
  'encrypt_algo', 'key_parameter', 'remark', 'tags', 'status', 'revision', 'created_at', 'updated_at',
] as const;

function toSummary(r: Pick<CsrRow, (typeof SUMMARY_COLUMNS)[number]>): CsrSummary {
  return {
    id: Number(r.id),
    accountUin: r.account_uin,
    domain: r.domain,
    organization: r.organization,
    department: r.department,
    email: r.email,
    province: r.province,
    city: r.city,
    country: r.country,
    encryptAlgo: r.encrypt_algo,
    keyParameter: r.key_parameter,
    remark: r.remark,
    tags: JSON.parse(r.tags) as Tag[],
    status: Number(r.status),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    revision: Number(r.revision),
  };
}

const toRecord = (r: CsrRow): CsrRecord => ({
  ...toSummary(r),
  csrPem: r.csr_pem,
  privateKeySealed: r.private_key_sealed,
  keyPasswordSealed: r.key_password_sealed,
});

const toRow = (r: CsrRecord): CsrRow => ({
  id: r.id,
  account_uin: r.accountUin,
  domain: r.domain,
  organization: r.organization,
  department: r.department,
  email: r.email,
  province: r.province,
  city: r.city,
  country: r.country,
  encrypt_algo: r.encryptAlgo,
  key_parameter: r.keyParameter,
  remark: r.remark,
  tags: JSON.stringify(r.tags),
  status: r.status,
  csr_pem: r.csrPem,
  private_key_sealed: r.privateKeySealed,
  key_password_sealed: r.keyPasswordSealed,
  revision: r.revision,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

export class SqlCsrStore implements CsrStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insertCsr(r: CsrRecord) {
    const res = await this.db.insertInto('csrs').values(toRow(r))
      .onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async getCsr(accountUin: string, id: number) {
    const r = await this.db.selectFrom('csrs').selectAll().where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async listCsrs(q: CsrQuery) {
    let base = this.db.selectFrom('csrs').where('account_uin', '=', q.accountUin);
    if (q.domain) base = base.where(sql<boolean>`domain like ${likeContaining(q.domain)} escape '\\'`);
    if (q.encryptAlgo) base = base.where('encrypt_algo', '=', q.encryptAlgo);
    // countAll() is a string on PostgreSQL (FACTS.md).
    const n = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const rows = await base.select([...SUMMARY_COLUMNS])
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute();
    return { total: Number(n.n), items: rows.map(toSummary) };
  }

  async updateDraft(r: CsrRecord, expectedRevision: number) {
    const { id: _id, account_uin: _a, created_at: _c, ...set } = toRow({ ...r, revision: expectedRevision + 1 });
    const res = await this.db.updateTable('csrs').set(set)
      .where('account_uin', '=', r.accountUin).where('id', '=', r.id)
      .where('status', '=', 0).where('revision', '=', expectedRevision)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async deleteCsrs(accountUin: string, ids: number[]) {
    if (ids.length === 0) return [];
    // DELETE … RETURNING (SQLite 3.35+, PostgreSQL): of two concurrent deletes, only the one
    // that removed a row reports it. The sealed key goes with the record, for good.
    const rows = await this.db.deleteFrom('csrs').where('account_uin', '=', accountUin).where('id', 'in', ids)
      .returning('id').execute();
    const deleted = new Set(rows.map((r) => Number(r.id)));
    return ids.filter((id) => deleted.has(id));
  }
}

// Organizations (companies) and their managers: the only code that reads and writes the
// `companies` and `managers` tables. Every query is scoped to the account.
import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CompanyRow, Database, ManagerRow } from './schema.js';
import type { Company, Manager, ManagerStatus } from '../domain/organization.js';
import type { OrgStore } from '../domain/stores.js';


const company = (r: CompanyRow): Company => ({
  id: Number(r.id), accountUin: r.account_uin, name: r.name, country: r.country, province: r.province, city: r.city, address: r.address,
  phone: r.phone, createdAt: Number(r.created_at),
});
const manager = (r: ManagerRow): Manager => ({
  id: Number(r.id), accountUin: r.account_uin, companyId: Number(r.company_id), firstName: r.first_name, lastName: r.last_name,
  position: r.position, phone: r.phone, mail: r.mail, department: r.department, contact: JSON.parse(r.contact), status: r.status as ManagerStatus,
  submitAuditAt: r.submit_audit_at === null ? null : Number(r.submit_audit_at), verifyAt: r.verify_at === null ? null : Number(r.verify_at),
  expireAt: r.expire_at === null ? null : Number(r.expire_at), createdAt: Number(r.created_at),
});

// Ids are numbers in the SDK (CompanyId, ManagerId): random int32 keep them unguessable across accounts.
// An id outside int32 names nothing: answer so without asking PostgreSQL (its `integer` refuses it).
const isId = (id: number) => Number.isInteger(id) && id >= -2147483648 && id <= 2147483647;
const newId = () => randomInt(1, 2 ** 31 - 1);

export class SqlOrgStore implements OrgStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The account's company with this name and place, created if new. */
  async upsertCompany(c: Omit<Company, 'id'>): Promise<Company> {
    const found = await this.db.selectFrom('companies').selectAll().where('account_uin', '=', c.accountUin).where('name', '=', c.name)
      .where('country', '=', c.country).where('province', '=', c.province).where('city', '=', c.city).executeTakeFirst();
    if (found) {
      await this.db.updateTable('companies').set({ address: c.address, phone: c.phone }).where('id', '=', found.id).execute();
      return { ...company(found), address: c.address, phone: c.phone };
    }
    const row: CompanyRow = { id: newId(), account_uin: c.accountUin, name: c.name, country: c.country, province: c.province, city: c.city,
      address: c.address, phone: c.phone, created_at: c.createdAt };
    await this.db.insertInto('companies').values(row).execute();
    return company(row);
  }

  /** The company's manager with this email, created (status none) if new, details refreshed otherwise. */
  async upsertManager(m: Omit<Manager, 'id' | 'status' | 'submitAuditAt' | 'verifyAt' | 'expireAt'>): Promise<Manager> {
    const found = await this.db.selectFrom('managers').selectAll().where('account_uin', '=', m.accountUin).where('company_id', '=', m.companyId)
      .where('mail', '=', m.mail).executeTakeFirst();
    const details = { first_name: m.firstName, last_name: m.lastName, position: m.position, phone: m.phone, department: m.department, contact: JSON.stringify(m.contact) };
    if (found) {
      await this.db.updateTable('managers').set(details).where('id', '=', found.id).execute();
      return manager({ ...found, ...details });
    }
    const row: ManagerRow = { id: newId(), account_uin: m.accountUin, company_id: m.companyId, mail: m.mail, ...details, status: 'none',
      submit_audit_at: null, verify_at: null, expire_at: null, created_at: m.createdAt };
    await this.db.insertInto('managers').values(row).execute();
    return manager(row);
  }

  async listCompanies(accountUin: string, q: { companyId?: number; offset: number; limit: number }): Promise<{ total: number; items: Company[] }> {
    let base = this.db.selectFrom('companies').where('account_uin', '=', accountUin);
    if (q.companyId !== undefined && !isId(q.companyId)) return { total: 0, items: [] };
    if (q.companyId !== undefined) base = base.where('id', '=', q.companyId);
    const n = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy('created_at', 'desc').orderBy('id').limit(q.limit).offset(q.offset).execute();
    return { total: Number(n.n), items: rows.map(company) };
  }

  async getCompany(accountUin: string, id: number): Promise<Company | null> {
    if (!isId(id)) return null;
    const r = await this.db.selectFrom('companies').selectAll().where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
    return r ? company(r) : null;
  }

  async listManagers(accountUin: string, q: { companyId: number; offset: number; limit: number; name?: string; mail?: string; status?: string; search?: string }) {
    if (!isId(q.companyId)) return { total: 0, items: [] };
    let base = this.db.selectFrom('managers').where('account_uin', '=', accountUin).where('company_id', '=', q.companyId);
    if (q.mail) base = base.where('mail', '=', q.mail);
    if (q.status) base = base.where('status', '=', q.status);
    const rows = (await base.selectAll().orderBy('created_at', 'desc').orderBy('id').execute()).map(manager)
      .filter((m) => !q.name || `${m.firstName} ${m.lastName} ${m.lastName}${m.firstName}`.toLowerCase().includes(q.name.toLowerCase()))
      .filter((m) => !q.search || `${m.firstName} ${m.lastName} ${m.mail}`.toLowerCase().includes(q.search.toLowerCase()));
    return { total: rows.length, items: rows.slice(q.offset, q.offset + q.limit) };
  }

  async getManager(accountUin: string, id: number): Promise<Manager | null> {
    if (!isId(id)) return null;
    const r = await this.db.selectFrom('managers').selectAll().where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
    return r ? manager(r) : null;
  }

  /** Changes the status only while it is one of `from`; false otherwise. */
  async setManagerStatus(accountUin: string, id: number, from: ManagerStatus[], to: ManagerStatus, times: { submitAuditAt?: number; verifyAt?: number; expireAt?: number } = {}): Promise<boolean> {
    if (!isId(id)) return false;
    const r = await this.db.updateTable('managers').set({
      status: to,
      ...(times.submitAuditAt !== undefined ? { submit_audit_at: times.submitAuditAt } : {}),
      ...(times.verifyAt !== undefined ? { verify_at: times.verifyAt } : {}),
      ...(times.expireAt !== undefined ? { expire_at: times.expireAt } : {}),
    }).where('account_uin', '=', accountUin).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteManager(accountUin: string, id: number): Promise<boolean> {
    if (!isId(id)) return false;
    const r = await this.db.deleteFrom('managers').where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}

// Organizations and managers, entered once: an OV/EV submission records the company and its
// administrator (the "manager"); the order's approval verifies both for a reuse period
// (CA/B BR 4.2.1: 397 days for reusing vetted organization data), during which later orders
// for the same manager are approved without another review.
import { ServiceError } from '../domain/errors.js';
import type { Company, Manager, ManagerStatus } from '../domain/organization.js';
import type { OrgStore } from '../domain/stores.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import { DAY } from './certificates.js';

export const ORG_REUSE_DAYS = 397;
const EXPIRING = 30 * DAY;

const notFound = (what: string, id: number) => new ServiceError('ResourceNotFound', `${what} ${id} does not exist.`);

export class OrganizationService {
  constructor(private readonly store: OrgStore, private readonly clock: Clock, private readonly reuseDays = ORG_REUSE_DAYS) {}

  /** ok → expiring (last 30 days) → expired, by the verification's end. */
  status(m: Manager): ManagerStatus {
    if (m.status !== 'ok' || m.expireAt === null) return m.status;
    const now = this.clock();
    if (m.expireAt <= now) return 'expired';
    return m.expireAt - now <= EXPIRING ? 'expiring' : 'ok';
  }

  /** Records the organization and its manager from an OV/EV submission. */
  async fromSubmission(accountUin: string, s: Record<string, string | undefined>): Promise<{ company: Company; manager: Manager }> {
    const now = this.clock();
    const company = await this.store.upsertCompany({
      accountUin, name: s.OrganizationName ?? '', country: (s.OrganizationCountry ?? '').toUpperCase(), province: s.OrganizationRegion ?? '',
      city: s.OrganizationCity ?? '', address: s.OrganizationAddress ?? '', phone: `${s.PhoneAreaCode ?? ''}-${s.PhoneNumber ?? ''}`, createdAt: now,
    });
    const manager = await this.store.upsertManager({
      accountUin, companyId: company.id, firstName: s.AdminFirstName ?? '', lastName: s.AdminLastName ?? '', position: s.AdminPosition ?? '',
      phone: s.AdminPhoneNum ?? '', mail: (s.AdminEmail ?? '').toLowerCase(), department: s.OrganizationDivision ?? '',
      contact: { firstName: s.ContactFirstName, lastName: s.ContactLastName, position: s.ContactPosition, phone: s.ContactNumber, mail: s.ContactEmail },
      createdAt: now,
    });
    return { company, manager };
  }

  /** Whether the manager was verified and the verification is still good (orders skip review). */
  async verified(accountUin: string, managerId: number): Promise<boolean> {
    const m = await this.store.getManager(accountUin, managerId);
    return !!m && (this.status(m) === 'ok' || this.status(m) === 'expiring');
  }

  /** An order's approval verifies its manager; a rejection marks it invalid. */
  async reviewed(accountUin: string, managerId: number, approved: boolean): Promise<void> {
    const now = this.clock();
    if (approved) {
      await this.store.setManagerStatus(accountUin, managerId, ['none', 'audit', 'ok', 'invalid', 'expiring', 'expired'], 'ok',
        { verifyAt: now, expireAt: now + this.reuseDays * DAY });
    } else {
      await this.store.setManagerStatus(accountUin, managerId, ['none', 'audit'], 'invalid');
    }
  }

  companies(caller: Caller, q: { companyId?: number; offset: number; limit: number }) {
    return this.store.listCompanies(caller.accountUin, q);
  }

  async managers(caller: Caller, q: { companyId: number; offset: number; limit: number; name?: string; mail?: string; status?: string; search?: string }) {
    if (!(await this.store.getCompany(caller.accountUin, q.companyId))) throw notFound('Company', q.companyId);
    return this.store.listManagers(caller.accountUin, { ...q, ...(q.mail ? { mail: q.mail.toLowerCase() } : {}) });
  }

  async manager(caller: Caller, id: number): Promise<{ manager: Manager; company: Company | null }> {
    const manager = await this.store.getManager(caller.accountUin, id);
    if (!manager) throw new ServiceError('ResourceNotFound.Manager', `Manager ${id} does not exist.`);
    return { manager, company: await this.store.getCompany(caller.accountUin, manager.companyId) };
  }

  /** SubmitAuditManager: a manager not (or no longer) verified goes to review. */
  async submitAudit(caller: Caller, id: number): Promise<void> {
    const { manager } = await this.manager(caller, id);
    const status = this.status(manager);
    if (!['none', 'invalid', 'expired', 'expiring'].includes(status)) {
      throw new ServiceError('FailedOperation', `Manager ${id} is ${status}; only an unverified, rejected or expiring manager can be submitted for review.`);
    }
    await this.store.setManagerStatus(caller.accountUin, id, [manager.status], 'audit', { submitAuditAt: this.clock() });
  }

  /** VerifyManager: renew a verification before it runs out (back to review). */
  async reverify(caller: Caller, id: number): Promise<void> {
    const { manager } = await this.manager(caller, id);
    const status = this.status(manager);
    if (!['ok', 'expiring', 'expired'].includes(status)) {
      throw new ServiceError('FailedOperation', `Manager ${id} is ${status}; only a verified manager can be re-verified (use SubmitAuditManager).`);
    }
    await this.store.setManagerStatus(caller.accountUin, id, [manager.status], 'audit', { submitAuditAt: this.clock() });
  }

  async delete(caller: Caller, id: number): Promise<void> {
    const { manager } = await this.manager(caller, id);
    if (manager.status === 'audit') throw new ServiceError('FailedOperation', `Manager ${id} is under review and cannot be deleted now.`);
    await this.store.deleteManager(caller.accountUin, id);
  }
}

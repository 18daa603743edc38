// Organizations (companies) and their managers, for paid certificates.
export interface Company { id: number; accountUin: string; name: string; country: string; province: string; city: string; address: string; phone: string; createdAt: number }
export type ManagerStatus = 'none' | 'audit' | 'ok' | 'invalid' | 'expiring' | 'expired';
export interface Manager {
  id: number;
  accountUin: string;
  companyId: number;
  firstName: string;
  lastName: string;
  position: string;
  phone: string;
  mail: string;
  department: string;
  contact: { firstName?: string; lastName?: string; position?: string; phone?: string; mail?: string };
  status: ManagerStatus;
  submitAuditAt: number | null;
  verifyAt: number | null;
  expireAt: number | null;
  createdAt: number;
}

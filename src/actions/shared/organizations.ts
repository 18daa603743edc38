// Companies and managers (recorded from OV/EV orders) as DescribeCompanies, DescribeManagers
// and DescribeManagerDetail show them.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { Company, Manager } from '../../domain/organization.js';
import { formatTime } from './time.js';
import type { ActionContext } from '../types.js';

export const companyInfo = (c: Company): M.CompanyInfo => ({
  CompanyName: c.name, CompanyId: c.id, CompanyCountry: c.country, CompanyProvince: c.province, CompanyCity: c.city,
  CompanyAddress: c.address, CompanyPhone: c.phone, IdType: '', IdNumber: '', Tags: [],
});

export function managerInfo(ctx: ActionContext, m: Manager): M.ManagerInfo {
  const status = ctx.services.orgs.status(m);
  return {
    Status: status, ManagerFirstName: m.firstName, ManagerLastName: m.lastName, ManagerPosition: m.position, ManagerPhone: m.phone,
    ManagerMail: m.mail, ManagerDepartment: m.department, CreateTime: formatTime(m.createdAt)!, DomainCount: 0, CertCount: 0, ManagerId: m.id,
    ExpireTime: formatTime(m.expireAt) as string, SubmitAuditTime: formatTime(m.submitAuditAt) as string, VerifyTime: formatTime(m.verifyAt) as string,
    StatusInfo: m.verifyAt ? [{ Type: 'ov', Status: status, CreateTime: formatTime(m.verifyAt)!, ExpireTime: formatTime(m.expireAt)!, ManagerPreAuditDomains: [] }] : [],
    Tags: [],
  };
}

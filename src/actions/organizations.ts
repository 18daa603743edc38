// Organizations and managers recorded from OV/EV orders: DescribeCompanies, DescribeManagers,
// DescribeManagerDetail, SubmitAuditManager, VerifyManager, DeleteManager.
import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import type { Company, Manager } from '../domain/organization.js';
import { pageParams } from './describe-certificates.js';
import { formatTime } from './present.js';
import type { ActionContext, ActionHandler } from './types.js';

const companyInfo = (c: Company): M.CompanyInfo => ({
  CompanyName: c.name, CompanyId: c.id, CompanyCountry: c.country, CompanyProvince: c.province, CompanyCity: c.city,
  CompanyAddress: c.address, CompanyPhone: c.phone, IdType: '', IdNumber: '', Tags: [],
});

function managerInfo(ctx: ActionContext, m: Manager): M.ManagerInfo {
  const status = ctx.services.orgs.status(m);
  return {
    Status: status, ManagerFirstName: m.firstName, ManagerLastName: m.lastName, ManagerPosition: m.position, ManagerPhone: m.phone,
    ManagerMail: m.mail, ManagerDepartment: m.department, CreateTime: formatTime(m.createdAt)!, DomainCount: 0, CertCount: 0, ManagerId: m.id,
    ExpireTime: formatTime(m.expireAt) as string, SubmitAuditTime: formatTime(m.submitAuditAt) as string, VerifyTime: formatTime(m.verifyAt) as string,
    StatusInfo: m.verifyAt ? [{ Type: 'ov', Status: status, CreateTime: formatTime(m.verifyAt)!, ExpireTime: formatTime(m.expireAt)!, ManagerPreAuditDomains: [] }] : [],
    Tags: [],
  };
}

export const DescribeCompanies: ActionHandler<M.DescribeCompaniesRequest, M.DescribeCompaniesResponse> = async (ctx, p) => {
  const r = await ctx.services.orgs.companies(ctx.caller, { ...pageParams(p.Offset, p.Limit, 10), ...(p.CompanyId !== undefined ? { companyId: p.CompanyId } : {}) });
  return { Companies: r.items.map(companyInfo), TotalCount: r.total };
};

export const DescribeManagers: ActionHandler<M.DescribeManagersRequest, M.DescribeManagersResponse> = async (ctx, p) => {
  const r = await ctx.services.orgs.managers(ctx.caller, {
    companyId: p.CompanyId, ...pageParams(p.Offset, p.Limit, 10),
    ...(p.ManagerName ? { name: p.ManagerName } : {}), ...(p.ManagerMail ? { mail: p.ManagerMail } : {}),
    ...(p.Status ? { status: p.Status } : {}), ...(p.SearchKey ? { search: p.SearchKey } : {}),
  });
  return { Managers: r.items.map((m) => managerInfo(ctx, m)), TotalCount: r.total };
};

export const DescribeManagerDetail: ActionHandler<M.DescribeManagerDetailRequest, M.DescribeManagerDetailResponse> = async (ctx, p) => {
  const { manager: m, company } = await ctx.services.orgs.manager(ctx.caller, p.ManagerId);
  const info = managerInfo(ctx, m);
  return {
    Status: info.Status!, ManagerFirstName: m.firstName, ManagerMail: m.mail, ContactFirstName: m.contact.firstName ?? '', ManagerLastName: m.lastName,
    ContactPosition: m.contact.position ?? '', ManagerPosition: m.position, VerifyTime: info.VerifyTime!, CreateTime: info.CreateTime!,
    ExpireTime: info.ExpireTime!, ContactLastName: m.contact.lastName ?? '', ManagerPhone: m.phone, ContactPhone: m.contact.phone ?? '',
    ContactMail: m.contact.mail ?? '', ManagerDepartment: m.department, CompanyInfo: company ? companyInfo(company) : (null as unknown as M.CompanyInfo),
    CompanyId: m.companyId, ManagerId: m.id, StatusInfo: info.StatusInfo!, ManagerIdType: '', ManagerIdNumber: '', ContactIdType: '', ContactIdNumber: '',
  };
};

export const SubmitAuditManager: ActionHandler<M.SubmitAuditManagerRequest, M.SubmitAuditManagerResponse> = async (ctx, p) => {
  await ctx.services.orgs.submitAudit(ctx.caller, p.ManagerId);
  return { ManagerId: p.ManagerId };
};

export const VerifyManager: ActionHandler<M.VerifyManagerRequest, M.VerifyManagerResponse> = async (ctx, p) => {
  await ctx.services.orgs.reverify(ctx.caller, p.ManagerId);
  return { ManagerId: p.ManagerId };
};

export const DeleteManager: ActionHandler<M.DeleteManagerRequest, M.DeleteManagerResponse> = async (ctx, p) => {
  await ctx.services.orgs.delete(ctx.caller, p.ManagerId);
  return { ManagerId: p.ManagerId };
};

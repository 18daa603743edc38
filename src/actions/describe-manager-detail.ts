import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { companyInfo, managerInfo } from './shared/organizations.js';
import type { ActionHandler } from './types.js';

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

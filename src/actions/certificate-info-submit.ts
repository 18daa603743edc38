import type * as M from 'tencentcloud-sdk-nodejs/tencentcloud/services/ssl/v20191205/ssl_models.js';
import { ServiceError } from '../domain/errors.js';
import type { ActionHandler } from './types.js';

/**
 * The newer submit action: the same as SubmitCertificateInformation under other field names,
 * and the organization and manager may be named by CompanyId / ManagerId instead of repeated.
 */
export const CertificateInfoSubmit: ActionHandler<M.CertificateInfoSubmitRequest, M.CertificateInfoSubmitResponse> = async (ctx, p) => {
  let org: Record<string, string | undefined> = {};
  if (p.ManagerId) {
    const { manager: m, company: c } = await ctx.services.orgs.manager(ctx.caller, Number(p.ManagerId));
    org = {
      OrganizationName: c?.name, OrganizationDivision: m.department, OrganizationAddress: c?.address, OrganizationCountry: c?.country,
      OrganizationCity: c?.city, OrganizationRegion: c?.province, PhoneAreaCode: c?.phone.split('-')[0], PhoneNumber: c?.phone.split('-').slice(1).join('-'),
      AdminFirstName: m.firstName, AdminLastName: m.lastName, AdminPhoneNum: m.phone, AdminEmail: m.mail, AdminPosition: m.position,
      ContactFirstName: m.contact.firstName, ContactLastName: m.contact.lastName, ContactEmail: m.contact.mail, ContactNumber: m.contact.phone,
      ContactPosition: m.contact.position,
    };
  }
  const given: Record<string, string | undefined> = {
    OrganizationName: p.OrgOrganization, OrganizationDivision: p.OrgDivision, OrganizationAddress: p.OrgAddress, OrganizationCountry: p.OrgCountry,
    OrganizationCity: p.OrgCity, OrganizationRegion: p.OrgRegion, PhoneAreaCode: p.OrgPhoneArea, PhoneNumber: p.OrgPhoneNumber,
    AdminFirstName: p.AdminFirstName, AdminLastName: p.AdminLastName, AdminPhoneNum: p.AdminPhone, AdminEmail: p.AdminEmail, AdminPosition: p.AdminTitle,
    ContactFirstName: p.TechFirstName, ContactLastName: p.TechLastName, ContactEmail: p.TechEmail ?? p.ContactEmail, ContactNumber: p.TechPhone,
    ContactPosition: p.TechTitle,
  };
  for (const [k, v] of Object.entries(given)) if (v) org[k] = v;
  // CompanyType 1 is a person: DV products only, no organization.
  if (p.CompanyType !== 1 && p.CompanyType !== 2) throw new ServiceError('FailedOperation.InvalidParam', 'CompanyType must be 1 (person) or 2 (company).');
  await ctx.services.paid.submit(ctx.caller, p.CertId, {
    CsrType: p.GenCsrType, CsrContent: p.Csr, CertificateDomain: p.CertCommonName, DomainList: p.DnsNames, KeyPassword: p.KeyPass,
    VerifyType: p.VerifyType, IsDV: p.CompanyType === 1, ...org,
  }, { algo: p.CsrEncryptAlgo, param: p.CsrKeyParameter });
  return {};
};

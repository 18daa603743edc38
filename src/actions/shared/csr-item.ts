// CSRItem: a CSR record as DescribeCSR and DescribeCSRSet show it. The CSR rules live in
// services/csrs.ts; the actions only shape the spec's responses.
import type * as M from './csr-models.js';
import { CSR_SUBJECT_FIELDS, type CsrSubjectFields, type CsrSummary } from '../../domain/csr.js';
import { formatTime } from './time.js';

export function csrItem(c: CsrSummary): M.CSRItem {
  return {
    Id: c.id,
    OwnerUin: c.accountUin,
    Domain: c.domain,
    Organization: c.organization,
    Department: c.department,
    Email: c.email,
    Province: c.province,
    City: c.city,
    Country: c.country,
    EncryptAlgo: c.encryptAlgo,
    KeyParameter: c.keyParameter,
    Remarks: c.remark,
    Status: c.status,
    CreateTime: formatTime(c.createdAt)!,
  };
}

/** The request parameter of each CSR field in CreateCSR and ModifyCSR. */
export const CSR_PARAM: Record<keyof CsrSubjectFields, 'Domain' | 'Organization' | 'Department' | 'Email' | 'Province' | 'City' | 'Country' | 'EncryptAlgo' | 'KeyParameter' | 'Remark'> = {
  domain: 'Domain', organization: 'Organization', department: 'Department', email: 'Email', province: 'Province', city: 'City',
  country: 'Country', encryptAlgo: 'EncryptAlgo', keyParameter: 'KeyParameter', remark: 'Remark',
};

/** The CSR fields a request gives (ModifyCSR: only those present). */
export function givenCsrFields(p: Partial<Record<(typeof CSR_PARAM)[keyof typeof CSR_PARAM], string>>): Partial<CsrSubjectFields> {
  return Object.fromEntries(CSR_SUBJECT_FIELDS.flatMap((k) => (p[CSR_PARAM[k]] !== undefined ? [[k, p[CSR_PARAM[k]]]] : [])));
}

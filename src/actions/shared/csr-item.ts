// CSRItem: a CSR record as DescribeCSR and DescribeCSRSet show it. The CSR rules live in
// services/csrs.ts; the actions only shape the spec's responses.
import type * as M from './csr-models.js';
import type { CsrSummary } from '../../domain/csr.js';
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

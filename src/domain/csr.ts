// CSR records (CreateCSR and friends).
import type { Tag } from './certificate.js';

/** What the list shows: everything but the CSR and its key. */
/** What the owner fills in for a CSR (CreateCSR / ModifyCSR), as the API names it. */
export interface CsrSubjectFields {
  domain: string;
  organization: string;
  department: string;
  email: string;
  province: string;
  city: string;
  country: string;
  encryptAlgo: string;
  keyParameter: string;
  remark: string;
}

/** The fields in one list, so that code copying them does not write them out again. */
export const CSR_SUBJECT_FIELDS = [
  'domain', 'organization', 'department', 'email', 'province', 'city', 'country', 'encryptAlgo', 'keyParameter', 'remark',
] as const satisfies readonly (keyof CsrSubjectFields)[];

/** Each field from `pick(field)`. */
export function csrSubjectFields(pick: (field: keyof CsrSubjectFields) => string): CsrSubjectFields {
  return Object.fromEntries(CSR_SUBJECT_FIELDS.map((k) => [k, pick(k)])) as unknown as CsrSubjectFields;
}

export interface CsrSummary extends CsrSubjectFields {
  id: number;
  accountUin: string;
  tags: Tag[];
  /** 0: a draft that can still be modified; 1: the key pair and CSR are generated. */
  status: number;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

export interface CsrRecord extends CsrSummary {
  csrPem: string | null;
  privateKeySealed: string | null;
  keyPasswordSealed: string | null;
}

export interface CsrQuery {
  accountUin: string;
  offset: number;
  limit: number;
  /** Substring of the domain, lower case. */
  domain?: string;
  encryptAlgo?: string;
}

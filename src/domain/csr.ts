// CSR records (CreateCSR and friends).
import type { Tag } from './certificate.js';

/** What the list shows: everything but the CSR and its key. */
export interface CsrSummary {
  id: number;
  accountUin: string;
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

// What the store hands out and takes in: plain domain records, never rows.
export interface Tag { key: string; value: string }

export interface CaInfo { commonName: string; encryptAlgorithm: string; notAfter: number }

export interface CertificateRecord {
  id: string;
  accountUin: string;
  projectId: number;
  alias: string;
  certificateType: 'SVR' | 'CA';
  /** 'upload' for uploaded certificates; the issuer's name for certificates certport issued. */
  source: string;
  status: number;
  statusMsg: string | null;
  domain: string;
  sans: string[];
  /** PEM exactly as the user gave it (Terraform compares it byte for byte). */
  certPem: string;
  privateKeySealed: string | null;
  /** The user's key password (KeyPassword / CsrKeyPassword), sealed; used for PFX and JKS. */
  keyPasswordSealed: string | null;
  fingerprintSha1: string;
  fingerprintSha256: string;
  serialHex: string;
  issuerCn: string;
  encryptAlgorithm: string;
  isSm: boolean;
  isWildcard: boolean;
  isDv: boolean;
  notBefore: number;
  notAfter: number;
  certificateUse: string;
  packageType: string | null;
  productZhName: string;
  verifyType: string | null;
  validityPeriod: string;
  caInfo: CaInfo[] | null;
  createdAt: number;
  updatedAt: number;
  tags: Tag[];
}

export interface CertificateQuery {
  accountUin: string;
  offset: number;
  limit: number;
  searchKey?: string;
  certificateType?: string;
  projectId?: number;
  expirationSort?: 'ASC' | 'DESC';
  statuses?: number[];
  /** Only certificates with a private key that are issued and unexpired (or the opposite). */
  deployable?: boolean;
  /** Source filter: 'upload' or anything else certport issued ('buy'). */
  source?: 'upload' | 'buy';
  isSm?: boolean;
  /** Issued and expiring within [now, now + window]. */
  expiring?: { now: number; until: number };
  tags?: Tag[];
  certIds?: string[];
  /** Awaiting issuance: statuses 0 and 4. */
  pendingIssue?: boolean;
}

export interface OperationLogRecord {
  accountUin: string;
  userUin: string;
  certId: string;
  type: string;
  action: string;
  createdAt: number;
}

export interface ApiKeyRecord {
  secretId: string;
  accountUin: string;
  userUin: string;
  secretKeySealed: string;
  status: 'active' | 'disabled';
  createdAt: number;
}

export interface AccountRecord { uin: string; name: string; status: string; createdAt: number }
export interface UserRecord { uin: string; accountUin: string; name: string; createdAt: number }
export interface ProjectRecord { accountUin: string; projectId: number; name: string; createdAt: number }

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
  /** DV orders: when validation must have passed (null for everything else). */
  dvDeadline: number | null;
  validatedAt: number | null;
  /** The certificate this one renews (OldCertificateId), and the order renewing this one. */
  originCertId: string | null;
  renewOrderId: string | null;
  /** ReplaceCertificate: the reissue of this certificate, and the certificate this one reissues. */
  replacedBy: string | null;
  replacedFor: string | null;
  /** SM2 double certificates: the encryption certificate (PEM) and its sealed key. */
  encryptCertPem: string | null;
  encryptKeySealed: string | null;
}

/** What the owner must publish for one name (DvAuths), and how it is checked. */
export interface DvAuth {
  /** The name being validated, e.g. `shop.example.com` or `*.example.com`. */
  domain: string;
  verifyType: 'TXT' | 'FILE';
  /** TXT: the full record name; FILE: the file name. */
  key: string;
  value: string;
  /** DvAuthDomain: the zone (TXT) or the host (FILE). */
  zone: string;
  /** TXT: the record name relative to the zone. */
  subDomain: string | null;
  /** FILE: the directory the file goes in, e.g. `/.well-known/pki-validation/`. */
  path: string | null;
  /** ACME orders: the authorization and the challenge this auth answers. */
  authzUrl?: string;
  challengeUrl?: string;
}

export type DvMethod = 'DNS_AUTO' | 'DNS' | 'FILE';

export interface DvOrderRecord {
  certId: string;
  accountUin: string;
  method: DvMethod;
  mainDomain: string;
  auths: DvAuth[];
  keyAlgo: 'RSA' | 'ECC' | 'SM2';
  keyParam: string;
  contactEmail: string | null;
  contactPhone: string | null;
  deleteDnsAutoRecord: boolean;
  /** DNS_AUTO only: none → added → removed (or failed). */
  recordState: 'none' | 'added' | 'removed' | 'failed';
  lastCheckAt: number | null;
  lastCheckDetail: string | null;
  createdAt: number;
  /** Orders at an upstream ACME CA: the order's URL there (null until it exists). */
  acmeOrderUrl: string | null;
  /** A reissue with an uploaded CSR (CsrType Upload): issue for this CSR's key. */
  csrPem: string | null;
}

export interface JobRecord {
  kind: string;
  subject: string;
  state: 'pending' | 'done' | 'failed';
  runAt: number;
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: number;
  lastError: string | null;
  payload: string | null;
}

/** A change to a certificate made only if its status is still one of `fromStatuses`. */
export interface CertificateTransition {
  fromStatuses: number[];
  set: Partial<Pick<CertificateRecord,
    'status' | 'statusMsg' | 'certPem' | 'fingerprintSha1' | 'fingerprintSha256' | 'serialHex' | 'issuerCn' | 'encryptAlgorithm'
    | 'notBefore' | 'notAfter' | 'validatedAt' | 'validityPeriod' | 'encryptCertPem'>>;

}

export interface CertificateQuery {
  accountUin: string;
  offset: number;
  limit: number;
  searchKey?: string;
  certificateType?: string;
  projectId?: number;
  expirationSort?: 'ASC' | 'DESC';
  /** Issued certificates past notAfter match status 3, not 1. */
  statuses?: number[];
  /** The time `statuses` and `deployable` are judged at; default: the database's rows as stored. */
  now?: number;
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

/** A paid (OV/EV) order: what was bought and submitted, and its review. */
export interface PaidOrderRecord {
  certId: string;
  accountUin: string;
  productId: number;
  domainNum: number;
  timeSpan: number;
  validityDays: number;
  dealId: string;
  /** SubmittedData as submitted (without the key password). */
  submitted: Record<string, unknown> | null;
  csrPem: string | null;
  letterSealed: string | null;
  letterType: string | null;
  reviewNote: string | null;
  reviewedBy: string | null;
  reviewedAt: number | null;
  createdAt: number;
}

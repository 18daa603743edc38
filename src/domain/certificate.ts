// Certificates as the service knows them: the record, its status machine, the queries over them.
/**
 * Certificate Status as the spec numbers it (DescribeCertificates, Certificates.Status):
 * the certificate's state machine. Compare against these names, never bare numbers.
 */
export const CertStatus = {
  /** 0: under review (a DV order waiting for validation; a paid order being reviewed). */
  reviewing: 0,
  /** 1: approved, i.e. issued (or uploaded). */
  issued: 1,
  /** 2: review failed. */
  failed: 2,
  /** 3: expired (an issued certificate past notAfter reads as 3; it is stored as 1). */
  expired: 3,
  /** 4: DNS record added (DNS_AUTO), validation under way. */
  dnsAdded: 4,
  /** 5: enterprise (paid) certificate, pending submission of its information. */
  pendingSubmission: 5,
  /** 6: order cancellation in progress. */
  cancelling: 6,
  /** 7: cancelled. */
  cancelled: 7,
  /** 8: information submitted, pending upload of the confirmation letter. */
  pendingLetter: 8,
  /** 9: revocation in progress. */
  revoking: 9,
  /** 10: revoked. */
  revoked: 10,
  /** 11: reissue in progress. */
  reissuing: 11,
  /** 12: pending upload of the revocation confirmation letter. */
  pendingRevocationLetter: 12,
  /** 13: free certificate pending document submission. */
  freePendingSubmission: 13,
  /** 14: refunded. */
  refunded: 14,
  /** 15: migration in progress. */
  migrating: 15,
} as const;
export type CertStatus = (typeof CertStatus)[keyof typeof CertStatus];

/** Waiting for issuance: under review or with its DNS record added. */
export const AWAITING_ISSUE: readonly CertStatus[] = [CertStatus.reviewing, CertStatus.dnsAdded];

/** Issued, whether or not it has expired since. */
export const isIssued = (s: number): boolean => s === CertStatus.issued || s === CertStatus.expired;
/** Waiting for issuance (0 or 4). */
export const isAwaitingIssue = (s: number): boolean => s === CertStatus.reviewing || s === CertStatus.dnsAdded;

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
  /**
   * The top of the stored chain when it is a self-signed root (RootCert.Standard), kept at upload
   * so that reads never parse the chain; '' when there is none; absent (or null) when not known
   * (a chain stored before it was kept, or a new chain since).
   */
  chainRootPem?: string | null;
  /**
   * What reads need of the stored chain, found once when it is stored (issue 27): absent (or null)
   * when not known yet (stored before 0026, or a new chain since); then found on first read and kept.
   */
  chainFacts?: ChainFacts | null;
}

/**
 * The stored chain as parsed once: the leaf, the intermediates (leaf-to-root order) and the
 * self-signed roots as indexes into its PEM certificate blocks (pki/certificate.ts
 * certificateBlocks), the leaf's CN, and the SHA-1 of the SM2 encryption certificate's leaf.
 */
export interface ChainFacts {
  v: 1;
  leaf: number;
  intermediates: number[];
  roots: number[];
  leafCn: string;
  encryptSha1: string | null;
}

/** A change to a certificate made only if its status is still one of `fromStatuses`. */
export interface CertificateTransition {
  fromStatuses: number[];
  set: Partial<Pick<CertificateRecord,
    'status' | 'statusMsg' | 'certPem' | 'fingerprintSha1' | 'fingerprintSha256' | 'serialHex' | 'issuerCn' | 'encryptAlgorithm'
    | 'notBefore' | 'notAfter' | 'validatedAt' | 'validityPeriod' | 'encryptCertPem' | 'chainRootPem' | 'chainFacts'>>;

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
  /**
   * Read the PEM, sealed keys and chain facts. Without it (a list item shows none of them) the
   * records carry certPem '', no chain, and '' for each sealed key and encryptCertPem that is
   * set: half of a page's bytes at Limit 1000 were PEM nobody showed. On SQLite they also
   * carry '' for fingerprintSha1, serialHex, issuerCn and certificateUse and 0 for updatedAt,
   * which no list item shows (each cell read costs, issue 27).
   */
  material?: boolean;
  /** Read each item's side facts with its page (ListedSides): in the page's statement on PostgreSQL, in its read transaction on SQLite. */
  sides?: boolean;
}

export interface OperationLogRecord {
  accountUin: string;
  userUin: string;
  certId: string;
  type: string;
  action: string;
  createdAt: number;
}

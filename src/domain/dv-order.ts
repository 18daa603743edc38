// Domain-validated orders: what the owner must publish and how it is checked.
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

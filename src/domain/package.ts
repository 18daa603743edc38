// Packages: the operator's grants of paid-certificate units to an account (DescribePackages),
// spent by CreateCertificateByPackage. There is no payment: a unit is one certificate-year.

export interface PackageRecord {
  id: string;
  accountUin: string;
  /** ssl_100, ssl_500, ssl_2000 (the SDK's names). */
  type: string;
  total: number;
  balance: number;
  /** ProductPids the package may pay for; empty: any. */
  products: number[];
  grantedBy: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** Withdrawn by the operator (shown as `refund`). */
  revokedAt: number | null;
}

/** The SDK's PackageInfo.Status values. */
export type PackageStatus = 'usable' | 'used' | 'expired' | 'refund';

export function packageStatus(p: PackageRecord, now: number): PackageStatus {
  if (p.revokedAt !== null) return 'refund';
  if (p.expiresAt <= now) return 'expired';
  return p.balance > 0 ? 'usable' : 'used';
}

export interface PackageQuery {
  accountUin?: string;
  status?: PackageStatus;
  packageId?: string;
  type?: string;
  /** Packages that may pay for this ProductPid. */
  pid?: number;
  expireOrder?: 'asc' | 'desc';
  offset: number;
  limit: number;
  now: number;
}

/** Units taken from one package for one order. */
export interface PackageDebit { packageId: string; certId: string; units: number }

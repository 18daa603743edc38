// Packages: the operator grants an account paid-certificate units (`certport packages grant`);
// DescribePackages lists them with their balances; CreateCertificateByPackage spends them on
// paid orders made exactly as CreateCertificate makes them (PaidOrderService.prepare), the
// units taken and the orders stored in one transaction. One unit pays for one certificate-year:
// an order costs CertificateCount × Period units.
import { createPublicKey } from 'node:crypto';
import { ServiceError, invalidParameterValue } from '../domain/errors.js';
import type { AccountStore, PackageStore } from '../domain/stores.js';
import { packageStatus, type PackageQuery, type PackageRecord, type PackageStatus } from '../domain/package.js';
import { CertStatus, type Tag } from '../domain/certificate.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { Sealer } from '../secrets/sealer.js';
import { aad } from '../secrets/aad.js';
import { base62 } from './ids.js';
import { effectiveStatus, type CertificateService } from './certificates.js';
import type { PaidOrderService } from './paid-orders.js';
import { PRODUCT_PIDS, PRODUCTS } from './products.js';

/** The SDK's package types and the units each holds unless the operator says otherwise. */
export const PACKAGE_TYPES: Readonly<Record<string, number>> = { ssl_100: 100, ssl_500: 500, ssl_2000: 2000 };
const STATUSES: readonly PackageStatus[] = ['usable', 'used', 'expired', 'refund'];
const MAX_UNITS = 1_000_000;

const idsInvalid = (m: string) => new ServiceError('InvalidParameter.PackageIdsInvalid', m);
const notFound = (id: string, why = 'does not exist') => new ServiceError('FailedOperation.PackageNotFound', `The package ${JSON.stringify(id)} ${why}.`);
const badParam = (m: string) => new ServiceError('FailedOperation.InvalidParam', m);

export interface GrantInput {
  accountUin: string;
  type: string;
  expiresAt: number;
  /** Units; default the type's (ssl_100: 100). */
  count?: number;
  /** ProductPids it may pay for; default any. */
  products?: number[];
  grantedBy: string;
}

/** Grants, withdrawals and listings: what the CLI (light, storage.ts) and DescribePackages need. */
export class PackageService {
  constructor(
    private readonly store: PackageStore,
    private readonly accounts: Pick<AccountStore, 'getAccount'>,
    private readonly clock: Clock,
  ) {}

  async grant(p: GrantInput): Promise<PackageRecord> {
    if (!(await this.accounts.getAccount(p.accountUin))) throw new ServiceError('ResourceNotFound', `No account ${p.accountUin}.`);
    const units = PACKAGE_TYPES[p.type];
    if (units === undefined) throw invalidParameterValue(`The package type must be one of ${Object.keys(PACKAGE_TYPES).join(', ')}; got ${JSON.stringify(p.type)}.`);
    const count = p.count ?? units;
    if (!Number.isInteger(count) || count < 1 || count > MAX_UNITS) throw invalidParameterValue(`The count must be a whole number from 1 to ${MAX_UNITS}.`);
    const now = this.clock();
    if (!Number.isFinite(p.expiresAt) || p.expiresAt <= now) throw invalidParameterValue('The expiry must be in the future.');
    const products = [...new Set(p.products ?? [])];
    const unknown = products.filter((pid) => !PRODUCT_PIDS.has(pid));
    if (unknown.length) throw invalidParameterValue(`Unknown ProductPid(s): ${unknown.join(', ')} (the SDK's CreateCertificateByPackage list, CFCA excepted).`);
    const rec: PackageRecord = {
      id: 'pkg-' + base62(12), accountUin: p.accountUin, type: p.type, total: count, balance: count, products, grantedBy: p.grantedBy,
      createdAt: now, updatedAt: now, expiresAt: p.expiresAt, revokedAt: null,
    };
    await this.store.insertPackage(rec);
    return rec;
  }

  /** Withdraws a package: its balance goes to 0 and it shows as `refund`; orders already made stay. */
  async revoke(id: string): Promise<PackageRecord> {
    const p = await this.store.getPackage(id);
    if (!p) throw new ServiceError('ResourceNotFound', `No package ${id}.`);
    if (!(await this.store.revokePackage(id, this.clock()))) throw new ServiceError('FailedOperation', `The package ${id} was already withdrawn.`);
    return (await this.store.getPackage(id))!;
  }

  list(q: Partial<PackageQuery> = {}) {
    return this.store.listPackages({ offset: 0, limit: 1000, ...q, now: this.clock() });
  }

  status(p: PackageRecord): PackageStatus {
    return packageStatus(p, this.clock());
  }

  /** DescribePackages: the caller's packages, filtered and paged as the SDK's request says. */
  async describe(caller: Caller, page: { offset: number; limit: number }, p: { Status?: string; ExpireTime?: string; PackageId?: string; Type?: string; Pid?: number }) {
    const { offset, limit } = page;
    if (p.Status !== undefined && p.Status !== '' && !STATUSES.includes(p.Status as PackageStatus)) {
      throw invalidParameterValue(`Status must be one of ${STATUSES.join(', ')}; got ${JSON.stringify(p.Status)}.`);
    }
    if (p.ExpireTime !== undefined && p.ExpireTime !== '' && p.ExpireTime !== 'asc' && p.ExpireTime !== 'desc') {
      throw invalidParameterValue(`ExpireTime must be asc or desc; got ${JSON.stringify(p.ExpireTime)}.`);
    }
    if (p.Pid !== undefined && !Number.isInteger(p.Pid)) throw invalidParameterValue('Pid must be a whole number.');
    const now = this.clock();
    const r = await this.store.listPackages({
      accountUin: caller.accountUin, offset, limit, now,
      ...(p.Status ? { status: p.Status as PackageStatus } : {}),
      ...(p.ExpireTime ? { expireOrder: p.ExpireTime as 'asc' | 'desc' } : {}),
      ...(p.PackageId ? { packageId: p.PackageId } : {}),
      ...(p.Type ? { type: p.Type } : {}),
      ...(p.Pid !== undefined ? { pid: p.Pid } : {}),
    });
    return { ...r, now };
  }
}

export interface ByPackageInput {
  ProductPid: number;
  PackageIds: string[];
  DomainCount: string;
  Period: number;
  OldCertificateId?: string;
  RenewGenCsrMethod?: string;
  RenewCsr?: string;
  RenewAlgorithmType?: string;
  RenewAlgorithmParam?: string;
  RenewKeyPass?: string;
  ProjectId?: number;
  Tags?: Tag[];
  CertificateCount?: number;
}

/** CreateCertificateByPackage: paid orders paid for with packages. */
export class PackageOrderService {
  constructor(
    private readonly store: PackageStore,
    private readonly paid: PaidOrderService,
    private readonly certificates: CertificateService,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
  ) {}

  async create(caller: Caller, p: ByPackageInput): Promise<{ certificateIds: string[] }> {
    const ids = p.PackageIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100 || ids.some((x) => typeof x !== 'string' || x.trim() === '')) {
      throw idsInvalid('PackageIds must list 1 to 100 package ids.');
    }
    if (new Set(ids).size !== ids.length) throw idsInvalid('PackageIds names a package twice.');
    const productId = PRODUCT_PIDS.get(p.ProductPid);
    if (productId === undefined || !this.paid.product(productId)) throw badParam(`ProductPid ${p.ProductPid} is not offered here.`);
    const product = PRODUCTS.get(productId)!;
    if (!/^\d{1,4}$/.test(String(p.DomainCount ?? '').trim())) throw badParam('DomainCount must be a whole number, as a string (e.g. "1").');
    const domainNum = Number(String(p.DomainCount).trim());
    if (!Number.isInteger(p.Period) || p.Period < 1 || p.Period > 10) throw badParam('Period must be a whole number of years from 1 to 10.');
    const count = p.CertificateCount ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 100) throw badParam('CertificateCount must be a whole number from 1 to 100.');
    const units = count * p.Period;

    const now = this.clock();
    let available = 0;
    for (const id of ids) {
      const pkg = await this.store.getPackage(id);
      // Another account's package is as absent as one that never existed.
      if (!pkg || pkg.accountUin !== caller.accountUin) throw notFound(id);
      const status = packageStatus(pkg, now);
      if (status === 'refund') throw notFound(id, 'was withdrawn by the operator');
      if (status === 'expired') {
        throw new ServiceError('FailedOperation.PackageExpired', `The package ${id} expired at ${new Date(pkg.expiresAt).toISOString().slice(0, 19).replace('T', ' ')}.`);
      }
      if (pkg.products.length && !pkg.products.includes(p.ProductPid)) {
        throw idsInvalid(`The package ${id} cannot pay for ProductPid ${p.ProductPid} (it pays for ${pkg.products.join(', ')}).`);
      }
      available += pkg.balance;
    }
    if (available < units) {
      throw new ServiceError('FailedOperation.PackageCountLimit', `The order needs ${units} unit(s) (${count} certificate(s) × ${p.Period} year(s)); the packages hold ${available}.`);
    }

    const renewal = p.OldCertificateId ? await this.renewalOf(caller, p, productId, count) : null;
    const logExtra = ` from package(s) ${ids.join(', ')} (${units} unit(s))${renewal ? `, renewing ${renewal.old.id}` : ''}`;
    const made = await this.paid.prepare(caller, { productId, domainNum, timeSpan: p.Period, tags: p.Tags ?? [], ...(p.ProjectId !== undefined ? { projectId: p.ProjectId } : {}) }, count, logExtra);
    const r = await this.store.spendPackages(caller.accountUin, ids, units, now, made, renewal?.old.id ?? null);
    if (r === 'insufficient') throw new ServiceError('FailedOperation.PackageCountLimit', `The packages no longer hold the ${units} unit(s) the order needs.`);
    if (r === 'renewed') throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${renewal!.old.id} already has a renewal order.`);
    const certificateIds = made.map((m) => m.cert.id);
    if (renewal) {
      try {
        await this.paid.submitRenewal(caller, renewal.old, renewal.order, certificateIds[0]!, renewal.key);
      } catch (e) {
        // Nothing is spent on a renewal that could not be submitted (submitRenewal cancelled it).
        await this.store.refundPackages(certificateIds[0]!, this.clock());
        throw e;
      }
    }
    return { certificateIds };
  }

  /** OldCertificateId and the Renew* parameters, checked before anything is spent. */
  private async renewalOf(caller: Caller, p: ByPackageInput, productId: number, count: number) {
    if (count !== 1) throw badParam('A renewal (OldCertificateId) is one certificate: CertificateCount must be 1.');
    const old = await this.certificates.get(caller, p.OldCertificateId!);
    const order = await this.paid.getOrder(old.id);
    if (old.source === 'upload' || !order?.submitted) {
      throw new ServiceError('FailedOperation.InvalidCertificateSource', `The certificate ${old.id} is not a paid certificate issued here; only those are renewed through a package.`);
    }
    const status = effectiveStatus(old, this.clock());
    if (status !== CertStatus.issued) {
      throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${old.id} is in status ${status}; only an issued, unexpired certificate can be renewed.`);
    }
    if (old.renewOrderId) throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${old.id} already has a renewal order (${old.renewOrderId}).`);
    if (order.productId !== productId) {
      throw badParam(`A renewal is of the same product: ${old.id} is ${PRODUCTS.get(order.productId)?.name ?? order.productId}.`);
    }
    const product = PRODUCTS.get(productId)!;
    const method = (p.RenewGenCsrMethod || 'online').toLowerCase();
    if (method !== 'online' && method !== 'upload' && method !== 'original') throw badParam('RenewGenCsrMethod must be original, upload or online.');
    const keyPassword = p.RenewKeyPass || undefined;
    if (method === 'upload') {
      if (!p.RenewCsr) throw badParam('RenewCsr is required when RenewGenCsrMethod is upload.');
      return { old, order, key: { method, csr: p.RenewCsr, ...(keyPassword ? { keyPassword } : {}) } as const };
    }
    if (method === 'original') {
      if (!old.privateKeySealed || product.sm2) {
        throw badParam(`The certificate ${old.id} has no key here to reuse${product.sm2 ? ' (SM2 renewals make a new key pair)' : ''}; renew with RenewGenCsrMethod online or upload.`);
      }
      const pem = this.sealer.openString(old.privateKeySealed, aad.certKey(old.id));
      await this.paid.keyCheck?.(createPublicKey(pem).export({ type: 'spki', format: 'der' }) as Buffer, 'The certificate\'s key (RenewGenCsrMethod original)');
      return { old, order, key: { method, ...(keyPassword ? { keyPassword } : {}) } as const };
    }
    const algo = p.RenewAlgorithmType ? p.RenewAlgorithmType.toUpperCase() : undefined;
    const param = p.RenewAlgorithmParam || undefined;
    if (algo !== undefined || param !== undefined) {
      const a = algo ?? 'RSA';
      const allowed: Record<string, string[]> = product.sm2 ? { SM2: ['sm2p256v1', 'sm2'] } : { RSA: ['2048', '4096'], ECC: ['prime256v1', 'secp384r1'] };
      if (!allowed[a] || (param !== undefined && !allowed[a]!.includes(param.toLowerCase()))) {
        throw new ServiceError('InvalidParameter.RenewAlgorithmInvalid', `RenewAlgorithmType ${JSON.stringify(p.RenewAlgorithmType ?? 'RSA')} with RenewAlgorithmParam ${JSON.stringify(param ?? '')} is not supported for ${product.name}: ${product.sm2 ? 'SM2' : 'RSA 2048/4096 or ECC prime256v1/secp384r1'}.`);
      }
    }
    const key = algo && !product.sm2 ? { algo, ...(param ? { param: param.toLowerCase() } : {}) } : {};
    return { old, order, key: { method: 'online', ...key, ...(keyPassword ? { keyPassword } : {}) } as const };
  }
}

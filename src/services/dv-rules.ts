// The rules of ApplyCertificate and ReplaceCertificate (the spec's parameters and what they
// allow), apart from the order's lifecycle in ./dv-orders.ts. Pure: no storage, no CA.
import { ServiceError } from '../domain/errors.js';
import { CertStatus, type CertificateRecord, type Tag } from '../domain/certificate.js';
import type { DvMethod, DvOrderRecord } from '../domain/dv-order.js';
import { parseCsr, verifySm2Csr, type Sm2CsrInfo } from '../pki/csr-parse.js';
import { NameError, normalizeDomain } from '../validation/names.js';
import { effectiveStatus } from './certificates.js';

export const DV_PACKAGE_TYPE = '83';

export type KeyAlgo = DvOrderRecord['keyAlgo'];

export interface ApplyInput {
  dvAuthMethod: string;
  domainName: string;
  projectId?: number;
  packageType?: string;
  contactEmail?: string;
  contactPhone?: string;
  validityPeriod?: string;
  csrEncryptAlgo?: string;
  csrKeyParameter?: string;
  csrKeyPassword?: string;
  alias?: string;
  oldCertificateId?: string;
  packageId?: string;
  deleteDnsAutoRecord?: boolean;
  tags?: Tag[];
}

export interface ReissueInput {
  certificateId: string;
  validType: string;
  csrType?: string;
  csrContent?: string;
  csrKeyPassword?: string;
  reason?: string;
  certCsrEncryptAlgo?: string;
  certCsrKeyParameter?: string;
}

export const bad = (message: string) => new ServiceError('InvalidParameter', message);
export const badParam = (message: string) => new ServiceError('FailedOperation.InvalidParam', message);


/** ApplyCertificate's parameters checked: the validation method, the key to make, the name. */
export function checkApply(p: ApplyInput): { method: DvMethod; algo: 'RSA' | 'ECC'; keyParam: string; domain: string } {
  const method = p.dvAuthMethod as DvMethod;
  if (!['DNS_AUTO', 'DNS', 'FILE'].includes(method)) {
    throw bad(`DvAuthMethod must be DNS_AUTO, DNS or FILE, got ${JSON.stringify(p.dvAuthMethod)}.`);
  }
  if (p.packageType && p.packageType !== DV_PACKAGE_TYPE) {
    throw bad(`PackageType ${JSON.stringify(p.packageType)} is not offered; the free DV certificate is type ${DV_PACKAGE_TYPE}.`);
  }
  if (p.validityPeriod && p.validityPeriod !== '3') throw bad(`ValidityPeriod must be "3" (months), got ${JSON.stringify(p.validityPeriod)}.`);
  if (p.packageId) {
    throw new ServiceError('FailedOperation.PackageNotFound', `The benefit package ${JSON.stringify(p.packageId)} does not exist (free certificate packages are discontinued).`);
  }
  const algo = (p.csrEncryptAlgo || 'RSA').toUpperCase();
  if (algo !== 'RSA' && algo !== 'ECC') throw bad(`CsrEncryptAlgo must be RSA or ECC, got ${JSON.stringify(p.csrEncryptAlgo)}.`);
  let keyParam: string;
  if (algo === 'RSA') {
    keyParam = p.csrKeyParameter || '2048';
    if (keyParam !== '2048') throw bad(`CsrKeyParameter for RSA must be 2048, got ${JSON.stringify(p.csrKeyParameter)}.`);
  } else {
    if (!p.csrKeyParameter) throw bad('CsrKeyParameter is required when CsrEncryptAlgo is ECC (prime256v1).');
    keyParam = p.csrKeyParameter.toLowerCase();
    if (keyParam !== 'prime256v1') throw bad(`CsrKeyParameter for ECC must be prime256v1, got ${JSON.stringify(p.csrKeyParameter)}.`);
  }
  if (p.deleteDnsAutoRecord && method !== 'DNS_AUTO') throw bad('DeleteDnsAutoRecord can only be set with DvAuthMethod DNS_AUTO.');
  if (p.contactEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p.contactEmail)) throw bad(`ContactEmail ${JSON.stringify(p.contactEmail)} is not an email address.`);
  if (p.contactPhone && !/^\+?[0-9][0-9 -]{3,30}$/.test(p.contactPhone)) throw bad(`ContactPhone ${JSON.stringify(p.contactPhone)} is not a phone number.`);
  if ((p.alias ?? '').length > 200) throw bad('Alias must be at most 200 characters.');
  if (p.projectId !== undefined && (!Number.isInteger(p.projectId) || p.projectId < 0)) throw bad('ProjectId must be a non-negative integer.');

  let domain: string;
  try {
    domain = normalizeDomain(p.domainName, { allowWildcard: method !== 'FILE' });
  } catch (e) {
    if (e instanceof NameError) {
      const wildcardFile = method === 'FILE' && p.domainName.trim().startsWith('*.');
      throw badParam(wildcardFile
        ? `DomainName ${JSON.stringify(p.domainName)} is a wildcard; wildcards can only be validated by DNS (DvAuthMethod DNS or DNS_AUTO).`
        : `DomainName: ${e.message}.`);
    }
    throw e;
  }
  return { method, algo: algo as 'RSA' | 'ECC', keyParam, domain };
}

/** ReplaceCertificate's parameters checked against the certificate being reissued. */
export function checkReissue(p: ReissueInput, original: CertificateRecord, now: number): { method: DvMethod; domain: string; csrType: string } {
  if (original.replacedBy) {
    throw new ServiceError('FailedOperation.OrderAlreadyReplaced', `The certificate ${original.id} has already been reissued as ${original.replacedBy}.`);
  }
  if (original.source === 'upload') {
    throw new ServiceError('FailedOperation.InvalidCertificateSource', `The certificate ${original.id} was uploaded, not issued here; only certificates issued here can be reissued.`);
  }
  const status = effectiveStatus(original, now);
  if (status !== CertStatus.issued) {
    throw new ServiceError('FailedOperation.InvalidCertificateStatusCode', `The certificate ${original.id} is in status ${status}; only an issued, unexpired certificate can be reissued.`);
  }
  const method = p.validType as DvMethod;
  if (!['DNS_AUTO', 'DNS', 'FILE'].includes(method)) throw bad(`ValidType must be DNS_AUTO, DNS or FILE, got ${JSON.stringify(p.validType)}.`);
  const domain = original.domain;
  if (method === 'FILE' && domain.startsWith('*.')) throw badParam(`${domain} is a wildcard; wildcards can only be validated by DNS (ValidType DNS or DNS_AUTO).`);
  const csrType = p.csrType || 'Original';
  if (!['Original', 'Upload', 'Online'].includes(csrType)) throw bad(`CsrType must be Original, Upload or Online, got ${JSON.stringify(p.csrType)}.`);
  if (csrType !== 'Online' && (p.certCsrEncryptAlgo || p.certCsrKeyParameter)) {
    throw bad('CertCSREncryptAlgo and CertCSRKeyParameter can only be given with CsrType Online.');
  }
  if (csrType !== 'Upload' && p.csrContent) throw bad('CsrContent can only be given with CsrType Upload.');
  return { method, domain, csrType };
}

/** CsrType Online: the key algorithm and parameter asked for, as the spec allows them. */
export function onlineKey(p: ReissueInput): { keyAlgo: KeyAlgo; keyParam: string } {
    const algo = (p.certCsrEncryptAlgo || 'RSA').toUpperCase();
    const param = p.certCsrKeyParameter || { RSA: '2048', ECC: 'prime256v1', SM2: 'sm2p256v1' }[algo];
    const allowed: Record<string, string[]> = { RSA: ['2048', '4096'], ECC: ['prime256v1', 'secp384r1'], SM2: ['sm2p256v1', 'sm2'] };
    if (!allowed[algo] || !param || !allowed[algo]!.includes(param.toLowerCase())) {
      throw new ServiceError('InvalidParameter.RenewAlgorithmInvalid',
        `CertCSREncryptAlgo ${JSON.stringify(p.certCsrEncryptAlgo ?? 'RSA')} with CertCSRKeyParameter ${JSON.stringify(p.certCsrKeyParameter ?? '')} is not supported: RSA 2048/4096, ECC prime256v1/secp384r1, or SM2.`);
    }
  return { keyAlgo: algo as KeyAlgo, keyParam: algo === 'SM2' ? 'sm2p256v1' : param.toLowerCase() };
}

/** The names, key algorithm and parameter of an uploaded CSR (RSA, ECC or SM2), its signature checked. */
export function csrNames(pem: string): { domains: string[]; keyAlgo: KeyAlgo; keyParam: string } {
  let sm2: Sm2CsrInfo | null = null;
  try {
    sm2 = verifySm2Csr(pem);
  } catch { /* not an SM2 CSR (or not a good one): read as RSA or ECC below, whose error is the answer */ }
  if (sm2) return { domains: sm2.domains, keyAlgo: 'SM2', keyParam: 'sm2p256v1' };
  let parsed;
  try {
    parsed = parseCsr(pem);
  } catch (e) {
    throw badParam(`CsrContent is not a valid CSR: ${(e as Error).message}`);
  }
  const names = [...(parsed.subject.CN ? [parsed.subject.CN.toLowerCase()] : []), ...parsed.dnsNames];
  return { domains: [...new Set(names)], keyAlgo: parsed.keyAlgorithm, keyParam: parsed.keyParameter };
}

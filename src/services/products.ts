// The paid-certificate catalogue, keyed by the spec's ProductId values. There is no payment
// in a self-hosted certport: a "product" says what a certificate will be (validation level,
// one name / several / wildcard, RSA or SM2) and what review it needs before it is issued.
import type { IssueProfile } from '../ca/issuer.js';
import type { PaidOrderRecord } from '../domain/paid-order.js';

export type Level = 'DV' | 'OV' | 'EV';
export type Coverage = 'single' | 'multi' | 'wildcard' | 'wildcard-multi';

export interface Product {
  id: number;
  /** ProductZhName / TypeName in the describe actions. */
  name: string;
  level: Level;
  coverage: Coverage;
  sm2: boolean;
  /** Products whose review needs a signed confirmation letter (status 8 before review). */
  needsLetter: boolean;
}

const RAW: [number, string][] = [
  [3, 'SecureSite EV Pro'], [4, 'SecureSite EV'], [5, 'SecureSite OV Pro'], [6, 'SecureSite OV'], [7, 'SecureSite OV wildcard'],
  [8, 'GeoTrust EV'], [9, 'GeoTrust OV'], [10, 'GeoTrust OV wildcard'], [11, 'TrustAsia DV multi-domain'], [12, 'TrustAsia DV wildcard'],
  [13, 'TrustAsia OV wildcard D3'], [14, 'TrustAsia OV D3'], [15, 'TrustAsia OV multi-domain D3'], [16, 'TrustAsia EV D3'],
  [17, 'TrustAsia EV multi-domain D3'], [18, 'GlobalSign OV'], [19, 'GlobalSign OV wildcard'], [20, 'GlobalSign EV'],
  [21, 'TrustAsia OV wildcard multi-domain D3'], [22, 'GlobalSign OV multi-domain'], [23, 'GlobalSign OV wildcard multi-domain'],
  [24, 'GlobalSign EV multi-domain'], [25, 'WoTrus DV'], [26, 'WoTrus DV multi-domain'], [27, 'WoTrus DV wildcard'], [28, 'WoTrus OV'],
  [29, 'WoTrus OV multi-domain'], [30, 'WoTrus OV wildcard'], [31, 'WoTrus EV'], [32, 'WoTrus EV multi-domain'], [33, 'DNSPod SM2 DV'],
  [34, 'DNSPod SM2 DV multi-domain'], [35, 'DNSPod SM2 DV wildcard'], [37, 'DNSPod SM2 OV'], [38, 'DNSPod SM2 OV multi-domain'],
  [39, 'DNSPod SM2 OV wildcard'], [40, 'DNSPod SM2 EV'], [41, 'DNSPod SM2 EV multi-domain'], [42, 'TrustAsia DV wildcard multi-domain'],
  [43, 'DNSPod OV SSL certificate'], [44, 'DNSPod OV wildcard SSL certificate'], [45, 'DNSPod OV multi-domain SSL certificate'],
  [46, 'DNSPod EV SSL certificate'], [47, 'DNSPod EV multi-domain SSL certificate'], [48, 'DNSPod DV SSL certificate'],
  [49, 'DNSPod DV wildcard SSL certificate'], [50, 'DNSPod DV multi-domain SSL certificate'], [51, 'DNSPod (SM2) OV SSL certificate'],
  [52, 'DNSPod (SM2) OV wildcard SSL certificate'], [53, 'DNSPod (SM2) OV multi-domain SSL certificate'], [54, 'DNSPod (SM2) DV SSL certificate'],
  [55, 'DNSPod (SM2) DV wildcard SSL certificate'], [56, 'DNSPod (SM2) DV multi-domain SSL certificate'], [57, 'SecureSite OV Pro multi-domain'],
  [58, 'SecureSite OV multi-domain'], [59, 'SecureSite EV Pro multi-domain'], [60, 'SecureSite EV multi-domain'], [61, 'GeoTrust EV multi-domain'],
];

/** Level, coverage and algorithm read from the product's own name, as the spec lists it. */
function describe(id: number, name: string): Product {
  const n = name.toLowerCase();
  const level: Level = /\bev\b/.test(n) ? 'EV' : /\bov\b/.test(n) ? 'OV' : 'DV';
  const wildcard = n.includes('wildcard');
  const multi = n.includes('multi-domain');
  return {
    id,
    name: `${name} (certport)`,
    level,
    coverage: wildcard && multi ? 'wildcard-multi' : wildcard ? 'wildcard' : multi ? 'multi' : 'single',
    sm2: n.includes('sm2'),
    // EV vetting ends with a signed letter from the organization, as the spec's status 8 describes.
    needsLetter: level === 'EV',
  };
}

export const PRODUCTS: ReadonlyMap<number, Product> = new Map(RAW.map(([id, name]) => [id, describe(id, name)]));

/** What a paid order's certificate carries: the vetted subject (OV/EV) and the validity bought. */
export function issueProfileOf(order: PaidOrderRecord): { profile: IssueProfile; validityDays: number } {
  const product = PRODUCTS.get(order.productId);
  const s = (order.submitted ?? {}) as Record<string, string | undefined>;
  const level = product?.level ?? 'DV';
  return {
    validityDays: order.validityDays,
    profile: level === 'DV' ? { level } : {
      level,
      organization: s.OrganizationName,
      organizationalUnit: s.OrganizationDivision,
      locality: s.OrganizationCity,
      stateOrProvince: s.OrganizationRegion,
      country: s.OrganizationCountry?.toUpperCase(),
      ...(level === 'EV' ? { jurisdictionCountry: s.OrganizationCountry?.toUpperCase(), businessCategory: 'Private Organization', serialNumber: order.dealId } : {}),
    },
  };
}

/**
 * CreateCertificateByPackage names products by ProductPid (the SDK's list); each maps to the
 * catalogue entry of the same brand, level, coverage and algorithm. CFCA (1022447, 1022449,
 * 1022451) has no entry in the spec's ProductId list, so it is not offered.
 */
export const PRODUCT_PIDS: ReadonlyMap<number, number> = new Map([
  [1014028, 52], [1014030, 53], [1014026, 51], [1014022, 55], [1014024, 56], [1014020, 54],
  [1013949, 48], [1013953, 50], [1013951, 49], [1013955, 43], [1013959, 45], [1013957, 44], [1013961, 46], [1013963, 47],
  [1005919, 42], [1013882, 59], [1018559, 3], [1013910, 24], [1013904, 20], [1013898, 17], [1013888, 16], [1013886, 61],
  [1018529, 8], [1013880, 60], [1018557, 4], [1018586, 12], [1018584, 11], [1013878, 57], [1018582, 5], [1013908, 23],
  [1013902, 19], [1013906, 22], [1013900, 18], [1013896, 21], [1013892, 13], [1013894, 15], [1013890, 14], [1004360, 10],
  [1013884, 9], [1013874, 7], [1013876, 58], [1018580, 6], [1004460, 41], [1004458, 40], [1004370, 39], [1004368, 38],
  [1004366, 37], [1004362, 35], [1004364, 34], [1004358, 33], [1004456, 32], [1004454, 31], [1004168, 30], [1004166, 29],
  [1004164, 28], [1004159, 27], [1004161, 26], [1004157, 25],
]);

// The one interface every certificate authority backend implements, shaped as an order
// (RFC 8555 section 7.1.3; step-ca's cas/ interface): names go in and the CA says what their
// owner must publish (place); validation progresses (poll); a ready order takes a CSR or a
// public key and gives back the certificate with its chain (finalize).
//
// The backends sit side by side: certport's own CAs (./embedded/ for RSA and ECDSA, ./sm2/ for
// SM2), which check names with certport's validator and sign at once, and an upstream ACME CA
// (./acme/), which runs the order itself. main.ts alone picks and builds them; the services
// reach them through the registry in ./issuers.ts.
//
// Key material never passes through here: finalize takes a CSR or a public key, and the
// caller keeps (and encrypts) the private key it generated.
import type { DvAuth } from '../domain/dv-order.js';
import type { KeyAlgorithm } from '../pki/keys.js';
import type { Signer } from '../pki/certificate-builder.js';
import { authorityInfoAccessExtension, crlDistributionPointExtension } from '../pki/revocation.js';

export type { KeyAlgorithm };

export interface IssueRequest {
  /** PKCS#10 CSR (PEM). Its signature is checked; its names are ignored in favour of `domains`. */
  csrPem?: string;
  /** SubjectPublicKeyInfo (PEM) when the service generated the key itself. One of csrPem/publicKeyPem. */
  publicKeyPem?: string;
  /** Already-normalised names (see validation/names.ts); the first becomes the subject CN. Empty only with ipAddresses. */
  domains: string[];
  /**
   * IP addresses (RFC 8738 identifiers of certport's ACME server) in canonical text (pki/ip.ts),
   * written as iPAddress SANs after the DNS names; the first is the CN when there is no name.
   * certport's own CAs sign them; an upstream ACME CA refuses them (CaRefused).
   */
  ipAddresses?: string[];
  validityDays: number;
  /** Organization-validated (OV) or extended-validation (EV) certificates: the vetted subject. DV when absent. */
  profile?: IssueProfile;
  /**
   * A GM/T double certificate's half: 'sign' (the default) or 'encrypt', the encryption
   * certificate for the pair's second key. Only a CA that signs SM2 issues 'encrypt'.
   */
  usage?: 'sign' | 'encrypt';
}

/** CA/B Forum BR 7.1.2.7 / EV Guidelines 9.2: what goes into an OV or EV subject. */
export interface IssueProfile {
  level: 'DV' | 'OV' | 'EV';
  organization?: string;
  organizationalUnit?: string;
  locality?: string;
  stateOrProvince?: string;
  /** ISO 3166-1 alpha-2 */
  country?: string;
  /** EV: the registration number, the jurisdiction's country and the business category. */
  serialNumber?: string;
  jurisdictionCountry?: string;
  businessCategory?: string;
}

export interface IssuedCertificate {
  certPem: string;
  /** Intermediates only, issuing CA first; the root is not included. */
  chainPems: string[];
  rootPem: string;
  /** Lower-case hex, no separators, no leading 00 sign octet. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
}

/** An order for names: what the owner proves control with (a DNS TXT record or a file on the web server). */
export interface OrderRequest {
  /** Normalised names; wildcards as `*.name`. */
  domains: string[];
  method: 'DNS' | 'FILE';
  /**
   * What the owner published for these names before (a renewal, by the same method). A CA that
   * accepts its own earlier values again gives them back, so a record or file still in place
   * validates again; an upstream CA decides for itself.
   */
  previous?: DvAuth[];
}

/** An order as its CA knows it: its reference there (null at a CA that keeps no orders) and what is to be published. */
export interface Order {
  ref: string | null;
  auths: DvAuth[];
}

/** One name's check: is the record or file in place, and if not, what was found. */
export interface AuthCheckResult {
  ok: boolean;
  detail: string;
  /** What the check found published (TXT values or file content), when it found anything. */
  found?: string[];
}

/** certport's own look at what the owner published (the validator in validation/), lent to poll. */
export type CheckAuth = (auth: DvAuth) => Promise<AuthCheckResult>;

export type OrderProgress =
  /** Validation (or signing) goes on: `detail` says where it stands; `soon` when the CA itself is at work. */
  | { state: 'pending'; detail: string; soon: boolean }
  /** Every name is validated: finalize now. `detail`, when given, is worth recording (the checks that passed). */
  | { state: 'ready'; detail?: string }
  /** Signed: the leaf and its intermediates, PEM, leaf first. */
  | { state: 'issued'; chainPem: string }
  /** The CA gave up on the order; `reason` is for the owner. */
  | { state: 'invalid'; reason: string }
  /** The CA holds no live order under this reference (it was reset, or the order was never placed): place it again. */
  | { state: 'gone' };

/** The CA refused (a problem document): the order ends here, with this reason. */
export class CaRefused extends Error {
  constructor(readonly type: string, detail: string) {
    super(detail);
    this.name = 'CaRefused';
  }
}

/** The CA could not be reached (or answered 5xx): try again later. */
export class CaUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaUnreachable';
  }
}

export interface Issuer {
  /** The CA's own name: what its material or account is kept under ('embedded', 'embedded-sm2', 'acme'). */
  readonly name: string;
  /**
   * The `source` certificates it issues are stored with (the API's From). certport's RSA/ECDSA
   * and SM2 hierarchies both answer 'embedded': a stored certificate's CA is its source and key algorithm.
   */
  readonly source: string;
  /** How an operation log names it: 'the embedded CA', an ACME directory's URL. */
  readonly label: string;
  /** The key algorithms it signs. */
  readonly keyAlgorithms: readonly KeyAlgorithm[];
  /** True when finalize takes a bare public key; false when it needs a CSR (RFC 8555 7.4). */
  readonly signsPublicKeys: boolean;
  /** The root its chains end at (PEM), when known here: an upstream CA's is not. */
  readonly rootPem: string | null;
  /**
   * True when the CA asks CAA (RFC 8659) itself before it signs, as a public ACME CA must (CA/B
   * Forum BR 3.2.2.8). Absent or false: certport asks for every name before finalize.
   */
  readonly checksCaa?: boolean;

  /** Opens an order for the names (RFC 8555 7.4 newOrder). Throws CaRefused or CaUnreachable. */
  place(req: OrderRequest): Promise<Order>;
  /** Where the order stands (RFC 8555 7.1.6). Throws CaRefused or CaUnreachable. */
  poll(order: Order, check: CheckAuth): Promise<OrderProgress>;
  /** A ready order's certificate ('issued'), or 'pending' while the CA signs. Throws CaRefused or CaUnreachable. */
  finalize(order: Order, req: IssueRequest): Promise<OrderProgress>;
  /**
   * Revokes a certificate this CA issued (`certPem`, leaf first), RFC 5280 CRLReason `reason`.
   * certport's own CAs check that the leaf is theirs and publish it through certport's CRL
   * and OCSP responder; an upstream ACME CA is asked (RFC 8555 7.6). Throws CaRefused or
   * CaUnreachable.
   */
  revoke(certPem: string, reason: number): Promise<void>;
  /** certport's own CAs: the issuing intermediates that sign CRLs and OCSP responder certificates. */
  signingCas?(): SigningCa[];
}

/** An issuing intermediate as a CRL or an OCSP responder certificate needs it. */
export interface SigningCa {
  /** The CRL's name: `/ca/<name>-intermediate.crl`. */
  name: 'rsa' | 'ecc' | 'sm2';
  certPem: string;
  /** Its subject Name and SubjectPublicKeyInfo (DER), and its key identifier. */
  subjectName: Buffer;
  spki: Buffer;
  keyId: Buffer;
  notAfter: Date;
  signer: Signer;
}

/** Every auth checked at once. `detail` is what an order records: each name passed, or what was found instead. */
export async function checkAll(auths: DvAuth[], check: CheckAuth): Promise<{ checks: { auth: DvAuth; result: AuthCheckResult }[]; ok: boolean; detail: string }> {
  const checks = await Promise.all(auths.map(async (auth) => ({ auth, result: await check(auth) })));
  return {
    checks,
    ok: checks.every((x) => x.result.ok),
    detail: checks.map((x) => x.result.ok ? `${x.auth.domain}: passed` : `${x.auth.domain}: ${x.result.detail}`).join('; '),
  };
}

/** The file an issuing CA's CRL is served as under `${publicBaseUrl}/ca/`, named in its leaves' CRL distribution point. */
export const crlFileName = (name: SigningCa['name']) => `${name}-intermediate.crl`;

/** Leaves' cRLDistributionPoints for the CA `name`, or null without a public base URL. */
export function crlDistributionPoint(publicBaseUrl: string | null | undefined, name: SigningCa['name']): Buffer | null {
  if (!publicBaseUrl) return null;
  return crlDistributionPointExtension(`${new URL(publicBaseUrl).href.replace(/\/+$/, '')}/ca/${crlFileName(name)}`);
}

/** Leaves' authorityInfoAccess: certport's OCSP responder (`/ocsp`) and the issuing intermediate (`/ca/<file>`); null without a public base URL. */
export function leafAuthorityInfoAccess(publicBaseUrl: string | null | undefined, intermediateFile: string): Buffer | null {
  if (!publicBaseUrl) return null;
  const base = new URL(publicBaseUrl).href.replace(/\/+$/, '');
  return authorityInfoAccessExtension(`${base}/ca/${intermediateFile}`, `${base}/ocsp`);
}

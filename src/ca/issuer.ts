// The one interface every certificate authority backend implements (the embedded CA in
// ./embedded.ts; an upstream ACME CA later), in the manner of step-ca's CAS interface.
// Key material never passes through here: a request carries a CSR or a public key, and
// the caller keeps (and encrypts) the private key it generated.

export interface IssueRequest {
  /** PKCS#10 CSR (PEM). Its signature is checked; its names are ignored in favour of `domains`. */
  csrPem?: string;
  /** SubjectPublicKeyInfo (PEM) when the service generated the key itself. One of csrPem/publicKeyPem. */
  publicKeyPem?: string;
  /** Already-normalised names (see validation/names.ts); the first becomes the subject CN. */
  domains: string[];
  validityDays: number;
  /** Organization-validated (OV) or extended-validation (EV) certificates: the vetted subject. DV when absent. */
  profile?: IssueProfile;
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

export interface Issuer {
  readonly name: string;
  issue(req: IssueRequest): Promise<IssuedCertificate>;
  /** RFC 5280 CRLReason code (0 unspecified, 1 keyCompromise, 4 superseded, 5 cessationOfOperation). */
  revoke?(serialHex: string, reason?: number): Promise<void>;
}

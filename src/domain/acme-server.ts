// certport's own ACME server (RFC 8555): its accounts, External Account Bindings, orders and
// authorizations as stored, and the store port the service uses (store/acme-server.ts).

/** A JSON Web Key as the client sent it (public members only). */
export type Jwk = Record<string, string>;

export type AcmeAccountStatus = 'valid' | 'deactivated' | 'revoked';
export type AcmeOrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
export type AcmeAuthzStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
export type AcmeChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';
export type AcmeChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01';

/** An RFC 7807 problem as stored on an order or challenge: `type` without the urn prefix. */
export interface AcmeError { type: string; detail: string }

export interface AcmeServerAccount {
  /** The id in the account URL (…/acme/acct/<id>). */
  id: string;
  /** RFC 7638 thumbprint of the account key: one account per key. */
  thumbprint: string;
  jwk: Jwk;
  /** The certport account it is bound to (by EAB, or the configured default). */
  accountUin: string;
  status: AcmeAccountStatus;
  contact: string[];
  eabKid: string | null;
  createdAt: number;
}

export interface EabRecord {
  kid: string;
  accountUin: string;
  hmacSealed: string;
  createdAt: number;
  /** Set once, when an ACME account is bound with it. */
  usedAt: number | null;
  acmeAccountId: string | null;
}

/** A DNS name, or an IP address (RFC 8738) in canonical text: IPv4 dotted decimal, IPv6 per RFC 5952. */
export interface AcmeIdentifier { type: 'dns' | 'ip'; value: string }

export interface AcmeChallenge {
  type: AcmeChallengeType;
  token: string;
  status: AcmeChallengeStatus;
  validated: number | null;
  error: AcmeError | null;
}

export interface AcmeAuthz {
  id: string;
  acmeAccountId: string;
  /** The name without `*.`; `wildcard` says whether the order asked for `*.value`. */
  identifier: AcmeIdentifier;
  wildcard: boolean;
  status: AcmeAuthzStatus;
  expiresAt: number;
  challenges: AcmeChallenge[];
  createdAt: number;
  updatedAt: number;
}

export interface AcmeOrder {
  id: string;
  acmeAccountId: string;
  accountUin: string;
  status: AcmeOrderStatus;
  identifiers: AcmeIdentifier[];
  authzIds: string[];
  expiresAt: number;
  error: AcmeError | null;
  /** The certport certificate issued for it (its CertificateId), once valid. */
  certificateId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What an account's ACME clients may ask for (`certport acme policy set`). */
export interface AcmePolicy {
  accountUin: string;
  /** Allowed registered suffixes (a name must be one or end in `.suffix`); empty: any name. */
  suffixes: string[];
  wildcard: boolean;
  /** Validity of issued certificates, at most the server's CERTPORT_ACME_SERVER_VALIDITY_DAYS. */
  maxDays: number;
  /**
   * IP addresses (with CERTPORT_ACME_SERVER_IP_IDENTIFIERS=1) in these CIDR prefixes, canonical
   * (`192.0.2.0/24`, `2001:db8::/32`); empty: none. null (not set): any address when `suffixes`
   * is empty (an account without limits), none when the account is held to domain suffixes.
   */
  ipRanges: string[] | null;
}

export interface AcmeServerStore {
  getPolicy(accountUin: string): Promise<AcmePolicy | null>;
  putPolicy(p: AcmePolicy, now: number): Promise<void>;
  /** Stores a fresh nonce valid until `expiresAt`. */
  putNonce(nonce: string, expiresAt: number): Promise<void>;
  /** Uses a nonce up: true once for a nonce stored and unexpired, false ever after (any node). */
  takeNonce(nonce: string, now: number): Promise<boolean>;
  /** Removes expired nonces. */
  sweepNonces(now: number): Promise<void>;

  putEab(e: EabRecord): Promise<void>;
  getEab(kid: string): Promise<EabRecord | null>;
  /** The ACME account and the binding's use, together: false when the binding was used already. */
  createAccountWithEab(a: AcmeServerAccount, eabKid: string | null, now: number): Promise<boolean>;
  getAccount(id: string): Promise<AcmeServerAccount | null>;
  findAccountByThumbprint(thumbprint: string): Promise<AcmeServerAccount | null>;
  updateAccount(id: string, patch: Partial<Pick<AcmeServerAccount, 'status' | 'contact' | 'jwk' | 'thumbprint'>>): Promise<void>;

  insertOrder(o: AcmeOrder, authzs: AcmeAuthz[]): Promise<void>;
  getOrder(id: string): Promise<AcmeOrder | null>;
  /** Conditional: only while the order is in one of `from`. */
  updateOrder(id: string, from: AcmeOrderStatus[], patch: Partial<Pick<AcmeOrder, 'status' | 'error' | 'certificateId'>>, now: number): Promise<boolean>;
  /** A pending or ready order of the account for exactly these identifiers (sorted), unexpired. */
  findReusableOrder(acmeAccountId: string, identifiersKey: string, now: number): Promise<AcmeOrder | null>;
  findOrderByCertificate(certificateId: string): Promise<AcmeOrder | null>;
  /** The account's order ids, newest first. */
  listOrderIds(acmeAccountId: string, limit: number): Promise<string[]>;

  getAuthz(id: string): Promise<AcmeAuthz | null>;
  getAuthzs(ids: string[]): Promise<AcmeAuthz[]>;
  /** A valid authorization of the account for the identifier, good until at least `until`. */
  findValidAuthz(acmeAccountId: string, identifier: AcmeIdentifier, wildcard: boolean, until: number): Promise<AcmeAuthz | null>;
  /** Conditional on the authorization's status and its challenges as read (compare-and-set on updated_at). */
  updateAuthz(a: AcmeAuthz, expectedUpdatedAt: number): Promise<boolean>;

  /** Notes an issued certificate under each of its registered domains (the per-domain limit). */
  recordIssuance(certificateId: string, registeredDomains: string[], namesKey: string, issuedAt: number): Promise<void>;
  /** Issue times of certificates under `registeredDomain` since `since`, newest first, at most `limit`. */
  issuancesOfDomain(registeredDomain: string, since: number, limit: number): Promise<number[]>;
  /** Whether a certificate for exactly this set of identifiers was issued before (a renewal). */
  issuedBefore(namesKey: string): Promise<boolean>;
}

/**
 * An answer for an ACME client (RFC 8555 6.7): `type` is the name after
 * `urn:ietf:params:acme:error:`, `status` the HTTP status it goes with.
 */
export class AcmeProblem extends Error {
  constructor(
    readonly type: string,
    detail: string,
    readonly status = 400,
    readonly extra: { subproblems?: { type: string; detail: string; identifier?: AcmeIdentifier }[]; algorithms?: string[]; retryAfterS?: number } = {},
  ) {
    super(detail);
    this.name = 'AcmeProblem';
  }
}

// What certport's own CAs (./embedded/ and ./sm2/) share. Names are validated by certport
// itself: the owner publishes a value certport made (a TXT record under `_dnsauth.`, or a file
// under /.well-known/pki-validation/), certport's validator looks for it, and a ready order is
// signed at once. The policy every leaf follows is here too: its validity, within the CA's own.
import { randomBytes } from 'node:crypto';
import { Fault } from '../domain/errors.js';
import type { DvAuth } from '../domain/dv-order.js';
import { addYears, buildCaCertificate, wholeSeconds, type Signer } from '../pki/certificate-builder.js';
import { keyIdentifier } from '../pki/keys.js';
import { encodeName } from '../pki/names.js';
import { OID } from '../pki/oids.js';
import { firstPemDer } from '../pki/pem.js';
import { readCertificate } from '../pki/x509.js';
import {
  CaRefused, type SigningCa,
  checkAll, type CheckAuth, type IssuedCertificate, type Issuer, type IssueRequest, type KeyAlgorithm, type Order, type OrderProgress, type OrderRequest,
} from './issuer.js';

export const FILE_AUTH_PATH = '/.well-known/pki-validation/';
export const FILE_AUTH_NAME = 'fileauth.txt';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** CA/B Forum BR 6.3.2: no subscriber certificate may be valid for more than 398 days. */
export const MAX_VALIDITY_DAYS = 398;

export interface LocalIssuerOptions {
  /** e.g. https://certs.example.net — leaves then carry AIA caIssuers pointing at /ca/<file>. */
  publicBaseUrl?: string | null;
  /** Milliseconds since the epoch; injected for tests. */
  clock?: () => number;
  /** Randomness for serials; injected for tests. */
  random?: (bytes: number) => Buffer;
}

/** A TXT/file value like a public CA's: a timestamp and 40 random base-36 characters. */
function token(now: number): string {
  const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 14);
  let r = '';
  for (const b of randomBytes(48)) if (r.length < 40 && b < 252) r += (b % 36).toString(36);
  return stamp + r;
}

/** A certport CA: validates with certport's validator, signs at once. Subclasses sign. */
export abstract class LocalIssuer implements Issuer {
  abstract readonly name: string;
  readonly source = 'embedded';
  readonly label = 'the embedded CA';
  abstract readonly keyAlgorithms: readonly KeyAlgorithm[];
  readonly signsPublicKeys = true;
  abstract readonly rootPem: string;
  /** It signs at once: certport asks CAA before finalize. */
  readonly checksCaa = false;
  protected readonly clock: () => number;

  constructor(opts: LocalIssuerOptions) {
    this.clock = opts.clock ?? Date.now;
  }

  abstract issue(req: IssueRequest): Promise<IssuedCertificate>;
  abstract signingCas(): SigningCa[];

  /** Nothing to tell anyone: certport's CRL and OCSP responder publish it. Refused for a leaf another CA signed. */
  async revoke(certPem: string, _reason: number): Promise<void> {
    const block = firstPemDer(certPem, ['CERTIFICATE']);
    if (!block) throw new CaRefused('malformed', 'There is no certificate to revoke.');
    const leaf = readCertificate(block.der);
    if (!this.signingCas().some((ca) => ca.subjectName.equals(leaf.issuerName))) {
      throw new CaRefused('unauthorized', `The certificate was not issued by ${this.label}'s intermediates.`);
    }
  }

  async place(req: OrderRequest): Promise<Order> {
    // The values certport made earlier (an upstream CA's carry its authorization URL) are still good.
    const previous = req.previous ?? [];
    if (previous.length && !previous.some((a) => a.authzUrl)) return { ref: null, auths: previous.map((a) => ({ ...a })) };
    const now = this.clock();
    return {
      ref: null,
      auths: req.domains.map((domain): DvAuth => {
        const base = domain.replace(/^\*\./, '');
        return req.method === 'FILE'
          ? { domain, verifyType: 'FILE', key: FILE_AUTH_NAME, value: token(now), zone: base, subDomain: null, path: FILE_AUTH_PATH }
          : { domain, verifyType: 'TXT', key: `_dnsauth.${base}`, value: token(now), zone: base, subDomain: null, path: null };
      }),
    };
  }

  async poll(order: Order, check: CheckAuth): Promise<OrderProgress> {
    const { ok, detail } = await checkAll(order.auths, check);
    return ok ? { state: 'ready', detail } : { state: 'pending', detail, soon: false };
  }

  async finalize(_order: Order, req: IssueRequest): Promise<OrderProgress> {
    const c = await this.issue(req);
    return { state: 'issued', chainPem: [c.certPem, ...c.chainPems].map((p) => p.trim() + '\n').join('') };
  }
}

export function checkValidityDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALIDITY_DAYS) {
    throw new Fault('invalidValue', `validityDays must be a whole number from 1 to ${MAX_VALIDITY_DAYS}.`);
  }
}

/**
 * A leaf's validity: from a minute ago (clocks differ), for whole days. Refused when the
 * issuing intermediate (`what`) ends first.
 */
export function leafValidity(now: number, days: number, caNotAfter: Date, what: string): { notBefore: Date; notAfter: Date } {
  const notBefore = wholeSeconds(now - MINUTE_MS);
  // BR 1.6.1: the validity period includes both ends, so stop one second short of N days.
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS - 1000);
  if (notAfter > caNotAfter) {
    throw new Fault('caExhausted', `The ${what} intermediate expires ${caNotAfter.toISOString()}, before the certificate would; rotate the CA.`);
  }
  return { notBefore, notAfter };
}

/**
 * A fresh hierarchy's certificates (DER): a root valid 10 years and issuing intermediates
 * valid 5 (path length 0), named `<org> <label> Issuing CA` under `<org> <rootLabel>`.
 */
export function buildHierarchy(opts: {
  org: string;
  now: Date;
  rootLabel: string;
  root: { spki: Buffer; signer: Signer };
  intermediates: { label: string; spki: Buffer }[];
}): { rootDer: Buffer; intermediateDers: Buffer[] } {
  const { org } = opts;
  const notBefore = wholeSeconds(opts.now.getTime() - MINUTE_MS);
  const rootName = encodeName([[OID.organizationName, org], [OID.commonName, `${org} ${opts.rootLabel}`]]);
  const rootDer = buildCaCertificate({
    issuerName: rootName, subjectName: rootName, notBefore, notAfter: addYears(notBefore, 10), spki: opts.root.spki, signer: opts.root.signer,
  });
  const issuerSki = keyIdentifier(opts.root.spki);
  const intermediateDers = opts.intermediates.map((i) => buildCaCertificate({
    issuerName: rootName,
    subjectName: encodeName([[OID.organizationName, org], [OID.commonName, `${org} ${i.label} Issuing CA`]]),
    notBefore,
    notAfter: addYears(notBefore, 5),
    spki: i.spki,
    signer: opts.root.signer,
    issuerSki,
  }));
  return { rootDer, intermediateDers };
}

/** A CA's public certificate as a file under `${publicBaseUrl}/ca/`: DER, as RFC 5280 4.2.2.1 wants for AIA. */
export const derFile = (name: string, der: Buffer) => ({ name, contentType: 'application/pkix-cert', body: der });

// Revocation on the wire (RFC 5280): a key's fingerprint (what blocked keys and keyCompromise
// match on), the CRL (v2, with its number and the authority key identifier), and the leaf
// extensions that point relying parties at the CRL and the OCSP responder. Hand-encoded DER
// signed through the same Signer as certificates (./certificate-builder.ts), so RSA, ECDSA and
// SM2-with-SM3 intermediates all sign CRLs one way.
import { createHash } from 'node:crypto';
import { assembleCertificate, extension, type Signer } from './certificate-builder.js';
import * as der from './der.js';
import { firstPemDer } from './pem.js';
import { readCertificate } from './x509.js';
import { csrPublicKey, verifySm2Csr } from './csr-parse.js';

export const CRL_OIDS = {
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  cRLDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
} as const;

/** SHA-256 of a SubjectPublicKeyInfo (DER), hex: the key's name wherever certport matches keys. */
export const spkiSha256 = (spki: Buffer): string => createHash('sha256').update(spki).digest('hex');

/** The key hash of the first certificate in a PEM text, or null when there is none that reads. */
export function spkiSha256OfPem(pem: string | null | undefined): string | null {
  if (!pem) return null;
  try {
    const block = firstPemDer(pem, ['CERTIFICATE']);
    return block ? spkiSha256(readCertificate(block.der).spki) : null;
  } catch {
    return null;
  }
}

export interface CrlEntry {
  /** Lower-case hex magnitude, without a sign octet. */
  serialHex: string;
  revokedAt: Date;
  /** RFC 5280 5.3.1; 0 (unspecified) is left out of the entry, as 5.3.1 says it SHOULD be. */
  reason: number;
}

export interface CrlParams {
  /** The issuing CA's subject Name (DER), which becomes the CRL's issuer. */
  issuerName: Buffer;
  /** Its subject key identifier: the CRL's authority key identifier. */
  issuerKeyId: Buffer;
  signer: Signer;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number;
  entries: readonly CrlEntry[];
}

const V2 = der.uint(1);

/** A CertificateList (RFC 5280 5.1), DER. */
export function buildCrl(p: CrlParams): Buffer {
  const revoked = p.entries.map((e) => der.seq(
    der.uint(Buffer.from(e.serialHex, 'hex')),
    der.time(e.revokedAt),
    ...(e.reason ? [der.seq(extension(CRL_OIDS.reasonCode, false, der.tlv(0x0a, Buffer.from([e.reason]))))] : []),
  ));
  const exts = der.explicit(0, der.seq(
    extension(CRL_OIDS.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, p.issuerKeyId))),
    extension(CRL_OIDS.cRLNumber, false, der.uint(p.crlNumber)),
  ));
  return assembleCertificate([
    V2,
    p.signer.alg,
    p.issuerName,
    der.time(p.thisUpdate),
    der.time(p.nextUpdate),
    ...(revoked.length ? [der.seq(...revoked)] : []),
    exts,
  ], p.signer);
}

const uri = (s: string) => der.tlv(0x86, Buffer.from(new URL(s).href, 'latin1'));

/** cRLDistributionPoints with one fullName URI (RFC 5280 4.2.1.13). */
export const crlDistributionPointExtension = (url: string) =>
  extension(CRL_OIDS.cRLDistributionPoints, false, der.seq(der.seq(der.tlv(0xa0, der.tlv(0xa0, uri(url))))));

/** authorityInfoAccess: OCSP (when given) and caIssuers (RFC 5280 4.2.2.1). */
export const authorityInfoAccessExtension = (caIssuersUrl: string, ocspUrl: string | null) => extension(CRL_OIDS.authorityInfoAccess, false, der.seq(
  ...(ocspUrl ? [der.seq(der.oid(CRL_OIDS.ocsp), uri(ocspUrl))] : []),
  der.seq(der.oid(CRL_OIDS.caIssuers), uri(caIssuersUrl)),
));

/** A CSR's SubjectPublicKeyInfo (RSA, ECDSA or SM2), its signature checked. */
export function csrSpki(csrPem: string): Buffer {
  try {
    return csrPublicKey(csrPem).spki;
  } catch (e) {
    try {
      return verifySm2Csr(csrPem).spki;
    } catch {
      throw e;
    }
  }
}

// CheckCertificateChain's check: the chain ordered leaf first, each link's signature verified
// by the next, every certificate within its validity, and the top issued by (or being) a trusted
// root. RSA and ECDSA links are verified by node:crypto, SM2-with-SM3 links by ./sm2.ts.
import { X509Certificate } from 'node:crypto';
import { parseCertificateChain, type ParsedCertificate } from './certificate.js';
import { verifySm2Certificate } from './sm2.js';

export interface ChainCheck {
  /** Every link verifies and every certificate is within its validity at `now`. */
  isValid: boolean;
  /** The chain ends at (or under) one of the trusted roots. */
  isTrustedCA: boolean;
  /** Each certificate's common name, leaf first. */
  chains: string[];
}

function signedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  try {
    if (child.isSm || parent.isSm) return verifySm2Certificate(child.pem, parent.pem);
    const c = new X509Certificate(child.der);
    const p = new X509Certificate(parent.der);
    return c.checkIssued(p) && c.verify(p.publicKey);
  } catch {
    return false;
  }
}

/** Throws a Fault('unparsable') for input that holds no PEM certificate; anything else is an answer. */
export function checkChain(pemText: string, trustedRootPems: readonly string[], now: number): ChainCheck {
  const { leaf, chain } = parseCertificateChain(pemText);
  const certs = [leaf, ...chain];
  let isValid = certs.every((c) => c.notBefore <= now && now <= c.notAfter);
  for (let i = 0; i + 1 < certs.length && isValid; i++) if (!signedBy(certs[i]!, certs[i + 1]!)) isValid = false;
  const roots = trustedRootPems.flatMap((p) => {
    try {
      return [parseCertificateChain(p).leaf];
    } catch {
      return [];
    }
  });
  const top = certs[certs.length - 1]!;
  const isTrustedCA = roots.some((r) => r.sha256 === top.sha256 || (r.subject === top.issuer && signedBy(top, r)));
  return { isValid: isValid && (top.selfSigned ? signedBy(top, top) : true), isTrustedCA, chains: certs.map((c) => c.subjectCn || c.subject) };
}

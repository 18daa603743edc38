// RFC 8659 section 4.2's issuer domain name, shared by the configuration (the identities
// certport's own CAs answer to, CERTPORT_CAA_IDENTITIES) and the CAA check (validation/caa.ts).

/** label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)); a parameter's tag has the same form. */
export const CAA_LABEL = '[A-Za-z0-9](?:-*[A-Za-z0-9])*';
const ISSUER_DOMAIN_NAME = new RegExp(`^${CAA_LABEL}(?:\\.${CAA_LABEL})*$`);

/** issuer-domain-name = label *("." label) */
export function isIssuerDomainName(name: string): boolean {
  return ISSUER_DOMAIN_NAME.test(name);
}

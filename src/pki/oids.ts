// The one table of object identifiers certport writes and reads, with the DER constants that
// go with them. X.509 names and extensions from RFC 5280, policies from the CA/Browser Forum,
// SM2 from GM/T 0006-2012, key stores from RFC 7292 and the JDK.

export const OID = {
  // Attribute types (X.520, PKCS #9, EV Guidelines 9.2).
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  businessCategory: '2.5.4.15',
  jurisdictionCountryName: '1.3.6.1.4.1.311.60.2.1.3',
  emailAddress: '1.2.840.113549.1.9.1',
  /** PKCS #9: the CSR attribute that carries requested extensions. */
  extensionRequest: '1.2.840.113549.1.9.14',

  // Extensions (RFC 5280 4.2).
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  /** CA/B Forum reserved policy identifiers (BR 7.1.6.1, EV Guidelines 9.3.2). */
  domainValidated: '2.23.140.1.2.1',
  organizationValidated: '2.23.140.1.2.2',
  extendedValidation: '2.23.140.1.1',

  // Keys.
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  /** The SM2 curve, named in an id-ecPublicKey AlgorithmIdentifier (GM/T 0006). */
  sm2Curve: '1.2.156.10197.1.301',

  // Signatures.
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  sm2WithSm3: '1.2.156.10197.1.501',

  // Key stores: PKCS #12 bags and attributes (RFC 7292), and the JDK's JKS key protector.
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  /** Sun's proprietary key protection algorithm (sun.security.provider.KeyProtector). */
  jksKeyProtector: '1.3.6.1.4.1.42.2.17.1.1',
} as const;

export const SM2_CURVE_OID = OID.sm2Curve;
export const SM2_SIGNATURE_OID = OID.sm2WithSm3;

export interface SignatureAlgorithm {
  hash: string;
  /** The key type (KeyObject.asymmetricKeyType) whose signatures it labels. */
  keyType: 'rsa' | 'ec';
  /** As OpenSSL prints it. */
  name: string;
}

/**
 * RSA and ECDSA signature algorithms certport accepts on a CSR. SHA-1 and RSA-PSS are refused;
 * SM2-with-SM3 is read by its own path (./sm2.ts), which needs a signer ID.
 */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  [OID.sha256WithRSA]: { hash: 'sha256', keyType: 'rsa', name: 'sha256WithRSAEncryption' },
  [OID.sha384WithRSA]: { hash: 'sha384', keyType: 'rsa', name: 'sha384WithRSAEncryption' },
  [OID.sha512WithRSA]: { hash: 'sha512', keyType: 'rsa', name: 'sha512WithRSAEncryption' },
  [OID.ecdsaWithSHA256]: { hash: 'sha256', keyType: 'ec', name: 'ecdsa-with-SHA256' },
  [OID.ecdsaWithSHA384]: { hash: 'sha384', keyType: 'ec', name: 'ecdsa-with-SHA384' },
  [OID.ecdsaWithSHA512]: { hash: 'sha512', keyType: 'ec', name: 'ecdsa-with-SHA512' },
};

/** KeyUsage BIT STRINGs (RFC 5280 4.2.1.3), trailing zero bits removed as DER requires. */
export const KEY_USAGE = {
  digitalSignature: Buffer.from('03020780', 'hex'),
  digitalSignatureKeyEncipherment: Buffer.from('030205a0', 'hex'),
  certSignCrlSign: Buffer.from('03020106', 'hex'),
  /** digitalSignature + nonRepudiation: the signing certificate of a GM double-certificate pair. */
  sm2Sign: Buffer.from('030206c0', 'hex'),
  /** keyEncipherment + dataEncipherment + keyAgreement: the encryption certificate. */
  sm2Encrypt: Buffer.from('03020338', 'hex'),
} as const;

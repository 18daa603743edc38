// The embedded CA's material: an ECDSA P-384 root and two issuing intermediates (RSA-2048 for
// RSA leaf keys, ECDSA P-256 for EC leaf keys), in the shape the CA/Browser Forum Baseline
// Requirements give a public CA. Made once (./setup.ts keeps it sealed in the database).
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { signerFor, type Signer } from '../../pki/certificate-builder.js';
import { generateKeyPairAsync, spkiOf, type KeyKind } from '../../pki/keys.js';
import { pemDer, toPem } from '../../pki/pem.js';
import { buildHierarchy, derFile } from '../local.js';

export interface CaMaterial {
  rootCertPem: string;
  rootKeyPem: string;
  rsaIntermediateCertPem: string;
  rsaIntermediateKeyPem: string;
  ecIntermediateCertPem: string;
  ecIntermediateKeyPem: string;
}

/** The embedded CA with its keys held elsewhere (a PKCS#11 token): certificates, and signers for the intermediates. */
export interface CaSigners {
  rootCertPem: string;
  rsaIntermediateCertPem: string;
  ecIntermediateCertPem: string;
  rsaSigner: Signer;
  ecSigner: Signer;
}

/**
 * File names under `${publicBaseUrl}/ca/` that leaves point to with AIA caIssuers.
 * They hold a single DER certificate: RFC 5280 4.2.2.1 says a caIssuers HTTP URI MUST
 * point to DER (or a certs-only CMS bundle), not PEM. Serve as `application/pkix-cert`.
 */
export function intermediateFileName(kind: KeyKind): string {
  return kind === 'RSA' ? 'rsa-intermediate.der' : 'ecc-intermediate.der';
}

/** Everything to publish under `${publicBaseUrl}/ca/`: the two intermediates and the root. */
export function caPublicFiles(m: Pick<CaMaterial, 'rootCertPem' | 'rsaIntermediateCertPem' | 'ecIntermediateCertPem'>): { name: string; contentType: string; body: Buffer }[] {
  return [
    derFile(intermediateFileName('RSA'), pemDer(m.rsaIntermediateCertPem, 'CERTIFICATE')),
    derFile(intermediateFileName('ECC'), pemDer(m.ecIntermediateCertPem, 'CERTIFICATE')),
    derFile('root.der', pemDer(m.rootCertPem, 'CERTIFICATE')),
  ];
}

/**
 * A fresh root (ECDSA P-384, 10 years) and two issuing intermediates (RSA-2048 and ECDSA
 * P-256, 5 years, pathlen 0). Private keys are PKCS#8 PEM, unencrypted: seal them before storing.
 */
export async function createCaMaterial(opts: { name?: string; now?: Date } = {}): Promise<CaMaterial> {
  const [root, rsa, ec] = await Promise.all([
    generateKeyPairAsync('ECC', 'secp384r1'),
    generateKeyPairAsync('RSA', '2048'),
    generateKeyPairAsync('ECC', 'prime256v1'),
  ]);
  const spki = (pem: string) => spkiOf(createPublicKey(pem));
  const certs = caCertificates({
    name: opts.name, now: opts.now,
    root: { spki: spki(root.publicKeyPem), signer: signerFor(createPrivateKey(root.privateKeyPem))! },
    rsaSpki: spki(rsa.publicKeyPem), ecSpki: spki(ec.publicKeyPem),
  });
  return {
    rootCertPem: certs.rootCertPem,
    rootKeyPem: root.privateKeyPem,
    rsaIntermediateCertPem: certs.rsaIntermediateCertPem,
    rsaIntermediateKeyPem: rsa.privateKeyPem,
    ecIntermediateCertPem: certs.ecIntermediateCertPem,
    ecIntermediateKeyPem: ec.privateKeyPem,
  };
}

/** The hierarchy's certificates (PEM) for keys made anywhere: the root's signer signs all three. */
export function caCertificates(opts: { name?: string | undefined; now?: Date | undefined; root: { spki: Buffer; signer: Signer }; rsaSpki: Buffer; ecSpki: Buffer }) {
  const { rootDer, intermediateDers: [rsaDer, ecDer] } = buildHierarchy({
    org: opts.name ?? 'certport',
    now: opts.now ?? new Date(),
    rootLabel: 'Root CA',
    root: opts.root,
    intermediates: [{ label: 'RSA', spki: opts.rsaSpki }, { label: 'ECC', spki: opts.ecSpki }],
  });
  return {
    rootCertPem: toPem('CERTIFICATE', rootDer),
    rsaIntermediateCertPem: toPem('CERTIFICATE', rsaDer!),
    ecIntermediateCertPem: toPem('CERTIFICATE', ecDer!),
  };
}

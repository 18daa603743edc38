// The SM2 CA's material (GM/T): an SM2 root and an SM2 issuing intermediate, signed
// SM2-with-SM3 with the GM/T 0009 default signer ID. A hierarchy of its own, so RSA/ECDSA
// clients never see it. Made once (../embedded/setup.ts keeps it sealed in the database).
import { sm2Signer } from '../../pki/certificate-builder.js';
import { generateKeyPairAsync } from '../../pki/keys.js';
import { pemDer, toPem } from '../../pki/pem.js';
import { sm2PrivateKey } from '../../pki/sm2.js';
import { buildHierarchy, derFile } from '../local.js';

/** File names under `${publicBaseUrl}/ca/` (DER, application/pkix-cert), like ../embedded/material.ts's. */
export const SM2_INTERMEDIATE_FILE = 'sm2-intermediate.der';
export const SM2_ROOT_FILE = 'sm2-root.der';

export interface Sm2CaMaterial {
  rootCertPem: string;
  rootKeyPem: string;
  intermediateCertPem: string;
  intermediateKeyPem: string;
}

/** Everything to publish under `${publicBaseUrl}/ca/` for the SM2 chain (DER, application/pkix-cert). */
export function sm2CaPublicFiles(m: Sm2CaMaterial): { name: string; contentType: string; body: Buffer }[] {
  return [derFile(SM2_INTERMEDIATE_FILE, pemDer(m.intermediateCertPem, 'CERTIFICATE')), derFile(SM2_ROOT_FILE, pemDer(m.rootCertPem, 'CERTIFICATE'))];
}

/**
 * A fresh SM2 root (10 years) and SM2 issuing intermediate (5 years, pathlen 0), both signed
 * SM2-with-SM3 with the GM/T 0009 default ID. Private keys are PKCS#8 PEM, unencrypted: seal
 * them before storing.
 */
export async function createSm2CaMaterial(opts: { name?: string; now?: Date } = {}): Promise<Sm2CaMaterial> {
  const [rootKeys, interKeys] = await Promise.all([generateKeyPairAsync('SM2'), generateKeyPairAsync('SM2')]);
  const root = sm2PrivateKey(rootKeys.privateKeyPem);
  const { rootDer, intermediateDers: [interDer] } = buildHierarchy({
    org: opts.name ?? 'certport',
    now: opts.now ?? new Date(),
    rootLabel: 'SM2 Root CA',
    root: { spki: root.spki, signer: sm2Signer(root) },
    intermediates: [{ label: 'SM2', spki: sm2PrivateKey(interKeys.privateKeyPem).spki }],
  });
  return {
    rootCertPem: toPem('CERTIFICATE', rootDer),
    rootKeyPem: rootKeys.privateKeyPem,
    intermediateCertPem: toPem('CERTIFICATE', interDer),
    intermediateKeyPem: interKeys.privateKeyPem,
  };
}

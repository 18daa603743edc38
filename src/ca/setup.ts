// certport's own CA, made once on first start and kept in the database: the certificates in
// the clear, the whole material (keys included) sealed with the master key. Several nodes
// starting together on one PostgreSQL agree on one CA: the first insert wins, and every
// node uses what is stored.
import type { Sealer } from '../secrets/sealer.js';
import type { CaStore } from '../domain/stores.js';
import { caPublicFiles, createCaMaterial, EmbeddedIssuer, intermediateFileName, type CaMaterial } from './embedded.js';
import { createSm2CaMaterial, sm2CaPublicFiles, Sm2Issuer, type Sm2CaMaterial } from './sm2.js';

const NAME = 'embedded';
const AAD = 'ca:' + NAME;
const SM2_NAME = 'embedded-sm2';

export interface EmbeddedCa {
  issuer: EmbeddedIssuer;
  rootPem: string;
  /** SM2 (GM/T) certificates: an SM2 root and issuing intermediate, SM2-with-SM3. */
  sm2Issuer: Sm2Issuer;
  sm2RootPem: string;
  /** Files served under /ca/: the DER names AIA points to, and PEM twins for people. */
  files: Map<string, { contentType: string; body: Buffer }>;
}

export async function loadEmbeddedCa(store: CaStore, sealer: Sealer, opts: { publicBaseUrl: string; clock: () => number }): Promise<EmbeddedCa> {
  let stored = await store.getCaMaterial(NAME);
  if (!stored) {
    const m = await createCaMaterial({ now: new Date(opts.clock()) });
    const put = await store.putCaMaterialOnce(NAME, m.rootCertPem, sealer.seal(JSON.stringify(m), AAD), opts.clock());
    stored = { ...put, createdAt: opts.clock() };
  }
  const material = JSON.parse(sealer.openString(stored.materialSealed, AAD)) as CaMaterial;
  const issuer = new EmbeddedIssuer(material, { publicBaseUrl: opts.publicBaseUrl, clock: opts.clock });
  // The SM2 hierarchy is separate (an SM2 root): RSA/ECDSA clients never see it.
  let sm2Stored = await store.getCaMaterial(SM2_NAME);
  if (!sm2Stored) {
    const m = await createSm2CaMaterial({ now: new Date(opts.clock()) });
    const put = await store.putCaMaterialOnce(SM2_NAME, m.rootCertPem, sealer.seal(JSON.stringify(m), 'ca:' + SM2_NAME), opts.clock());
    sm2Stored = { ...put, createdAt: opts.clock() };
  }
  const sm2Material = JSON.parse(sealer.openString(sm2Stored.materialSealed, 'ca:' + SM2_NAME)) as Sm2CaMaterial;
  const sm2Issuer = new Sm2Issuer(sm2Material, { publicBaseUrl: opts.publicBaseUrl, clock: opts.clock });
  const files = new Map<string, { contentType: string; body: Buffer }>();
  for (const f of [...caPublicFiles(material), ...sm2CaPublicFiles(sm2Material)]) files.set(f.name, { contentType: f.contentType, body: f.body });
  const pem = (s: string) => ({ contentType: 'application/x-pem-file', body: Buffer.from(s.trim() + '\n') });
  files.set('root.pem', pem(material.rootCertPem));
  files.set(intermediateFileName('RSA').replace(/\.der$/, '.pem'), pem(material.rsaIntermediateCertPem));
  files.set(intermediateFileName('ECC').replace(/\.der$/, '.pem'), pem(material.ecIntermediateCertPem));
  files.set('sm2-root.pem', pem(sm2Material.rootCertPem));
  files.set('sm2-intermediate.pem', pem(sm2Material.intermediateCertPem));
  return { issuer, rootPem: material.rootCertPem, sm2Issuer, sm2RootPem: sm2Material.rootCertPem, files };
}

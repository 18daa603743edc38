// certport's own CA, made once on first start and kept in the database: the certificates in
// the clear, the whole material (keys included) sealed with the master key. Several nodes
// starting together on one PostgreSQL agree on one CA: the first insert wins, and every
// node uses what is stored.
import type { Sealer } from '../secrets/sealer.js';
import type { CaStore } from '../store/store.js';
import { caPublicFiles, createCaMaterial, EmbeddedIssuer, intermediateFileName, type CaMaterial } from './embedded.js';

const NAME = 'embedded';
const AAD = 'ca:' + NAME;

export interface EmbeddedCa {
  issuer: EmbeddedIssuer;
  rootPem: string;
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
  const files = new Map<string, { contentType: string; body: Buffer }>();
  for (const f of caPublicFiles(material)) files.set(f.name, { contentType: f.contentType, body: f.body });
  const pem = (s: string) => ({ contentType: 'application/x-pem-file', body: Buffer.from(s.trim() + '\n') });
  files.set('root.pem', pem(material.rootCertPem));
  files.set(intermediateFileName('RSA').replace(/\.der$/, '.pem'), pem(material.rsaIntermediateCertPem));
  files.set(intermediateFileName('ECC').replace(/\.der$/, '.pem'), pem(material.ecIntermediateCertPem));
  return { issuer, rootPem: material.rootCertPem, files };
}

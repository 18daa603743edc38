// certport's own CAs, made once on first start and kept in the database (the CaStore port):
// the certificates in the clear, the whole material (keys included) sealed with the master key.
// Several nodes starting together on one PostgreSQL agree on one CA: the first insert wins,
// and every node uses what is stored.
import type { Sealer, SealedProbe } from '../../secrets/sealer.js';
import type { CaStore } from '../../domain/stores.js';
import { createSm2CaMaterial, sm2CaPublicFiles, type Sm2CaMaterial } from '../sm2/material.js';
import { Sm2Issuer } from '../sm2/issuer.js';
import { EmbeddedIssuer } from './issuer.js';
import { caPublicFiles, createCaMaterial, intermediateFileName, type CaMaterial } from './material.js';
import { aad } from '../../secrets/aad.js';
import { CA_EMBEDDED } from './probe.js';

export { masterKeyProbe } from './probe.js';

export interface EmbeddedCa {
  issuer: EmbeddedIssuer;
  rootPem: string;
  /** SM2 (GM/T) certificates: an SM2 root and issuing intermediate, SM2-with-SM3. */
  sm2Issuer: Sm2Issuer;
  sm2RootPem: string;
  /** Files served under /ca/: the DER names AIA points to, and PEM twins for people. */
  files: Map<string, { contentType: string; body: Buffer }>;
}

const EMBEDDED = CA_EMBEDDED;

/** The material stored under `name`, made (and stored, unless another node got there first) when there is none. */
async function material<M extends { rootCertPem: string }>(store: CaStore, sealer: Sealer, name: string, clock: () => number, create: (now: Date) => Promise<M>): Promise<M> {
  const boundTo = aad.ca(name);
  let stored = await store.getCaMaterial(name);
  if (!stored) {
    const m = await create(new Date(clock()));
    const put = await store.putCaMaterialOnce(name, m.rootCertPem, sealer.seal(JSON.stringify(m), boundTo), clock());
    stored = { ...put, createdAt: clock() };
  }
  return JSON.parse(sealer.openString(stored.materialSealed, boundTo)) as M;
}

export async function loadEmbeddedCa(store: CaStore, sealer: Sealer, opts: { publicBaseUrl: string; clock: () => number }): Promise<EmbeddedCa> {
  const m = await material<CaMaterial>(store, sealer, EMBEDDED, opts.clock, (now) => createCaMaterial({ now }));
  const issuer = new EmbeddedIssuer(m, { publicBaseUrl: opts.publicBaseUrl, clock: opts.clock });
  // The SM2 hierarchy is separate (an SM2 root): RSA/ECDSA clients never see it.
  const sm2 = await material<Sm2CaMaterial>(store, sealer, 'embedded-sm2', opts.clock, (now) => createSm2CaMaterial({ now }));
  const sm2Issuer = new Sm2Issuer(sm2, { publicBaseUrl: opts.publicBaseUrl, clock: opts.clock });
  const files = new Map<string, { contentType: string; body: Buffer }>();
  for (const f of [...caPublicFiles(m), ...sm2CaPublicFiles(sm2)]) files.set(f.name, { contentType: f.contentType, body: f.body });
  const pem = (s: string) => ({ contentType: 'application/x-pem-file', body: Buffer.from(s.trim() + '\n') });
  files.set('root.pem', pem(m.rootCertPem));
  files.set(intermediateFileName('RSA').replace(/\.der$/, '.pem'), pem(m.rsaIntermediateCertPem));
  files.set(intermediateFileName('ECC').replace(/\.der$/, '.pem'), pem(m.ecIntermediateCertPem));
  files.set('sm2-root.pem', pem(sm2.rootCertPem));
  files.set('sm2-intermediate.pem', pem(sm2.intermediateCertPem));
  return { issuer, rootPem: m.rootCertPem, sm2Issuer, sm2RootPem: sm2.rootCertPem, files };
}

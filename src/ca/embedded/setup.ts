// certport's own CAs, made once on first start and kept in the database (the CaStore port):
// the certificates in the clear and the keys kept apart from customer data, by one of
// - 'ca-key': the whole material (keys included) sealed under the CA key (CERTPORT_CA_KEY or
//   <data dir>/ca.key), never under the master key that seals customer data;
// - 'pkcs11': the RSA/ECDSA CA's keys made inside a PKCS#11 token and used there; the row
//   holds the certificates and the token objects' ids only (the SM2 CA stays in software:
//   PKCS#11 tokens seldom implement SM2).
// A database from before 0019_ca_custody has its CAs sealed under the master key ('master'):
// they are re-sealed under the CA key here, at start, once.
// Several nodes starting together on one PostgreSQL agree on one CA: the first insert wins,
// and every node uses what is stored.
import type { Sealer, SealedProbe } from '../../secrets/sealer.js';
import { CaKeyError } from '../../secrets/sealer.js';
import type { CaStore, MasterKeyStore, StoredCa } from '../../domain/stores.js';
import { createSm2CaMaterial, sm2CaPublicFiles, type Sm2CaMaterial } from '../sm2/material.js';
import { Sm2Issuer } from '../sm2/issuer.js';
import { EmbeddedIssuer } from './issuer.js';
import { caCertificates, caPublicFiles, createCaMaterial, intermediateFileName, type CaMaterial, type CaSigners } from './material.js';
import { aad } from '../../secrets/aad.js';
import type { Pkcs11Token, TokenKeyRef } from '../pkcs11/token.js';

export interface EmbeddedCa {
  issuer: EmbeddedIssuer;
  rootPem: string;
  /** SM2 (GM/T) certificates: an SM2 root and issuing intermediate, SM2-with-SM3. */
  sm2Issuer: Sm2Issuer;
  sm2RootPem: string;
  /** Files served under /ca/: the DER names AIA points to, and PEM twins for people. */
  files: Map<string, { contentType: string; body: Buffer }>;
  /** How each CA's keys are kept. */
  custody: { embedded: StoredCa['custody']; sm2: StoredCa['custody'] };
}

const EMBEDDED = 'embedded';
const SM2 = 'embedded-sm2';

/** What a 'pkcs11' row holds: the certificates and the token's key objects, never a key. */
interface TokenCaMaterial {
  rootCertPem: string;
  rsaIntermediateCertPem: string;
  ecIntermediateCertPem: string;
  token: string;
  keys: { root: TokenKeyRef; rsa: TokenKeyRef; ec: TokenKeyRef };
}

/**
 * A value sealed under the master key, which tells whether the configured master key is the
 * database's: the key check row, or on a database from before 0019_ca_custody the CA's
 * material (sealed under the master key then). Null on a fresh database.
 */
export async function masterKeyProbe(stores: { ca: CaStore; masterKeys: MasterKeyStore }): Promise<SealedProbe | null> {
  const check = await stores.masterKeys.getKeyCheck('master');
  if (check) return { sealed: check, aad: aad.keyCheck('master') };
  const stored = await stores.ca.getCaMaterial(EMBEDDED);
  return stored?.custody === 'master' ? { sealed: stored.materialSealed, aad: aad.ca(EMBEDDED) } : null;
}

/** Records the key check under the (just unlocked) master key, unless the database has one. */
export async function recordMasterKeyCheck(store: MasterKeyStore, master: Sealer): Promise<void> {
  if (await store.getKeyCheck('master')) return;
  await store.putKeyCheckOnce('master', master.seal('certport', aad.keyCheck('master')));
}

/** A CA sealed under the CA key, which tells whether the configured CA key is the database's; null when none is. */
export async function caKeyProbe(store: CaStore): Promise<SealedProbe | null> {
  const [name] = await store.listCaNames('ca-key');
  const stored = name ? await store.getCaMaterial(name) : null;
  return stored ? { sealed: stored.materialSealed, aad: aad.caMaterial(name!) } : null;
}

export interface CaKeys {
  /** The master key: opens CAs stored before 0019_ca_custody, to re-seal them. */
  master: Sealer;
  /** The CA key: seals and opens the CAs' software keys. */
  ca: Sealer;
  /** The PKCS#11 token new RSA/ECDSA CAs are made in (null: software keys). */
  token: Pkcs11Token | null;
}

/** The software material stored under `name`, made (and stored, unless another node got there first) when there is none. */
async function material<M extends { rootCertPem: string }>(store: CaStore, keys: CaKeys, name: string, clock: () => number, create: (now: Date) => Promise<M>): Promise<M> {
  const boundTo = aad.caMaterial(name);
  let stored = await store.getCaMaterial(name);
  if (!stored) {
    const m = await create(new Date(clock()));
    stored = await store.putCaMaterialOnce(name, m.rootCertPem, keys.ca.seal(JSON.stringify(m), boundTo), 'ca-key', clock());
  }
  while (stored.custody === 'master') {
    // Sealed under the master key (before 0019_ca_custody): sealed again under the CA key, in
    // place, unless another node did it meanwhile (then what it stored is read).
    const plain = keys.master.open(stored.materialSealed, aad.ca(name));
    await store.replaceCaMaterial(name, stored.materialSealed, keys.ca.seal(plain, boundTo), 'ca-key');
    stored = (await store.getCaMaterial(name))!;
  }
  if (stored.custody === 'pkcs11') throw new CaKeyError(`the ${name} CA's keys are in a PKCS#11 token and this CA cannot use one`);
  let plain: string;
  try {
    plain = keys.ca.openString(stored.materialSealed, boundTo);
  } catch {
    // Checked at start against one CA; this one was sealed meanwhile by a node with another key.
    throw new CaKeyError(`the configured CA key does not open the ${name} CA's keys, which another node sealed under its CA key: set the same CERTPORT_CA_KEY on every node`);
  }
  return JSON.parse(plain) as M;
}

/** The RSA/ECDSA CA's signers from the token a 'pkcs11' row names. */
function tokenSigners(m: TokenCaMaterial, token: Pkcs11Token | null): CaSigners {
  if (!token) {
    throw new CaKeyError(`the embedded CA's keys are in the PKCS#11 token "${m.token}": set CERTPORT_CA_PKCS11_MODULE (with CERTPORT_CA_PKCS11_TOKEN_LABEL or _SLOT and CERTPORT_CA_PKCS11_PIN) to reach it`);
  }
  try {
    return { ...m, rsaSigner: token.signer(m.keys.rsa), ecSigner: token.signer(m.keys.ec) };
  } catch (e) {
    throw new CaKeyError(`the embedded CA's keys were made in the PKCS#11 token "${m.token}" and the configured token "${token.label}" does not hold them: ${(e as Error).message}`);
  }
}

/** A fresh RSA/ECDSA CA whose three keys are made inside the token; only their public halves come out. */
function createTokenCa(token: Pkcs11Token, now: Date): TokenCaMaterial {
  const stamp = now.toISOString().slice(0, 10);
  const root = token.generate('P-384', `certport root ${stamp}`);
  const rsa = token.generate('RSA-2048', `certport rsa intermediate ${stamp}`);
  const ec = token.generate('P-256', `certport ecc intermediate ${stamp}`);
  const certs = caCertificates({ now, root: { spki: root.spki, signer: token.signer(root.ref) }, rsaSpki: rsa.spki, ecSpki: ec.spki });
  return { ...certs, token: token.label, keys: { root: root.ref, rsa: rsa.ref, ec: ec.ref } };
}

/** The RSA/ECDSA CA: in the token when one is configured for a new CA or holds the stored one; sealed under the CA key otherwise. */
async function embeddedMaterial(store: CaStore, keys: CaKeys, clock: () => number): Promise<{ m: CaMaterial | CaSigners; custody: StoredCa['custody'] }> {
  let stored = await store.getCaMaterial(EMBEDDED);
  if (!stored && keys.token) {
    const made = createTokenCa(keys.token, new Date(clock()));
    stored = await store.putCaMaterialOnce(EMBEDDED, made.rootCertPem, JSON.stringify(made), 'pkcs11', clock());
    // Another node stored its CA first: the keys made here are of no use.
    if (stored.materialSealed !== JSON.stringify(made)) keys.token.destroy(Object.values(made.keys));
  }
  if (stored?.custody === 'pkcs11') return { m: tokenSigners(JSON.parse(stored.materialSealed) as TokenCaMaterial, keys.token), custody: 'pkcs11' };
  return { m: await material<CaMaterial>(store, keys, EMBEDDED, clock, (now) => createCaMaterial({ now })), custody: 'ca-key' };
}

export async function loadEmbeddedCa(store: CaStore, keys: CaKeys, opts: { publicBaseUrl: string; clock: () => number }): Promise<EmbeddedCa> {
  const { m, custody } = await embeddedMaterial(store, keys, opts.clock);
  const issuer = new EmbeddedIssuer(m, { publicBaseUrl: opts.publicBaseUrl, clock: opts.clock });
  // The SM2 hierarchy is separate (an SM2 root): RSA/ECDSA clients never see it.
  const sm2 = await material<Sm2CaMaterial>(store, keys, SM2, opts.clock, (now) => createSm2CaMaterial({ now }));
  const sm2Issuer = new Sm2Issuer(sm2, { publicBaseUrl: opts.publicBaseUrl, clock: opts.clock });
  const files = new Map<string, { contentType: string; body: Buffer }>();
  for (const f of [...caPublicFiles(m), ...sm2CaPublicFiles(sm2)]) files.set(f.name, { contentType: f.contentType, body: f.body });
  const pem = (s: string) => ({ contentType: 'application/x-pem-file', body: Buffer.from(s.trim() + '\n') });
  files.set('root.pem', pem(m.rootCertPem));
  files.set(intermediateFileName('RSA').replace(/\.der$/, '.pem'), pem(m.rsaIntermediateCertPem));
  files.set(intermediateFileName('ECC').replace(/\.der$/, '.pem'), pem(m.ecIntermediateCertPem));
  files.set('sm2-root.pem', pem(sm2.rootCertPem));
  files.set('sm2-intermediate.pem', pem(sm2.intermediateCertPem));
  return { issuer, rootPem: m.rootCertPem, sm2Issuer, sm2RootPem: sm2.rootCertPem, files, custody: { embedded: custody, sm2: 'ca-key' } };
}

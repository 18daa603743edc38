// The OCSP responder (RFC 6960) for certport's issuing CAs. Each node makes, per issuing
// intermediate, a delegated responder key and certificate at start (kept in memory only, valid a
// week, made again two days before it ends: a node's responder needs no storage and no
// coordination, and a responder key never rests on disk). Answers are signed on demand; an
// answer to a request without a nonce is kept and served again for CERTPORT_OCSP_CACHE_SECONDS
// (dropped at once on this node when the CA revokes something; other nodes see a revocation
// within that many seconds). A request with a nonce is always signed afresh, the nonce echoed.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { SigningCa } from '../ca/issuer.js';
import type { Clock } from '../domain/clock.js';
import type { CrlIssuer } from '../domain/revocation.js';
import type { RevocationStore } from '../domain/stores.js';
import { signerFor, sm2Signer } from '../pki/certificate-builder.js';
import { generateKeyPair, spkiOf } from '../pki/keys.js';
import {
  OCSP_ERROR, buildOcspResponse, buildResponderCertificate, issuerHashes, ocspError, parseOcspRequest, publicKeyBits,
  type OcspRequest, type OcspResponder, type OcspStatus,
} from '../pki/ocsp.js';
import { sm2PrivateKey, sm2PublicKeyFromPem } from '../pki/sm2.js';
import { createHash } from 'node:crypto';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RESPONDER_DAYS = 7;
const CACHE_LIMIT = 100_000;

export interface OcspSettings {
  /** How long an answer is good for (nextUpdate − thisUpdate). */
  validityHours: number;
  /** How long a signed answer without a nonce is served again from memory. */
  cacheSeconds: number;
}

interface Responder extends OcspResponder { notAfter: number }

export class OcspService {
  readonly #cas: SigningCa[];
  readonly #responders = new Map<CrlIssuer, Responder>();
  /** (CA, hash) → the CertID hashes that name the CA. */
  readonly #hashes = new Map<string, { nameHash: Buffer; keyHash: Buffer }>();
  readonly #cache = new Map<string, { der: Buffer; until: number }>();

  constructor(
    private readonly store: Pick<RevocationStore, 'revokedSerial' | 'serialIssued'>,
    cas: SigningCa[],
    private readonly clock: Clock,
    private readonly settings: OcspSettings,
  ) {
    this.#cas = cas;
  }

  /** The delegated responder of a CA, made (again) when it has fewer than two days left. */
  responder(ca: SigningCa): Responder {
    const now = this.clock();
    const have = this.#responders.get(ca.name);
    if (have && have.notAfter - now > 2 * DAY) return have;
    const sm2 = ca.name === 'sm2';
    const pair = sm2 ? generateKeyPair('SM2') : generateKeyPair('ECC', 'prime256v1');
    const spki = sm2 ? sm2PublicKeyFromPem(pair.publicKeyPem) : spkiOf(createPublicKey(pair.publicKeyPem));
    const signer = sm2 ? sm2Signer(sm2PrivateKey(pair.privateKeyPem)) : signerFor(createPrivateKey(pair.privateKeyPem))!;
    const notBefore = new Date(Math.floor((now - 60_000) / 1000) * 1000);
    const notAfter = new Date(Math.min(notBefore.getTime() + RESPONDER_DAYS * DAY, ca.notAfter.getTime()));
    const certDer = buildResponderCertificate({
      issuerName: ca.subjectName, issuerKeyId: ca.keyId, signer: ca.signer, spki, commonName: `certport ${ca.name.toUpperCase()} OCSP Responder`, notBefore, notAfter,
    });
    const r: Responder = { certDer, keyHash: createHash('sha1').update(publicKeyBits(spki)).digest(), signer, notAfter: notAfter.getTime() };
    this.#responders.set(ca.name, r);
    return r;
  }

  /** Makes every CA's responder now (at start), so the first request does not pay for it. */
  warm(): void {
    for (const ca of this.#cas) this.responder(ca);
  }

  /** The CA a CertID names, by its issuer name and key hashes. */
  private caOf(hash: string | null, nameHash: Buffer, keyHash: Buffer): SigningCa | null {
    if (!hash) return null;
    for (const ca of this.#cas) {
      const k = `${ca.name}:${hash}`;
      let h = this.#hashes.get(k);
      if (!h) this.#hashes.set(k, h = issuerHashes(hash, ca.subjectName, ca.spki));
      if (h.nameHash.equals(nameHash) && h.keyHash.equals(keyHash)) return ca;
    }
    return null;
  }

  /** An OCSPResponse (DER) for a request (DER): the RFC's error statuses for what cannot be answered. */
  async answer(body: Buffer): Promise<Buffer> {
    let req: OcspRequest;
    try {
      req = parseOcspRequest(body);
    } catch {
      return ocspError(OCSP_ERROR.malformedRequest);
    }
    const cas = req.certIds.map((c) => this.caOf(c.hash, c.issuerNameHash, c.issuerKeyHash));
    const ca = cas[0];
    // A delegated responder speaks for its own CA only (4.2.2.2).
    if (!ca || cas.some((x) => x !== ca)) return ocspError(OCSP_ERROR.unauthorized);
    const now = this.clock();
    const key = req.nonceExtension ? null : `${ca.name}:${req.certIds.map((c) => c.raw.toString('hex')).join(',')}`;
    if (key) {
      const hit = this.#cache.get(key);
      if (hit && hit.until > now) return hit.der;
    }
    const statuses = await Promise.all(req.certIds.map((c) => this.status(ca.name, c.serialHex)));
    const thisUpdate = new Date(Math.floor(now / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + this.settings.validityHours * HOUR);
    const der = buildOcspResponse(this.responder(ca),
      req.certIds.map((c, i) => ({ certId: c.raw, status: statuses[i]!, thisUpdate, nextUpdate })), thisUpdate, req.nonceExtension);
    if (key && this.settings.cacheSeconds > 0) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(key, { der, until: now + this.settings.cacheSeconds * 1000 });
    }
    return der;
  }

  private async status(ca: CrlIssuer, serialHex: string): Promise<OcspStatus> {
    const revoked = await this.store.revokedSerial(ca, serialHex);
    if (revoked) return { kind: 'revoked', revokedAt: new Date(revoked.revokedAt), reason: revoked.reason };
    return (await this.store.serialIssued(serialHex)) ? { kind: 'good' } : { kind: 'unknown' };
  }

  /** The CA revoked something: its answers kept here go. */
  invalidate(ca: CrlIssuer): void {
    for (const k of this.#cache.keys()) if (k.startsWith(`${ca}:`)) this.#cache.delete(k);
  }
}

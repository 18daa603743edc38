// The embedded CA's keys in a PKCS#11 token (an HSM, SoftHSM2): made there as non-extractable,
// sensitive objects and used there, through graphene-pk11 (PeculiarVentures' binding over
// their native pkcs11js). Only a key's public half and its object id leave the token; the
// issuer signs through the Signer it is given (pki/certificate-builder.ts), like a software key.
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import * as graphene from 'graphene-pk11';
import type { Pkcs11Config } from '../../config/config.js';
import { ecMax, signatureAlgorithm, type Signer } from '../../pki/certificate-builder.js';
import * as der from '../../pki/der.js';
import { spkiOf } from '../../pki/keys.js';

/** The kinds of CA key a token makes: the root (P-384) and the two issuing intermediates. */
export type TokenKeyKind = 'RSA-2048' | 'P-256' | 'P-384';

/** A key in the token: what the database keeps of it (its CKA_ID and CKA_LABEL). */
export interface TokenKeyRef { kind: TokenKeyKind; id: string; label: string }

const CURVES = { 'P-256': { name: 'secp256r1', size: 32, hash: 'sha256' }, 'P-384': { name: 'secp384r1', size: 48, hash: 'sha384' } } as const;

/** A loaded module is initialized once per process, however many tokens (services in tests) use it. */
const modules = new Map<string, { module: graphene.Module; users: number }>();

function slotId(slot: graphene.Slot): bigint {
  const h = slot.handle;
  return h.length >= 8 ? h.readBigUInt64LE(0) : BigInt(h.readUInt32LE(0));
}

/** An ECDSA signature as PKCS#11 returns it (r ‖ s) in the DER form X.509 carries. */
function ecdsaDer(raw: Buffer): Buffer {
  const half = raw.length / 2;
  return der.seq(der.uint(raw.subarray(0, half)), der.uint(raw.subarray(half)));
}

/** CKA_EC_POINT is a DER OCTET STRING holding the point (some modules give the bare point). */
function ecPoint(attr: Buffer, size: number): Buffer {
  if (attr.length === 2 * size + 1 && attr[0] === 4) return attr;
  return der.content(attr, der.readNode(attr));
}

export class Pkcs11Token {
  readonly #path: string;
  readonly #session: graphene.Session;
  /** The token's label, for messages. */
  readonly label: string;
  #closed = false;

  private constructor(path: string, session: graphene.Session, label: string) {
    this.#path = path;
    this.#session = session;
    this.label = label;
  }

  /** Opens a read-write session on the configured token and logs in as its user. */
  static open(cfg: Pkcs11Config): Pkcs11Token {
    let entry = modules.get(cfg.module);
    if (!entry) {
      let module: graphene.Module;
      try {
        module = graphene.Module.load(cfg.module);
        module.initialize();
      } catch (e) {
        throw new Error(`CERTPORT_CA_PKCS11_MODULE ${cfg.module} could not be loaded: ${(e as Error).message}`);
      }
      entry = { module, users: 0 };
      modules.set(cfg.module, entry);
    }
    entry.users++;
    try {
      const slots = entry.module.getSlots(true);
      let found: graphene.Slot | null = null;
      const seen: string[] = [];
      for (let i = 0; i < slots.length; i++) {
        const slot = slots.items(i);
        const label = slot.getToken().label.trim();
        seen.push(`${slotId(slot)} "${label}"`);
        if (cfg.tokenLabel !== null ? label === cfg.tokenLabel : slotId(slot) === BigInt(cfg.slot!)) found = slot;
      }
      const wanted = cfg.tokenLabel !== null ? `CERTPORT_CA_PKCS11_TOKEN_LABEL "${cfg.tokenLabel}"` : `CERTPORT_CA_PKCS11_SLOT ${cfg.slot}`;
      if (!found) throw new Error(`no token matches ${wanted} (slots with a token: ${seen.join(', ') || 'none'})`);
      const session = found.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION);
      try {
        session.login(cfg.pin, graphene.UserType.USER);
      } catch (e) {
        session.close();
        throw new Error(`logging in to the token ${wanted} failed (check CERTPORT_CA_PKCS11_PIN): ${(e as Error).message}`);
      }
      return new Pkcs11Token(cfg.module, session, found.getToken().label.trim());
    } catch (e) {
      Pkcs11Token.#release(cfg.module);
      throw e;
    }
  }

  static #release(path: string): void {
    const entry = modules.get(path);
    if (!entry || --entry.users > 0) return;
    modules.delete(path);
    try {
      entry.module.finalize();
    } catch {
      // Already finalized (a module shared with another user of the library): nothing to undo.
    }
  }

  /**
   * A new key pair in the token: the private half sensitive, non-extractable and able to sign
   * only; both halves token objects with one random CKA_ID. Returns its reference and SPKI.
   */
  generate(kind: TokenKeyKind, label: string): { ref: TokenKeyRef; spki: Buffer } {
    const id = randomBytes(16);
    const common = { token: true, id, label };
    const priv = { ...common, private: true, sign: true, sensitive: true, extractable: false, decrypt: false, unwrap: false, derive: false };
    let keys: graphene.IKeyPair;
    if (kind === 'RSA-2048') {
      keys = this.#session.generateKeyPair(graphene.KeyGenMechanism.RSA,
        { ...common, keyType: graphene.KeyType.RSA, modulusBits: 2048, publicExponent: Buffer.from([1, 0, 1]), verify: true, encrypt: false, wrap: false },
        { ...priv, keyType: graphene.KeyType.RSA });
    } else {
      keys = this.#session.generateKeyPair(graphene.KeyGenMechanism.EC,
        { ...common, keyType: graphene.KeyType.EC, paramsEC: graphene.NamedCurve.getByName(CURVES[kind].name).value, verify: true },
        { ...priv, keyType: graphene.KeyType.EC });
    }
    const ref: TokenKeyRef = { kind, id: id.toString('hex'), label };
    return { ref, spki: this.#spki(kind, keys.publicKey) };
  }

  #spki(kind: TokenKeyKind, pub: graphene.PublicKey): Buffer {
    const b64 = (b: Buffer) => b.toString('base64url');
    if (kind === 'RSA-2048') {
      const a = pub.getAttribute({ modulus: null, publicExponent: null });
      return spkiOf(createPublicKey({ key: { kty: 'RSA', n: b64(a.modulus!), e: b64(a.publicExponent!) }, format: 'jwk' }));
    }
    const { size } = CURVES[kind];
    const point = ecPoint(pub.getAttribute({ pointEC: null }).pointEC!, size);
    return spkiOf(createPublicKey({ key: { kty: 'EC', crv: kind, x: b64(point.subarray(1, 1 + size)), y: b64(point.subarray(1 + size)) }, format: 'jwk' }));
  }

  #find(ref: TokenKeyRef, cls: graphene.ObjectClass): graphene.SessionObject {
    const found = this.#session.find({ class: cls, id: Buffer.from(ref.id, 'hex') });
    if (found.length !== 1) {
      throw new Error(`the token "${this.label}" holds ${found.length} ${cls === graphene.ObjectClass.PRIVATE_KEY ? 'private' : 'public'} keys with the id ${ref.id} (${ref.label}); the CA needs exactly one`);
    }
    return found.items(0);
  }

  /** The public key of a stored reference (to check it against the CA's certificate). */
  spki(ref: TokenKeyRef): Buffer {
    return this.#spki(ref.kind, this.#find(ref, graphene.ObjectClass.PUBLIC_KEY).toType<graphene.PublicKey>());
  }

  /** A Signer that signs inside the token: SHA-256 RSA PKCS#1 v1.5, or ECDSA over a hash made here. */
  signer(ref: TokenKeyRef): Signer {
    const key = this.#find(ref, graphene.ObjectClass.PRIVATE_KEY).toType<graphene.PrivateKey>();
    const session = this.#session;
    if (ref.kind === 'RSA-2048') {
      return { alg: signatureAlgorithm('rsa-sha256'), maxSignature: 256, sign: (data) => session.createSign('SHA256_RSA_PKCS', key).once(data) };
    }
    const curve = CURVES[ref.kind];
    // Plain CKM_ECDSA over a digest made here: every token has it (SoftHSM2's ECDSA-with-hash mechanisms vary by build).
    return {
      alg: signatureAlgorithm(curve.hash === 'sha256' ? 'ecdsa-sha256' : 'ecdsa-sha384'),
      maxSignature: ecMax(curve.size),
      sign: (data) => ecdsaDer(session.createSign('ECDSA', key).once(createHash(curve.hash).update(data).digest())),
    };
  }

  /** Deletes the token objects of these references (keys made by a node that lost the race to store its CA). */
  destroy(refs: TokenKeyRef[]): void {
    for (const ref of refs) this.#session.destroy({ id: Buffer.from(ref.id, 'hex') });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#session.logout();
    } catch {
      // Another session of this process may have logged the token out already (the login is per application).
    }
    this.#session.close();
    Pkcs11Token.#release(this.#path);
  }
}

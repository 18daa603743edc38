// JWS as ACME uses it (RFC 8555 6.2, RFC 7515 flattened JSON): every request is signed by the
// account key (ES256, ES384, RS256, EdDSA) named by `jwk` (newAccount, revokeCert by the
// certificate's key) or `kid` (the account URL). node:crypto imports the JWK and verifies;
// nothing is re-serialized: the signature covers the base64url text as sent.
import { createHash, createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { AcmeProblem, type Jwk } from '../../domain/acme-server.js';

export const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'EdDSA'] as const;
type Alg = (typeof ALGORITHMS)[number];

export interface Jws {
  header: { alg: string; nonce?: unknown; url?: unknown; jwk?: unknown; kid?: unknown };
  protectedB64: string;
  payloadB64: string;
  signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const malformed = (detail: string) => new AcmeProblem('malformed', detail);

function b64json(text: string, what: string): unknown {
  if (!B64URL.test(text)) throw malformed(`${what} is not base64url.`);
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw malformed(`${what} is not base64url-encoded JSON.`);
  }
}

/** The request body as a flattened JWS, its protected header read (not yet verified). */
export function parseJws(body: Buffer): Jws {
  let outer: Record<string, unknown>;
  try {
    outer = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw malformed('The body is not JSON: send a flattened JWS (application/jose+json).');
  }
  if (!outer || typeof outer !== 'object' || Array.isArray(outer)) throw malformed('The body is not a JWS object.');
  if ('signatures' in outer) throw malformed('Only the flattened JWS serialization is accepted (one signature).');
  if ('header' in outer) throw malformed('Unprotected JWS headers are not allowed.');
  const { protected: p, payload, signature } = outer;
  if (typeof p !== 'string' || typeof payload !== 'string' || typeof signature !== 'string') {
    throw malformed('The JWS needs protected, payload and signature.');
  }
  if (!B64URL.test(payload) || !B64URL.test(signature)) throw malformed('The JWS payload and signature must be base64url.');
  const header = b64json(p, 'The protected header') as Jws['header'];
  if (!header || typeof header !== 'object' || typeof header.alg !== 'string') throw malformed('The protected header has no alg.');
  return { header, protectedB64: p, payloadB64: payload, signature: Buffer.from(signature, 'base64url') };
}

/** The payload as JSON, or '' for POST-as-GET (RFC 8555 6.3). */
export function payloadOf(jws: Jws): unknown {
  return jws.payloadB64 === '' ? '' : b64json(jws.payloadB64, 'The payload');
}

/** A JWK checked to be a public key of a kind ACME accounts may use, and the key. */
export function importJwk(raw: unknown): { jwk: Jwk; key: KeyObject } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw malformed('jwk must be a JSON Web Key object.');
  const j = raw as Record<string, unknown>;
  if ('d' in j || 'p' in j || 'k' in j) throw malformed('jwk must be a public key.');
  const members: Record<string, string[]> = { EC: ['crv', 'x', 'y'], RSA: ['n', 'e'], OKP: ['crv', 'x'] };
  const need = typeof j.kty === 'string' ? members[j.kty] : undefined;
  if (!need) throw new AcmeProblem('badPublicKey', `Key type ${JSON.stringify(j.kty)} is not supported (EC P-256/P-384, RSA, Ed25519).`);
  const jwk: Jwk = { kty: j.kty as string };
  for (const m of need) {
    if (typeof j[m] !== 'string') throw malformed(`jwk lacks ${m}.`);
    jwk[m] = j[m] as string;
  }
  if (j.kty === 'EC' && jwk.crv !== 'P-256' && jwk.crv !== 'P-384') throw new AcmeProblem('badPublicKey', `EC curve ${jwk.crv} is not supported (P-256, P-384).`);
  if (j.kty === 'OKP' && jwk.crv !== 'Ed25519') throw new AcmeProblem('badPublicKey', `OKP curve ${jwk.crv} is not supported (Ed25519).`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (e) {
    throw new AcmeProblem('badPublicKey', `The JWK cannot be read: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new AcmeProblem('badPublicKey', 'RSA account keys need at least 2048 bits.');
  }
  return { jwk, key };
}

/** RFC 7638 thumbprint: SHA-256 over the required members in lexical order, base64url. */
export function thumbprint(jwk: Jwk): string {
  const keys = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'], OKP: ['crv', 'kty', 'x'] }[jwk.kty as 'EC'] ?? [];
  const canonical = '{' + keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(jwk[k])}`).join(',') + '}';
  return createHash('sha256').update(canonical).digest('base64url');
}

/** badSignatureAlgorithm unless `alg` is one this server verifies and fits the key. */
function checkAlg(alg: string, key: KeyObject): Alg {
  if (!(ALGORITHMS as readonly string[]).includes(alg)) {
    throw new AcmeProblem('badSignatureAlgorithm', `The JWS algorithm ${JSON.stringify(alg)} is not supported.`, 400, { algorithms: [...ALGORITHMS] });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const fits = (alg === 'ES256' && key.asymmetricKeyType === 'ec' && curve === 'prime256v1')
    || (alg === 'ES384' && key.asymmetricKeyType === 'ec' && curve === 'secp384r1')
    || (alg === 'RS256' && key.asymmetricKeyType === 'rsa')
    || (alg === 'EdDSA' && key.asymmetricKeyType === 'ed25519');
  if (!fits) throw new AcmeProblem('badSignatureAlgorithm', `The JWS algorithm ${alg} does not fit the ${key.asymmetricKeyType} key.`, 400, { algorithms: [...ALGORITHMS] });
  return alg as Alg;
}

/** Throws malformed unless the JWS is signed by `key`. */
export function verifyJws(jws: Jws, key: KeyObject): void {
  const alg = checkAlg(jws.header.alg, key);
  const data = Buffer.from(`${jws.protectedB64}.${jws.payloadB64}`, 'ascii');
  let ok = false;
  try {
    if (alg === 'EdDSA') ok = verify(null, data, key, jws.signature);
    else if (alg === 'RS256') ok = verify('sha256', data, key, jws.signature);
    else {
      const size = alg === 'ES256' ? 64 : 96;
      ok = jws.signature.length === size && verify(alg === 'ES256' ? 'sha256' : 'sha384', data, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    }
  } catch {
    ok = false;
  }
  if (!ok) throw malformed('The JWS signature does not verify.');
}

/**
 * The External Account Binding (RFC 8555 7.3.4) of a newAccount request: an HMAC JWS by the
 * binding's key over the account's JWK, for the newAccount URL. Returns its kid and a check
 * of the MAC, run once the key is looked up.
 */
export function readEab(raw: unknown, accountThumbprint: string, url: string): { kid: string; verify: (hmacKey: Buffer) => boolean } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw malformed('externalAccountBinding must be a JWS object.');
  const jws = parseJws(Buffer.from(JSON.stringify(raw)));
  const h = jws.header;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[h.alg];
  if (!hash) throw new AcmeProblem('badSignatureAlgorithm', `The External Account Binding uses ${JSON.stringify(h.alg)}; use HS256, HS384 or HS512.`, 400, { algorithms: ['HS256', 'HS384', 'HS512'] });
  if (typeof h.kid !== 'string' || h.kid === '') throw malformed('The External Account Binding has no kid.');
  if ('nonce' in h) throw malformed('The External Account Binding must not carry a nonce.');
  if (h.url !== url) throw new AcmeProblem('unauthorized', 'The External Account Binding\'s url is not the newAccount URL.', 403);
  const inner = payloadOf(jws);
  if (thumbprint(importJwk(inner).jwk) !== accountThumbprint) throw new AcmeProblem('unauthorized', 'The External Account Binding is for another key.', 403);
  return {
    kid: h.kid,
    verify: (hmacKey) => {
      const mac = createHmac(hash, hmacKey).update(`${jws.protectedB64}.${jws.payloadB64}`).digest();
      return mac.length === jws.signature.length && timingSafeEqual(mac, jws.signature);
    },
  };
}

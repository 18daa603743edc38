// OCSP (RFC 6960) on the wire: requests read, responses written by hand and signed through the
// Signer (RSA, ECDSA, SM2), and the delegated responder certificate an issuing CA signs
// (id-kp-OCSPSigning, id-pkix-ocsp-nocheck, 4.2.2.2).
import { createHash, randomBytes } from 'node:crypto';
import { buildCertificate, extension, newSerial, type Signer } from './certificate-builder.js';
import * as der from './der.js';
import { keyIdentifier } from './keys.js';
import { encodeName } from './names.js';
import { KEY_USAGE, OID } from './oids.js';

export const OCSP_OIDS = {
  basic: '1.3.6.1.5.5.7.48.1.1',
  nonce: '1.3.6.1.5.5.7.48.1.2',
  noCheck: '1.3.6.1.5.5.7.48.1.5',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const HASHES: Record<string, string> = { [OCSP_OIDS.sha1]: 'sha1', [OCSP_OIDS.sha256]: 'sha256', [OCSP_OIDS.sha384]: 'sha384', [OCSP_OIDS.sha512]: 'sha512' };

/** OCSPResponseStatus (4.2.1) other than successful. */
export const OCSP_ERROR = { malformedRequest: 1, internalError: 2, tryLater: 3, unauthorized: 6 } as const;

export interface OcspCertId {
  /** The CertID as sent, DER: echoed in the answer byte for byte. */
  raw: Buffer;
  /** node:crypto's name of its hash ('sha1', 'sha256'), or null for one not known here. */
  hash: string | null;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  serialHex: string;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /** The nonce extension as sent (RFC 8954), echoed in the answer; null when none was asked. */
  nonceExtension: Buffer | null;
}

/** Reads an OCSPRequest (4.1.1); a signature on it is not required and not checked. Throws on anything malformed. */
export function parseOcspRequest(buf: Buffer): OcspRequest {
  const top = der.readNode(buf);
  if (top.tag !== der.Tag.SEQUENCE || top.end !== buf.length) throw new Error('not an OCSPRequest');
  const [tbsNode] = der.children(buf, top);
  if (!tbsNode || tbsNode.tag !== der.Tag.SEQUENCE) throw new Error('no TBSRequest');
  let nonceExtension: Buffer | null = null;
  let list: der.Node | null = null;
  for (const n of der.children(buf, tbsNode)) {
    if (n.tag === der.Tag.SEQUENCE) list = n;
    else if (n.tag === 0xa2) {
      for (const ext of der.children(buf, der.children(buf, n)[0]!)) {
        const id = der.decodeOid(der.content(buf, der.children(buf, ext)[0]!));
        if (id === OCSP_OIDS.nonce) nonceExtension = Buffer.from(der.raw(buf, ext));
      }
    }
  }
  if (!list) throw new Error('no requestList');
  const certIds = der.children(buf, list).map((req) => {
    const certId = der.children(buf, req)[0]!;
    const [alg, nameHash, keyHash, serial] = der.children(buf, certId);
    if (!alg || !nameHash || !keyHash || !serial || serial.tag !== der.Tag.INTEGER) throw new Error('a malformed CertID');
    const hashOid = der.decodeOid(der.content(buf, der.children(buf, alg)[0]!));
    let s = der.content(buf, serial);
    while (s.length > 1 && s[0] === 0) s = s.subarray(1);
    return {
      raw: Buffer.from(der.raw(buf, certId)), hash: HASHES[hashOid] ?? null,
      issuerNameHash: Buffer.from(der.content(buf, nameHash)), issuerKeyHash: Buffer.from(der.content(buf, keyHash)), serialHex: s.toString('hex'),
    };
  });
  if (certIds.length === 0) throw new Error('an empty requestList');
  return { certIds, nonceExtension };
}

/** The subjectPublicKey BIT STRING's value (without its unused-bits octet): what issuerKeyHash and KeyHash digest. */
export function publicKeyBits(spki: Buffer): Buffer {
  const top = der.readNode(spki);
  const bits = der.children(spki, top)[1]!;
  return Buffer.from(der.content(spki, bits).subarray(1));
}

/** The issuer's CertID hashes under `hash`. */
export function issuerHashes(hash: string, subjectName: Buffer, spki: Buffer): { nameHash: Buffer; keyHash: Buffer } {
  return { nameHash: createHash(hash).update(subjectName).digest(), keyHash: createHash(hash).update(publicKeyBits(spki)).digest() };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** GeneralizedTime, whole seconds, Zulu: OCSP's times are always GeneralizedTime (RFC 6960 4.2.2.1). */
export function generalizedTime(d: Date): Buffer {
  const s = pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1) + pad(d.getUTCDate()) + pad(d.getUTCHours()) + pad(d.getUTCMinutes()) + pad(d.getUTCSeconds()) + 'Z';
  return der.tlv(der.Tag.GENERALIZED_TIME, Buffer.from(s, 'latin1'));
}

export type OcspStatus = { kind: 'good' } | { kind: 'unknown' } | { kind: 'revoked'; revokedAt: Date; reason: number };

export interface OcspResponder {
  /** The delegated responder certificate (DER), sent with each answer. */
  certDer: Buffer;
  /** ResponderID byKey: SHA-1 of its public key bits. */
  keyHash: Buffer;
  signer: Signer;
}

export interface SingleAnswer { certId: Buffer; status: OcspStatus; thisUpdate: Date; nextUpdate: Date }

/** A successful OCSPResponse (4.2.1) holding a BasicOCSPResponse signed by the responder. */
export function buildOcspResponse(responder: OcspResponder, answers: SingleAnswer[], producedAt: Date, nonceExtension: Buffer | null): Buffer {
  const single = answers.map((a) => der.seq(
    a.certId,
    a.status.kind === 'good' ? Buffer.from([0x80, 0x00])
      : a.status.kind === 'unknown' ? Buffer.from([0x82, 0x00])
        : der.tlv(0xa1, generalizedTime(a.status.revokedAt), der.explicit(0, der.tlv(0x0a, Buffer.from([a.status.reason])))),
    generalizedTime(a.thisUpdate),
    der.explicit(0, generalizedTime(a.nextUpdate)),
  ));
  const tbs = der.seq(
    der.tlv(0xa2, der.octets(responder.keyHash)),
    generalizedTime(producedAt),
    der.seq(...single),
    ...(nonceExtension ? [der.explicit(1, der.seq(nonceExtension))] : []),
  );
  const basic = der.seq(tbs, responder.signer.alg, der.bitString(responder.signer.sign(tbs)), der.explicit(0, der.seq(responder.certDer)));
  return der.seq(der.tlv(0x0a, Buffer.from([0])), der.explicit(0, der.seq(der.oid(OCSP_OIDS.basic), der.octets(basic))));
}

/** An unsuccessful OCSPResponse: only its status. */
export const ocspError = (status: number) => der.seq(der.tlv(0x0a, Buffer.from([status])));

/**
 * A delegated OCSP responder certificate for the responder key `spki`, signed by the issuing CA
 * (4.2.2.2): digitalSignature, id-kp-OCSPSigning, id-pkix-ocsp-nocheck (relying parties do not
 * ask about the responder itself, so it lives briefly instead).
 */
export function buildResponderCertificate(p: {
  issuerName: Buffer; issuerKeyId: Buffer; signer: Signer; spki: Buffer; commonName: string; notBefore: Date; notAfter: Date;
}): Buffer {
  return buildCertificate({
    serial: newSerial(randomBytes).der,
    issuerName: p.issuerName,
    subjectName: encodeName([[OID.commonName, p.commonName]]),
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    spki: p.spki,
    signer: p.signer,
    extensions: [
      extension(OID.basicConstraints, true, der.seq()),
      extension(OID.keyUsage, true, KEY_USAGE.digitalSignature),
      extension(OID.extKeyUsage, false, der.seq(der.oid(OCSP_OIDS.ocspSigning))),
      extension(OCSP_OIDS.noCheck, false, der.nullValue()),
      extension(OID.subjectKeyIdentifier, false, der.octets(keyIdentifier(p.spki))),
      extension(OID.authorityKeyIdentifier, false, der.seq(der.tlv(0x80, p.issuerKeyId))),
    ],
  });
}

// A certificate's fields read straight from its DER: what a CA needs of its own issuing
// certificate (names, key, validity end, key identifier) and what verifying a signature needs.
// Uploaded certificates, which may be anything, are read by ./certificate.ts instead.
import * as der from './der.js';
import { OID } from './oids.js';

export interface CertificateFields {
  /** The TBSCertificate as signed. */
  tbs: Buffer;
  sigAlgOid: string;
  signature: Buffer;
  issuerName: Buffer;
  subjectName: Buffer;
  notAfter: Date;
  spki: Buffer;
  /** The subject key identifier extension's value, if there is one. */
  ski: Buffer | null;
}

export function readCertificate(cert: Buffer): CertificateFields {
  const top = der.readNode(cert);
  if (top.end !== cert.length) throw new Error('trailing data after the certificate');
  const [tbsNode, algNode, sigNode] = der.children(cert, top);
  const tbs = der.children(cert, tbsNode);
  const f = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs; // serial, sigAlg, issuer, validity, subject, spki, ...
  let ski: Buffer | null = null;
  const exts = f.find((n) => n.tag === 0xa3);
  if (exts) {
    for (const ext of der.children(cert, der.children(cert, exts)[0])) {
      const parts = der.children(cert, ext);
      if (der.decodeOid(der.content(cert, parts[0])) === OID.subjectKeyIdentifier) {
        const inner = der.content(cert, parts[parts.length - 1]);
        ski = Buffer.from(der.content(inner, der.readNode(inner)));
      }
    }
  }
  return {
    tbs: der.raw(cert, tbsNode),
    sigAlgOid: der.decodeOid(der.content(cert, der.children(cert, algNode)[0])),
    signature: der.content(cert, sigNode).subarray(1),
    issuerName: Buffer.from(der.raw(cert, f[2])),
    subjectName: Buffer.from(der.raw(cert, f[4])),
    notAfter: der.decodeTime(cert, der.children(cert, f[3])[1]),
    spki: Buffer.from(der.raw(cert, f[5])),
    ski,
  };
}

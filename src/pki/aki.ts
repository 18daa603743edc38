// The Authority Key Identifier's keyIdentifier of a certificate (RFC 5280 4.2.1.1), read from
// the DER: what ACME renewal information (RFC 9773) names a certificate's issuer by.

/** [tag, start of contents, end] of the DER element at `i`. */
function element(b: Buffer, i: number): [number, number, number] {
  const tag = b[i]!;
  let len = b[i + 1]!;
  let start = i + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + b[start + k]!;
    start += n;
  }
  if (start + len > b.length) throw new Error('truncated DER');
  return [tag, start, start + len];
}

/** The children of the constructed element whose contents span [start, end). */
function children(b: Buffer, start: number, end: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = start; i < end;) {
    const e = element(b, i);
    out.push(e);
    i = e[2];
  }
  return out;
}

const AKI_OID = Buffer.from('551d23', 'hex');

export function authorityKeyId(certDer: Buffer): Buffer | null {
  try {
    const [, cs, ce] = element(certDer, 0);
    const [, ts, te] = children(certDer, cs, ce)[0]!; // tbsCertificate
    const exts = children(certDer, ts, te).find((e) => e[0] === 0xa3);
    if (!exts) return null;
    const [, ls, le] = element(certDer, exts[1]);
    for (const [, es, ee] of children(certDer, ls, le)) {
      const parts = children(certDer, es, ee);
      const oid = parts[0]!;
      if (!certDer.subarray(oid[1], oid[2]).equals(AKI_OID)) continue;
      const value = parts[parts.length - 1]!; // OCTET STRING holding AuthorityKeyIdentifier
      const [, as, ae] = element(certDer, value[1]);
      const keyId = children(certDer, as, ae).find((e) => e[0] === 0x80);
      return keyId ? certDer.subarray(keyId[1], keyId[2]) : null;
    }
    return null;
  } catch {
    return null;
  }
}

// ACME tls-alpn-01 (RFC 8737): connect to the name's address on the HTTPS validation port with
// ALPN "acme-tls/1" and SNI = the name, and accept only a self-made certificate whose one SAN
// is the name and whose critical acmeIdentifier extension holds SHA-256(key authorization).
// Addresses are resolved and checked as for FILE validation (./http.ts). For an IP address
// identifier (RFC 8738 section 6) the connection goes to the address itself, the SNI is its
// reverse-DNS name (`4.3.2.1.in-addr.arpa`, or `….ip6.arpa`) and the one SAN must be that
// iPAddress.
import { createHash, X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import * as der from '../pki/der.js';
import { ipBytes, reverseName } from '../pki/ip.js';
import { lookupAddresses, type CheckResult } from './dns.js';
import { isPublicAddress } from './http.js';

/** id-pe-acmeIdentifier (RFC 8737 6.1). */
const ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';

/** base64url(SHA-256(key authorization)): the dns-01 TXT value (RFC 8555 8.4). */
export const keyAuthorizationDigest = (keyAuthorization: string) => createHash('sha256').update(keyAuthorization).digest('base64url');

export interface TlsAlpnCheck {
  /** The name; with `isAddress`, an IP address in canonical text. */
  domain: string;
  isAddress?: boolean;
  keyAuthorization: string;
  port: number;
  resolvers?: string[];
  allowPrivate?: boolean;
  timeoutMs?: number;
}

export async function checkTlsAlpn(o: TlsAlpnCheck): Promise<CheckResult> {
  let addresses: string[];
  const ip = o.isAddress ? ipBytes(o.domain) : null;
  if (o.isAddress) {
    if (!ip) return { ok: false, detail: `${JSON.stringify(o.domain)} is not an IP address` };
    addresses = [o.domain];
  } else {
    try {
      addresses = await lookupAddresses(o.domain, { resolvers: o.resolvers, timeoutMs: 5000 });
    } catch (e) {
      return { ok: false, detail: `DNS: ${(e as Error).message}` };
    }
  }
  const usable = o.allowPrivate ? addresses : addresses.filter(isPublicAddress);
  if (usable.length === 0) {
    return {
      ok: false,
      detail: ip ? `${o.domain} is a private or reserved address`
        : addresses.length ? `${o.domain} resolves only to private or reserved addresses (${addresses.join(', ')})` : `DNS: ${o.domain} has no A or AAAA record`,
    };
  }
  const want = createHash('sha256').update(o.keyAuthorization).digest();
  const servername = ip ? reverseName(o.domain) : o.domain;
  let last = '';
  for (const address of usable) {
    let cert: Buffer;
    try {
      cert = await handshake(address, servername, o);
    } catch (e) {
      last = `cannot connect to ${o.domain}${ip ? '' : ` (${address})`} port ${o.port} with ALPN acme-tls/1: ${(e as Error).message}`;
      continue;
    }
    return ip ? judgeAddress(cert, o.domain, ip, want) : judge(cert, o.domain, want);
  }
  return { ok: false, detail: last };
}

function handshake(address: string, servername: string, o: TlsAlpnCheck): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: o.port, servername, ALPNProtocols: ['acme-tls/1'], rejectUnauthorized: false });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`timed out after ${o.timeoutMs ?? 10_000} ms`)); }, o.timeoutMs ?? 10_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const proto = socket.alpnProtocol;
      const peer: PeerCertificate = socket.getPeerCertificate();
      socket.destroy();
      if (proto !== 'acme-tls/1') return reject(new Error(`the server did not agree to ALPN acme-tls/1 (${proto || 'none'})`));
      if (!peer?.raw) return reject(new Error('no certificate was presented'));
      resolve(peer.raw);
    });
    socket.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

function judge(raw: Buffer, domain: string, want: Buffer): CheckResult {
  let san: string | undefined;
  try {
    san = new X509Certificate(raw).subjectAltName;
  } catch (e) {
    return { ok: false, detail: `the certificate cannot be read: ${(e as Error).message}` };
  }
  if (san !== `DNS:${domain}`) return { ok: false, detail: `the certificate's subjectAltName is ${JSON.stringify(san ?? '')}, not exactly DNS:${domain}` };
  return judgeIdentifier(raw, domain, want);
}

/** RFC 8738 section 6: exactly one SAN, the iPAddress of the identifier. */
function judgeAddress(raw: Buffer, address: string, ip: Buffer, want: Buffer): CheckResult {
  const names = sanGeneralNames(raw);
  if (names === null) return { ok: false, detail: 'the certificate has no readable subjectAltName' };
  const only = names.length === 1 ? names[0]! : null;
  if (!only || only.tag !== 0x87 || !only.value.equals(ip)) {
    return { ok: false, detail: `the certificate's subjectAltName has ${names.length} name(s), not exactly the IP address ${address}` };
  }
  return judgeIdentifier(raw, address, want);
}

function judgeIdentifier(raw: Buffer, identifier: string, want: Buffer): CheckResult {
  const ext = acmeIdentifier(raw);
  if (!ext) return { ok: false, detail: 'the certificate has no acmeIdentifier extension' };
  if (!ext.critical) return { ok: false, detail: 'the acmeIdentifier extension is not critical' };
  if (!ext.value.equals(want)) return { ok: false, detail: 'the acmeIdentifier extension does not hold the key authorization\'s digest' };
  return { ok: true, detail: `${identifier}: tls-alpn-01 certificate matches` };
}

/** The GeneralNames of the subjectAltName extension (tag and contents), or null when there is none or it cannot be read. */
function sanGeneralNames(cert: Buffer): { tag: number; value: Buffer }[] | null {
  const ext = extensionOf(cert, '2.5.29.17');
  if (!ext) return null;
  try {
    const seq = der.readNode(ext.value);
    if (seq.tag !== der.Tag.SEQUENCE) return null;
    return der.children(ext.value, seq).map((n) => ({ tag: n.tag, value: Buffer.from(der.content(ext.value, n)) }));
  } catch {
    return null;
  }
}

/** The acmeIdentifier extension: its criticality and the digest inside its OCTET STRING. */
function acmeIdentifier(cert: Buffer): { critical: boolean; value: Buffer } | null {
  const ext = extensionOf(cert, ACME_IDENTIFIER);
  if (!ext) return null;
  try {
    const inner = der.readNode(ext.value);
    if (inner.tag !== der.Tag.OCTET_STRING) return null;
    return { critical: ext.critical, value: Buffer.from(der.content(ext.value, inner)) };
  } catch {
    return null;
  }
}

/** An extension of a certificate (DER): its criticality and extnValue's contents; null when absent or unreadable. */
function extensionOf(cert: Buffer, oid: string): { critical: boolean; value: Buffer } | null {
  try {
    const [tbs] = der.children(cert, der.readNode(cert));
    const exts = der.children(cert, tbs!).find((n) => n.tag === 0xa3);
    if (!exts) return null;
    const [list] = der.children(cert, exts);
    for (const ext of der.children(cert, list!)) {
      const parts = der.children(cert, ext);
      if (der.decodeOid(der.content(cert, parts[0]!)) !== oid) continue;
      const critical = parts.length === 3 && der.content(cert, parts[1]!)[0] === 0xff;
      return { critical, value: Buffer.from(der.content(cert, parts[parts.length - 1]!)) };
    }
    return null;
  } catch {
    return null;
  }
}

// ACME tls-alpn-01 (RFC 8737): connect to the name's address on the HTTPS validation port with
// ALPN "acme-tls/1" and SNI = the name, and accept only a self-made certificate whose one SAN
// is the name and whose critical acmeIdentifier extension holds SHA-256(key authorization).
// Addresses are resolved and checked as for FILE validation (./http.ts).
import { createHash, X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import * as der from '../pki/der.js';
import { lookupAddresses, type CheckResult } from './dns.js';
import { isPublicAddress } from './http.js';

/** id-pe-acmeIdentifier (RFC 8737 6.1). */
const ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';

/** base64url(SHA-256(key authorization)): the dns-01 TXT value (RFC 8555 8.4). */
export const keyAuthorizationDigest = (keyAuthorization: string) => createHash('sha256').update(keyAuthorization).digest('base64url');

export interface TlsAlpnCheck {
  domain: string;
  keyAuthorization: string;
  port: number;
  resolvers?: string[];
  allowPrivate?: boolean;
  timeoutMs?: number;
}

export async function checkTlsAlpn(o: TlsAlpnCheck): Promise<CheckResult> {
  let addresses: string[];
  try {
    addresses = await lookupAddresses(o.domain, { resolvers: o.resolvers, timeoutMs: 5000 });
  } catch (e) {
    return { ok: false, detail: `DNS: ${(e as Error).message}` };
  }
  const usable = o.allowPrivate ? addresses : addresses.filter(isPublicAddress);
  if (usable.length === 0) return { ok: false, detail: addresses.length ? `${o.domain} resolves only to private or reserved addresses (${addresses.join(', ')})` : `DNS: ${o.domain} has no A or AAAA record` };
  const want = createHash('sha256').update(o.keyAuthorization).digest();
  let last = '';
  for (const address of usable) {
    let cert: Buffer;
    try {
      cert = await handshake(address, o);
    } catch (e) {
      last = `cannot connect to ${o.domain} (${address}) port ${o.port} with ALPN acme-tls/1: ${(e as Error).message}`;
      continue;
    }
    return judge(cert, o.domain, want);
  }
  return { ok: false, detail: last };
}

function handshake(address: string, o: TlsAlpnCheck): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: o.port, servername: o.domain, ALPNProtocols: ['acme-tls/1'], rejectUnauthorized: false });
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
  const ext = acmeIdentifier(raw);
  if (!ext) return { ok: false, detail: 'the certificate has no acmeIdentifier extension' };
  if (!ext.critical) return { ok: false, detail: 'the acmeIdentifier extension is not critical' };
  if (!ext.value.equals(want)) return { ok: false, detail: 'the acmeIdentifier extension does not hold the key authorization\'s digest' };
  return { ok: true, detail: `${domain}: tls-alpn-01 certificate matches` };
}

/** The acmeIdentifier extension: its criticality and the digest inside its OCTET STRING. */
function acmeIdentifier(cert: Buffer): { critical: boolean; value: Buffer } | null {
  try {
    const [tbs] = der.children(cert, der.readNode(cert));
    const exts = der.children(cert, tbs!).find((n) => n.tag === 0xa3);
    if (!exts) return null;
    const [list] = der.children(cert, exts);
    for (const ext of der.children(cert, list!)) {
      const parts = der.children(cert, ext);
      if (der.decodeOid(der.content(cert, parts[0]!)) !== ACME_IDENTIFIER) continue;
      const critical = parts.length === 3 && der.content(cert, parts[1]!)[0] === 0xff;
      const outer = der.content(cert, parts[parts.length - 1]!);
      const inner = der.readNode(outer);
      if (inner.tag !== der.Tag.OCTET_STRING) return null;
      return { critical, value: Buffer.from(der.content(outer, inner)) };
    }
    return null;
  } catch {
    return null;
  }
}

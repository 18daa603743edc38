// PEM (RFC 7468): DER blocks read out of text, and DER written as text. No I/O.
import { Fault } from '../domain/errors.js';

export interface PemBlock { label: string; der: Buffer; headers: string }

/** Every PEM block in the text, tolerant of CRLF, indentation and blank lines. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    const body = m[2];
    // RFC 1421 headers (Proc-Type, DEK-Info) mark legacy encrypted keys.
    const headers = body.split(/\r?\n/).filter((l) => l.includes(':')).join('\n');
    const b64 = body.split(/\r?\n/).filter((l) => !l.includes(':')).join('').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue;
    out.push({ label: m[1], der: Buffer.from(b64, 'base64'), headers });
  }
  return out;
}

/** DER as PEM: 64-column base64 (RFC 7468 section 2), a line feed after every line. */
export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${label}-----\n`;
}

/** The DER of the first block labelled `label`. */
export function pemDer(pem: string, label: string): Buffer {
  const block = pemBlocks(pem ?? '').find((b) => b.label === label);
  if (!block) throw new Fault('malformed', `Expected a PEM ${label} block.`);
  return block.der;
}

const PEM_BODY = /^[A-Za-z0-9+/ \t\r\n]*(?:=[ \t\r\n]*){0,2}$/;

/**
 * The DER of the first PEM block with one of these labels: pemBlocks' answer, without its
 * regular expressions and splitting in the usual case of a lone block without headers
 * (the embedded CA reads one per certificate it issues).
 */
export function firstPemDer(text: string, labels: readonly string[]): { label: string; der: Buffer } | undefined {
  if (typeof text !== 'string') return undefined;
  const at = text.indexOf('-----');
  for (const label of at === -1 ? [] : labels) {
    const begin = `-----BEGIN ${label}-----`;
    if (!text.startsWith(begin, at)) continue;
    const end = text.indexOf(`-----END ${label}-----`, at + begin.length);
    if (end === -1) break;
    const body = text.slice(at + begin.length, end);
    // Base64 with line breaks, padding only at the end. Buffer.from skips the whitespace itself.
    if (!PEM_BODY.test(body)) break;
    return { label, der: Buffer.from(body, 'base64') };
  }
  return pemBlocks(text).find((b) => labels.includes(b.label));
}

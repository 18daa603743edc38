// Alternate chains (RFC 8555 section 7.4.2) through cross-signed certificates: an operator has
// one of certport's CA certificates (an issuing intermediate or the root) signed again by
// another CA, e.g. a corporate root, so that clients trusting only that root accept certport's
// leaves, as Let's Encrypt's ISRG Root X1 was cross-signed by IdenTrust. The file
// (CERTPORT_CA_CROSS_CERTS_FILE) holds each cross certificate, optionally followed by the other
// CA's chain above it; it is checked once at start and refused whole when anything in it does
// not fit, so that a mistake shows at deploy time rather than as chains clients reject.
import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../config/config.js';
import { pemBlocks, toPem } from '../pki/pem.js';
import { readCertificate, type CertificateFields } from '../pki/x509.js';

export const CROSS_CERTS_VARIABLE = 'CERTPORT_CA_CROSS_CERTS_FILE';

interface Cert {
  der: Buffer;
  pem: string;
  f: CertificateFields;
}

/** One alternate path: the cross certificate of `target` (certport's own), then the other CA's certificates above it. */
interface CrossPath {
  target: Cert;
  /** The cross certificate first. */
  certs: Cert[];
  /** The earliest notAfter of `certs`: the path is offered until then. */
  notAfter: number;
}

const read = (der: Buffer): Cert => ({ der, pem: toPem('CERTIFICATE', der), f: readCertificate(der) });
const sameKeyAndName = (a: Cert, b: Cert) => a.f.subjectName.equals(b.f.subjectName) && a.f.spki.equals(b.f.spki);

/** `subject CN=…, issuer CN=…` of a certificate, for messages. */
function describe(c: Cert): string {
  try {
    const x = new X509Certificate(c.der);
    return `subject "${x.subject.replace(/\n/g, ', ')}", issuer "${x.issuer.replace(/\n/g, ', ')}", SHA-256 ${x.fingerprint256}`;
  } catch {
    return 'unreadable';
  }
}

/** Whether `issuer` signed `child` (its name and signature; the same rule openssl's path building uses). */
function issued(issuer: Cert, child: Cert): boolean {
  if (!issuer.f.subjectName.equals(child.f.issuerName)) return false;
  try {
    return new X509Certificate(child.der).verify(new X509Certificate(issuer.der).publicKey);
  } catch {
    return false;
  }
}

export class CrossChains {
  private constructor(private readonly paths: CrossPath[]) {}

  static readonly none = new CrossChains([]);

  /**
   * The cross paths in `pem`, checked against certport's own CA certificates (`caPems`, roots and
   * intermediates): every certificate is either a cross certificate (the subject and public key
   * of one of them, another issuer) or the issuer of the certificate before it; none is expired
   * at `now`; a cross certificate is a CA certificate. Else a ConfigError naming the certificate.
   */
  static parse(pem: string, caPems: string[], now: number, source = CROSS_CERTS_VARIABLE): CrossChains {
    const own = caPems.map((p) => pemBlocks(p).find((b) => b.label === 'CERTIFICATE')).filter((b) => b !== undefined).map((b) => read(b.der));
    const blocks = pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE');
    if (!blocks.length) throw new ConfigError(`${source}: the file holds no PEM certificate`);
    const paths: CrossPath[] = [];
    blocks.forEach((b, i) => {
      const n = `certificate ${i + 1} of ${blocks.length}`;
      let c: Cert;
      try {
        c = read(b.der);
      } catch (e) {
        throw new ConfigError(`${source}: ${n} is not a readable X.509 certificate: ${(e as Error).message}`);
      }
      if (c.f.notAfter.getTime() <= now) throw new ConfigError(`${source}: ${n} (${describe(c)}) expired ${c.f.notAfter.toISOString()}`);
      const target = own.find((o) => sameKeyAndName(o, c));
      const last = paths.at(-1);
      if (target) {
        if (own.some((o) => o.der.equals(c.der))) throw new ConfigError(`${source}: ${n} (${describe(c)}) is certport's own CA certificate, not one cross-signed by another CA`);
        if (!new X509Certificate(c.der).ca) throw new ConfigError(`${source}: ${n} (${describe(c)}) has the subject and key of certport's CA but is not a CA certificate (basicConstraints CA:TRUE)`);
        paths.push({ target, certs: [c], notAfter: c.f.notAfter.getTime() });
      } else if (last && issued(c, last.certs.at(-1)!)) {
        last.certs.push(c);
        last.notAfter = Math.min(last.notAfter, c.f.notAfter.getTime());
      } else {
        throw new ConfigError(`${source}: ${n} (${describe(c)}) matches none of certport's CA certificates by subject and public key`
          + (last ? ', and did not sign the certificate before it' : '') + ': each cross certificate has the subject and key of certport\'s root or of an issuing intermediate (`certport ca show --chain`), followed optionally by its issuer\'s chain');
      }
    });
    return new CrossChains(paths);
  }

  get size(): number {
    return this.paths.length;
  }

  /**
   * The alternates of a chain (leaf first, then certport's intermediate): for each cross path
   * of a certificate in it, the chain up to that certificate with the cross path in its place;
   * for a cross path of the root that issued its last certificate, the chain with the path
   * after it. Paths with an expired certificate at `now` are left out.
   */
  alternates(chainPem: string, now: number): string[] {
    if (!this.paths.length) return [];
    const blocks = pemBlocks(chainPem).filter((b) => b.label === 'CERTIFICATE');
    if (blocks.length < 2) return [];
    // The leaf is passed on as it is; only the CA certificates above it are read.
    const leaf = toPem('CERTIFICATE', blocks[0]!.der);
    const cas = blocks.slice(1).map((b) => read(b.der));
    const out: string[] = [];
    for (const p of this.paths) {
      if (p.notAfter <= now) continue;
      const at = cas.findIndex((c) => sameKeyAndName(c, p.target));
      const head = at >= 0 ? cas.slice(0, at) : issued(p.target, cas.at(-1)!) ? cas : null;
      if (head) out.push(leaf + [...head, ...p.certs].map((c) => c.pem).join(''));
    }
    return out;
  }
}

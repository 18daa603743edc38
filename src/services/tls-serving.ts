// Where the HTTPS listener's certificate comes from (issue 23). Three sources, each polled by
// the listener (api/tls.ts), which swaps the secure context when one answers something new:
// - certport's own CA (the default): a 90-day ECDSA certificate for the API host names, stored
//   in the database (sealed key) so that every node serves the same one; renewed at two thirds
//   of its life by whichever node gets there first, or at once by `certport tls renew`. Each
//   node sees a renewal made elsewhere through the stored serial, read on every poll.
// - an operator's files: re-read when their size, time or inode changes; a half-replaced pair
//   (the key not matching the certificate) is not taken, and tried again on the next poll.
// - a certificate certport manages, by id: followed to its renewal or reissue once that is
//   issued, and re-read when its PEM changes.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../domain/clock.js';
import type { Log } from '../domain/log.js';
import type { TlsServingRecord, TlsServingStore } from '../domain/stores.js';
import { CertStatus, type CertificateRecord } from '../domain/certificate.js';
import type { Sealer } from '../secrets/sealer.js';
import { aad } from '../secrets/aad.js';
import { generateKeyPairAsync } from '../pki/keys.js';
import type { IssueRequest, IssuedCertificate } from '../ca/issuer.js';
import type { CertificateService } from './certificates.js';

export const SERVING_NAME = 'default';
/** The longest life of the serving certificate from certport's CA. */
export const SERVING_DAYS = 90;
/** Renewed once this share of its life has passed. */
export const RENEW_AT = 2 / 3;

export interface ServingMaterial {
  /** Leaf first, then the intermediates. */
  certPem: string;
  keyPem: string;
  serialHex: string;
  notAfter: number;
  /** What it came from, for the log: 'ca', 'files', 'certificate <id>'. */
  origin: string;
}

export interface ServingSource {
  /** New material when it changed since the last answer (the first call always answers); null when not. */
  poll(): Promise<ServingMaterial | null>;
}

/** The time certport renews a certificate valid from notBefore to notAfter. */
export const renewAt = (notBefore: number, notAfter: number) => notBefore + Math.floor((notAfter - notBefore) * RENEW_AT);

function factsOf(certPem: string): { serialHex: string; notBefore: number; notAfter: number } {
  const x = new X509Certificate(certPem);
  return { serialHex: x.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''), notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) };
}

/** The serving certificate from certport's own CA, kept in the database. */
export class CaServingSource implements ServingSource {
  #serial: string | null = null;

  constructor(
    private readonly store: TlsServingStore,
    private readonly issuer: { issue(req: IssueRequest): Promise<IssuedCertificate> },
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    /** The names the certificate must cover; null: those of the stored one (the CLI's renew). */
    private readonly hostnames: string[] | null,
    private readonly log: Log,
  ) {}

  #renewAt = Infinity;
  #names: string[] = [];

  async poll(): Promise<ServingMaterial | null> {
    const serial = await this.store.servingSerial(SERVING_NAME);
    let stored: TlsServingRecord;
    if (serial === null) {
      stored = await this.renew(null, null);
    } else if (serial !== this.#serial) {
      // New to this node (its start, or a renewal made elsewhere): taken unless already due.
      stored = (await this.store.getServing(SERVING_NAME))!;
      if (this.#due(stored.notBefore, stored.notAfter, stored.hostnames)) stored = await this.renew(serial, stored);
    } else if (this.clock() >= this.#renewAt || !this.#covers(this.#names)) {
      stored = await this.renew(serial, await this.store.getServing(SERVING_NAME));
    } else {
      return null;
    }
    if (stored.serialHex === this.#serial) return null;
    this.#serial = stored.serialHex;
    this.#renewAt = renewAt(stored.notBefore, stored.notAfter);
    this.#names = stored.hostnames;
    return this.#material(stored);
  }

  /** Due: two thirds of its life gone, or names asked for that it does not cover. */
  #due(notBefore: number, notAfter: number, names: string[]): boolean {
    return this.clock() >= renewAt(notBefore, notAfter) || !this.#covers(names);
  }

  #covers(names: string[]): boolean {
    return this.hostnames === null || this.hostnames.every((n) => names.includes(n));
  }

  /**
   * Issues and stores a new certificate unless the stored serial moved on meanwhile (another
   * node renewed): then what it stored is used. Returns what is stored afterwards.
   */
  async renew(expectedSerial: string | null, stored: TlsServingRecord | null): Promise<TlsServingRecord> {
    const names = this.hostnames ?? stored?.hostnames ?? [];
    if (names.length === 0) throw new Error('no host names to issue the serving certificate for (CERTPORT_API_HOSTNAMES)');
    const keys = await generateKeyPairAsync('ECC', 'P-256');
    const issued = await this.issuer.issue({ publicKeyPem: keys.publicKeyPem, domains: names, validityDays: SERVING_DAYS });
    const record: TlsServingRecord = {
      name: SERVING_NAME,
      certPem: [issued.certPem, ...issued.chainPems].map((p) => p.trim() + '\n').join(''),
      keySealed: this.sealer.seal(keys.privateKeyPem, aad.tlsKey(SERVING_NAME)),
      serialHex: issued.serialHex,
      hostnames: names,
      notBefore: issued.notBefore.getTime(),
      notAfter: issued.notAfter.getTime(),
      createdAt: this.clock(),
    };
    if (await this.store.replaceServing(record, expectedSerial)) {
      this.log.info({ serial: record.serialHex, notAfter: new Date(record.notAfter).toISOString(), hostnames: names }, 'issued the HTTPS serving certificate');
      return record;
    }
    const now = await this.store.getServing(SERVING_NAME);
    if (!now) throw new Error('the serving certificate vanished while being renewed');
    return now;
  }

  /** `certport tls renew`: a new certificate now, whatever the stored one's age. */
  async forceRenew(): Promise<TlsServingRecord> {
    const stored = await this.store.getServing(SERVING_NAME);
    return this.renew(stored?.serialHex ?? null, stored);
  }

  #material(r: TlsServingRecord): ServingMaterial {
    return { certPem: r.certPem, keyPem: this.sealer.openString(r.keySealed, aad.tlsKey(r.name)), serialHex: r.serialHex, notAfter: r.notAfter, origin: 'ca' };
  }
}

/** An operator's certificate and key files (CERTPORT_TLS_CERT_FILE / _KEY_FILE). */
export class FileServingSource implements ServingSource {
  #seen = '';
  #refused = '';

  constructor(private readonly certFile: string, private readonly keyFile: string, private readonly log: Log) {}

  #stamp(): string {
    return [this.certFile, this.keyFile].map((f) => {
      const s = statSync(f);
      return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    }).join('|');
  }

  async poll(): Promise<ServingMaterial | null> {
    let stamp: string;
    try {
      stamp = this.#stamp();
    } catch (e) {
      if (this.#seen === '') throw e;
      return null;
    }
    if (stamp === this.#seen) return null;
    const certPem = readFileSync(this.certFile, 'utf8');
    const keyPem = readFileSync(this.keyFile, 'utf8');
    try {
      // The pair must match: the first call fails the start; a later one keeps the old pair.
      createSecureContext({ cert: certPem, key: keyPem });
      const f = factsOf(certPem);
      this.#seen = stamp;
      return { certPem, keyPem, serialHex: f.serialHex, notAfter: f.notAfter, origin: 'files' };
    } catch (e) {
      if (this.#seen === '') throw new Error(`${this.certFile} and ${this.keyFile} are not a certificate and its key: ${(e as Error).message}`);
      if (this.#refused !== stamp) this.log.warn({ certFile: this.certFile, error: (e as Error).message }, 'the TLS files changed but do not hold a matching certificate and key; keeping the old ones');
      this.#refused = stamp;
      return null;
    }
  }
}

/** A certificate certport manages, followed to its renewal or reissue once that is issued. */
export class ManagedServingSource implements ServingSource {
  #seen = '';

  constructor(private readonly certificates: CertificateService, private readonly certificateId: string) {}

  async poll(): Promise<ServingMaterial | null> {
    const first = await this.certificates.findAnywhere(this.certificateId);
    if (!first) throw new Error(`CERTPORT_TLS_CERTIFICATE_ID: no certificate ${this.certificateId}`);
    let c: CertificateRecord = first;
    for (let hops = 0; hops < 20; hops++) {
      const nextId: string | null = c.renewOrderId ?? c.replacedBy;
      const next = nextId ? await this.certificates.findAnywhere(nextId) : null;
      if (!next || next.status !== CertStatus.issued || !next.privateKeySealed) break;
      c = next;
    }
    const keyPem = this.certificates.privateKeyPem(c);
    if (!keyPem || !c.certPem) throw new Error(`CERTPORT_TLS_CERTIFICATE_ID: certificate ${c.id} has no certificate and private key to serve`);
    const stamp = `${c.id}:${c.fingerprintSha256}`;
    if (stamp === this.#seen) return null;
    const f = factsOf(c.certPem);
    this.#seen = stamp;
    return { certPem: c.certPem, keyPem, serialHex: f.serialHex, notAfter: f.notAfter, origin: `certificate ${c.id}` };
  }
}

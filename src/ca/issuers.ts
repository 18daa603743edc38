// The CAs this deployment runs, as main.ts built them, for the services to choose from: the CA
// of a stored certificate (its `source` and key algorithm), and where an account's new orders go.
import type { CertificateRecord } from '../domain/certificate.js';
import type { Issuer, KeyAlgorithm } from './issuer.js';

/** How messages name the CA behind a source, whether or not it is configured here. */
const TITLES: Readonly<Record<string, string>> = { embedded: 'embedded CA', acme: 'ACME CA' };

/** The key algorithm of a stored certificate, from what its record says. */
export function keyAlgorithmOf(c: Pick<CertificateRecord, 'isSm' | 'encryptAlgorithm'>): KeyAlgorithm {
  return c.isSm ? 'SM2' : c.encryptAlgorithm.startsWith('ECC') ? 'ECC' : 'RSA';
}

export class Issuers {
  /**
   * @param all every CA configured; several may share a source (one per key algorithm).
   * @param sourceFor the source an account's new orders go to (main.ts's policy).
   */
  constructor(
    private readonly all: readonly Issuer[],
    private readonly sourceFor: (accountUin: string) => string,
    /** Sources whose certificates another source's CA signed (the ACME server's are the embedded CA's). */
    private readonly aliases: Readonly<Record<string, string>> = {},
  ) {}

  /** Where an account's new orders go. */
  defaultSource(accountUin: string): string {
    return this.sourceFor(accountUin);
  }

  /** True when a CA here issues under `source` ('upload' and CAs no longer configured are not). */
  serves(source: string): boolean {
    return this.all.some((i) => i.source === source);
  }

  /** The CA of `source` that signs `keyAlgo`, or null when there is none here. */
  find(source: string, keyAlgo: KeyAlgorithm): Issuer | null {
    const s = this.aliases[source] ?? source;
    return this.all.find((i) => i.source === s && i.keyAlgorithms.includes(keyAlgo)) ?? null;
  }

  /** The root a stored certificate's chain ends at, when its CA is here and knows it. */
  rootOf(c: Pick<CertificateRecord, 'source' | 'isSm' | 'encryptAlgorithm'>): string | null {
    return this.find(c.source, keyAlgorithmOf(c))?.rootPem ?? null;
  }

  /** 'ACME CA', 'embedded CA'. */
  titleOf(source: string): string {
    return TITLES[source] ?? `CA "${source}"`;
  }
}

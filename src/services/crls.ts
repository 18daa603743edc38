// Each issuing CA's CRL (RFC 5280 v2): made again on every revocation and before nextUpdate (the
// `crl-refresh` job), numbered, signed by the intermediate, kept in the database so that every
// node serves the same bytes at /ca/<name>-intermediate.crl.
import { crlFileName, type SigningCa } from '../ca/issuer.js';
import type { Clock } from '../domain/clock.js';
import type { CrlIssuer } from '../domain/revocation.js';
import type { JobStore, RevocationStore } from '../domain/stores.js';
import { buildCrl } from '../pki/revocation.js';

export const CRL_REFRESH = 'crl-refresh';
const HOUR = 3_600_000;

export { crlFileName };

export class CrlService {
  readonly #cas: Map<CrlIssuer, SigningCa>;

  constructor(
    private readonly store: RevocationStore & Pick<JobStore, 'ensureJob'>,
    cas: SigningCa[],
    private readonly clock: Clock,
    /** How long a CRL is current (nextUpdate - thisUpdate); it is made again at half of it. */
    private readonly validityHours = 24,
  ) {
    this.#cas = new Map(cas.map((c) => [c.name, c]));
  }

  names(): CrlIssuer[] {
    return [...this.#cas.keys()];
  }

  /** A new CRL of everything the CA has revoked; retried when another node stored a newer number meanwhile, so the last one stored has every revocation committed before it. */
  async regenerate(name: CrlIssuer): Promise<Buffer> {
    const ca = this.#cas.get(name);
    if (!ca) throw new Error(`no issuing CA ${name}`);
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.getCrl(name);
      const entries = await this.store.revokedSerials(name);
      const now = this.clock();
      const thisUpdate = Math.floor(now / 1000) * 1000;
      const nextUpdate = thisUpdate + this.validityHours * HOUR;
      const crlNumber = (current?.crlNumber ?? 0) + 1;
      const der = buildCrl({
        issuerName: ca.subjectName, issuerKeyId: ca.keyId, signer: ca.signer, thisUpdate: new Date(thisUpdate), nextUpdate: new Date(nextUpdate), crlNumber,
        entries: entries.map((e) => ({ serialHex: e.serialHex, revokedAt: new Date(e.revokedAt), reason: e.reason })),
      });
      if (await this.store.putCrl(name, { crlNumber, thisUpdate, nextUpdate, der })) return der;
      if (attempt >= 10) throw new Error(`the ${name} CRL could not be stored: other nodes keep storing newer ones`);
    }
  }

  /** The CRL to serve: the stored one while current, else a new one. */
  async current(name: CrlIssuer): Promise<Buffer | null> {
    if (!this.#cas.has(name)) return null;
    const stored = await this.store.getCrl(name);
    if (stored && !this.due(stored)) return stored.der;
    return this.regenerate(name);
  }

  private due(c: { thisUpdate: number; nextUpdate: number }): boolean {
    return this.clock() >= c.thisUpdate + (c.nextUpdate - c.thisUpdate) / 2;
  }

  /** The `crl-refresh` job: every CA's CRL made again once half its life is gone; runs again in an hour at most. */
  async refreshStep(): Promise<number> {
    let next = this.clock() + HOUR;
    for (const name of this.#cas.keys()) {
      let c = await this.store.getCrl(name);
      if (!c || this.due(c)) {
        await this.regenerate(name);
        c = await this.store.getCrl(name);
      }
      if (c) next = Math.min(next, c.thisUpdate + (c.nextUpdate - c.thisUpdate) / 2);
    }
    return Math.max(next, this.clock() + 60_000);
  }

  async ensureRefresh(): Promise<void> {
    const now = this.clock();
    await this.store.ensureJob({ kind: CRL_REFRESH, subject: 'all', runAt: now }, now);
  }
}

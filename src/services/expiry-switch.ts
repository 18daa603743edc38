// ModifyCertificatesExpiringNotificationSwitch (and UpdateCertificateInstance's
// ExpiringNotificationSwitch for the old certificate): expiry notices switched off per
// certificate; DescribeCertificates shows it as IsIgnore, the expiry sweep skips them.
import type { ExpirySwitchStore } from '../domain/stores.js';
import type { Caller } from '../domain/caller.js';
import type { Clock } from '../domain/clock.js';
import type { CertificateService } from './certificates.js';

export class ExpirySwitchService {
  constructor(
    private readonly store: ExpirySwitchStore,
    private readonly certificates: Pick<CertificateService, 'get'>,
    private readonly clock: Clock,
  ) {}

  /** Switches expiry notices off (ignore) or on again for the caller's certificates. */
  async setIgnoreExpiry(caller: Caller, certIds: string[], ignore: boolean): Promise<void> {
    for (const id of certIds) await this.certificates.get(caller, id);
    await this.store.setIgnoreExpiry(caller.accountUin, certIds, ignore, this.clock());
  }

  /** Those of `certIds` whose expiry notices are switched off. */
  ignoredExpiry(accountUin: string, certIds: string[]): Promise<Set<string>> {
    return this.store.ignoredExpiry(accountUin, certIds);
  }
}

// HostingStore in memory.
import { HOSTING, type HostingConfigInput, type HostingRecord, type HostingState } from '../../domain/hosting.js';
import type { HostingStore } from '../../domain/stores.js';
import { copy, defined, type MemoryDb } from './memory.js';

export class FakeHostingStore implements HostingStore {
  constructor(private readonly db: MemoryDb) {}

  async get(certId: string) {
    const h = this.db.hosting.get(certId);
    return h ? copy(h) : null;
  }

  async getMany(accountUin: string, certIds: string[]) {
    const out = new Map<string, HostingRecord>();
    for (const id of certIds) {
      const h = this.db.hosting.get(id);
      if (h && h.accountUin === accountUin) out.set(id, copy(h));
    }
    return out;
  }

  async list(accountUin?: string) {
    return [...this.db.hosting.values()].filter((h) => !accountUin || h.accountUin === accountUin)
      .sort((a, b) => a.createdAt - b.createdAt).map(copy);
  }

  /** Hosting on (or its settings changed): the state of a hosting under way is kept. */
  async put(certId: string, accountUin: string, cfg: HostingConfigInput, now: number) {
    const { resourceTypes, replaceDays, messageTypes, windowStart, windowEnd } = copy(cfg);
    const settings = { resourceTypes, replaceDays, messageTypes, windowStart, windowEnd };
    this.db.write(() => {
      const cur = this.db.hosting.get(certId);
      if (cur) Object.assign(cur, settings, { nextAt: now, updatedAt: now });
      else {
        this.db.hosting.set(certId, {
          certId, accountUin, ...settings, status: HOSTING.hosting, renewCertId: null, recordId: null, completeAt: null, failures: 0,
          nextAt: now, lastError: null, createdAt: now, updatedAt: now,
        });
      }
    });
  }

  async update(certId: string, set: HostingState, now: number) {
    const h = this.db.hosting.get(certId);
    if (h) this.db.write(() => Object.assign(h, defined(set), { updatedAt: now }));
  }

  async remove(certId: string) {
    return this.db.write(() => this.db.hosting.delete(certId));
  }

  async byRenewal(renewCertId: string) {
    const h = [...this.db.hosting.values()].find((x) => x.renewCertId === renewCertId);
    return h ? copy(h) : null;
  }
}

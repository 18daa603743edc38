// OperationLogStore in memory.
import type { OperationLogRecord } from '../../domain/certificate.js';
import type { OperationLogStore } from '../../domain/stores.js';
import { copy, type MemoryDb } from './memory.js';

export class FakeOperationLogStore implements OperationLogStore {
  constructor(private readonly db: MemoryDb) {}

  async appendLog(l: OperationLogRecord) {
    this.db.write(() => this.db.logs.push(copy(l)));
  }

  /** Newest first (the later entry first within one instant). */
  async listLogs(accountUin: string, from: number, to: number, offset: number, limit: number) {
    const all = this.db.logs.map((l, id) => ({ l, id })).filter(({ l }) => l.accountUin === accountUin && l.createdAt >= from && l.createdAt <= to)
      .sort((a, b) => b.l.createdAt - a.l.createdAt || b.id - a.id);
    return { total: all.length, items: all.slice(offset, offset + limit).map(({ l }) => copy(l)) };
  }
}

// ProjectStore in memory (so a CertificateService runs on the fakes, uploads included).
import type { ProjectRecord } from '../../domain/account.js';
import type { ProjectStore } from '../../domain/stores.js';
import { copy, type MemoryDb } from './memory.js';

const keyOf = (accountUin: string, projectId: number) => `${accountUin}\n${projectId}`;

export class FakeProjectStore implements ProjectStore {
  constructor(private readonly db: MemoryDb) {}

  async getProject(accountUin: string, projectId: number) {
    const p = this.db.projects.get(keyOf(accountUin, projectId));
    return p ? copy(p) : null;
  }

  async getProjects(accountUin: string, projectIds: number[]) {
    return projectIds.flatMap((id) => {
      const p = this.db.projects.get(keyOf(accountUin, id));
      return p ? [copy(p)] : [];
    });
  }

  /** The project, created unless it exists (then the stored one is returned). */
  async ensureProject(p: ProjectRecord) {
    const key = keyOf(p.accountUin, p.projectId);
    if (!this.db.projects.has(key)) this.db.write(() => this.db.projects.set(key, copy(p)));
    return copy(this.db.projects.get(key)!);
  }

  async listProjects(accountUin: string) {
    return [...this.db.projects.values()].filter((p) => p.accountUin === accountUin).sort((a, b) => a.projectId - b.projectId).map(copy);
  }
}

// Projects of an account: the `projects` table.
import type { Kysely } from 'kysely';
import type { Database, ProjectRow } from './schema.js';
import type { ProjectRecord } from '../domain/account.js';
import type { ProjectStore } from '../domain/stores.js';
import { hotRead, listParam, type HotRead } from './db.js';

/** Every DescribeCertificates page asks (db.ts HotRead). */
export const PROJECTS: HotRead = {
  sqlite: 'select * from projects where account_uin = ? and project_id in (select value from json_each(?))',
  postgres: 'select * from projects where account_uin = $1 and project_id = any($2::bigint[])',
};
export const projectRecord = (r: ProjectRow): ProjectRecord => ({ accountUin: r.account_uin, projectId: Number(r.project_id), name: r.name, createdAt: Number(r.created_at) });

export class SqlProjectStore implements ProjectStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getProject(accountUin: string, projectId: number) {
    const r = await this.db.selectFrom('projects').selectAll()
      .where('account_uin', '=', accountUin).where('project_id', '=', projectId).executeTakeFirst();
    return r ? projectRecord(r) : null;
  }
  async getProjects(accountUin: string, projectIds: number[]) {
    if (projectIds.length === 0) return [];
    const rows = await hotRead<ProjectRow>(this.db, PROJECTS, (pg) => [accountUin, listParam(pg, projectIds)]);
    return rows.map(projectRecord);
  }
  /** The project, created unless another request (or node) already did. */
  async ensureProject(p: ProjectRecord) {
    await this.db.insertInto('projects')
      .values({ account_uin: p.accountUin, project_id: p.projectId, name: p.name, created_at: p.createdAt })
      .onConflict((oc) => oc.columns(['account_uin', 'project_id']).doNothing()).execute();
    return (await this.getProject(p.accountUin, p.projectId))!;
  }
  async listProjects(accountUin: string) {
    const rows = await this.db.selectFrom('projects').selectAll().where('account_uin', '=', accountUin).orderBy('project_id').execute();
    return rows.map(projectRecord);
  }
}

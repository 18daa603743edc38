// Certificate tags for the Tag API (issue 23): the `certificate_tags` rows DescribeCertificates
// reads, so a tag written either way shows both ways.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { TagStore } from '../domain/stores.js';
import type { Tag } from '../domain/certificate.js';

export class SqlTagStore implements TagStore {
  constructor(private readonly db: Kysely<Database>) {}

  async tagsOf(accountUin: string, ids: string[]) {
    const out = new Map<string, Tag[]>();
    if (ids.length === 0) return out;
    const held = await this.db.selectFrom('certificates').select('id').where('account_uin', '=', accountUin).where('id', 'in', ids).execute();
    for (const r of held) out.set(r.id, []);
    if (held.length === 0) return out;
    const rows = await this.db.selectFrom('certificate_tags').select(['cert_id', 'tag_key', 'tag_value'])
      .where('account_uin', '=', accountUin).where('cert_id', 'in', held.map((r) => r.id)).orderBy('cert_id').orderBy('tag_key').execute();
    for (const r of rows) out.get(r.cert_id)?.push({ key: r.tag_key, value: r.tag_value });
    return out;
  }

  async modifyTags(accountUin: string, id: string, set: Tag[], removeKeys: string[], now: number) {
    return this.db.transaction().execute(async (tx) => {
      const cert = await tx.selectFrom('certificates').select(['id', 'created_at']).where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
      if (!cert) return false;
      const keys = [...new Set([...removeKeys, ...set.map((t) => t.key)])];
      if (keys.length) await tx.deleteFrom('certificate_tags').where('cert_id', '=', id).where('tag_key', 'in', keys).execute();
      if (set.length) {
        await tx.insertInto('certificate_tags').values(set.map((t) => ({
          cert_id: id, account_uin: accountUin, tag_key: t.key, tag_value: t.value, cert_created_at: Number(cert.created_at),
        }))).execute();
      }
      await tx.updateTable('certificates').set({ updated_at: now }).where('id', '=', id).execute();
      return true;
    });
  }

  async listTagRows(accountUin: string, id: string | null, offset: number, limit: number) {
    let q = this.db.selectFrom('certificate_tags').where('account_uin', '=', accountUin);
    if (id !== null) q = q.where('cert_id', '=', id);
    const total = Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await q.select(['cert_id', 'tag_key', 'tag_value']).orderBy('cert_id').orderBy('tag_key').limit(limit).offset(offset).execute();
    return { total, rows: rows.map((r) => ({ certId: r.cert_id, key: r.tag_key, value: r.tag_value })) };
  }

  async listTagKeys(accountUin: string, offset: number, limit: number) {
    const q = this.db.selectFrom('certificate_tags').where('account_uin', '=', accountUin);
    const total = Number((await q.select(sql<number>`count(distinct tag_key)`.as('n')).executeTakeFirstOrThrow()).n);
    const rows = await q.select('tag_key').distinct().orderBy('tag_key').limit(limit).offset(offset).execute();
    return { total, keys: rows.map((r) => r.tag_key) };
  }

  async listTagValues(accountUin: string, keys: string[], offset: number, limit: number) {
    if (keys.length === 0) return { total: 0, tags: [] };
    const q = this.db.selectFrom('certificate_tags').where('account_uin', '=', accountUin).where('tag_key', 'in', keys);
    const pairs = q.select(['tag_key', 'tag_value']).distinct();
    const total = Number((await this.db.selectFrom(pairs.as('p')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await pairs.orderBy('tag_key').orderBy('tag_value').limit(limit).offset(offset).execute();
    return { total, tags: rows.map((r) => ({ key: r.tag_key, value: r.tag_value })) };
  }

  async findTagged(accountUin: string, filters: { key: string; values: string[] }[], ids: string[] | null, afterId: string, limit: number) {
    if (ids !== null && ids.length === 0) return [];
    let q = this.db.selectFrom('certificates as c').select('c.id').where('c.account_uin', '=', accountUin).where('c.id', '>', afterId);
    if (ids !== null) q = q.where('c.id', 'in', ids);
    // Neither filters nor ids: the resources bound to any tag.
    if (ids === null && filters.length === 0) {
      q = q.where(({ exists, selectFrom }) => exists(selectFrom('certificate_tags as t').select('t.cert_id').whereRef('t.cert_id', '=', 'c.id')));
    }
    for (const f of filters) {
      q = q.where(({ exists, selectFrom }) => {
        let t = selectFrom('certificate_tags as t').select('t.cert_id').whereRef('t.cert_id', '=', 'c.id').where('t.tag_key', '=', f.key);
        if (f.values.length) t = t.where('t.tag_value', 'in', f.values);
        return exists(t);
      });
    }
    return (await q.orderBy('c.id').limit(limit).execute()).map((r) => r.id);
  }
}

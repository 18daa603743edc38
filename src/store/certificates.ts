// Certificates: their rows, material and tags (certificate-rows.ts), written with the log
// entry (and the jobs) each change comes with. The listing has a module per backend (listing/).
import { CompiledQuery } from 'kysely';
import { PREPARED, type Db } from './db.js';
import type { ChainFacts, CertificateQuery, CertificateRecord, OperationLogRecord } from '../domain/certificate.js';
import type { NewJob } from '../domain/job.js';
import { type CertificateStore, type KeptDownload, RenewalConflict } from '../domain/stores.js';
import { insertCertificateRows, MATERIAL, materialRow, readCertificate, selectFull, tagRows, toRecord, toRow, withTags, type FullRow } from './certificate-rows.js';
import { insertLog, logRow } from './operation-log.js';
import { upsertJob } from './jobs.js';
import { CERT_COLUMNS, listCertificates, listCertificatesNow, type ListingBackend } from './listing/plan.js';
import { postgresListingKept } from './listing/postgres.js';
import { sqliteListing } from './listing/sqlite.js';
import { Positions } from './listing/positions.js';
import type { ListingReader } from './listing/reader.js';

const DETAIL_COLUMNS = `c.*, m.cert_pem, m.private_key_sealed, m.key_password_sealed, m.encrypt_cert_pem, m.encrypt_key_sealed, m.chain_root_pem, m.chain_facts`;
const DETAIL_SQL_SQLITE = `select ${DETAIL_COLUMNS},
  (select json_group_array(json_array(t.tag_key, t.tag_value)) from (select tag_key, tag_value from certificate_tags where cert_id = c.id order by tag_key) t) as tags_json,
  h.status as hosting_status
from certificates c join certificate_material m on m.cert_id = c.id left join cert_hosting h on h.cert_id = c.id and h.account_uin = c.account_uin
where c.account_uin = ? and c.id = ?`;
// Named columns: a prepared statement (PREPARED) selecting c.* fails once a column is added.
const DETAIL_SQL_PG = `${PREPARED}select ${CERT_COLUMNS.map((c) => `c.${c}`).join(', ')}, ${MATERIAL.join(', ')},
  (select coalesce(json_agg(json_build_array(t.tag_key, t.tag_value) order by t.tag_key), '[]'::json)::text from certificate_tags t where t.cert_id = c.id) as tags_json,
  h.status as hosting_status
from certificates c join certificate_material m on m.cert_id = c.id left join cert_hosting h on h.cert_id = c.id and h.account_uin = c.account_uin
where c.account_uin = $1 and c.id = $2`;

export class SqlCertificateStore implements CertificateStore {
  readonly #listing: ListingBackend;

  constructor(private readonly db: Db, private readonly reader?: ListingReader) {
    this.#listing = db.dialect === 'postgres' ? postgresListingKept(new Positions(), () => db.changeToken()) : sqliteListing();
  }

  async insertCertificate(c: CertificateRecord, log: OperationLogRecord) {
    await this.db.kysely.transaction().execute(async (tx) => {
      await insertCertificateRows(tx, c);
      await insertLog(tx, log);
    });
  }

  /** Seeds many certificates in a few statements (benchmarks, imports); no log entries. */
  async bulkInsertCertificates(list: CertificateRecord[]) {
    await this.db.kysely.transaction().execute(async (tx) => {
      for (let i = 0; i < list.length; i += 200) {
        const chunk = list.slice(i, i + 200);
        await tx.insertInto('certificates').values(chunk.map(toRow)).execute();
        await tx.insertInto('certificate_material').values(chunk.map(materialRow)).execute();
        const tags = chunk.flatMap(tagRows);
        if (tags.length) await tx.insertInto('certificate_tags').values(tags).execute();
      }
    });
    // Bulk growth: statistics refreshed if the tables grew enough to need it.
    await this.db.optimize();
  }

  async getCertificate(accountUin: string, id: string) {
    return readCertificate(this.db.kysely, accountUin, id);
  }

  /**
   * DescribeCertificateDetail's read in one statement, written out (no query building per call):
   * the row, its material, its tags (aggregated) and its hosting status (issue 27: three round
   * trips were one on each backend). On PostgreSQL a prepared statement (an id lookup: one plan suits every id).
   */
  async getCertificateDetail(accountUin: string, id: string): Promise<{ certificate: CertificateRecord; hostingStatus: number | null } | null> {
    const { rows } = await this.db.kysely.executeQuery<FullRow & { tags_json: string; hosting_status: number | string | null }>(
      CompiledQuery.raw(this.db.dialect === 'postgres' ? DETAIL_SQL_PG : DETAIL_SQL_SQLITE, [accountUin, id]));
    const r = rows[0];
    if (!r) return null;
    const tags = (JSON.parse(r.tags_json) as [string, string][]).map(([key, value]) => ({ key, value }));
    return { certificate: toRecord(r, tags), hostingStatus: r.hosting_status === null ? null : Number(r.hosting_status) };
  }

  async linkRenewal(certId: string, renewCertId: string, now: number) {
    await this.db.kysely.transaction().execute(async (tx) => {
      const r = await tx.updateTable('certificates').set({ renew_order_id: renewCertId, updated_at: now })
        .where('id', '=', certId).where('renew_order_id', 'is', null).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new RenewalConflict(certId);
      await tx.updateTable('certificates').set({ origin_cert_id: certId, updated_at: now }).where('id', '=', renewCertId).execute();
    });
  }

  async releaseRenewal(certId: string, renewCertId: string, now: number) {
    await this.db.kysely.updateTable('certificates').set({ renew_order_id: null, updated_at: now })
      .where('id', '=', certId).where('renew_order_id', '=', renewCertId).execute();
  }

  async getCertificateById(id: string) {
    return withTags(this.db.kysely, await selectFull(this.db.kysely).where('c.id', '=', id).executeTakeFirst());
  }

  async findBySerial(serialHex: string) {
    const rows = await selectFull(this.db.kysely).where('c.serial_hex', '=', serialHex).limit(10).execute();
    return (await Promise.all(rows.map((r) => withTags(this.db.kysely, r)))).filter((c): c is NonNullable<typeof c> => c !== null);
  }

  async findByFingerprint(accountUin: string, sha1: string, type: string) {
    return withTags(this.db.kysely, await selectFull(this.db.kysely)
      .where('c.account_uin', '=', accountUin).where('c.fingerprint_sha1', '=', sha1).where('c.certificate_type', '=', type)
      .orderBy('c.created_at').executeTakeFirst());
  }

  listCertificates(q: CertificateQuery): Promise<{ total: number; items: CertificateRecord[] }> {
    // SQLite: on the reader thread, pages without their material (listing/reader.ts).
    if (this.reader && !q.material) return this.reader.list(q).then((l) => l ?? this.#listHere(q));
    return this.#listHere(q);
  }

  #listHere(q: CertificateQuery): Promise<{ total: number; items: CertificateRecord[] }> {
    // SQLite: synchronously on the connection when no transaction holds it (issue 27).
    if (this.db.now) {
      try {
        const l = listCertificatesNow(this.db.kysely, this.db.now, q, this.#listing);
        if (l) return Promise.resolve(l);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return listCertificates(this.db.kysely, q, this.#listing);
  }

  /**
   * Changes whenever a commit may have changed anything: on SQLite this connection's change
   * count and the file's data_version, on PostgreSQL the cluster's snapshot. Read before a
   * result is computed, an unchanged token later proves the result still holds (nothing was
   * committed in between), so results can be reused across nodes sharing the database.
   */
  changeToken(): Promise<string> {
    return this.db.changeToken();
  }

  async updateAlias(accountUin: string, id: string, alias: string, now: number, log: OperationLogRecord) {
    return this.db.kysely.transaction().execute(async (tx) => {
      const cur = await tx.selectFrom('certificates').select(['id', 'domain', 'sans']).where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
      if (!cur) return false;
      const search = [cur.id, alias, cur.domain, ...JSON.parse(cur.sans)].join('\n').toLowerCase();
      await tx.updateTable('certificates').set({ alias, search_text: search, updated_at: now })
        .where('account_uin', '=', accountUin).where('id', '=', id).execute();
      await insertLog(tx, log);
      return true;
    });
  }

  async updateProject(accountUin: string, ids: string[], projectId: number, now: number, log: (id: string) => OperationLogRecord) {
    if (ids.length === 0) return [];
    return this.db.kysely.transaction().execute(async (tx) => {
      const found = await tx.selectFrom('certificates').select('id').where('account_uin', '=', accountUin).where('id', 'in', ids).execute();
      const moved = found.map((r) => r.id);
      if (moved.length === 0) return [];
      await tx.updateTable('certificates').set({ project_id: projectId, updated_at: now })
        .where('account_uin', '=', accountUin).where('id', 'in', moved).execute();
      await tx.insertInto('operation_logs').values(moved.map((id) => logRow(log(id)))).execute();
      return ids.filter((id) => moved.includes(id));
    });
  }

  async recordChainRoot(id: string, rootPem: string) {
    await this.db.kysely.updateTable('certificate_material').set({ chain_root_pem: rootPem }).where('cert_id', '=', id).execute();
  }

  async recordChainFacts(id: string, certPem: string, facts: ChainFacts) {
    await this.db.kysely.updateTable('certificate_material').set({ chain_facts: JSON.stringify(facts) })
      .where('cert_id', '=', id).where('cert_pem', '=', certPem).execute();
  }

  async getDownload(id: string): Promise<KeptDownload | null> {
    const r = await this.db.kysely.selectFrom('certificate_downloads').selectAll().where('cert_id', '=', id).executeTakeFirst();
    return r ? { certId: r.cert_id, digest: r.digest, passwordSealed: r.password_sealed, zipSealed: r.zip_sealed, files: JSON.parse(r.files) as string[], builtAt: Number(r.built_at) } : null;
  }

  async putDownload(d: KeptDownload, log: OperationLogRecord | null = null) {
    const row = { cert_id: d.certId, digest: d.digest, password_sealed: d.passwordSealed, zip_sealed: d.zipSealed, files: JSON.stringify(d.files), built_at: d.builtAt };
    await this.db.kysely.transaction().execute(async (tx) => {
      if (log) await insertLog(tx, log);
      // Not for a certificate deleted while its archive was being built.
      if (!(await tx.selectFrom('certificates').select('id').where('id', '=', d.certId).executeTakeFirst())) return;
      await tx.insertInto('certificate_downloads').values(row)
        .onConflict((oc) => oc.column('cert_id').doUpdateSet({ digest: row.digest, password_sealed: row.password_sealed, zip_sealed: row.zip_sealed, files: row.files, built_at: row.built_at }))
        .execute();
    });
  }

  async deleteCertificate(accountUin: string, id: string, log: OperationLogRecord, jobs: NewJob[] = []) {
    return this.db.kysely.transaction().execute(async (tx) => {
      const own = await tx.selectFrom('certificates').select('id').where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
      if (!own) return false;
      await tx.deleteFrom('certificate_tags').where('cert_id', '=', id).where('account_uin', '=', accountUin).execute();
      await tx.deleteFrom('dv_orders').where('cert_id', '=', id).execute();
      // A renewal that is deleted no longer blocks renewing the original.
      await tx.updateTable('certificates').set({ renew_order_id: null })
        .where('renew_order_id', '=', id).where('account_uin', '=', accountUin).execute();
      for (const j of jobs) await upsertJob(tx, j, log.createdAt);
      // The sealed key goes with the certificate, for good, and so does its kept archive.
      await tx.deleteFrom('certificate_downloads').where('cert_id', '=', id).execute();
      await tx.deleteFrom('certificate_material').where('cert_id', '=', id).execute();
      const r = await tx.deleteFrom('certificates').where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) return false;
      await insertLog(tx, log);
      return true;
    });
  }
}

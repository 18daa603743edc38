// The only code that reads and writes the database. Services get these narrow interfaces.
import { sql, type Kysely, type QueryCreator, type RawBuilder, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database, CertificateMaterialRow, CertificateRow, DvOrderRow, JobRow, PaidOrderRow } from './schema.js';
import type { AccountRecord, ApiKeyRecord, ProjectRecord, UserRecord } from '../domain/account.js';
import type { CertificateQuery, CertificateRecord, CertificateTransition, OperationLogRecord, Tag } from '../domain/certificate.js';
import type { DvOrderRecord } from '../domain/dv-order.js';
import type { JobRecord } from '../domain/job.js';
import type { PaidOrderRecord } from '../domain/paid-order.js';
import { openDb, type Db } from './db.js';
import { migrate } from './migrations/index.js';
import { ORDER_BUCKET } from './migrations/0015_order_buckets.js';
import { type AccountStore, type AcmeAccountStore, type CaStore, type CertificateStore, type DvOrderStore, type JobStore, type OperationLogStore, type PaidOrderStore, type ProjectStore, RenewalConflict, ReplaceConflict } from '../domain/stores.js';
import type { NewJob } from '../domain/job.js';

type Q = Kysely<Database> | Transaction<Database>;

export type Store = AccountStore & ProjectStore & CertificateStore & OperationLogStore & DvOrderStore & JobStore & CaStore & AcmeAccountStore
  & PaidOrderStore & {
  readonly dialect: Db['dialect'];
  /** Plain SELECT 1, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
};

const DAY_MS = 86_400_000;
/** What a CertificateRecord needs of certificate_material (joined as `m`). */
const MATERIAL = ['m.cert_pem', 'm.private_key_sealed', 'm.key_password_sealed', 'm.encrypt_cert_pem', 'm.encrypt_key_sealed'] as const;

/**
 * Issued certificates of an account with now <= notAfter <= until, as one scalar query: whole
 * days between from certificate_expiry_days, the first and last day counted row by row.
 */
function expiringCount(db: Q, accountUin: string, now: number, until: number) {
  const first = Math.floor(now / DAY_MS);
  const last = Math.floor(until / DAY_MS);
  const rows = (from: number, to: number) => sql<number>`(select count(*) from certificates c
    where c.account_uin = ${accountUin} and c.status = 1 and c.not_after >= ${from} and c.not_after <= ${to})`;
  if (last - first < 2) return db.selectNoFrom(rows(now, until).as('n'));
  return db.selectNoFrom(sql<number>`(select coalesce(sum(d.n), 0) from certificate_expiry_days d
    where d.account_uin = ${accountUin} and d.day > ${first} and d.day < ${last})
    + ${rows(now, (first + 1) * DAY_MS - 1)} + ${rows(last * DAY_MS, until)}`.as('n'));
}

const like = (s: string) => '%' + s.toLowerCase().replace(/[\\%_]/g, (m) => '\\' + m) + '%';

type FullRow = CertificateRow & Pick<CertificateMaterialRow, 'cert_pem' | 'private_key_sealed' | 'key_password_sealed'>
  & Partial<Pick<CertificateMaterialRow, 'encrypt_cert_pem' | 'encrypt_key_sealed'>>;

function toRecord(r: FullRow, tags: Tag[]): CertificateRecord {
  return {
    id: r.id,
    accountUin: r.account_uin,
    projectId: Number(r.project_id),
    alias: r.alias,
    certificateType: r.certificate_type as 'SVR' | 'CA',
    source: r.source,
    status: r.status,
    statusMsg: r.status_msg,
    domain: r.domain,
    sans: JSON.parse(r.sans),
    certPem: r.cert_pem,
    privateKeySealed: r.private_key_sealed,
    keyPasswordSealed: r.key_password_sealed,
    fingerprintSha1: r.fingerprint_sha1,
    fingerprintSha256: r.fingerprint_sha256,
    serialHex: r.serial_hex,
    issuerCn: r.issuer_cn,
    encryptAlgorithm: r.encrypt_algorithm,
    isSm: !!r.is_sm,
    isWildcard: !!r.is_wildcard,
    isDv: !!r.is_dv,
    notBefore: Number(r.not_before),
    notAfter: Number(r.not_after),
    certificateUse: r.certificate_use,
    packageType: r.package_type,
    productZhName: r.product_zh_name,
    verifyType: r.verify_type,
    validityPeriod: r.validity_period,
    caInfo: r.ca_info ? JSON.parse(r.ca_info) : null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    tags,
    dvDeadline: r.dv_deadline === null ? null : Number(r.dv_deadline),
    validatedAt: r.validated_at === null ? null : Number(r.validated_at),
    originCertId: r.origin_cert_id,
    renewOrderId: r.renew_order_id,
    replacedBy: r.replaced_by,
    replacedFor: r.replaced_for,
    encryptCertPem: r.encrypt_cert_pem ?? null,
    encryptKeySealed: r.encrypt_key_sealed ?? null,
  };
}

function toRow(c: CertificateRecord): CertificateRow {
  return {
    id: c.id,
    account_uin: c.accountUin,
    project_id: c.projectId,
    alias: c.alias,
    certificate_type: c.certificateType,
    source: c.source,
    status: c.status,
    status_msg: c.statusMsg,
    domain: c.domain,
    sans: JSON.stringify(c.sans),
    search_text: [c.id, c.alias, c.domain, ...c.sans].join('\n').toLowerCase(),
    has_key: c.privateKeySealed ? 1 : 0,
    fingerprint_sha1: c.fingerprintSha1,
    fingerprint_sha256: c.fingerprintSha256,
    serial_hex: c.serialHex,
    issuer_cn: c.issuerCn,
    encrypt_algorithm: c.encryptAlgorithm,
    is_sm: c.isSm ? 1 : 0,
    is_wildcard: c.isWildcard ? 1 : 0,
    is_dv: c.isDv ? 1 : 0,
    not_before: c.notBefore,
    not_after: c.notAfter,
    certificate_use: c.certificateUse,
    package_type: c.packageType,
    product_zh_name: c.productZhName,
    verify_type: c.verifyType,
    validity_period: c.validityPeriod,
    ca_info: c.caInfo ? JSON.stringify(c.caInfo) : null,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    dv_deadline: c.dvDeadline,
    validated_at: c.validatedAt,
    origin_cert_id: c.originCertId,
    renew_order_id: c.renewOrderId,
    replaced_by: c.replacedBy,
    replaced_for: c.replacedFor,
  };
}

const dvOrderRow = (o: DvOrderRecord): DvOrderRow => ({
  cert_id: o.certId,
  account_uin: o.accountUin,
  method: o.method,
  main_domain: o.mainDomain,
  auths: JSON.stringify(o.auths),
  key_algo: o.keyAlgo,
  key_param: o.keyParam,
  contact_email: o.contactEmail,
  contact_phone: o.contactPhone,
  delete_dns_auto_record: o.deleteDnsAutoRecord ? 1 : 0,
  record_state: o.recordState,
  last_check_at: o.lastCheckAt,
  last_check_detail: o.lastCheckDetail,
  created_at: o.createdAt,
  acme_order_url: o.acmeOrderUrl,
  csr_pem: o.csrPem,
});

const dvOrderRecord = (r: DvOrderRow): DvOrderRecord => ({
  certId: r.cert_id,
  accountUin: r.account_uin,
  method: r.method as DvOrderRecord['method'],
  mainDomain: r.main_domain,
  auths: JSON.parse(r.auths),
  keyAlgo: r.key_algo as DvOrderRecord['keyAlgo'],
  keyParam: r.key_param,
  contactEmail: r.contact_email,
  contactPhone: r.contact_phone,
  deleteDnsAutoRecord: !!r.delete_dns_auto_record,
  recordState: r.record_state as DvOrderRecord['recordState'],
  lastCheckAt: r.last_check_at === null ? null : Number(r.last_check_at),
  lastCheckDetail: r.last_check_detail,
  createdAt: Number(r.created_at),
  acmeOrderUrl: r.acme_order_url,
  csrPem: r.csr_pem,
});

const paidRecord = (r: PaidOrderRow): PaidOrderRecord => ({
  certId: r.cert_id,
  accountUin: r.account_uin,
  productId: Number(r.product_id),
  domainNum: Number(r.domain_num),
  timeSpan: Number(r.time_span),
  validityDays: Number(r.validity_days),
  dealId: r.deal_id,
  submitted: r.submitted ? JSON.parse(r.submitted) : null,
  csrPem: r.csr_pem,
  letterSealed: r.letter_sealed,
  letterType: r.letter_type,
  reviewNote: r.review_note,
  reviewedBy: r.reviewed_by,
  reviewedAt: r.reviewed_at === null ? null : Number(r.reviewed_at),
  createdAt: Number(r.created_at),
});

const jobRecord = (r: JobRow): JobRecord => ({
  kind: r.kind,
  subject: r.subject,
  state: r.state as JobRecord['state'],
  runAt: Number(r.run_at),
  attempts: r.attempts,
  leaseOwner: r.lease_owner,
  leaseUntil: Number(r.lease_until),
  lastError: r.last_error,
  payload: r.payload,
});

/** A certificate's row, its material and its tags. */
async function insertCertificateRows(q: Q, c: CertificateRecord): Promise<void> {
  await q.insertInto('certificates').values(toRow(c)).execute();
  await q.insertInto('certificate_material').values(materialRow(c)).execute();
  if (c.tags.length) {
    await q.insertInto('certificate_tags')
      .values(c.tags.map((t) => ({ cert_id: c.id, account_uin: c.accountUin, tag_key: t.key, tag_value: t.value, cert_created_at: c.createdAt }))).execute();
  }
}

/** JobStore.ensureJob's statement, for the stores that keep their own tables (notices). */
export async function ensureJobRow(q: Q, j: NewJob, now: number): Promise<void> {
  await q.insertInto('jobs').values({
    kind: j.kind, subject: j.subject, state: 'pending', run_at: j.runAt, attempts: 0, lease_owner: null, lease_until: 0,
    last_error: null, payload: j.payload ?? null, created_at: now, updated_at: now,
  }).onConflict((oc) => oc.columns(['kind', 'subject']).doUpdateSet({ state: 'pending', run_at: j.runAt, updated_at: now })
    .where('jobs.state', '<>', 'pending')).execute();
}

/** Creates the job, or makes an existing one (kind, subject) pending again at runAt (inside the caller's transaction). */
export async function upsertJob(q: Q, j: NewJob, now: number): Promise<void> {
  await q.insertInto('jobs').values({
    kind: j.kind, subject: j.subject, state: 'pending', run_at: j.runAt, attempts: 0, lease_owner: null, lease_until: 0,
    last_error: null, payload: j.payload ?? null, created_at: now, updated_at: now,
  }).onConflict((oc) => oc.columns(['kind', 'subject']).doUpdateSet({
    state: 'pending', run_at: j.runAt, attempts: 0, payload: j.payload ?? null, last_error: null, updated_at: now,
  })).execute();
}

const materialRow = (c: CertificateRecord): CertificateMaterialRow => ({
  cert_id: c.id, cert_pem: c.certPem, private_key_sealed: c.privateKeySealed, key_password_sealed: c.keyPasswordSealed,
  encrypt_cert_pem: c.encryptCertPem, encrypt_key_sealed: c.encryptKeySealed,
});

const keyRecord = (r: Database['api_keys']): ApiKeyRecord => ({
  secretId: r.secret_id,
  accountUin: r.account_uin,
  userUin: r.user_uin,
  secretKeySealed: r.secret_key_sealed,
  status: r.status as ApiKeyRecord['status'],
  createdAt: Number(r.created_at),
});

const logRow = (l: OperationLogRecord) => ({
  account_uin: l.accountUin,
  user_uin: l.userUin,
  cert_id: l.certId,
  type: l.type,
  action: l.action,
  created_at: l.createdAt,
});

export class SqlStore implements Store {
  private constructor(private readonly db: Db) {}

  static async open(url: string, opts: { schema?: string; poolSize?: number } = {}): Promise<SqlStore> {
    const db = openDb(url, opts);
    await migrate(db.kysely, db.dialect);
    return new SqlStore(db);
  }

  get dialect() {
    return this.db.dialect;
  }
  /** For benchmarks that seed rows in bulk. */
  get kysely(): Kysely<Database> {
    return this.db.kysely;
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

  async ping() {
    await sql`select 1`.execute(this.db.kysely);
  }
  close() {
    return this.db.close();
  }

  // Accounts, users and keys.
  async createAccount(a: AccountRecord) {
    await this.db.kysely.transaction().execute(async (tx) => {
      await tx.insertInto('accounts').values({ uin: a.uin, name: a.name, status: a.status, created_at: a.createdAt }).execute();
      await tx.insertInto('users').values({ uin: a.uin, account_uin: a.uin, name: a.name, created_at: a.createdAt }).execute();
    });
  }
  async getAccount(uin: string) {
    const r = await this.db.kysely.selectFrom('accounts').selectAll().where('uin', '=', uin).executeTakeFirst();
    return r ? { uin: r.uin, name: r.name, status: r.status, createdAt: Number(r.created_at) } : null;
  }
  async listAccounts() {
    const rows = await this.db.kysely.selectFrom('accounts').selectAll().orderBy('created_at').execute();
    return rows.map((r) => ({ uin: r.uin, name: r.name, status: r.status, createdAt: Number(r.created_at) }));
  }
  async createUser(u: UserRecord) {
    await this.db.kysely.insertInto('users').values({ uin: u.uin, account_uin: u.accountUin, name: u.name, created_at: u.createdAt }).execute();
  }
  async getUser(uin: string) {
    const r = await this.db.kysely.selectFrom('users').selectAll().where('uin', '=', uin).executeTakeFirst();
    return r ? { uin: r.uin, accountUin: r.account_uin, name: r.name, createdAt: Number(r.created_at) } : null;
  }
  async listUsers(accountUin: string) {
    const rows = await this.db.kysely.selectFrom('users').selectAll().where('account_uin', '=', accountUin).orderBy('created_at').execute();
    return rows.map((r) => ({ uin: r.uin, accountUin: r.account_uin, name: r.name, createdAt: Number(r.created_at) }));
  }
  async createKey(k: ApiKeyRecord) {
    await this.db.kysely.insertInto('api_keys').values({
      secret_id: k.secretId, account_uin: k.accountUin, user_uin: k.userUin,
      secret_key_sealed: k.secretKeySealed, status: k.status, created_at: k.createdAt,
    }).execute();
  }
  async findKey(secretId: string) {
    const r = await this.db.kysely.selectFrom('api_keys').selectAll().where('secret_id', '=', secretId).executeTakeFirst();
    return r ? keyRecord(r) : null;
  }
  async listKeys(accountUin: string) {
    const rows = await this.db.kysely.selectFrom('api_keys').selectAll().where('account_uin', '=', accountUin).orderBy('created_at').execute();
    return rows.map(keyRecord);
  }
  async setKeyStatus(secretId: string, status: 'active' | 'disabled') {
    const r = await this.db.kysely.updateTable('api_keys').set({ status }).where('secret_id', '=', secretId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async deleteKey(secretId: string) {
    const r = await this.db.kysely.deleteFrom('api_keys').where('secret_id', '=', secretId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // Projects.
  async getProject(accountUin: string, projectId: number) {
    const r = await this.db.kysely.selectFrom('projects').selectAll()
      .where('account_uin', '=', accountUin).where('project_id', '=', projectId).executeTakeFirst();
    return r ? { accountUin: r.account_uin, projectId: Number(r.project_id), name: r.name, createdAt: Number(r.created_at) } : null;
  }
  async getProjects(accountUin: string, projectIds: number[]) {
    if (projectIds.length === 0) return [];
    const rows = await this.db.kysely.selectFrom('projects').selectAll()
      .where('account_uin', '=', accountUin).where('project_id', 'in', projectIds).execute();
    return rows.map((r) => ({ accountUin: r.account_uin, projectId: Number(r.project_id), name: r.name, createdAt: Number(r.created_at) }));
  }
  async ensureProject(p: ProjectRecord) {
    await this.db.kysely.insertInto('projects')
      .values({ account_uin: p.accountUin, project_id: p.projectId, name: p.name, created_at: p.createdAt })
      .onConflict((oc) => oc.columns(['account_uin', 'project_id']).doNothing()).execute();
    return (await this.getProject(p.accountUin, p.projectId))!;
  }
  async listProjects(accountUin: string) {
    const rows = await this.db.kysely.selectFrom('projects').selectAll().where('account_uin', '=', accountUin).orderBy('project_id').execute();
    return rows.map((r) => ({ accountUin: r.account_uin, projectId: Number(r.project_id), name: r.name, createdAt: Number(r.created_at) }));
  }

  // Certificates.
  private async tagsFor(q: Q, ids: string[]): Promise<Map<string, Tag[]>> {
    const out = new Map<string, Tag[]>();
    if (ids.length === 0) return out;
    const rows = await q.selectFrom('certificate_tags').select(['cert_id', 'tag_key', 'tag_value'])
      .where('cert_id', 'in', ids).orderBy('tag_key').execute();
    for (const r of rows) {
      const list = out.get(r.cert_id) ?? [];
      list.push({ key: r.tag_key, value: r.tag_value });
      out.set(r.cert_id, list);
    }
    return out;
  }

  async insertCertificate(c: CertificateRecord, log: OperationLogRecord) {
    await this.db.kysely.transaction().execute(async (tx) => {
      await insertCertificateRows(tx, c);
      await tx.insertInto('operation_logs').values(logRow(log)).execute();
    });
  }

  /** Seeds many certificates in a few statements (benchmarks, imports); no log entries. */
  async bulkInsertCertificates(list: CertificateRecord[]) {
    await this.db.kysely.transaction().execute(async (tx) => {
      for (let i = 0; i < list.length; i += 200) {
        const chunk = list.slice(i, i + 200);
        await tx.insertInto('certificates').values(chunk.map(toRow)).execute();
        await tx.insertInto('certificate_material').values(chunk.map(materialRow)).execute();
        const tags = chunk.flatMap((c) => c.tags.map((t) => ({ cert_id: c.id, account_uin: c.accountUin, tag_key: t.key, tag_value: t.value, cert_created_at: c.createdAt })));
        if (tags.length) await tx.insertInto('certificate_tags').values(tags).execute();
      }
    });
  }

  async getCertificate(accountUin: string, id: string) {
    const r = await this.full().where('c.account_uin', '=', accountUin).where('c.id', '=', id).executeTakeFirst();
    if (!r) return null;
    return toRecord(r, (await this.tagsFor(this.db.kysely, [r.id])).get(r.id) ?? []);
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
    const r = await this.full().where('c.id', '=', id).executeTakeFirst();
    if (!r) return null;
    return toRecord(r, (await this.tagsFor(this.db.kysely, [r.id])).get(r.id) ?? []);
  }

  async findByFingerprint(accountUin: string, sha1: string, type: string) {
    const r = await this.full()
      .where('c.account_uin', '=', accountUin).where('c.fingerprint_sha1', '=', sha1).where('c.certificate_type', '=', type)
      .orderBy('c.created_at').executeTakeFirst();
    if (!r) return null;
    return toRecord(r, (await this.tagsFor(this.db.kysely, [r.id])).get(r.id) ?? []);
  }

  /** Certificates with their PEM and sealed key. */
  private full() {
    return this.db.kysely.selectFrom('certificates as c')
      .innerJoin('certificate_material as m', 'm.cert_id', 'c.id')
      .selectAll('c').select(MATERIAL);
  }

  async listCertificates(q: CertificateQuery) {
    // Built to stay fast with a million certificates in one account (bench/listing.ts, with
    // the counts, indexes and trigram search of migration 0006):
    //  - TotalCount is the account's count kept by triggers when nothing filters, else COUNT(*);
    //  - SearchKey goes through a trigram index first (FTS5 on SQLite, pg_trgm on PostgreSQL,
    //    looking up only the key's selective part) and is then checked exactly;
    //  - a page is one statement: its ids picked through the indexes, then only those rows
    //    read with PEM, keys and tags; the first page carries the count too; a deeper page is
    //    read from whichever end of the order is nearer (Offset 999,990 of 1,000,000 is the
    //    first page read backwards); on PostgreSQL, deeper than two buckets from either end of
    //    the default order, from the bucket counts of migration 0015, in one statement.
    // A count and the page it goes with agree (one statement, or one snapshot).
    const dialect = this.db.dialect;
    const key = q.searchKey ? q.searchKey.toLowerCase() : '';
    /**
     * `oneStatement`: only a page that one statement reads with its count (a deep page of the
     * default order on PostgreSQL); null, before any query, for anything else.
     */
    const list = async (db: Q, oneStatement = false): Promise<{ total: number; items: CertificateRecord[] } | null> => {
      let base = db.selectFrom('certificates as c').where('c.account_uin', '=', q.accountUin);
      let filters = 0;
      const filter = (f: (b: typeof base) => typeof base) => {
        base = f(base);
        filters++;
      };

      /**
       * PostgreSQL: the part of the search key to look up in the trigram index. pg_trgm reads
       * the whole posting list of every trigram of a LIKE pattern, and one that most rows have
       * (`com`, the account's own domain) costs ~20 ms at a million rows; the trigram
       * statistics (migration 0006, read through certificate_trigram_freqs) say which. The cheapest part wins: reading a
       * trigram costs its frequency, each candidate row checked in the table ~250 times
       * that; adjacent trigrams are far from independent, so a part's selectivity is taken as
       * its rarest trigram's times the square roots of the others'. Any part finds every row
       * holding the whole key; the whole key is then checked with strpos.
       */
      const selectivePart = async (): Promise<string> => {
        const chars = [...key];
        if (chars.length < 4 || chars.length > 64) return key;
        // The trigrams pg_trgm extracts from LIKE '%s%': runs of letters and digits, padded
        // with two blanks before and one after where they meet another character inside s
        // (not at its ends, where the wildcards are).
        const wordChar = /[\p{L}\p{N}]/u;
        const trigrams = (s: string[]): string[] => {
          const out = new Set<string>();
          for (let i = 0; i < s.length;) {
            if (!wordChar.test(s[i]!)) {
              i++;
              continue;
            }
            let j = i;
            while (j < s.length && wordChar.test(s[j]!)) j++;
            const padded = [...(i > 0 ? [' ', ' '] : []), ...s.slice(i, j), ...(j < s.length ? [' '] : [])];
            for (let k = 0; k + 3 <= padded.length; k++) out.add(padded.slice(k, k + 3).join(''));
            i = j;
          }
          return [...out];
        };
        // A part's trigrams are among the whole key's.
        const stats = (await sql<{ f: { min: number | null; found: Record<string, number> | null } | null }>`
          select certificate_trigram_freqs(${trigrams(chars)}::text[]) as f`.execute(db)).rows[0]?.f;
        if (!stats?.min) return key; // not analysed yet: look every trigram up
        const found = stats.found ?? {};
        let best = key;
        let bestCost = Infinity;
        for (let i = 0; i < chars.length; i++) {
          for (let j = i + 3; j <= chars.length; j++) {
            const f = trigrams(chars.slice(i, j)).map((t) => found[t] ?? stats.min! / 2).sort((a, b) => a - b);
            if (f.length === 0) continue;
            const cost = f.reduce((a, b) => a + b, 0) + 250 * f.slice(1).reduce((p, x) => p * Math.sqrt(x), f[0]!);
            if (cost < bestCost) {
              bestCost = cost;
              best = chars.slice(i, j).join('');
            }
          }
        }
        return best;
      };

      if (key && dialect === 'sqlite') {
        // FTS5's trigram tokenizer matches a quoted phrase of three or more characters as a substring.
        if ([...key].length >= 3) {
          const phrase = '"' + key.replaceAll('"', '""') + '"';
          filter((b) => b.where(sql<boolean>`c.id in (select cert_id from certificate_search
            where rid in (select rowid from certificates_fts where certificates_fts match ${phrase}))`));
        }
        filter((b) => b.where(sql<boolean>`c.search_text like ${like(key)} escape '\\'`));
      } else if (key) {
        const part = await selectivePart();
        filter((b) => b.where(sql<boolean>`c.search_text like ${like(part)} escape '\\'`));
        if (part !== key) filter((b) => b.where(sql<boolean>`strpos(c.search_text, ${key}) > 0`));
      }
      if (q.certificateType) filter((b) => b.where('c.certificate_type', '=', q.certificateType!));
      if (q.projectId !== undefined) filter((b) => b.where('c.project_id', '=', q.projectId!));
      if (q.statuses?.length) {
        const now = q.now;
        const wanted = q.statuses;
        // Expiry is not written back to the row: an issued certificate past notAfter is 3.
        filter((b) => b.where((eb) => eb.or(wanted.map((s) => {
          if (now === undefined) return eb('c.status', '=', s);
          if (s === 1) return eb.and([eb('c.status', '=', 1), eb('c.not_after', '>=', now)]);
          if (s === 3) return eb.or([eb('c.status', '=', 3), eb.and([eb('c.status', '=', 1), eb('c.not_after', '<', now)])]);
          return eb('c.status', '=', s);
        }))));
      }
      if (q.source === 'upload') filter((b) => b.where('c.source', '=', 'upload'));
      if (q.source === 'buy') filter((b) => b.where('c.source', '!=', 'upload'));
      if (q.isSm !== undefined) filter((b) => b.where('c.is_sm', '=', q.isSm ? 1 : 0));
      if (q.certIds?.length) filter((b) => b.where('c.id', 'in', q.certIds!));
      if (q.pendingIssue) filter((b) => b.where('c.status', 'in', [0, 4]));
      if (q.deployable !== undefined) {
        const cond = q.now === undefined
          ? sql<boolean>`(c.certificate_type = 'SVR' and c.status = 1 and c.has_key = 1)`
          : sql<boolean>`(c.certificate_type = 'SVR' and c.status = 1 and c.has_key = 1 and c.not_after >= ${q.now})`;
        filter((b) => b.where(q.deployable ? cond : sql<boolean>`not ${cond}`));
      }
      if (q.expiring) {
        const { now, until } = q.expiring;
        filter((b) => b.where('c.status', '=', 1).where('c.not_after', '>=', now).where('c.not_after', '<=', until));
      }
      // Tags, through the account's tag index (tags are stored with their certificate's account,
      // one per certificate and key, deleted with it).
      const tagCounts: number[] = [];
      if (oneStatement && q.tags?.length) return null; // filtered, and read ahead below
      // One tag key=value and nothing else, newest first: the page comes straight from the
      // tag's index in creation order (tagPage below).
      const soleTag = filters === 0 && !key && !q.expirationSort && q.tags?.length === 1 && q.tags[0]!.value !== '' ? q.tags[0]! : null;
      for (const t of q.tags ?? []) {
        const tagged = db.selectFrom('certificate_tags as t').select('t.cert_id')
          .where('t.account_uin', '=', q.accountUin).where('t.tag_key', '=', t.key)
          .$if(t.value !== '', (qb) => qb.where('t.tag_value', '=', t.value));
        if (dialect === 'postgres' && !soleTag) {
          // PostgreSQL would probe the tag index once for every certificate it walks in sort
          // order (it never keeps a hash join's order): ~17 ms for a tag on 0.3% of a million.
          // Up to 20,000 ids as a constant array are hashed instead (~2 ms).
          const ids = (await tagged.limit(20_001).execute()).map((r) => r.cert_id);
          if (ids.length <= 20_000) {
            filter((b) => b.where(sql<boolean>`c.id = any(${ids}::text[])`));
            tagCounts.push(ids.length);
            continue;
          }
        }
        filter((b) => b.where('c.id', 'in', tagged));
      }

      const filtered = filters > 0;
      // Newest first (id breaks ties), or by expiry with ids ascending within one notAfter.
      const ordering = (backwards: boolean): ['created_at' | 'not_after' | 'id', 'asc' | 'desc'][] => {
        const dir = (d: 'asc' | 'desc'): 'asc' | 'desc' => (backwards ? (d === 'asc' ? 'desc' : 'asc') : d);
        return q.expirationSort
          ? [['not_after', dir(q.expirationSort === 'ASC' ? 'asc' : 'desc')], ['id', dir('asc')]]
          : [['created_at', dir('desc')], ['id', dir('desc')]];
      };
      const tagsJson = dialect === 'postgres'
        ? sql<unknown>`(select json_agg(json_build_array(t.tag_key, t.tag_value) order by t.tag_key) from certificate_tags t where t.cert_id = c.id)`
        : sql<unknown>`(select json_group_array(json_array(t.tag_key, t.tag_value) order by t.tag_key) from certificate_tags t where t.cert_id = c.id)`;
      /**
       * One page in one statement: `p` picks the page's ids through the indexes (sorting only
       * ids), then only those rows are read with their PEM, sealed keys and tags, in the page's
       * order. `at`: a statement `p` reads as `at` (a CTE: evaluated once).
       */
      const rowsOf = (p: SelectQueryBuilder<any, any, { id: string }>, backwards: boolean, at?: RawBuilder<unknown>) => {
        const start = (at ? db.with('at', (w) => w.selectFrom(at.as('a')).selectAll()) : db) as QueryCreator<Database>;
        let rows = start.with('p', () => p).selectFrom('p').innerJoin('certificates as c', 'c.id', 'p.id')
          .leftJoin('certificate_material as m', 'm.cert_id', 'c.id')
          .selectAll('c').select(MATERIAL).select(tagsJson.as('tags_json'));
        for (const [col, d] of ordering(backwards)) rows = rows.orderBy(`c.${col}`, d);
        return rows;
      };
      /** `below`: only rows before a (created_at, id) key in the default order. */
      const page = (limit: number, offset: number | RawBuilder<number>, backwards: boolean, below?: RawBuilder<boolean>, at?: RawBuilder<unknown>) => {
        // Only the order's own columns: its index then holds all that OFFSET skips, and
        // PostgreSQL skips it in an index-only scan (a heap read per skipped row made
        // Offset 900,000 of 1,000,000 cost ~60 ms when the rows were not cached).
        let ids = (below ? base.where(below) : base)
          .select(q.expirationSort ? ['c.id', 'c.not_after'] : ['c.id', 'c.created_at']);
        for (const [col, d] of ordering(backwards)) ids = ids.orderBy(`c.${col}`, d);
        return rowsOf(ids.limit(limit).offset(offset), backwards, at);
      };
      type Row = Awaited<ReturnType<ReturnType<typeof page>['execute']>>[number];
      const record = (r: Row) => {
        const list = (typeof r.tags_json === 'string' ? JSON.parse(r.tags_json) : r.tags_json ?? []) as [string, string][];
        // The row as it is (copying a 40-column row with spreads costs V8 µs per column).
        if (r.cert_pem === null) r.cert_pem = '';
        return toRecord(r as FullRow, list.map(([k, v]) => ({ key: k, value: v })));
      };
      // TotalCount: a search counts its matches (below); with no filter, the kept count; for one
      // tag alone, its rows in the tag index (or the ids already read); else COUNT(*).
      const tags = q.tags ?? [];
      const known = filters === 1 && tagCounts.length === 1 ? tagCounts[0]! : null;
      // FilterExpiring alone (or with CertificateStatus [1], which it implies): the whole days
      // of the window from the kept per-day counts (migration 0014), the two partial days row by row.
      const onlyExpiring = q.expiring && !key && tags.length === 0 && (q.statuses === undefined || (q.statuses.length === 1 && q.statuses[0] === 1))
        && filters === (q.statuses ? 2 : 1) ? q.expiring : null;
      const counted = onlyExpiring ? expiringCount(db, q.accountUin, onlyExpiring.now, onlyExpiring.until) : !filtered
        ? db.selectFrom(sql<{ n: number }>`certificate_counts`.as('k')).select('k.n').where(sql.ref('k.account_uin'), '=', q.accountUin)
        : filters === 1 && tags.length === 1
          ? db.selectFrom('certificate_tags as t').select((eb) => eb.fn.countAll<number>().as('n'))
            .where('t.account_uin', '=', q.accountUin).where('t.tag_key', '=', tags[0]!.key)
            .$if(tags[0]!.value !== '', (qb) => qb.where('t.tag_value', '=', tags[0]!.value))
          : base.select((eb) => eb.fn.countAll<number>().as('n'));
      const count = async () => known ?? Number((await counted.executeTakeFirst())?.n ?? 0);

      if (soleTag) {
        const tagPage = (limit: number, offset: number) => rowsOf(db.selectFrom('certificate_tags as t')
          .select(['t.cert_id as id', 't.cert_created_at'])
          .where('t.account_uin', '=', q.accountUin).where('t.tag_key', '=', soleTag.key).where('t.tag_value', '=', soleTag.value)
          .orderBy('t.cert_created_at', 'desc').orderBy('t.cert_id', 'desc').limit(limit).offset(offset), false);
        if (q.offset === 0) {
          const rows = await tagPage(q.limit, 0).select(counted.as('total')).execute();
          return { total: rows.length ? Number(rows[0]!.total) : await count(), items: rows.map(record) };
        }
        const total = await count();
        return { total, items: q.offset >= total ? [] : (await tagPage(q.limit, q.offset).execute()).map(record) };
      }

      if (key) {
        // A search: its matches once through the trigram index, counted and sorted, then the
        // page's rows, in one statement (the planner cannot know how few the matches are, and
        // might otherwise walk the whole sort index hoping to meet them early). The count
        // comes on every row, and alone on one row when the page is empty.
        let found = db.with((cte) => cte('hits').materialized(), () => base.select(['c.id', 'c.created_at', 'c.not_after']))
          .with('n', (w) => w.selectFrom('hits').select((eb) => eb.fn.countAll().as('n')))
          .with('p', (w) => {
            let ids = w.selectFrom('hits').select(['hits.id', 'hits.created_at', 'hits.not_after']);
            for (const [col, d] of ordering(false)) ids = ids.orderBy(`hits.${col}`, d);
            return ids.limit(q.limit).offset(q.offset);
          })
          .selectFrom('n').leftJoin('p', (join) => join.onTrue())
          .leftJoin('certificates as c', 'c.id', 'p.id').leftJoin('certificate_material as m', 'm.cert_id', 'c.id')
          .select('n.n').selectAll('c').select(MATERIAL).select(tagsJson.as('tags_json'));
        for (const [col, d] of ordering(false)) found = found.orderBy(`p.${col}`, d);
        const rows = await found.execute();
        return {
          total: Number(rows[0]?.n ?? 0),
          items: rows.flatMap((r) => (r.id === null ? [] : [record(r as unknown as Row)])),
        };
      }
      if (oneStatement) {
        if (dialect !== 'postgres' || filtered || q.expirationSort || q.offset <= 2 * ORDER_BUCKET) return null;
        // Deep in the default order: the bucket holding the page's first row from the kept
        // bucket counts (migration 0015), at most one bucket's rows skipped, and the count, in
        // one statement (a round trip each cost more than the statement). The newest bucket
        // (no key above it) holds at most 2 * ORDER_BUCKET rows, so it never holds the page.
        const at = sql`(select hc, hi, (cum - n)::bigint as before from (
            select lo_created_at, lo_id, n, sum(n) over w as cum, lag(lo_created_at) over w as hc, lag(lo_id) over w as hi
            from certificate_order_buckets where account_uin = ${q.accountUin}
            window w as (order by lo_created_at desc, lo_id desc)) b
          where cum > ${q.offset} order by lo_created_at desc, lo_id desc limit 1)`;
        const rows = await page(q.limit, sql<number>`(select ${q.offset} - at.before from at)`, false,
          sql<boolean>`(c.created_at, c.id) < (select at.hc, at.hi from at)`, at).select(counted.as('total')).execute();
        // Past the end (or no bucket): read as below, in a snapshot.
        return rows.length ? { total: Number(rows[0]!.total), items: rows.map(record) } : null;
      }
      if (q.offset === 0 && known === null) {
        // The first page (nearly every call), and the count with it.
        const rows = await page(q.limit, 0, false).select(counted.as('total')).execute();
        return { total: rows.length ? Number(rows[0]!.total) : await count(), items: rows.map(record) };
      }
      // Deeper pages: from the nearer end of the order (ids only, so the sort's index covers
      // what is skipped).
      const total = await count();
      const take = Math.max(0, Math.min(q.limit, total - q.offset));
      if (take === 0) return { total, items: [] };
      const fromEnd = total - q.offset - take;
      const backwards = fromEnd < q.offset;
      const items = (await page(take, backwards ? fromEnd : q.offset, backwards).execute()).map(record);
      return { total, items: backwards ? items.reverse() : items };
    };
    // A deeper page reads the count, then the page from the nearer end: one snapshot keeps the
    // two in agreement. Everything else is a single statement (or needs no agreement).
    if (q.offset > 0 && !key) {
      if (dialect === 'postgres') {
        const one = await list(this.db.kysely, true);
        if (one) return one;
      }
      const begin = this.db.kysely.transaction();
      return (dialect === 'postgres' ? begin.setIsolationLevel('repeatable read').setAccessMode('read only') : begin)
        .execute(async (tx) => (await list(tx))!); // only oneStatement reads return null
    }
    return (await list(this.db.kysely))!;
  }

  async updateAlias(accountUin: string, id: string, alias: string, now: number, log: OperationLogRecord) {
    return this.db.kysely.transaction().execute(async (tx) => {
      const cur = await tx.selectFrom('certificates').select(['id', 'domain', 'sans']).where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
      if (!cur) return false;
      const search = [cur.id, alias, cur.domain, ...JSON.parse(cur.sans)].join('\n').toLowerCase();
      await tx.updateTable('certificates').set({ alias, search_text: search, updated_at: now })
        .where('account_uin', '=', accountUin).where('id', '=', id).execute();
      await tx.insertInto('operation_logs').values(logRow(log)).execute();
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
      // The sealed key goes with the certificate, for good.
      await tx.deleteFrom('certificate_material').where('cert_id', '=', id).execute();
      const r = await tx.deleteFrom('certificates').where('account_uin', '=', accountUin).where('id', '=', id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) return false;
      await tx.insertInto('operation_logs').values(logRow(log)).execute();
      return true;
    });
  }

  // DV orders.
  async insertDvOrder(c: CertificateRecord, order: DvOrderRecord, log: OperationLogRecord, job: NewJob, renewing?: string, replacing?: string) {
    await this.db.kysely.transaction().execute(async (tx) => {
      await insertCertificateRows(tx, c);
      await tx.insertInto('dv_orders').values(dvOrderRow(order)).execute();
      if (renewing) {
        // Only one renewal at a time: the link is set only where none is.
        const r = await tx.updateTable('certificates').set({ renew_order_id: c.id, updated_at: c.createdAt })
          .where('id', '=', renewing).where('account_uin', '=', c.accountUin).where('renew_order_id', 'is', null).executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new RenewalConflict(renewing);
      }
      if (replacing) {
        // One reissue per certificate: 1 → 11 (reissuing) only where none was made.
        const r = await tx.updateTable('certificates').set({ replaced_by: c.id, status: 11, updated_at: c.createdAt })
          .where('id', '=', replacing).where('account_uin', '=', c.accountUin).where('status', '=', 1).where('replaced_by', 'is', null)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new ReplaceConflict(replacing);
      }
      await tx.insertInto('operation_logs').values(logRow(log)).execute();
      await upsertJob(tx, job, c.createdAt);
    });
  }

  async settleReplacement(originalId: string, reissued: boolean, now: number) {
    await this.db.kysely.updateTable('certificates')
      .set({ status: 1, updated_at: now, ...(reissued ? {} : { replaced_by: null }) })
      .where('id', '=', originalId).where('status', '=', 11).execute();
  }

  async getDvOrder(certId: string) {
    const r = await this.db.kysely.selectFrom('dv_orders').selectAll().where('cert_id', '=', certId).executeTakeFirst();
    return r ? dvOrderRecord(r) : null;
  }

  async getDvOrders(certIds: string[]) {
    const out = new Map<string, DvOrderRecord>();
    for (let i = 0; i < certIds.length; i += 500) {
      const rows = await this.db.kysely.selectFrom('dv_orders').selectAll().where('cert_id', 'in', certIds.slice(i, i + 500)).execute();
      for (const r of rows) out.set(r.cert_id, dvOrderRecord(r));
    }
    return out;
  }

  async recordDvCheck(certId: string, at: number, detail: string, recordState?: DvOrderRecord['recordState']) {
    await this.db.kysely.updateTable('dv_orders')
      .set({ last_check_at: at, last_check_detail: detail, ...(recordState ? { record_state: recordState } : {}) })
      .where('cert_id', '=', certId).execute();
  }

  async replaceAcmeOrder(certId: string, orderUrl: string | null, auths: DvOrderRecord['auths'], recordState: DvOrderRecord['recordState']) {
    await this.db.kysely.updateTable('dv_orders').set({ acme_order_url: orderUrl, auths: JSON.stringify(auths), record_state: recordState })
      .where('cert_id', '=', certId).execute();
  }

  async transitionCertificate(id: string, t: CertificateTransition, log?: OperationLogRecord, jobs: NewJob[] = []) {
    return this.db.kysely.transaction().execute(async (tx) => {
      const set: Partial<CertificateRow> = { updated_at: log?.createdAt ?? Date.now() };
      const v = t.set;
      if (v.status !== undefined) set.status = v.status;
      if (v.statusMsg !== undefined) set.status_msg = v.statusMsg;
      if (v.fingerprintSha1 !== undefined) set.fingerprint_sha1 = v.fingerprintSha1;
      if (v.fingerprintSha256 !== undefined) set.fingerprint_sha256 = v.fingerprintSha256;
      if (v.serialHex !== undefined) set.serial_hex = v.serialHex;
      if (v.issuerCn !== undefined) set.issuer_cn = v.issuerCn;
      if (v.encryptAlgorithm !== undefined) set.encrypt_algorithm = v.encryptAlgorithm;
      if (v.notBefore !== undefined) set.not_before = v.notBefore;
      if (v.notAfter !== undefined) set.not_after = v.notAfter;
      if (v.validatedAt !== undefined) set.validated_at = v.validatedAt;
      if (v.validityPeriod !== undefined) set.validity_period = v.validityPeriod;
      const r = await tx.updateTable('certificates').set(set).where('id', '=', id).where('status', 'in', t.fromStatuses).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      if (v.certPem !== undefined) await tx.updateTable('certificate_material').set({ cert_pem: v.certPem }).where('cert_id', '=', id).execute();
      if (v.encryptCertPem !== undefined) await tx.updateTable('certificate_material').set({ encrypt_cert_pem: v.encryptCertPem }).where('cert_id', '=', id).execute();
      if (log) await tx.insertInto('operation_logs').values(logRow(log)).execute();
      for (const j of jobs) await upsertJob(tx, j, log?.createdAt ?? Date.now());
      return true;
    });
  }

  async countFreeCertificates(accountUin: string, now: number, mainDomain?: string) {
    let q = this.db.kysely.selectFrom('dv_orders as o').innerJoin('certificates as c', 'c.id', 'o.cert_id')
      .where('o.account_uin', '=', accountUin)
      // Pending, or issued and unexpired; failed, cancelled and expired ones no longer count.
      .where((eb) => eb.or([eb('c.status', 'in', [0, 4]), eb.and([eb('c.status', '=', 1), eb('c.not_after', '>', now)])]));
    if (mainDomain !== undefined) q = q.where('o.main_domain', '=', mainDomain);
    const r = await q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // Jobs.
  async enqueueJob(j: NewJob, now: number) {
    await upsertJob(this.db.kysely, j, now);
  }

  async ensureJob(j: NewJob, now: number) {
    await ensureJobRow(this.db.kysely, j, now);
  }

  async dueJobs(now: number, limit: number) {
    const rows = await this.db.kysely.selectFrom('jobs').selectAll()
      .where('state', '=', 'pending').where('run_at', '<=', now).where('lease_until', '<', now)
      .orderBy('run_at').limit(limit).execute();
    return rows.map(jobRecord);
  }

  async claimJob(kind: string, subject: string, owner: string, now: number, leaseMs: number) {
    const r = await this.db.kysely.updateTable('jobs')
      .set((eb) => ({ lease_owner: owner, lease_until: now + leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('kind', '=', kind).where('subject', '=', subject)
      .where('state', '=', 'pending').where('lease_until', '<', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async settleJob(kind: string, subject: string, owner: string, now: number,
    outcome: { state: 'done' | 'failed' } | { state: 'pending'; runAt: number; error?: string }) {
    const r = await this.db.kysely.updateTable('jobs')
      .set({
        state: outcome.state, lease_owner: null, lease_until: 0, updated_at: now,
        ...(outcome.state === 'pending' ? { run_at: outcome.runAt, last_error: outcome.error ?? null } : {}),
      })
      .where('kind', '=', kind).where('subject', '=', subject).where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async getJob(kind: string, subject: string) {
    const r = await this.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', kind).where('subject', '=', subject).executeTakeFirst();
    return r ? jobRecord(r) : null;
  }

  // The CA.
  async getCaMaterial(name: string) {
    const r = await this.db.kysely.selectFrom('ca_material').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? { rootPem: r.root_pem, materialSealed: r.material_sealed, createdAt: Number(r.created_at) } : null;
  }

  async putCaMaterialOnce(name: string, rootPem: string, materialSealed: string, now: number) {
    await this.db.kysely.insertInto('ca_material').values({ name, root_pem: rootPem, material_sealed: materialSealed, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    const r = (await this.getCaMaterial(name))!;
    return { rootPem: r.rootPem, materialSealed: r.materialSealed };
  }

  // Paid orders.
  async insertPaidOrders(items: { cert: CertificateRecord; order: PaidOrderRecord; log: OperationLogRecord }[]) {
    await this.db.kysely.transaction().execute(async (tx) => {
      for (const { cert: c, order: o, log } of items) {
        await insertCertificateRows(tx, c);
        await tx.insertInto('paid_orders').values({
          cert_id: o.certId, account_uin: o.accountUin, product_id: o.productId, domain_num: o.domainNum, time_span: o.timeSpan,
          validity_days: o.validityDays, deal_id: o.dealId, submitted: null, csr_pem: null, letter_sealed: null, letter_type: null,
          review_note: null, reviewed_by: null, reviewed_at: null, created_at: o.createdAt,
        }).execute();
        await tx.insertInto('operation_logs').values(logRow(log)).execute();
      }
    });
  }

  async getPaidOrder(certId: string) {
    const r = await this.db.kysely.selectFrom('paid_orders').selectAll().where('cert_id', '=', certId).executeTakeFirst();
    return r ? paidRecord(r) : null;
  }

  async submitPaidOrder(certId: string, cert: { domain: string; sans: string[]; isWildcard: boolean; privateKeySealed: string | null; keyPasswordSealed: string | null },
    submitted: Record<string, unknown>, csrPem: string | null, log: OperationLogRecord) {
    return this.db.kysely.transaction().execute(async (tx) => {
      const cur = await tx.selectFrom('certificates').select(['alias']).where('id', '=', certId).where('status', '=', 5).executeTakeFirst();
      if (!cur) return false;
      await tx.updateTable('certificates').set({
        domain: cert.domain, sans: JSON.stringify(cert.sans), is_wildcard: cert.isWildcard ? 1 : 0, has_key: cert.privateKeySealed ? 1 : 0,
        search_text: [certId, cur.alias, cert.domain, ...cert.sans].join('\n').toLowerCase(), updated_at: log.createdAt,
      }).where('id', '=', certId).execute();
      await tx.updateTable('certificate_material').set({ private_key_sealed: cert.privateKeySealed, key_password_sealed: cert.keyPasswordSealed })
        .where('cert_id', '=', certId).execute();
      await tx.updateTable('paid_orders').set({ submitted: JSON.stringify(submitted), csr_pem: csrPem }).where('cert_id', '=', certId).execute();
      await tx.insertInto('operation_logs').values(logRow(log)).execute();
      return true;
    });
  }

  async updatePaidOrder(certId: string, patch: Partial<Pick<PaidOrderRecord, 'letterSealed' | 'letterType' | 'reviewNote' | 'reviewedBy' | 'reviewedAt' | 'submitted'>>) {
    const set: Partial<PaidOrderRow> = {};
    if (patch.submitted !== undefined) set.submitted = patch.submitted === null ? null : JSON.stringify(patch.submitted);
    if (patch.letterSealed !== undefined) set.letter_sealed = patch.letterSealed;
    if (patch.letterType !== undefined) set.letter_type = patch.letterType;
    if (patch.reviewNote !== undefined) set.review_note = patch.reviewNote;
    if (patch.reviewedBy !== undefined) set.reviewed_by = patch.reviewedBy;
    if (patch.reviewedAt !== undefined) set.reviewed_at = patch.reviewedAt;
    if (Object.keys(set).length) await this.db.kysely.updateTable('paid_orders').set(set).where('cert_id', '=', certId).execute();
  }

  async listPaidOrders(q: { accountUin?: string; statuses?: number[]; limit: number }) {
    let base = this.db.kysely.selectFrom('paid_orders').selectAll();
    if (q.accountUin) base = base.where('account_uin', '=', q.accountUin);
    const rows = await base.orderBy('created_at', 'desc').limit(Math.max(q.limit * 4, q.limit)).execute();
    const out: { cert: CertificateRecord; order: PaidOrderRecord }[] = [];
    for (const r of rows) {
      const cert = await this.getCertificate(r.account_uin, r.cert_id);
      if (!cert || (q.statuses?.length && !q.statuses.includes(cert.status))) continue;
      out.push({ cert, order: paidRecord(r) });
      if (out.length >= q.limit) break;
    }
    return out;
  }

  async countPaidOrders(accountUin: string) {
    const r = await this.db.kysely.selectFrom('paid_orders').select((eb) => eb.fn.countAll().as('n')).where('account_uin', '=', accountUin).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async startDvValidation(order: DvOrderRecord, dvDeadline: number, log: OperationLogRecord, job: NewJob) {
    return this.db.kysely.transaction().execute(async (tx) => {
      const r = await tx.updateTable('certificates').set({ status_msg: 'pending-dcv', dv_deadline: dvDeadline, verify_type: order.method, updated_at: log.createdAt })
        .where('id', '=', order.certId).where('status', '=', 0).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await tx.deleteFrom('dv_orders').where('cert_id', '=', order.certId).execute();
      await tx.insertInto('dv_orders').values(dvOrderRow(order)).execute();
      await tx.insertInto('operation_logs').values(logRow(log)).execute();
      await upsertJob(tx, job, log.createdAt);
      return true;
    });
  }

  // ACME accounts.
  async getAcmeAccount(directoryUrl: string) {
    const r = await this.db.kysely.selectFrom('acme_accounts').selectAll().where('directory_url', '=', directoryUrl).executeTakeFirst();
    return r ? { keySealed: r.key_sealed } : null;
  }

  async putAcmeAccountOnce(directoryUrl: string, keySealed: string, now: number) {
    await this.db.kysely.insertInto('acme_accounts').values({ directory_url: directoryUrl, key_sealed: keySealed, created_at: now })
      .onConflict((oc) => oc.column('directory_url').doNothing()).execute();
    return (await this.getAcmeAccount(directoryUrl))!;
  }

  // Operation logs.
  async appendLog(l: OperationLogRecord) {
    await this.db.kysely.insertInto('operation_logs').values(logRow(l)).execute();
  }
  async listLogs(accountUin: string, from: number, to: number, offset: number, limit: number) {
    const base = this.db.kysely.selectFrom('operation_logs').where('account_uin', '=', accountUin)
      .where('created_at', '>=', from).where('created_at', '<=', to);
    const n = await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const rows = await base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
    return {
      total: Number(n.n),
      items: rows.map((r) => ({
        accountUin: r.account_uin, userUin: r.user_uin, certId: r.cert_id, type: r.type, action: r.action, createdAt: Number(r.created_at),
      })),
    };
  }
}

// What a DescribeCertificates item shows besides its record (issue 27): the resources serving
// it, its muted expiry notices, its hosting, its project and, where it has them, its DV order
// awaiting issue and its revocation, read as correlated subqueries of the page statement
// itself. They were up to six more queries a page (on PostgreSQL pool connections and round
// trips per request).
import type { ListedSides } from '../../domain/stores.js';
import { AWAITING_ISSUE, CertStatus, isAwaitingIssue, type CertificateRecord } from '../../domain/certificate.js';
import type { CertHostingRow, DeployResourceRow, DvOrderRow, ProjectRow, RevocationRow } from '../schema.js';
import { dvOrderRecord } from '../dv-orders.js';
import { record as revocationRecord } from '../revocations.js';
import { toResource } from '../deployments.js';
import { hostingRecord } from '../hosting.js';
import { projectRecord } from '../projects.js';
import { ROWS_AS_ARRAYS } from '../db.js';
import { raw, sql, type Sql } from './text.js';

// Every column (SQLite names them in json_object; PostgreSQL's row_to_json takes the row).
const RESOURCE = ['id', 'account_uin', 'name', 'resource_type', 'region', 'domains', 'probe_address',
  'probe_sni', 'deployer_type', 'deployer_config', 'deployer_secret_sealed', 'cert_id', 'cert_sha256', 'deployed_at', 'probe_sha256',
  'probe_at', 'probe_error', 'created_at', 'updated_at'] as const satisfies readonly (keyof DeployResourceRow)[];
const HOSTING = ['cert_id', 'account_uin', 'resource_types', 'replace_days', 'message_types', 'window_start',
  'window_end', 'status', 'renew_cert_id', 'record_id', 'complete_at', 'failures', 'next_at', 'last_error', 'created_at', 'updated_at'] as const satisfies readonly (keyof CertHostingRow)[];
const PROJECT = ['account_uin', 'project_id', 'name', 'created_at'] as const satisfies readonly (keyof ProjectRow)[];
const DV_ORDER = ['cert_id', 'account_uin', 'method', 'main_domain', 'auths', 'key_algo', 'key_param', 'contact_email',
  'contact_phone', 'delete_dns_auto_record', 'record_state', 'last_check_at', 'last_check_detail', 'created_at', 'acme_order_url', 'csr_pem'] as const satisfies readonly (keyof DvOrderRow)[];
const REVOCATION = ['cert_id', 'account_uin', 'serial_hex', 'encrypt_serial_hex', 'crl_issuer', 'reason', 'state',
  'requested_at', 'requested_by', 'revoked_at', 'auths', 'last_check_detail', 'letter_sealed', 'letter_type', 'confirmed_by', 'spki_sha256'] as const satisfies readonly (keyof RevocationRow)[];

const object = (pg: boolean, t: string, cols: readonly string[]) =>
  (pg ? `row_to_json(${t})` : `json_object(${cols.map((c) => `'${c}', ${t}.${c}`).join(', ')})`);

/**
 * The six side columns of a page row of `c`, in ROW_COLUMNS' order: PostgreSQL's from
 * pgSideFacts' CTEs where wanted (SQLite reads them apart, sqliteSides); unnamed (`named` false)
 * for a packed row.
 */
export function sideColumns(wanted: boolean, named = true): Sql {
  if (!named) return wanted ? PG_SIDE_VALUES : raw('null, 0, null, null, null, null');
  if (!wanted) return raw('null as side_resources, 0 as side_ignored, null as side_hosting, null as side_project, null as side_order, null as side_revocation');
  return PG_SIDE_COLUMNS;
}

// ---- PostgreSQL: side tables read once a page (issue 27) ----
/**
 * PostgreSQL: the page's rows of the side tables, each table read once per statement (CTEs over
 * the page's ids `p`, and `pf`: their fingerprints and projects), for PG_SIDE_COLUMNS to look up
 * row by row. As subqueries on the tables, each of the page's rows scanned each side table once:
 * small tables are read by sequential scans, and every scan asks the kernel for the table's
 * length (lseek): 43 a 10-row page statement, ~0.07 of its ~0.33 ms of PostgreSQL's CPU (bench
 * DB, 10,000 rows, backend CPU per call). MATERIALIZED, or PostgreSQL inlines them back.
 */
export const pgSideFacts = (accountUin: string): Sql => sql`, pf as (select c2.fingerprint_sha256, c2.project_id from certificates as c2
      where c2.id = any(array(select p.id from p))),
    rs as materialized (select r.* from deploy_resources as r where r.account_uin = ${accountUin}
      and (r.cert_id = any(array(select p.id from p)) or r.probe_sha256 = any(array(select pf.fingerprint_sha256 from pf)))),
    sw as materialized (select s.cert_id, s.account_uin from cert_notification_switch as s where s.account_uin = ${accountUin}
      and s.cert_id = any(array(select p.id from p)) and s.ignore_expiry = 1),
    ho as materialized (select h.cert_id, h.account_uin, row_to_json(h) as j from cert_hosting as h where h.account_uin = ${accountUin}
      and h.cert_id = any(array(select p.id from p))),
    pj as materialized (select pr.account_uin, pr.project_id, row_to_json(pr) as j from projects as pr where pr.account_uin = ${accountUin}
      and pr.project_id = any(array(select pf.project_id from pf)))`;

/**
 * The side columns of a row of `c` from pgSideFacts' CTEs (json_agg of `rs`'s rows names every
 * column as row_to_json did), in ROW_COLUMNS' order. The order and the revocation only where
 * DescribeCertificates shows them (a DV certificate awaiting issue, a revoked one): the other
 * rows probe nothing. Resources: those deployed with `c` or last probed serving its fingerprint
 * (the caller keeps the ones serving it now).
 */
const PG_SIDES: [string, string][] = [
  [`(select json_agg(r order by r.created_at, r.id) from rs as r where r.account_uin = c.account_uin
      and (r.cert_id = c.id or r.probe_sha256 = c.fingerprint_sha256))`, 'side_resources'],
  ['case when exists (select 1 from sw where sw.cert_id = c.id and sw.account_uin = c.account_uin) then 1 else 0 end', 'side_ignored'],
  ['(select ho.j from ho where ho.cert_id = c.id and ho.account_uin = c.account_uin)', 'side_hosting'],
  ['(select pj.j from pj where pj.account_uin = c.account_uin and pj.project_id = c.project_id)', 'side_project'],
  [`case when c.is_dv = 1 and c.status in (${AWAITING_ISSUE.join(', ')}) then (select ${object(true, 'o', DV_ORDER)} from dv_orders as o where o.cert_id = c.id) end`, 'side_order'],
  [`case when c.status = ${CertStatus.revoked} then (select ${object(true, 'v', REVOCATION)} from revocations as v where v.cert_id = c.id) end`, 'side_revocation'],
];
const PG_SIDE_COLUMNS = raw(PG_SIDES.map(([e, name]) => `${e} as ${name}`).join(',\n    '));
const PG_SIDE_VALUES = raw(PG_SIDES.map(([e]) => e).join(',\n    '));
// ---- end PostgreSQL: side tables read once a page ----

/** PostgreSQL answers json as values, SQLite as text. */
const parsed = <T>(v: unknown): T | null => (v === null || v === undefined ? null : (typeof v === 'string' ? JSON.parse(v) : v) as T);

export function sidesOf(resources: unknown, ignored: unknown, hosting: unknown, project: unknown, order: unknown, revocation: unknown): ListedSides {
  const h = parsed<CertHostingRow>(hosting);
  const p = parsed<ProjectRow>(project);
  const o = parsed<DvOrderRow>(order);
  const v = parsed<RevocationRow>(revocation);
  return {
    resources: (parsed<DeployResourceRow[]>(resources) ?? []).map(toResource),
    ignoredExpiry: Number(ignored) === 1,
    hosting: h ? hostingRecord(h) : null,
    project: p ? projectRecord(p) : null,
    order: o ? dvOrderRecord(o) : null,
    revocation: v ? revocationRecord(v) : null,
  };
}

// ---- SQLite: side facts read in the listing's snapshot (issue 27) ----
// Each list names every column of its table, as `select *` would (a column added to the row
// type and not here fails to compile): the rows come back as json_object.
type Every<R, L extends readonly (keyof R)[]> = Exclude<keyof R, L[number]> extends never ? true : never;
const everyColumn: [Every<DeployResourceRow, typeof RESOURCE>, Every<CertHostingRow, typeof HOSTING>, Every<ProjectRow, typeof PROJECT>,
  Every<DvOrderRow, typeof DV_ORDER>, Every<RevocationRow, typeof REVOCATION>] = [true, true, true, true, true];
void everyColumn;

const each = (t: string, cols: readonly string[]) => `json_group_array(${object(false, t, cols)})`;
/**
 * A page's side facts in one statement, each as a JSON array (the lists of ids walked, each
 * row found by its key: written with IN as the stores' reads are, the four in one statement
 * cost ~600 µs on a copy of the bench DB, its plan scanning `projects`): the page's resources (those
 * deployed with one of its certificates or last probed serving one of their fingerprints, in
 * ResourceStore.resourcesServing's order), its muted certificates' ids, its hosting rows, its
 * projects, its DV orders and revocations (of the ids given for those: none where no item
 * shows one). The same rows as the stores' hot reads (RESOURCES_SERVING, IGNORED_EXPIRY,
 * HOSTING_OF, PROJECTS) and the two of DvOrderStore and RevocationStore, which cost a
 * statement each: four to six a request, ~8-12 µs for the four on the bench DB, against ~5 µs
 * for all of them here (issue 27).
 */
const SIDES_OF = `${ROWS_AS_ARRAYS}select
  (select json_group_array(${object(false, 'r', RESOURCE)} order by r.created_at, r.id) from deploy_resources as r
    where r.account_uin = ? and (r.cert_id in (select value from json_each(?)) or r.probe_sha256 in (select value from json_each(?)))),
  (select json_group_array(s.cert_id) from json_each(?) as j inner join cert_notification_switch as s on s.cert_id = j.value
    where s.account_uin = ? and s.ignore_expiry = 1),
  (select ${each('h', HOSTING)} from json_each(?) as j inner join cert_hosting as h on h.cert_id = j.value where h.account_uin = ?),
  (select ${each('pr', PROJECT)} from json_each(?) as j inner join projects as pr on pr.account_uin = ? and pr.project_id = j.value),
  (select ${each('o', DV_ORDER)} from json_each(?) as j inner join dv_orders as o on o.cert_id = j.value),
  (select ${each('v', REVOCATION)} from json_each(?) as j inner join revocations as v on v.cert_id = j.value)`;

/** A JSON array cell of SIDES_OF (never null: json_group_array of no rows is '[]'). */
const rowsOf = <R>(cell: unknown): R[] => (cell === '[]' ? [] : JSON.parse(cell as string) as R[]);

/**
 * SQLite: a page's side facts (DescribeCertificates shows: ResourceService.boundTypes's
 * resources, muted expiry notices, hosting, projects; DV orders and revocations only where
 * items show them), read by `all` inside the listing's read transaction, in one statement
 * (SIDES_OF). Apart, each statement began a read transaction of its own (WAL read lock and
 * unlock, ~5-6 µs of the ~8 µs each cost on the bench DB). `resources` is the page's list, the
 * same for every item, as ResourceService.boundTypes matched them.
 */
export function sqliteSides(all: <R>(text: string, params: readonly unknown[]) => R[], accountUin: string, items: CertificateRecord[]): ListedSides[] {
  if (items.length === 0) return [];
  const ids = JSON.stringify(items.map((c) => c.id));
  const awaiting = JSON.stringify(items.filter((c) => c.isDv && isAwaitingIssue(c.status)).map((c) => c.id));
  const revoked = JSON.stringify(items.filter((c) => c.status === CertStatus.revoked).map((c) => c.id));
  const [r, s, h, p, o, v] = all<unknown[]>(SIDES_OF, [accountUin, ids, JSON.stringify([...new Set(items.map((c) => c.fingerprintSha256))]),
    ids, accountUin, ids, accountUin, JSON.stringify([...new Set(items.map((c) => c.projectId))]), accountUin, awaiting, revoked])[0]!;
  const resources = rowsOf<DeployResourceRow>(r).map(toResource);
  const ignored = new Set(rowsOf<string>(s));
  const hosting = new Map(rowsOf<CertHostingRow>(h).map((x) => [x.cert_id, x] as const));
  const projects = new Map(rowsOf<ProjectRow>(p).map((x) => [Number(x.project_id), x] as const));
  const orders = new Map(rowsOf<DvOrderRow>(o).map((x) => [x.cert_id, x] as const));
  const revocations = new Map(rowsOf<RevocationRow>(v).map((x) => [x.cert_id, x] as const));
  return items.map((c) => {
    const h = hosting.get(c.id);
    const p = projects.get(c.projectId);
    const o = orders.get(c.id);
    const v = revocations.get(c.id);
    return {
      resources,
      ignoredExpiry: ignored.has(c.id),
      hosting: h ? hostingRecord(h) : null,
      project: p ? projectRecord(p) : null,
      order: o ? dvOrderRecord(o) : null,
      revocation: v ? revocationRecord(v) : null,
    };
  });
}
// ---- end SQLite: side facts ----

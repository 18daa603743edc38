// The floor for bench/throughput.ts's varied line: what an unfiltered random page of
// DescribeCertificates cannot do without, in a bare Fastify app and none of certport's own
// layers. Each request is checked as certport checks it (TC3-HMAC-SHA256 over the exact body,
// the same signature code), its page read by what certport's steady state sends at least (the
// account's kept count; the page's ids from the kept key nearest before the Offset, every 64th
// key read at start, and its rows packed as one JSON array each) and its 55-field list items
// built from the rows and serialized. SQLite: two statements in one read transaction.
// PostgreSQL: one prepared statement, its rows carrying the count, through a `pg` pool of 10
// connections as certport's. No side facts (resources,
// muted notices, hosting, projects), no page cache, no metrics, no logging: a lower bound on
// certport's cost per request, so that the ratio target can be judged against what the work
// itself costs on this machine.
//   node dist/bench/floor-server.js sqlite:<certport.db> <credentials.json> <port>
//   node dist/bench/floor-server.js postgres:<url>#<schema> <credentials.json> <port>
// credentials.json: [{ secretId, secretKey, accountUin }]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import SQLite from 'better-sqlite3';
import type * as pgTypes from 'pg';
import Fastify from 'fastify';
import { checkTimestamp, header, parseTc3Authorization, utcDate, verifyTc3 } from '../src/api/signature.js';
import { formatTime } from '../src/actions/shared/time.js';

const [where, credFile, port] = process.argv.slice(2) as [string, string, string];
const creds = new Map((JSON.parse(readFileSync(credFile, 'utf8')) as { secretId: string; secretKey: string; accountUin: string }[])
  .map((c) => [c.secretId, c]));
const EVERY = 64;
const ORDER = 'select created_at, id from certificates where account_uin = $1 order by created_at desc, id desc';
const ITEM = `json_array(c.id, c.project_id, c.alias, c.certificate_type, c.source, c.status, c.status_msg, c.domain, c.sans,
    c.encrypt_algorithm, c.is_sm, c.is_wildcard, c.is_dv, c.not_before, c.not_after, c.package_type, c.product_zh_name,
    c.verify_type, c.validity_period, c.created_at, c.dv_deadline, c.validated_at, c.origin_cert_id, c.renew_order_id,
    c.replaced_by, c.replaced_for, c.material_flags)`;
const keys = new Map<string, [number, string][]>();
/** The account's count and the page's rows (one JSON array text each) from `at` on, skipping `skip`. */
let readPage: (account: string, at: [number, string], limit: number, skip: number) => Promise<{ total: number; rows: string[] }>;
let close: () => Promise<void>;

if (where.startsWith('sqlite:')) {
  const db = new SQLite(where.slice('sqlite:'.length));
  db.pragma('cache_size = -65536');
  const order = db.prepare(ORDER.replace('$1', '?')).raw();
  for (const c of creds.values()) keys.set(c.accountUin, (order.all(c.accountUin) as [number, string][]).filter((_, i) => i % EVERY === 0));
  const begin = db.prepare('begin');
  const commit = db.prepare('commit');
  const count = db.prepare('select n from certificate_counts where account_uin = ?').pluck();
  const page = db.prepare(`with p as (select c.rowid as rid from certificates as c where c.account_uin = ? and (c.created_at, c.id) <= (?, ?)
    order by c.created_at desc, c.id desc limit ? offset ?)
    select ${ITEM} from p inner join certificates as c on c.rowid = p.rid order by c.created_at desc, c.id desc`).pluck();
  readPage = async (account, at, limit, skip) => {
    begin.run();
    try {
      return { total: count.get(account) as number, rows: page.all(account, at[0], at[1], limit, skip) as string[] };
    } finally {
      commit.run();
    }
  };
  close = async () => { db.close(); };
} else {
  const pg = createRequire(import.meta.url)('pg') as typeof pgTypes;
  pg.types.setTypeParser(20, (v) => Number(v));
  const [url, schema] = where.slice('postgres:'.length).split('#') as [string, string];
  const pool = new pg.Pool({ connectionString: url, max: 10, idleTimeoutMillis: 600_000, options: `-c search_path=${schema}` });
  for (const c of creds.values()) {
    keys.set(c.accountUin, ((await pool.query({ text: ORDER, values: [c.accountUin], rowMode: 'array' })).rows as [number, string][])
      .filter((_, i) => i % EVERY === 0));
  }
  // json_build_array: PostgreSQL's json_array takes no column list before 16; material_flags
  // does not exist there (the item reads 1: keys stored, as every bench row has).
  // The page's ids through the index alone, then its 10 rows by id: built for the skipped rows
  // too, the items cost the statement 0.27 ms against 0.09. Rows as arrays of two cells (the
  // count on each); an array of the items' texts made pg parse a text[] literal character by
  // character. An empty page reads no count (the bench asks for none).
  const text = `select (select n from certificate_counts where account_uin = $1) as total,
    ${ITEM.replace('json_array(', 'json_build_array(').replace('c.material_flags', '1')}::text as item
    from (select c.id, c.created_at from certificates as c where c.account_uin = $1 and (c.created_at, c.id) <= ($2, $3)
      order by c.created_at desc, c.id desc limit $4 offset $5) as p
    join certificates as c on c.id = p.id order by p.created_at desc, p.id desc`;
  readPage = async (account, at, limit, skip) => {
    const r = await pool.query({ name: 'floor_page', text, values: [account, at[0], at[1], limit, skip], rowMode: 'array' });
    const rows = r.rows as [number, string][];
    return { total: rows.length ? Number(rows[0]![0]) : 0, rows: rows.map((x) => x[1]) };
  };
  close = () => pool.end();
}

type Row = [string, number, string, string, string, number, string | null, string, string, string, number, number, number,
  number, number, string | null, string | null, string | null, string, number, number | null, number | null, string | null,
  string | null, string | null, string | null, number];
const DOWNLOAD = { NGINX: true, APACHE: true, IIS: true, TOMCAT: true, JKS: true, OTHER: true, ROOT: true };

function item(r: Row, owner: string, now: number) {
  const sans = (typeof r[8] === 'string' ? JSON.parse(r[8]) : r[8]) as string[];
  const issued = r[5] === 1 && r[14] >= now;
  return {
    OwnerUin: owner, ProjectId: String(r[1]), From: r[4], CertificateType: r[3], PackageType: r[15], ProductZhName: r[16],
    Domain: r[7], Alias: r[2], Status: issued || r[5] !== 1 ? r[5] : 3, StatusMsg: r[6], VerifyType: r[17], VulnerabilityStatus: 'INACTIVE',
    CertBeginTime: formatTime(r[13]), CertEndTime: formatTime(r[14]), ValidityPeriod: r[18], InsertTime: formatTime(r[19]), CertificateId: r[0],
    CertificateExtra: { DomainNumber: String(sans.length), OriginCertificateId: r[22], ReplacedBy: r[24], ReplacedFor: r[25], RenewOrder: r[23], SMCert: r[10], CompanyType: 0 },
    SubjectAltName: sans, StatusName: issued ? 'Certificate issued' : 'Other', IsVip: false, IsWildcard: r[11] === 1, IsDv: r[12] === 1,
    IsVulnerability: false, RenewAble: false, Deployable: issued && (r[26] & 1) === 1, Tags: [], CAEncryptAlgorithms: [], CACommonNames: [],
    CAEndTimes: [], PackageTypeName: '', ProjectInfo: { ProjectName: 'Default Project', ProjectCreatorUin: Number(owner), ProjectCreateTime: formatTime(r[19]),
      ProjectResume: 'Default Project', OwnerUin: Number(owner), ProjectId: String(r[1]) },
    BoundResource: [], IsIgnore: false, IsSM: r[10] === 1, EncryptAlgorithm: r[9], AutoRenewFlag: 0, HostingStatus: -1, HasRenewOrder: '',
    ReplaceOriCertIsDelete: false, IsExpiring: false, DVAuthDeadline: formatTime(r[20]), ValidationPassedTime: formatTime(r[21]), CertSANs: sans,
    AwaitingValidationMsg: null, AllowDownload: true, IsDNSPODResolve: false, IsPackage: false, KeyPasswordCustomFlag: false,
    SupportDownloadType: DOWNLOAD, CertRevokedTime: null, HostingCompleteTime: null, HostingRenewCertId: null, HostingResourceTypes: [], HostingConfig: null,
  };
}

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/', async (req, reply) => {
  const body = req.body as Buffer;
  const auth = parseTc3Authorization(header(req.headers, 'authorization')!);
  const timestamp = header(req.headers, 'x-tc-timestamp')!;
  const ts = checkTimestamp(timestamp, Date.now());
  const cred = creds.get(auth.secretId);
  if (!cred || auth.date !== utcDate(ts) || !verifyTc3({ method: 'POST', rawQuery: '', headers: req.headers, body }, auth, timestamp, cred.secretKey)) {
    return reply.code(200).send({ Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'signature' } } });
  }
  const p = JSON.parse(body.toString('utf8')) as { Offset?: number; Limit?: number };
  const offset = p.Offset ?? 0;
  const limit = p.Limit ?? 10;
  const kept = keys.get(cred.accountUin)!;
  const at = kept[Math.min(Math.floor(offset / EVERY), kept.length - 1)]!;
  const now = Date.now();
  const { total, rows } = await readPage(cred.accountUin, at, limit, offset - Math.floor(offset / EVERY) * EVERY);
  const result = { TotalCount: total, Certificates: rows.map((r) => item(JSON.parse(r) as Row, cred.accountUin, now)), RequestId: req.id };
  return reply.code(200).header('content-type', 'application/json').send(JSON.stringify({ Response: result }));
});
app.get('/healthz', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(port) });
const stop = () => { void app.close().then(close).then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

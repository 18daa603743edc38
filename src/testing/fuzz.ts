// Test support: fast-check generators of requests for every action, built from the SDK's
// request models (params.ts), and what a fuzz run needs around them: sending a request over
// TC3 JSON or v1 (GET/POST, flattened names), a snapshot of every stored row to prove that a
// refused request changed nothing, and a tally of the answers by error code.
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { modelOf } from '../api/params.js';
import type { FieldType } from '../api/models.generated.js';
import { PG_URL, type Cred, type TestService } from './harness.js';
import { rawRequest, sendV1, signV1, tc3Request, type RawResponse } from './raw-client.js';
import { v1Signature, v1StringToSign } from '../api/signature.js';

/** A parameter value as a tree, so one request can go out as JSON or as flattened v1 names. */
export type FuzzValue =
  | null | boolean | number | string
  | { obj: [string, FuzzValue][] }
  | { arr: FuzzValue[] }
  /** JSON text sent as is (deep nesting); as a v1 value, the text itself. */
  | { raw: string };

export type Transport = 'tc3' | 'v1-get' | 'v1-post';

export interface FuzzRequest {
  action: string;
  transport: Transport;
  params: [string, FuzzValue][];
  /** v1 only: extra flattened names sent as they are (`Tags.0.0.0…`). */
  extraPairs?: [string, string][];
}

/** Names every JavaScript object answers to: they must never be read as parameters. */
export const BUILTIN_NAMES = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

/** Ids and names that exist, so some requests get past the lookups into the actions. */
export interface FuzzSeeds { strings: string[]; numbers: number[] }

const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', 'example\u0000.com', '%00', '\u0007', 'x\r\ny', '\t', '\u001b[31m', '\u007f', '\u0085', '\u2028',
  '\ud800', 'a\udfffb', '\ufeff', '💥.example.com', 'bücher.example', 'xn--bcher-kva.example', 'xn--hs8h.example.com',
  '*.example.com', '*.*.example.com', 'example.com', 'EXAMPLE.com.', '127.0.0.1', '[::1]', 'a'.repeat(64) + '.example.com',
  "' OR 1=1 --", '"', '"*"', 'NEAR(a b)', 'a*', '^', 'AND', '-', '(', ')', '%', '_', '\\', '{"a":1}', '1', '-1', '1e999', 'NaN',
  'null', 'true', '__proto__', 'constructor', 'toString', 'RSA', 'ECC', 'SM2', 'prime256v1', 'DNS', 'FILE', 'DNS_AUTO', 'Upload', 'Online',
  'Original', 'clb', 'cdn', 'SVR', 'CA', '2048', 'x'.repeat(5000),
];
const NASTY_NUMBERS = [0, -1, 1, 2, 10, 100, 1000, 1001, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, 1.5, -0.5, 1e-9];

const text = (seeds: FuzzSeeds): fc.Arbitrary<FuzzValue> => fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: seeds.strings.length ? fc.constantFrom(...seeds.strings) : fc.constant('x') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.domain() },
);
const num: fc.Arbitrary<FuzzValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom('12', ' 3 ', '-0', '1.5', 'abc', '9007199254740993', '1e3', '') },
);
const bool: fc.Arbitrary<FuzzValue> = fc.constantFrom(true, false, 'True', 'false', '1', 0, 1, 'yes', 2);

/** Deep nesting: JSON arrays/objects thousands deep, for any field. */
const deep: fc.Arbitrary<FuzzValue> = fc.tuple(fc.integer({ min: 9, max: 20_000 }), fc.boolean()).map(([n, arr]) =>
  ({ raw: arr ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n) }));

/** Anything at all: the wrong type for a field. */
const anything = (seeds: FuzzSeeds): fc.Arbitrary<FuzzValue> => fc.oneof(
  text(seeds), num, bool, fc.constant(null), deep,
  fc.constant<FuzzValue>({ obj: [['a', 1]] }), fc.constant<FuzzValue>({ arr: [1, 'x'] }),
  fc.constantFrom(...BUILTIN_NAMES).map((k): FuzzValue => ({ obj: [[k, { obj: [['polluted', 'yes']] }]] })),
);

function scalar(type: string, seeds: FuzzSeeds, depth: number): fc.Arbitrary<FuzzValue> {
  if (type === 'string') return text(seeds);
  if (type === 'number') return num;
  if (type === 'boolean') return bool;
  const model = modelOf(type);
  if (!model || depth > 3) return anything(seeds);
  return objectOf(model, seeds, depth + 1);
}

const small = (type: string, i: number): FuzzValue =>
  type === 'string' ? `n${i}.example.com` : type === 'number' ? i : type === 'boolean' ? true : { obj: [] };

function fieldValue(field: FieldType, seeds: FuzzSeeds, depth: number): fc.Arbitrary<FuzzValue> {
  const one = scalar(field.type, seeds, depth);
  const right: fc.Arbitrary<FuzzValue> = field.array
    ? fc.oneof(
      { weight: 8, arbitrary: fc.array(one, { maxLength: 4 }).map((arr): FuzzValue => ({ arr })) },
      // Past the bounds (101 for DnsNames, 1001, 10,000) with one small element repeated.
      { weight: 1, arbitrary: fc.constantFrom(101, 1001, 10_000).map((n): FuzzValue => ({ arr: Array.from({ length: n }, (_, i) => small(field.type, i)) })) },
    )
    : one;
  return fc.oneof({ weight: 12, arbitrary: right }, { weight: 1, arbitrary: anything(seeds) });
}

function objectOf(model: Readonly<Record<string, FieldType>>, seeds: FuzzSeeds, depth: number): fc.Arbitrary<FuzzValue> {
  const fields = Object.entries(model).map(([name, field]) =>
    fc.option(fieldValue(field, seeds, depth).map((v): [string, FuzzValue] => [name, v]), { freq: field.optional ? 2 : 12, nil: undefined }));
  const extra = fc.oneof(
    { weight: 6, arbitrary: fc.constant([] as [string, FuzzValue][]) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...BUILTIN_NAMES), fc.string({ maxLength: 8 })), anything(seeds)), { minLength: 1, maxLength: 2 }) },
  );
  return fc.tuple(fc.tuple(...fields), extra).map(([present, more]): FuzzValue =>
    ({ obj: [...present.filter((x): x is [string, FuzzValue] => x !== undefined), ...more] }));
}

/** A request to any action (and a few names that are no action), with model-shaped and hostile parameters. */
export function requestArb(actionNames: string[], seeds: FuzzSeeds): fc.Arbitrary<FuzzRequest> {
  const perAction = actionNames.map((action) => {
    const model = modelOf(`${action}Request`) ?? {};
    return objectOf(model, seeds, 0).map((v) => ({ action, params: (v as { obj: [string, FuzzValue][] }).obj }));
  });
  const other = fc.constantFrom(...BUILTIN_NAMES, 'NoSuchAction').map((action) => ({ action, params: [] as [string, FuzzValue][] }));
  const deepName = fc.integer({ min: 9, max: 20_000 }).map((n): [string, string][] => [['Tags' + '.0'.repeat(n), 'x']]);
  const builtinName = fc.constantFrom(...BUILTIN_NAMES).map((k): [string, string][] => [[k, '1'], [`${k}.polluted`, 'yes']]);
  return fc.tuple(
    fc.oneof({ weight: 30, arbitrary: fc.oneof(...perAction) }, { weight: 1, arbitrary: other }),
    fc.constantFrom<Transport>('tc3', 'tc3', 'tc3', 'tc3', 'tc3', 'tc3', 'v1-get', 'v1-post'),
    fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(deepName, builtinName) }),
  ).map(([r, transport, extraPairs]) => ({ ...r, transport, ...(extraPairs && transport !== 'tc3' ? { extraPairs } : {}) }));
}

export function toJson(v: FuzzValue): string {
  if (v !== null && typeof v === 'object') {
    if ('raw' in v) return v.raw;
    if ('arr' in v) return '[' + v.arr.map(toJson).join(',') + ']';
    // By hand: JSON.stringify of an object drops or mis-handles an own `__proto__` key.
    return '{' + v.obj.map(([k, x]) => JSON.stringify(k) + ':' + toJson(x)).join(',') + '}';
  }
  return JSON.stringify(v) ?? 'null';
}

/** v1's flattened names: `Tags.0.TagKey`, `CertIds.0` (the SDKs number from 0). */
export function flatten(prefix: string, v: FuzzValue, out: [string, string][] = []): [string, string][] {
  if (v === null) return out;
  if (typeof v !== 'object') out.push([prefix, String(v)]);
  else if ('raw' in v) out.push([prefix, v.raw]);
  else if ('arr' in v) v.arr.forEach((x, i) => flatten(`${prefix}.${i}`, x, out));
  else for (const [k, x] of v.obj) flatten(`${prefix}.${k}`, x, out);
  return out;
}

/** Sends a request; a transport failure (the server closed the connection) is answered as `transport-<code>`. */
export async function send(port: number, cred: Cred, r: FuzzRequest): Promise<RawResponse | string> {
  try {
    return await sendRaw(port, cred, r);
  } catch (e) {
    return `transport-${(e as { code?: string }).code ?? (e as Error).message}`;
  }
}

function sendRaw(port: number, cred: Cred, r: FuzzRequest): Promise<RawResponse> {
  if (r.transport === 'tc3') return tc3Request(port, cred, { action: r.action, body: toJson({ obj: r.params }) });
  let method: 'GET' | 'POST' = r.transport === 'v1-get' ? 'GET' : 'POST';
  const common = signV1(port, cred, { action: r.action, method });
  common.pop(); // its Signature: the request is signed again with every name below
  const pairs: [string, string][] = [...common];
  for (const [k, v] of r.params) pairs.push(...flatten(k, v));
  pairs.push(...(r.extraPairs ?? []));
  // Past Node's 64 KB header limit a GET is cut off by node:http before certport sees it: send those as POST.
  if (method === 'GET' && pairs.reduce((n, [k, v]) => n + k.length + v.length * 3 + 2, 0) > 60_000) method = 'POST';
  const s2s = v1StringToSign(method, `127.0.0.1:${port}`, '/', pairs);
  pairs.push(['Signature', v1Signature(cred.secretKey, 'HmacSHA1', s2s)]);
  return sendV1(port, pairs, method);
}

/** The answer's error code, or `ok`. */
export function outcome(r: RawResponse | string): string {
  if (typeof r === 'string') return r;
  if (r.status !== 200) return `http-${r.status}`;
  const resp = r.json?.Response;
  if (!resp) return 'not-json';
  return resp.Error?.Code ?? 'ok';
}

/** A digest of every row of every table, by table: equal snapshots mean nothing was stored. */
export interface RowSnapshotter { snapshot(): Promise<Map<string, string>>; close(): Promise<void> }

export async function rowSnapshotter(t: TestService): Promise<RowSnapshotter> {
  const digest = (rows: unknown[]) => createHash('sha256').update(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('base64') : v))).digest('hex');
  if (t.backend === 'sqlite') {
    const db = new Database(path.join(t.dataDir, 'certport.db'), { readonly: true, fileMustExist: true });
    db.defaultSafeIntegers(true);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%fts%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    return {
      async snapshot() {
        const out = new Map<string, string>();
        for (const name of tables) out.set(name, digest(db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()));
        return out;
      },
      async close() { db.close(); },
    };
  }
  const schema = t.env.CERTPORT_DATABASE_SCHEMA!;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const tables = (await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).rows.map((r: { table_name: string }) => r.table_name);
  return {
    async snapshot() {
      const out = new Map<string, string>();
      for (const name of tables) {
        // Row order is not stable in PostgreSQL: sort the rows' text.
        const rows = (await client.query(`SELECT t::text AS r FROM "${schema}"."${name}" t`)).rows.map((x: { r: string }) => x.r).sort();
        out.set(name, digest(rows));
      }
      return out;
    },
    async close() { await client.end(); },
  };
}

export function changedTables(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

/** A short, printable form of a request for failure messages. */
export function describeRequest(r: FuzzRequest): string {
  const body = toJson({ obj: r.params });
  const extra = r.extraPairs?.map(([k, v]) => `${k.slice(0, 40)}${k.length > 40 ? `…(${k.length})` : ''}=${v}`).join('&') ?? '';
  return `${r.transport} ${r.action} ${body.length > 300 ? body.slice(0, 300) + `…(${body.length})` : body} ${extra}`;
}

export async function healthz(port: number): Promise<number> {
  return (await rawRequest(port, { method: 'GET', path: '/healthz', headers: {} })).status;
}

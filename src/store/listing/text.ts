// SQL text with its parameters, for the listing (issue 27): DescribeCertificates' statements are
// put together from template strings and sent as they are (CompiledQuery.raw), with no query
// builder per request. Kysely's builder and compiler took about a third of a listing call's
// CPU (immutable node trees, a visitor per node); joining strings takes microseconds. The
// texts stay a few per filter shape, so SQLite's statement cache (db.ts) keeps them prepared.
import { CompiledQuery } from 'kysely';
import type { Q } from '../db.js';

/** A piece of SQL: its text with `\u0000` where each parameter goes, and the parameters in order. */
export interface Sql { t: string; p: unknown[] }

const HOLE = '\u0000';

/** A template: interpolated `Sql` pieces are inlined, anything else becomes a parameter. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let t = strings[0]!;
  const p: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isSql(v)) {
      t += v.t;
      for (const x of v.p) p.push(x);
    } else {
      t += HOLE;
      p.push(v);
    }
    t += strings[i + 1]!;
  }
  return { t, p };
}

const isSql = (v: unknown): v is Sql => typeof v === 'object' && v !== null && !Array.isArray(v) && 't' in v && 'p' in v;

/** Text taken as it is (names, directions, keywords; never a value). */
export const raw = (t: string): Sql => ({ t, p: [] });

export function join(parts: Sql[], sep: string): Sql {
  if (parts.length === 1) return parts[0]!;
  return { t: parts.map((x) => x.t).join(sep), p: parts.flatMap((x) => x.p) };
}

/** The statement for the database: `?` on SQLite, `$1 …` on PostgreSQL. */
export function compiled(s: Sql, pg: boolean): CompiledQuery {
  let n = 0;
  return CompiledQuery.raw(pg ? s.t.replace(/\u0000/g, () => '$' + ++n) : s.t.replaceAll(HOLE, '?'), s.p);
}

/** SQLite's text of `s` (`?` parameters), for the connection itself (db.ts SqliteNow). */
export const sqliteText = (s: Sql) => s.t.replaceAll(HOLE, '?');

export async function rowsOf<R>(db: Q, s: Sql, pg: boolean): Promise<R[]> {
  return (await db.executeQuery<R>(compiled(s, pg))).rows;
}

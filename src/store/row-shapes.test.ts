// SQLite's row shapes by a statement's leading comment (db.ts): ROWS_AS_ARRAYS answers arrays,
// FIRST_VALUES the first column's values (a kept filter set's rowids, listing/plan.ts), anything
// else objects; the same through the connection itself (SqliteNow) and through Kysely.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery } from 'kysely';
import { FIRST_VALUES, openDb, ROWS_AS_ARRAYS, sqliteNow, type Db } from './db.js';

describe('SQLite row shapes by leading comment', () => {
  let db: Db;
  before(async () => {
    db = openDb('sqlite::memory:');
    await db.kysely.executeQuery(CompiledQuery.raw('create table t (id integer primary key, a text)'));
    await db.kysely.executeQuery(CompiledQuery.raw(`insert into t values (3, 'x'), (1, 'y'), (2, 'z')`));
  });
  after(() => db.close());

  const text = 'select id, a from t where id >= ? order by a desc';
  const shapes: [string, unknown[]][] = [
    ['', [{ id: 2, a: 'z' }, { id: 1, a: 'y' }, { id: 3, a: 'x' }]],
    [ROWS_AS_ARRAYS, [[2, 'z'], [1, 'y'], [3, 'x']]],
    [FIRST_VALUES, [2, 1, 3]],
  ];

  test('on the connection itself', () => {
    const now = sqliteNow(db.kysely)!;
    for (const [mark, want] of shapes) assert.deepEqual(now.all(mark + text, [1]), want, mark || 'objects');
    // In a read transaction too (the listing's snapshot).
    for (const [mark, want] of shapes) assert.deepEqual(now.snapshot((all) => all(mark + text, [1])), want, mark || 'objects');
  });

  test('through Kysely', async () => {
    for (const [mark, want] of shapes) {
      assert.deepEqual((await db.kysely.executeQuery(CompiledQuery.raw(mark + text, [1]))).rows, want, mark || 'objects');
    }
  });
});

// PostgreSQL prepared statements (db.ts PREPARED): a marked statement is named and prepared once
// per connection, and keeps answering after the table under it gains a column (another node
// migrating the shared schema), when PostgreSQL refuses the prepared one; the connections
// still serve pg's own calls (Pool.query with a callback).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery } from 'kysely';
import { BACKENDS, PG_URL } from '../testing/harness.js';
import { createPgSchema, dropPgSchema, openDb, PREPARED, type Db } from './db.js';

describe('PREPARED statements on PostgreSQL', { skip: !BACKENDS.includes('postgres') }, () => {
  const schema = 'prep_' + randomBytes(5).toString('hex');
  let db: Db;
  before(async () => {
    await createPgSchema(PG_URL, schema);
    db = openDb(PG_URL, { schema, poolSize: 1 });
    await db.kysely.executeQuery(CompiledQuery.raw('create table t (id int primary key, a text)'));
    await db.kysely.executeQuery(CompiledQuery.raw(`insert into t values (1, 'x')`));
  });
  after(async () => {
    await db.close();
    await dropPgSchema(PG_URL, schema);
  });
  const run = async (text: string) => (await db.kysely.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [1]))).rows;

  test('a marked statement is prepared once on the connection; an unmarked one is not', async () => {
    assert.deepEqual(await run('select * from t where id = $1'), [{ id: 1, a: 'x' }]);
    const n = (await db.kysely.executeQuery<{ n: number }>(CompiledQuery.raw('select count(*)::int as n from pg_prepared_statements'))).rows[0]!.n;
    assert.equal(n, 0);
    for (let i = 0; i < 3; i++) assert.deepEqual(await run(`${PREPARED}select * from t where id = $1`), [{ id: 1, a: 'x' }]);
    const names = (await db.kysely.executeQuery<{ name: string; statement: string }>(CompiledQuery.raw('select name, statement from pg_prepared_statements'))).rows;
    assert.equal(names.length, 1);
    assert.match(names[0]!.name, /^certport_/);
  });

  test('the pool still answers pg\'s own callback calls (the change token) on a connection Kysely used', { timeout: 10_000 }, async () => {
    await run(`${PREPARED}select * from t where id = $1`);
    const a = await db.changeToken();
    assert.match(a, /^\d+:\d+:/);
    await run(`${PREPARED}select * from t where id = $1`);
    assert.equal(typeof await db.changeToken(), 'string');
  });

  test('after a column is added, the statement answers with it (sent unnamed), not with an error', async () => {
    const text = `${PREPARED}select * from t where id = $1`;
    assert.deepEqual(await run(text), [{ id: 1, a: 'x' }]);
    await db.kysely.executeQuery(CompiledQuery.raw(`alter table t add column b text not null default 'y'`));
    assert.deepEqual(await run(text), [{ id: 1, a: 'x', b: 'y' }]);
    assert.deepEqual(await run(text), [{ id: 1, a: 'x', b: 'y' }]);
  });
});

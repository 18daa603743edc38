// SQLite's durability setting: FULL unless CERTPORT_SQLITE_SYNCHRONOUS says otherwise, so an
// acknowledged write survives a power loss (NORMAL syncs the WAL only at checkpoints).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../config/config.js';
import { openDb } from './db.js';

describe('CERTPORT_SQLITE_SYNCHRONOUS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'certport-sync-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('defaults to FULL; NORMAL and EXTRA are accepted in any case; anything else is refused by name', () => {
    assert.equal(loadConfig({}).sqliteSynchronous, 'FULL');
    assert.equal(loadConfig({ CERTPORT_SQLITE_SYNCHRONOUS: 'normal' }).sqliteSynchronous, 'NORMAL');
    assert.equal(loadConfig({ CERTPORT_SQLITE_SYNCHRONOUS: 'EXTRA' }).sqliteSynchronous, 'EXTRA');
    assert.throws(() => loadConfig({ CERTPORT_SQLITE_SYNCHRONOUS: 'OFF' }), /CERTPORT_SQLITE_SYNCHRONOUS must be one of NORMAL, FULL, EXTRA, got "OFF"/);
  });

  test('the database opens with the setting (FULL when none is given)', async () => {
    for (const [given, level] of [[undefined, 2], ['NORMAL', 1], ['FULL', 2], ['EXTRA', 3]] as const) {
      const db = openDb(`sqlite:${path.join(dir, `${given ?? 'default'}.db`)}`, given ? { synchronous: given } : {});
      try {
        const r = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.kysely);
        assert.equal(r.rows[0]!.synchronous, level, String(given));
      } finally {
        await db.close();
      }
    }
  });
});

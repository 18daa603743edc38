// SQLite's planner statistics kept fresh (issue 27): a database analysed while tiny and grown
// since has its statistics refreshed when certport opens it (PRAGMA optimize), so the planner
// does not keep choosing scans from a one-row picture. And the PostgreSQL pool's size comes
// from CERTPORT_DATABASE_POOL_SIZE.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig, ConfigError } from '../config/config.js';
import { openStores } from './open.js';
import { makeChain } from '../testing/pki-fixtures.js';
import type { CertificateRecord } from '../domain/certificate.js';
import { toRow } from './certificate-rows.js';

/** `n` plain uploaded certificates of one account, ids from `first` (the PEM is `leafPem` each time). */
function rows(leafPem: string, accountUin: string, first: number, n: number): CertificateRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const j = first + k;
    return {
      id: 's' + j.toString(36).padStart(7, '0'), accountUin, projectId: 0, alias: '', certificateType: 'SVR', source: 'upload', status: 1,
      statusMsg: null, domain: `h${j}.example.com`, sans: [`h${j}.example.com`], certPem: leafPem, privateKeySealed: null, keyPasswordSealed: null,
      fingerprintSha1: j.toString(16).padStart(40, '0'), fingerprintSha256: j.toString(16).padStart(64, '0'), serialHex: j.toString(16),
      issuerCn: 'x', encryptAlgorithm: 'ECC', isSm: false, isWildcard: false, isDv: false, notBefore: 0, notAfter: 1e13,
      certificateUse: '', packageType: null, productZhName: '', verifyType: null, validityPeriod: '12', caInfo: null, createdAt: j, updatedAt: j,
      tags: [], dvDeadline: null, validatedAt: null, originCertId: null, renewOrderId: null, replacedBy: null, replacedFor: null,
      encryptCertPem: null, encryptKeySealed: null,
    };
  });
}

describe('SQLite statistics', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'certport-stats-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a database analysed while tiny and grown since has fresh sqlite_stat1 rows after opening', async () => {
    const url = `sqlite:${path.join(dir, 'grown.db')}`;
    const chain = await makeChain('EC', 'stats.example.com');
    let stores = await openStores(url);
    const rowsOf = async () => (await sql<{ stat: string }>`select stat from sqlite_stat1 where tbl = 'certificates' and idx = 'sqlite_autoindex_certificates_1'`
      .execute(stores.kysely)).rows[0]?.stat;
    try {
      await stores.accounts.createAccount({ uin: '100', name: 'a', status: 'active', createdAt: 0 });
      await stores.certificates.bulkInsertCertificates(rows(chain.leafPem, '100', 0, 1));
      await sql`analyze`.execute(stores.kysely);
      assert.match((await rowsOf())!, /^1 /, 'analysed with one row');
      // Grown behind certport's back (raw inserts, as an import or another tool would).
      const more = rows(chain.leafPem, '100', 1, 3000);
      for (let i = 0; i < more.length; i += 500) {
        await stores.kysely.insertInto('certificates').values(more.slice(i, i + 500).map(toRow)).execute();
      }
      assert.match((await rowsOf())!, /^1 /, 'still the tiny picture');
    } finally {
      await stores.close();
    }
    stores = await openStores(url);
    try {
      const stat = await rowsOf();
      assert.ok(stat, 'certificates analysed');
      assert.ok(Number(stat!.split(' ')[0]) > 1000, `sqlite_stat1 after opening: ${stat}`);
    } finally {
      await stores.close();
    }
  });
});

describe('CERTPORT_DATABASE_POOL_SIZE', () => {
  test('defaults to 8; a whole number from 1 to 1000 is taken; anything else is refused by name', () => {
    assert.equal(loadConfig({}).databasePoolSize, 8);
    assert.equal(loadConfig({ CERTPORT_DATABASE_POOL_SIZE: '64' }).databasePoolSize, 64);
    assert.throws(() => loadConfig({ CERTPORT_DATABASE_POOL_SIZE: '0' }), (e) => e instanceof ConfigError && /CERTPORT_DATABASE_POOL_SIZE must be between 1 and 1000/.test(e.message));
    assert.throws(() => loadConfig({ CERTPORT_DATABASE_POOL_SIZE: 'many' }), /CERTPORT_DATABASE_POOL_SIZE must be a whole number/);
  });
});

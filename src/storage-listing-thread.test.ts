// CERTPORT_LISTING_THREAD: SQLite listings on their own thread by default, on the request thread with 0.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config/config.js';
import { openDatabase } from './storage.js';

test('CERTPORT_LISTING_THREAD: a listing thread by default, none with 0, and nothing else taken', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'certport-listing-thread-'));
  try {
    for (const [value, thread] of [[undefined, true], ['1', true], ['0', false]] as const) {
      const config = loadConfig({ CERTPORT_DATA_DIR: dir, ...(value === undefined ? {} : { CERTPORT_LISTING_THREAD: value }) });
      assert.equal(config.listingThread, thread);
      const stores = await openDatabase(config);
      try {
        assert.equal((stores.certificates as unknown as { reader?: object }).reader !== undefined, thread, `CERTPORT_LISTING_THREAD=${value}`);
        assert.deepEqual(await stores.certificates.listCertificates({ accountUin: '100000000001', offset: 0, limit: 5 }), { total: 0, items: [] });
      } finally {
        await stores.close();
      }
    }
    assert.throws(() => loadConfig({ CERTPORT_DATA_DIR: dir, CERTPORT_LISTING_THREAD: 'maybe' }), (e: Error) => e instanceof ConfigError && /CERTPORT_LISTING_THREAD/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

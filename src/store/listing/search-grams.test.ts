// SearchKey on SQLite looked up by its rarest trigrams once their counts are learned
// (sqlite.ts Grams): the same matches as the whole phrase, rows holding those trigrams but not
// the key left out by the exact check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeChain } from '../../testing/pki-fixtures.js';
import { startTestService, type TestService } from '../../testing/harness.js';

describe('search by rare trigrams (sqlite)', () => {
  let t: TestService;
  const ids = new Map<string, string>();
  before(async () => {
    t = await startTestService('sqlite');
    // `zq7` and `7.x` are rare; only the first holds the key itself.
    for (const name of ['alpha-zq7.xyz', 'zq7-other.xyz.example', 'plain', 'plain2', 'plain3']) {
      const chain = await makeChain('EC', `${name}.grams.example.com`);
      ids.set(name, (await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem, CertificatePrivateKey: chain.keyPem, Alias: name })).CertificateId!);
    }
  });
  after(async () => {
    await t?.close();
  });

  test('the same matches before and after the counts are learned', async () => {
    const list = async (key: string) => (await t.svc.core.stores.certificates.listCertificates({ accountUin: t.cred.accountUin, offset: 0, limit: 10, searchKey: key }))
      .items.map((c) => c.alias).sort();
    for (const [key, want] of [['zq7.xyz', ['alpha-zq7.xyz']], ['grams.example', ['alpha-zq7.xyz', 'plain', 'plain2', 'plain3', 'zq7-other.xyz.example']],
      ['ZQ7-OTHER', ['zq7-other.xyz.example']], ['zq7.xyq', []]] as const) {
      assert.deepEqual(await list(key.toLowerCase()), want, key);
      await new Promise((ok) => setTimeout(ok, 50)); // the counts read in the background
      assert.deepEqual(await list(key.toLowerCase()), want, key);
      assert.deepEqual(await list(key), want, key);
    }
  });
});

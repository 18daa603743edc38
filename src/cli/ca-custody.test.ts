// The CA's keys sealed apart from customer data (migration 0019_ca_custody): a database made
// before it, whose CAs are sealed under the master key, is migrated at start (the CAs sealed
// again under a CA key, the same CA, customer data untouched); a wrong or missing CA key stops
// the service with a sentence naming CERTPORT_CA_KEY and the key file.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig, parseMasterKey } from '../config/config.js';
import { startService } from '../main.js';
import { generateKeyPairAsync } from '../pki/keys.js';
import { aad } from '../secrets/aad.js';
import { Sealer } from '../secrets/sealer.js';
import { runCli } from '../testing/cli.js';
import { BACKENDS, startTestService } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { makeChain } from '../testing/pki-fixtures.js';

for (const backend of BACKENDS) {
  describe(`CA key custody (${backend})`, () => {
    test('a database whose CAs are sealed under the master key is migrated at start; a wrong or missing CA key is refused by name', async () => {
      const t = await startTestService(backend);
      const caFile = path.join(t.dataDir, 'ca.key');
      try {
        const masterKey = parseMasterKey(readFileSync(path.join(t.dataDir, 'master.key'), 'utf8'));
        const master = new Sealer(masterKey);
        assert.ok(existsSync(caFile), 'a fresh database gets <data dir>/ca.key');
        assert.equal(statSync(caFile).mode & 0o777, 0o600);
        const chain = await makeChain('EC', 'custody.example.test');
        const { CertificateId: id } = await t.client.UploadCertificate({ CertificatePublicKey: chain.leafPem + chain.intermediatePem, CertificatePrivateKey: chain.keyPem });
        const rootPem = t.svc.core.ca.rootPem;
        const sm2RootPem = t.svc.core.ca.sm2RootPem;
        const db = t.svc.core.stores.kysely;

        // A fresh database: the CAs under the CA key, nothing of them opens under the master key.
        const caSealer = new Sealer(parseMasterKey(readFileSync(caFile, 'utf8')), 'ca');
        const rows = await db.selectFrom('ca_material').select(['name', 'material_sealed', 'custody']).orderBy('name').execute();
        assert.deepEqual(rows.map((r) => [r.name, r.custody]), [['embedded', 'ca-key'], ['embedded-sm2', 'ca-key']]);
        for (const r of rows) {
          assert.match(caSealer.openString(r.material_sealed, aad.caMaterial(r.name)), /PRIVATE KEY/);
          assert.throws(() => master.open(r.material_sealed, aad.caMaterial(r.name)));
        }

        // Back to what the code before 0019_ca_custody made: the CAs sealed under the master key
        // (bound to 'ca:<name>'), no custody column, no key ring purpose, no key check, no ca.key.
        await t.svc.close();
        const { openStores } = await import('../store/open.js');
        const stores = await openStores(t.svc.core.config.databaseUrl, t.svc.core.config.databaseSchema ? { schema: t.svc.core.config.databaseSchema } : {});
        try {
          const k = stores.kysely;
          for (const r of rows) {
            const plain = caSealer.open(r.material_sealed, aad.caMaterial(r.name));
            await k.updateTable('ca_material').set({ material_sealed: master.seal(plain, aad.ca(r.name)) }).where('name', '=', r.name).execute();
          }
          await sql`alter table ca_material drop column custody`.execute(k);
          await sql`alter table master_keys drop column purpose`.execute(k);
          await sql`drop table key_checks`.execute(k);
          await sql`delete from kysely_migration where name = '0019_ca_custody'`.execute(k);
        } finally {
          await stores.close();
        }
        rmSync(caFile);

        await t.restart();
        const core = t.svc.core;
        assert.ok(existsSync(caFile), 'the migration made a CA key');
        const newCa = new Sealer(parseMasterKey(readFileSync(caFile, 'utf8')), 'ca');
        assert.notEqual(newCa.keyId, caSealer.keyId);
        const migrated = await core.stores.kysely.selectFrom('ca_material').select(['name', 'material_sealed', 'custody']).orderBy('name').execute();
        for (const r of migrated) {
          assert.equal(r.custody, 'ca-key', r.name);
          const m = JSON.parse(newCa.openString(r.material_sealed, aad.caMaterial(r.name))) as { rootKeyPem: string };
          assert.match(m.rootKeyPem, /PRIVATE KEY/);
          assert.throws(() => master.open(r.material_sealed, aad.caMaterial(r.name)), 'the master key opens no CA key any more');
          assert.throws(() => master.open(r.material_sealed, aad.ca(r.name)));
        }
        assert.equal(core.ca.rootPem, rootPem, 'the same CA');
        assert.equal(core.ca.sm2RootPem, sm2RootPem);
        // Customer data untouched: the uploaded key opens under the master key as before.
        assert.equal((await t.client.DescribeCertificateDetail({ CertificateId: id! })).CertificatePrivateKey, chain.keyPem);
        // The migrated CA still signs, and its leaves chain to the same root.
        const leafKeys = await generateKeyPairAsync('RSA', '2048');
        const issued = await core.ca.issuer.issue({ publicKeyPem: leafKeys.publicKeyPem, domains: ['after.custody.example.test'], validityDays: 30 });
        const inter = new X509Certificate(issued.chainPems[0]!);
        assert.ok(new X509Certificate(issued.certPem).verify(inter.publicKey));
        assert.ok(inter.verify(new X509Certificate(rootPem).publicKey));
        assert.ok(await core.stores.masterKeys.getKeyCheck('master'), 'the master key is checked by a value of its own now');

        // A wrong CA key (file, then variable) and a missing one: refused by name, nothing generated.
        const env = { ...t.env, CERTPORT_PORT: String(await freePort()) };
        const right = readFileSync(caFile, 'utf8');
        writeFileSync(caFile, randomBytes(32).toString('base64') + '\n');
        await assert.rejects(startService(loadConfig(env)),
          /the CA key from .*ca\.key does not open the CA's keys in this database \(it was sealed under another key\): set CERTPORT_CA_KEY to the key it was sealed with/);
        writeFileSync(caFile, right);
        const wrongVar = { ...env, CERTPORT_CA_KEY: randomBytes(32).toString('hex') };
        await assert.rejects(startService(loadConfig(wrongVar)), /the CA key from CERTPORT_CA_KEY does not open the CA's keys .*or unset it and put that key in .*ca\.key/);
        // A command that opens the CA (one-row commands such as `account list` open the database alone).
        const cli = await runCli(wrongVar, 'ca', 'show');
        assert.equal(cli.code, 1);
        assert.match(cli.stderr, /^certport: the CA key from CERTPORT_CA_KEY does not open/);
        assert.doesNotMatch(cli.stderr, /Unsupported state/);
        rmSync(caFile);
        await assert.rejects(startService(loadConfig(env)), /this database holds data sealed under a CA key and no key is configured: set CERTPORT_CA_KEY/);
        assert.equal(existsSync(caFile), false, 'no CA key generated over sealed CA keys');
        assert.throws(() => loadConfig({ ...env, CERTPORT_MASTER_KEY: masterKey.toString('hex'), CERTPORT_CA_KEY: masterKey.toString('base64') }),
          /CERTPORT_CA_KEY must differ from CERTPORT_MASTER_KEY/);
        writeFileSync(caFile, right, { mode: 0o600 });
      } finally {
        await t.close();
      }
    });
  });
}

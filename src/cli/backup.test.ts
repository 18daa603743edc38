// `certport backup` taken while uploads run through the API, `certport restore` onto a fresh
// data dir (SQLite) or a fresh database (PostgreSQL), and a service started on the restored
// data: every certificate acknowledged before the backup began comes back with its key. The
// master key is not in the backup: without it, or with another, the service refuses to start
// with a sentence naming CERTPORT_MASTER_KEY and the key file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../config/config.js';
import { startService } from '../main.js';
import { runCli } from '../testing/cli.js';
import { BACKENDS, PG_URL, sdkClient, startTestService } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { makeChain } from '../testing/pki-fixtures.js';

async function pgAdmin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

interface Reported { counts: Record<string, number>; masterKey?: string }

for (const backend of BACKENDS) {
  describe(`backup and restore (${backend})`, () => {
    test('a backup taken during uploads restores every acknowledged certificate with its key; the key is checked at start', async () => {
      const masterKey = randomBytes(32).toString('hex');
      const caKey = randomBytes(32).toString('base64');
      const t = await startTestService(backend, { env: { CERTPORT_MASTER_KEY: masterKey, CERTPORT_CA_KEY: caKey } });
      const work = await mkdtemp(path.join(tmpdir(), 'certport-backup-'));
      const target = path.join(work, 'restored');
      const database = 'r_' + randomBytes(5).toString('hex');
      let restored: Awaited<ReturnType<typeof startService>> | null = null;
      try {
        const chains = await Promise.all([0, 1, 2, 3].map((i) => makeChain('EC', `b${i}.backup.test`)));
        const acked: { id: string; key: string }[] = [];
        let stop = false;
        let n = 0;
        const writer = async () => {
          while (!stop) {
            const ch = chains[n++ % chains.length]!;
            const r = await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem, Alias: `w${n}` });
            acked.push({ id: r.CertificateId!, key: ch.keyPem });
          }
        };
        const writers = [writer(), writer(), writer(), writer()];
        while (acked.length < 60) await new Promise((r) => setTimeout(r, 20));

        // Everything acknowledged before the backup starts must be in it.
        const before = acked.slice();
        const file = path.join(work, backend === 'sqlite' ? 'certport.backup.db' : 'certport.dump');
        const backup = await runCli(t.env, 'backup', file, '--json');
        const during = acked.length - before.length;
        stop = true;
        await Promise.all(writers);
        assert.equal(backup.code, 0, backup.stderr);
        const made = JSON.parse(backup.stdout) as Reported;
        assert.ok(during > 0, 'uploads were acknowledged while the backup ran');
        assert.ok(made.counts.certificates! >= before.length && made.counts.certificates! <= acked.length,
          `${made.counts.certificates} certificates in the backup: ${before.length} acknowledged before it, ${acked.length} in all`);
        assert.equal(made.counts.certificate_keys, made.counts.certificates);
        console.log(`# ${backend}: ${before.length} acknowledged before the backup, ${during} during it; backup holds ${made.counts.certificates} certificates (${made.counts.certificate_keys} keys)`);

        const env: Record<string, string> = {
          CERTPORT_DATA_DIR: target,
          CERTPORT_PORT: String(await freePort()),
          CERTPORT_LOG_LEVEL: 'silent',
          CERTPORT_RATE_LIMIT: '0',
          CERTPORT_CA_KEY: caKey,
        };
        if (backend === 'postgres') {
          await pgAdmin(`create database ${database}`);
          const url = new URL(PG_URL);
          url.pathname = '/' + database;
          Object.assign(env, { CERTPORT_DATABASE_URL: url.toString(), CERTPORT_DATABASE_SCHEMA: t.env.CERTPORT_DATABASE_SCHEMA! });
        }
        const restore = await runCli({ ...env, CERTPORT_MASTER_KEY: masterKey }, 'restore', file, '--json');
        assert.equal(restore.code, 0, restore.stderr);
        const back = JSON.parse(restore.stdout) as Reported;
        assert.deepEqual(back.counts, made.counts);
        assert.equal(back.masterKey, 'ok');
        assert.equal((back as { caKey?: string }).caKey, 'ok');
        console.log(`# ${backend}: restore wrote ${back.counts.certificates} certificates (${back.counts.certificate_keys} keys), ${back.counts.accounts} accounts, ${back.counts.api_keys} API keys`);

        const again = await runCli({ ...env, CERTPORT_MASTER_KEY: masterKey }, 'restore', file);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /already holds .*--force/);
        const forced = await runCli({ ...env, CERTPORT_MASTER_KEY: masterKey }, 'restore', file, '--force', '--json');
        assert.equal(forced.code, 0, forced.stderr);
        assert.deepEqual((JSON.parse(forced.stdout) as Reported).counts, made.counts);

        // No key: refused, naming the variable and the file, and no new key written over the data.
        const keyFile = path.join(target, 'master.key');
        await assert.rejects(startService(loadConfig(env)), (e: Error) => {
          assert.match(e.message, /no key is configured: set CERTPORT_MASTER_KEY .* or put that key in .*master\.key/);
          return true;
        });
        assert.equal(existsSync(keyFile), false, 'no master.key generated over sealed data');
        const wrong = { ...env, CERTPORT_MASTER_KEY: randomBytes(32).toString('hex') };
        await assert.rejects(startService(loadConfig(wrong)), /the master key from CERTPORT_MASTER_KEY does not open this database's sealed data.*CERTPORT_MASTER_KEY/);
        const cli = await runCli(wrong, 'account', 'list');
        assert.equal(cli.code, 1);
        assert.match(cli.stderr, /^certport: the master key from CERTPORT_MASTER_KEY does not open/);
        assert.doesNotMatch(cli.stderr, /Unsupported state/);

        // The right master key, from the file beside the data this time; without the CA key the
        // CAs' keys do not open: refused, naming its variable and file, and no ca.key generated.
        writeFileSync(keyFile, masterKey + '\n', { mode: 0o600 });
        const { CERTPORT_CA_KEY: _, ...noCaKey } = env;
        await assert.rejects(startService(loadConfig(noCaKey)),
          /this database holds data sealed under a CA key and no key is configured: set CERTPORT_CA_KEY .* or put that key in .*ca\.key/);
        assert.equal(existsSync(path.join(target, 'ca.key')), false, 'no ca.key generated over sealed CA keys');
        restored = await startService(loadConfig(env));
        const client = sdkClient(Number(new URL(restored.url).port), t.cred);
        for (const c of before) {
          const d = await client.DescribeCertificateDetail({ CertificateId: c.id });
          assert.equal(d.CertificatePrivateKey, c.key, c.id);
        }
        const dl = await client.DownloadCertificate({ CertificateId: before[0]!.id });
        assert.ok(Buffer.from(dl.Content!, 'base64').length > 0);
        const total = (await client.DescribeCertificates({ Limit: 1 })).TotalCount;
        assert.equal(total, made.counts.certificates);
      } finally {
        await restored?.close();
        await t.close();
        if (backend === 'postgres') await pgAdmin(`drop database if exists ${database}`);
        await rm(work, { recursive: true, force: true });
      }
    });

    test('restore refuses a backup of the other backend and a file that is no backup', async () => {
      const work = await mkdtemp(path.join(tmpdir(), 'certport-backup-'));
      try {
        const junk = path.join(work, 'junk');
        writeFileSync(junk, 'not a database at all');
        const env: Record<string, string> = backend === 'sqlite'
          ? { CERTPORT_DATA_DIR: work }
          : { CERTPORT_DATA_DIR: work, CERTPORT_DATABASE_URL: PG_URL, CERTPORT_DATABASE_SCHEMA: 'never_made' };
        const r = await runCli(env, 'restore', junk);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /is not a certport backup/);
        const other = path.join(work, 'other');
        writeFileSync(other, backend === 'sqlite' ? 'PGDMP\u0001\u000e\u0000' : 'SQLite format 3\u0000');
        const o = await runCli(env, 'restore', other);
        assert.match(o.stderr, new RegExp(`is a ${backend === 'sqlite' ? 'postgres' : 'sqlite'} backup and CERTPORT_DATABASE_URL names a ${backend} database`));
        const b = await runCli(env, 'backup', junk);
        assert.match(b.stderr, /exists: pass --force/);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
  });
}

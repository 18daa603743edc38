// `certport master-key rotate` while the service uploads and reads: nothing fails during the
// rotation, afterwards every sealed value of every column opens under the new key alone, a
// service configured with only the new key serves everything, and `forget` retires the old
// key. SQLite runs it with the key in <data dir>/master.key (replaced in place), PostgreSQL
// with CERTPORT_MASTER_KEY (the new key written to --out).
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CommonClient } from 'tencentcloud-sdk-nodejs/tencentcloud/common/common_client.js';
import { loadConfig, parseMasterKey } from '../config/config.js';
import { startService } from '../main.js';
import { Sealer, keyId } from '../secrets/sealer.js';
import { runCli } from '../testing/cli.js';
import { BACKENDS, sdkClient, startTestService, type Cred } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { makeChain, run } from '../testing/pki-fixtures.js';
import { generateKeyPairAsync } from '../pki/keys.js';

/** The CSR actions are not in the SDK's typed client: CommonClient signs them the same way. */
const csrCall = (port: number, cred: Cred, action: string, params: object) => new CommonClient(`127.0.0.1:${port}`, '2019-12-05', {
  credential: { secretId: cred.secretId, secretKey: cred.secretKey }, region: '',
  profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 60 } },
}).request(action, params) as Promise<Record<string, unknown>>;

for (const backend of BACKENDS) {
  describe(`master-key rotation (${backend})`, () => {
    test('re-seals everything online under a new key; the old key is retired by forget', async () => {
      const fileMode = backend === 'sqlite';
      const k1 = randomBytes(32).toString('hex');
      const ca1 = randomBytes(32).toString('hex');
      const t = await startTestService(backend, { env: fileMode ? {} : { CERTPORT_MASTER_KEY: k1, CERTPORT_CA_KEY: ca1 } });
      const keyFile = path.join(t.dataDir, 'master.key');
      const caKeyFile = path.join(t.dataDir, 'ca.key');
      const outFile = path.join(t.dataDir, 'new.key');
      const caOutFile = path.join(t.dataDir, 'new-ca.key');
      let second: Awaited<ReturnType<typeof startService>> | null = null;
      let third: Awaited<ReturnType<typeof startService>> | null = null;
      try {
        const oldKey = fileMode ? parseMasterKey(readFileSync(keyFile, 'utf8')) : Buffer.from(k1, 'hex');
        const core = t.svc.core;
        // One value of most sealed kinds besides certificate keys (the rest are checked generically below).
        const other = await t.newAccount();
        const { Id: csrId } = await csrCall(t.port, t.cred, 'CreateCSR', { Domain: 'csr.rotate.test', Organization: 'O', Department: 'D', Email: 'a@rotate.test', Province: 'P', City: 'C', Country: 'CN',
          EncryptAlgo: 'ECC', KeyParameter: 'prime256v1', Generate: true, KeyPassword: 'csr-pass-1234' });
        await core.notices.setChannels(t.cred.accountUin, { webhookUrl: 'https://hooks.rotate.test/x', webhookSecret: 'webhook-secret-0123456789' });
        await core.services.resources.addResource({ accountUin: t.cred.accountUin, name: 'edge', type: 'cdn', domains: ['rotate.test'], deployer: 'webhook',
          config: { url: 'https://deploy.rotate.test/' }, secrets: { hmacSecret: 'deploy-secret-0123456789' } });

        const chains = await Promise.all([0, 1, 2].map((i) => makeChain('EC', `r${i}.rotate.test`)));
        const acked: { id: string; key: string }[] = [];
        const failures: string[] = [];
        let stop = false;
        let n = 0;
        const writer = async () => {
          while (!stop) {
            const ch = chains[n++ % chains.length]!;
            try {
              const r = await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem, Alias: `k${n}` });
              acked.push({ id: r.CertificateId!, key: ch.keyPem });
            } catch (e) {
              failures.push(`upload: ${(e as Error).message}`);
            }
          }
        };
        let reads = 0;
        const reader = async () => {
          while (!stop) {
            const c = acked[Math.floor(Math.random() * acked.length)];
            if (!c) {
              await new Promise((r) => setTimeout(r, 10));
              continue;
            }
            try {
              const d = await t.client.DescribeCertificateDetail({ CertificateId: c.id });
              if (d.CertificatePrivateKey !== c.key) failures.push(`${c.id}: another key`);
              reads++;
            } catch (e) {
              failures.push(`read ${c.id}: ${(e as Error).message}`);
            }
          }
        };
        const load = [writer(), writer(), reader(), reader()];
        while (acked.length < 30) await new Promise((r) => setTimeout(r, 20));
        const rotate = await runCli(t.env, 'master-key', 'rotate', ...(fileMode ? [] : ['--out', outFile]), '--json');
        stop = true;
        await Promise.all(load);
        assert.equal(rotate.code, 0, rotate.stderr);
        assert.deepEqual(failures, [], 'every upload and read during the rotation succeeded');
        const report = JSON.parse(rotate.stdout) as { from: string; to: string; passes: number; resealed: Record<string, number> };
        const newKey = parseMasterKey(readFileSync(fileMode ? keyFile : outFile, 'utf8'));
        assert.equal(report.from, keyId(oldKey));
        assert.equal(report.to, keyId(newKey));
        if (fileMode) assert.deepEqual(parseMasterKey(readFileSync(`${keyFile}.${report.from}.old`, 'utf8')), oldKey, 'the old key is kept beside the new one');
        assert.equal(report.resealed['ca_material.material_sealed'], undefined, 'the CA keys are not under the master key');
        for (const column of ['api_keys.secret_key_sealed', 'key_checks.sealed', 'certificate_material.private_key_sealed', 'csrs.private_key_sealed',
          'csrs.key_password_sealed', 'notification_channels.webhook_secret_sealed', 'deploy_resources.deployer_secret_sealed']) {
          assert.ok(report.resealed[column]! > 0, `${column} sealed again`);
        }

        // Every sealed value, in every column, opens under the new key alone.
        const only = new Sealer(newKey);
        const stores = core.stores.masterKeys;
        let values = 0;
        for (const column of stores.sealedColumns()) {
          for (const v of await stores.sealedValues(column, null, 1_000_000)) {
            assert.ok(only.isCurrent(v.sealed, v.aad), `${column} ${v.key} is under the new key`);
            values++;
          }
        }
        const total = Object.values(report.resealed).reduce((a, b) => a + b, 0);
        console.log(`# ${backend}: ${acked.length} uploads and ${reads} reads during the rotation, none failed; ${total} values sealed again in ${report.passes} passes; ${values} stored values all under the new key`);

        // A service configured with only the new key serves everything, old SecretKeys included.
        const env = { ...t.env, CERTPORT_PORT: String(await freePort()), ...(fileMode ? {} : { CERTPORT_MASTER_KEY: newKey.toString('base64') }) };
        second = await startService(loadConfig(env));
        const client = sdkClient(Number(new URL(second.url).port), t.cred);
        for (const c of acked) assert.equal((await client.DescribeCertificateDetail({ CertificateId: c.id })).CertificatePrivateKey, c.key);
        assert.match(String((await csrCall(Number(new URL(second.url).port), t.cred, 'DescribeCSR', { CSRId: csrId })).PrivateKey), /ENCRYPTED PRIVATE KEY/);
        await sdkClient(Number(new URL(second.url).port), other).DescribeCertificates({});

        // forget: refused while the old key is still the configured one, then the ring is emptied.
        if (!fileMode) {
          const early = await runCli(t.env, 'master-key', 'forget');
          assert.equal(early.code, 1);
          assert.match(early.stderr, /configure the new key on every node first/);
        }
        const forget = await runCli(env, 'master-key', 'forget', '--json');
        assert.equal(forget.code, 0, forget.stderr);
        assert.equal((JSON.parse(forget.stdout) as { forgotten: number }).forgotten, 1);
        // The old key opens nothing any more.
        const retired = fileMode ? { ...env, CERTPORT_MASTER_KEY: oldKey.toString('hex') } : t.env;
        const refused = await runCli(retired, 'account', 'list');
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /the master key from CERTPORT_MASTER_KEY does not open this database's sealed data/);
        assert.equal(existsSync(outFile), !fileMode);

        // The CA key, rotated on its own (`--ca`) while the second service runs on the old one:
        // the CAs' material is sealed again under the new CA key, the CA is the same and signs.
        const oldCaKey = fileMode ? parseMasterKey(readFileSync(caKeyFile, 'utf8')) : Buffer.from(ca1, 'hex');
        const rootPem = second.core.ca.rootPem;
        const caRotate = await runCli(env, 'master-key', 'rotate', '--ca', ...(fileMode ? [] : ['--out', caOutFile]), '--json');
        assert.equal(caRotate.code, 0, caRotate.stderr);
        const caReport = JSON.parse(caRotate.stdout) as { from: string; to: string; resealed: Record<string, number> };
        assert.equal(caReport.from, keyId(oldCaKey, 'ca'));
        assert.deepEqual(caReport.resealed, { 'ca_material.material_sealed': 2 }, 'the RSA/ECDSA and SM2 CAs, and nothing else');
        const newCaKey = parseMasterKey(readFileSync(fileMode ? caKeyFile : caOutFile, 'utf8'));
        assert.equal(caReport.to, keyId(newCaKey, 'ca'));
        const caOnly = new Sealer(newCaKey, 'ca');
        for (const v of await stores.sealedValues('ca_material.material_sealed', null, 10)) {
          assert.ok(caOnly.isCurrent(v.sealed, v.aad), `${v.key} is under the new CA key`);
          assert.throws(() => new Sealer(oldCaKey, 'ca').open(v.sealed, v.aad));
          assert.throws(() => only.open(v.sealed, v.aad), 'and never under the master key');
        }
        // Customer data did not move: still under the new master key alone.
        for (const column of stores.sealedColumns()) {
          for (const v of await stores.sealedValues(column, null, 1_000_000)) assert.ok(only.isCurrent(v.sealed, v.aad), `${column} ${v.key}`);
        }
        // A service with both new keys only: the same CA signs, downloads still hold each certificate's key.
        const env3 = { ...env, CERTPORT_PORT: String(await freePort()), ...(fileMode ? {} : { CERTPORT_CA_KEY: newCaKey.toString('base64') }) };
        third = await startService(loadConfig(env3));
        assert.equal(third.core.ca.rootPem, rootPem);
        const leaf = await generateKeyPairAsync('ECC', 'prime256v1');
        const issued = await third.core.ca.issuer.issue({ publicKeyPem: leaf.publicKeyPem, domains: ['after.rotate.test'], validityDays: 30 });
        const inter = new X509Certificate(issued.chainPems[0]!);
        assert.ok(new X509Certificate(issued.certPem).verify(inter.publicKey) && inter.verify(new X509Certificate(rootPem).publicKey));
        const client3 = sdkClient(Number(new URL(third.url).port), t.cred);
        for (const c of acked.slice(0, 5)) {
          const zip = path.join(t.dataDir, `${c.id}.zip`);
          writeFileSync(zip, Buffer.from((await client3.DownloadCertificate({ CertificateId: c.id })).Content!, 'base64'));
          assert.equal(run('unzip', ['-p', zip, '*_nginx/*.key']).trim(), c.key.trim(), `the download of ${c.id} holds its key`);
        }
        const caForget = await runCli(env3, 'master-key', 'forget', '--ca', '--json');
        assert.equal(caForget.code, 0, caForget.stderr);
        assert.equal((JSON.parse(caForget.stdout) as { forgotten: number }).forgotten, 1);
        const status = JSON.parse((await runCli(env3, 'master-key', 'status', '--json')).stdout) as { sealing: string; ca: { sealing: string; ring: unknown[] } };
        assert.equal(status.sealing, keyId(newKey));
        assert.deepEqual([status.ca.sealing, status.ca.ring.length], [keyId(newCaKey, 'ca'), 0]);
      } finally {
        await third?.close();
        await second?.close();
        await t.close();
      }
    });
  });
}

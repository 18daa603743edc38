// Durability: certport (the real CLI, `serve`) is killed with SIGKILL in the middle of a
// record over ten nginx instances; started again on the same database, it finishes the
// record, and every resource was deployed exactly once (each reload leaves a line in a log).
// The second start runs its clock 61 s ahead: it stands for another node that takes over once
// the dead node's 60 s lease on the job has run out.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../config/config.js';
import { openCore, startService, type RunningService } from '../main.js';
import { makeChain } from '../testing/pki-fixtures.js';
import { startNginx, waitServed, type Nginx } from '../testing/nginx.js';
import { waitRecord } from '../testing/sdk.js';
import { dropPgSchema } from '../store/db.js';
import { BACKENDS, PG_URL, sdkClient } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { CLI_ARGS } from '../testing/cli.js';

const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
const NAME = 'restart.deploy.test';
const N = 10;

for (const backend of BACKENDS) {
  describe(`a record survives SIGKILL (${backend})`, () => {
    const nginxes: Nginx[] = [];
    let child: ChildProcess | undefined;
    let svc: RunningService | undefined;
    let dir: string;
    let schema: string | null = null;
    after(async () => {
      if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      await svc?.close();
      for (const n of nginxes) await n.stop();
      if (schema) await dropPgSchema(PG_URL, schema);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('killed mid-record, restarted: the record finishes, each resource deployed once', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'certport-restart-'));
      schema = backend === 'postgres' ? 't_' + randomBytes(6).toString('hex') : null;
      const port = await freePort();
      const cred = { accountUin: '', secretId: 'AKIDtest' + randomBytes(12).toString('hex'), secretKey: randomBytes(16).toString('hex') };
      const env: Record<string, string> = {
        CERTPORT_DATA_DIR: path.join(dir, 'data'), CERTPORT_PORT: String(port), CERTPORT_LOG_LEVEL: 'silent', CERTPORT_RATE_LIMIT: '0',
        CERTPORT_BOOTSTRAP_SECRET_ID: cred.secretId, CERTPORT_BOOTSTRAP_SECRET_KEY: cred.secretKey,
        ...(schema ? { CERTPORT_DATABASE_URL: PG_URL, CERTPORT_DATABASE_SCHEMA: schema } : {}),
      };
      const [a, b] = await Promise.all([makeChain('EC', NAME), makeChain('EC', NAME)]);
      const log = path.join(dir, 'deploys.log');

      // The first start: bootstrap, certificates, ten nginx resources serving `a`.
      svc = await startService(loadConfig(env));
      cred.accountUin = (await svc.core.stores.accounts.listAccounts())[0]!.uin;
      let c = sdkClient(port, cred);
      const aId = (await c.UploadCertificate({ CertificatePublicKey: a.leafPem + a.intermediatePem, CertificatePrivateKey: a.keyPem })).CertificateId!;
      const bId = (await c.UploadCertificate({ CertificatePublicKey: b.leafPem + b.intermediatePem, CertificatePrivateKey: b.keyPem })).CertificateId!;
      const ports: number[] = [];
      for (let i = 0; i < N; i++) {
        const site = path.join(dir, `site-${i}`);
        mkdirSync(site);
        writeFileSync(path.join(site, 'fullchain.pem'), a.leafPem + a.intermediatePem);
        writeFileSync(path.join(site, 'key.pem'), a.keyPem, { mode: 0o600 });
        const p = await freePort();
        const ng = await startNginx([{ name: NAME, port: p, certFile: path.join(site, 'fullchain.pem'), keyFile: path.join(site, 'key.pem') }], path.join(site, 'nginx'));
        nginxes.push(ng);
        ports.push(p);
        // The reload logs itself, then takes a while: the kill lands while reloads run.
        const reload = `echo site-${i} >> ${log}; sleep 1; ${ng.reloadArgv.map((x) => `'${x}'`).join(' ')}`;
        await svc.core.services.resources.addResource({
          accountUin: cred.accountUin, name: `site-${i}`, type: 'clb', region: 'r', domains: [NAME], probe: `127.0.0.1:${p}`, sni: NAME,
          deployer: 'local', certId: aId,
          config: { files: [{ path: path.join(site, 'fullchain.pem'), format: 'fullchain' }, { path: path.join(site, 'key.pem'), format: 'key' }], reload },
        });
      }
      await svc.close();
      svc = undefined;

      // The real server in a child process: start the record, SIGKILL it while reloads run.
      child = spawn(process.execPath, [...CLI_ARGS, 'serve'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) break;
        } catch { /* not yet */ }
        if (i > 200) throw new Error('the server did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      c = sdkClient(port, cred);
      const u = await c.UpdateCertificateInstance({ OldCertificateId: aId, CertificateId: bId, ResourceTypes: ['clb'] });
      for (let i = 0; !existsSync(log); i++) {
        if (i > 300) throw new Error('no deployment started');
        await new Promise((r) => setTimeout(r, 20));
      }
      const exited = new Promise((r) => child!.once('exit', r));
      process.kill(child.pid!, 'SIGKILL');
      await exited;
      const before = await c.DescribeHostUpdateRecordDetail({ DeployRecordId: String(u.DeployRecordId) }).catch(() => null);
      assert.equal(before, null, 'the server is gone');

      // Reloads the dead server had started run on (they are in their own process groups). In
      // real time another node takes over only when the lease has run out, 60 s later, by when
      // they have long finished: give them that time here too.
      await new Promise((r) => setTimeout(r, 2500));
      // Started again on the same database, 61 s later as far as leases go.
      svc = await startService(loadConfig(env), { clock: () => Date.now() + 61_000 });
      c = sdkClient(port, cred);
      const d = await waitRecord(c, u.DeployRecordId!, 60_000);
      assert.equal(d.TotalCount, N);
      assert.equal(d.SuccessTotalCount, N, JSON.stringify(d));
      for (const p of ports) await waitServed(p, NAME, fp(b.leafPem));
      const lines = readFileSync(log, 'utf8').trim().split('\n').sort();
      assert.deepEqual(lines, Array.from({ length: N }, (_, i) => `site-${i}`).sort(), 'each resource deployed exactly once');
    });
  });
}

// Benchmark: time from UpdateCertificateInstance (official SDK) until every bound nginx serves
// the new certificate, for 1 and for 50 resources. Each resource is its own nginx on a loopback
// port, deployed by the `local` deployer (fullchain + key, atomic writes, `nginx -s reload`);
// "served" is when a TLS handshake on that port presents the new leaf (each port polled every max(10 ms, 2 ms × resources)).
// Backend: CERTPORT_BENCH_BACKEND (sqlite | postgres); runs: CERTPORT_BENCH_RUNS (default 3).
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { X509Certificate } from 'node:crypto';
import { probe } from '../src/deploy/probe.js';
import { startNginx, type Nginx } from '../src/testing/nginx.js';
import { makeChain, type TestChain } from '../src/testing/pki-fixtures.js';
import { startTestService, type Backend } from '../src/testing/harness.js';
import { freePort } from '../src/testing/net.js';

const backend = (process.env.CERTPORT_BENCH_BACKEND ?? 'sqlite') as Backend;
const RUNS = Number(process.env.CERTPORT_BENCH_RUNS ?? 3);
const PROBE = process.env.CERTPORT_BENCH_PROBE !== '0';
const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
const NAME = 'bench.deploy.test';

async function scenario(n: number, concurrency: number, chains: [TestChain, TestChain]) {
  const t = await startTestService(backend, { deployment: { concurrency } });
  const dir = await mkdtemp(path.join(tmpdir(), 'certport-bench-deploy-'));
  const nginxes: Nginx[] = [];
  const ports: number[] = [];
  try {
    const d = t.svc.core.services.resources;
    const ids = [];
    for (const ch of chains) {
      ids.push((await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!);
    }
    for (let i = 0; i < n; i++) {
      const site = path.join(dir, `site-${i}`);
      mkdirSync(site);
      const certFile = path.join(site, 'fullchain.pem');
      const keyFile = path.join(site, 'key.pem');
      writeFileSync(certFile, chains[0].leafPem + chains[0].intermediatePem);
      writeFileSync(keyFile, chains[0].keyPem, { mode: 0o600 });
      const port = await freePort();
      const ng = await startNginx([{ name: NAME, port, certFile, keyFile }], path.join(site, 'nginx'));
      nginxes.push(ng);
      ports.push(port);
      await d.addResource({
        accountUin: t.cred.accountUin, name: `web-${i}`, type: 'clb', region: 'bench', domains: [NAME], deployer: 'local', certId: ids[0]!,
        config: { files: [{ path: certFile, format: 'fullchain' }, { path: keyFile, format: 'key' }], reload: ng.reloadArgv },
      });
    }
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const [from, to] = run % 2 === 0 ? [0, 1] : [1, 0];
      const want = fp(chains[to]!.leafPem);
      const t0 = performance.now();
      const u = await t.client.UpdateCertificateInstance({ OldCertificateId: ids[from]!, CertificateId: ids[to]!, ResourceTypes: ['clb'] });
      const answered = performance.now() - t0;
      // PROBE=0: no probing while the record runs (the probes' TLS handshakes compete for the CPU
      // with nginx's reloads); every port is checked once after the record is done.
      if (!PROBE) {
        for (;;) {
          const r = await t.client.DescribeHostUpdateRecordDetail({ DeployRecordId: String(u.DeployRecordId), Limit: '1' });
          if (r.SuccessTotalCount! + r.FailedTotalCount! === r.TotalCount) break;
          await new Promise((r2) => setTimeout(r2, 20));
        }
      }
      const served = await Promise.all(ports.map(async (port) => {
        for (;;) {
          const p = await probe({ host: '127.0.0.1', port, sni: NAME }, 2000);
          if (p.ok && p.sha256 === want) return performance.now() - t0;
          await new Promise((r) => setTimeout(r, Math.max(10, n * 2)));
        }
      }));
      served.sort((a, b) => a - b);
      let recordDone = 0;
      for (;;) {
        const r = await t.client.DescribeHostUpdateRecordDetail({ DeployRecordId: String(u.DeployRecordId), Limit: '1' });
        if (r.SuccessTotalCount! + r.FailedTotalCount! === r.TotalCount) {
          recordDone = performance.now() - t0;
          if (r.FailedTotalCount) throw new Error(`record ${u.DeployRecordId}: ${r.FailedTotalCount} failed`);
          break;
        }
        await new Promise((r2) => setTimeout(r2, 20));
      }
      times.push(served[served.length - 1]!);
      const ds = await t.svc.core.stores.kysely.selectFrom('deploy_details').select(['started_at', 'finished_at'])
        .where('record_id', '=', u.DeployRecordId!).execute();
      const per = ds.map((x) => Number(x.finished_at) - Number(x.started_at)).sort((a, b) => a - b);
      console.log(`  ${String(n).padStart(2)} resource(s), concurrency ${String(concurrency).padStart(2)}, run ${run + 1}: API answered ${answered.toFixed(0)} ms; first served ${served[0]!.toFixed(0)} ms, median ${served[Math.floor(served.length / 2)]!.toFixed(0)} ms, all served ${served[served.length - 1]!.toFixed(0)} ms; record done ${recordDone.toFixed(0)} ms; one deployment (write + reload) median ${per[Math.floor(per.length / 2)]} ms`);
    }
    return times;
  } finally {
    for (const ng of nginxes) await ng.stop();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const chains: [TestChain, TestChain] = [await makeChain('EC', NAME), await makeChain('EC', NAME)];
console.log(`UpdateCertificateInstance → new leaf served by every nginx (${backend}, ${RUNS} runs each, ${PROBE ? 'probing while deploying' : 'checked after the record is done'})`);
await scenario(1, 8, chains);
await scenario(50, 8, chains);
await scenario(50, 16, chains);

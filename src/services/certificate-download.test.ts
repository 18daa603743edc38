// CertificateService.download's single-flight (issue 27): concurrent first downloads of one
// certificate share one build on a node, each is logged, and a failed build is not remembered.
// Real stores on both backends; the worker pool is replaced by a runner that holds the build
// until every download has asked for it (no timing).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CertificateService } from './certificates.js';
import { inlineCpu, type CpuRunner } from '../pki/cpu-pool.js';
import type { CpuTask, TaskInput, TaskOutput } from '../pki/cpu-tasks.js';
import type { CertificateStore, OperationLogStore, ProjectStore } from '../domain/stores.js';
import { Sealer, findMasterKey } from '../secrets/sealer.js';
import { joinStores } from '../store/open.js';
import { makeChain, type TestChain } from '../testing/pki-fixtures.js';
import { BACKENDS, startTestService, type TestService } from '../testing/harness.js';

for (const backend of BACKENDS) {
  describe(`DownloadCertificate builds an archive once for concurrent first downloads (${backend})`, () => {
    let t: TestService;
    let ch: TestChain;
    before(async () => {
      t = await startTestService(backend);
      ch = await makeChain('RSA', 'flight.download.test');
    });
    after(async () => { await t.close(); });

    /** A service on the node's stores whose builds wait for `release`, counting builds and kept-archive reads. */
    function service(opts: { fail?: boolean } = {}) {
      const state = { builds: 0, reads: 0, release: () => {} };
      const gate = new Promise<void>((ok) => { state.release = ok; });
      const cpu: CpuRunner = {
        async run<K extends CpuTask>(task: K, input: TaskInput<K>, key?: string): Promise<TaskOutput<K>> {
          if (task === 'downloadZip') {
            state.builds++;
            await gate;
            if (opts.fail) throw new Error('the build failed');
          }
          return inlineCpu.run(task, input, key);
        },
      };
      const s = t.svc.core.stores;
      const store = joinStores(s.certificates as CertificateStore, s.projects as ProjectStore, s.operationLog as OperationLogStore);
      const getDownload = store.getDownload;
      store.getDownload = async (id: string) => {
        const r = await getDownload(id);
        state.reads++;
        return r;
      };
      const svc = new CertificateService(store, new Sealer(findMasterKey(null, t.dataDir)!.key), () => Date.now(), undefined, cpu);
      return { svc, state };
    }
    /** Resolves once `n` downloads have read the kept archive and gone on to the build (or to wait for it). */
    async function readBy(state: { reads: number }, n: number) {
      while (state.reads < n) await new Promise((ok) => setImmediate(ok));
      await new Promise((ok) => setImmediate(ok));
    }
    const caller = () => ({ accountUin: t.cred.accountUin, userUin: t.cred.accountUin });
    const upload = async () => (await t.client.UploadCertificate({ CertificatePublicKey: ch.leafPem + ch.intermediatePem, CertificatePrivateKey: ch.keyPem })).CertificateId!;
    const downloadLogs = async (id: string) => (await t.svc.core.stores.kysely.selectFrom('operation_logs').select('type')
      .where('cert_id', '=', id).where('type', '=', 'download').execute()).length;

    test('three at once: one build, the same bytes and password for all, three log entries, then served as kept', async () => {
      const id = await upload();
      const { svc, state } = service();
      const downloads = [svc.download(caller(), id), svc.download(caller(), id), svc.download(caller(), id)];
      await readBy(state, 3);
      state.release();
      const [a, b, c] = await Promise.all(downloads);
      assert.equal(state.builds, 1);
      assert.ok(a!.zip.equals(b!.zip) && a!.zip.equals(c!.zip));
      assert.equal(a!.password, b!.password);
      assert.ok(a!.password && a!.password.length === 16);
      assert.equal(await downloadLogs(id), 3, 'each download is logged');
      const again = await svc.download(caller(), id);
      assert.equal(state.builds, 1, 'kept: not built again');
      assert.ok(again.zip.equals(a!.zip));
    });

    test('a failed build fails the downloads that waited for it, and the next one builds again', async () => {
      const id = await upload();
      const failing = service({ fail: true });
      const downloads = [failing.svc.download(caller(), id), failing.svc.download(caller(), id)];
      await readBy(failing.state, 2);
      failing.state.release();
      for (const r of await Promise.allSettled(downloads)) assert.equal(r.status, 'rejected');
      assert.equal(failing.state.builds, 1);
      // Not remembered: the next download builds again (and this runner fails it again).
      await assert.rejects(failing.svc.download(caller(), id));
      assert.equal(failing.state.builds, 2);
      const { svc, state } = service();
      state.release();
      const ok = await svc.download(caller(), id);
      assert.equal(state.builds, 1);
      assert.ok(ok.zip.length > 0 && ok.password);
      assert.equal(await downloadLogs(id), 1, 'only the download that was answered is logged');
    });
  });
}
